"""Which operation of a document a request runs: the GraphQL spec's *GetOperation*.

A document may hold several operations; the request names the one to run
(``operationName``). With none named, the document must hold exactly one — otherwise
the request is an error (graphql-core's ``execute`` says so in these words). Strawberry
instead runs the first operation it finds, so a client that forgot the name got an
answer to a query it may not have meant; :class:`OneOperation` restores the rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from schema.codes import OPERATION_RESOLUTION_FAILURE

__all__ = ["OneOperation", "MULTIPLE_WITHOUT_NAME"]

MULTIPLE_WITHOUT_NAME = "Must provide operation name if query contains multiple operations."


class OneOperation(SchemaExtension):
    """Refuse a document of several operations when the request names none."""

    def on_validate(self) -> Iterator[None]:
        # Before the validation's own check of pre_execution_errors (inside this hook);
        # runs after ValidatedDocuments', whose cached list is replaced, never changed.
        ec = self.execution_context
        if not ec.pre_execution_errors and ec._provided_operation_name is None \
                and ec.graphql_document is not None \
                and sum(isinstance(d, OperationDefinitionNode)
                        for d in ec.graphql_document.definitions) > 1:
            ec.pre_execution_errors = [GraphQLError(
                MULTIPLE_WITHOUT_NAME, extensions={"code": OPERATION_RESOLUTION_FAILURE})]
        yield
