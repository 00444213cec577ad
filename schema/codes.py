"""The codes a GraphQL answer's errors carry in ``extensions.code``.

Clients match on a code, not on the wording of a message (Apollo Client's error links,
urql's and Relay's error handling, a retry policy that leaves a client's own mistakes
alone). The names are Apollo Server's, which those clients know:

========================== =============================================================
``GRAPHQL_PARSE_FAILED``   the document is not GraphQL (``Syntax Error: ...``)
``GRAPHQL_VALIDATION_FAILED`` the document does not fit the schema: an unknown field or
                           argument, a literal of the wrong type (``first: "x"``)
``OPERATION_RESOLUTION_FAILURE`` no operation to run: an unknown ``operationName``, or
                           several operations and none named
``BAD_USER_INPUT``         an argument's or variable's value is not allowed
                           (graph/errors.py)
``LIMIT_EXCEEDED``         past one of the server's limits, named in ``limit``
``NOT_READY``              whole-graph analytics still being computed
``START_GONE``             a storyAdded subscription's ``near.from`` left the graph (its
                           record deleted or retracted, nothing relating to it): the
                           subscription ends; ``start`` and ``version`` say which and when
``BAD_REQUEST``            the HTTP request is not one GraphQL can read: a POSTed
                           operation's member of the wrong type (``operationName: 123``,
                           ``variables`` as text), a request line or header the parser
                           cannot read
========================== =============================================================
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError

from graph.errors import BAD_USER_INPUT

__all__ = ["BAD_REQUEST", "BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED",
           "OPERATION_RESOLUTION_FAILURE", "with_code"]

BAD_REQUEST = "BAD_REQUEST"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"


def with_code(errors: Iterable[GraphQLError], code: str) -> list[GraphQLError]:
    """Give each error that has no code ``code`` (in place: graphql-core's own errors
    carry none); return them as a list."""
    out = list(errors)
    for error in out:
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code}
    return out
