"""The limits of one request's document and arguments, enforced.

:class:`Limits` is a schema extension, built afresh for every operation. It reads
the :class:`~schema.settings.Settings` from the request context (the defaults when
there are none, as for ``newsgraph query``) and enforces them at the stage where
each can be checked cheapest:

========================  ======================================================
before parsing            document size; the token limit is handed to the parser
validation                fields once fragments are spread in (schema/fanout.py);
                          depth and aliases (Strawberry's rules); introspection
while resolving           the bounded arguments (``first``, ``last``, ``hops``,
                          ``maxHops``, ``limit``): each field's, once, against
                          the range the schema documents, tightened by settings
                          (:func:`check_arguments`, run by the per-field hook of
                          :class:`schema.cost.Cost`: each such hook costs every
                          field a call, about a tenth of a wide query's time)
========================  ======================================================

What a request spends (objects, visits, time) is :mod:`schema.cost`'s. Every limit
error is a :class:`LimitExceeded` whose message names the limit and its value; its
``extensions`` say the same for programs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

import graph
from schema.codes import GRAPHQL_PARSE_FAILED, with_code
from schema.fanout import ExpandedFieldsLimit, guarded
from schema.settings import CEILINGS, Settings, env_name

__all__ = ["LimitExceeded", "Limits", "check_arguments", "settings_of", "camel",
           "DEFAULT_SETTINGS", "tidy_errors", "validation_rules"]

DEFAULT_SETTINGS = Settings()
# The arguments bounded by a setting: the least each may be, and the setting whose
# ceiling (CEILINGS) the schema documents. A neighborhood may be 0 hops deep.
_BOUNDED = {"first": (0, "max_first"), "last": (0, "max_first"), "hops": (1, "max_hops"),
            "maxHops": (1, "max_hops"), "limit": (1, "max_neighborhood")}


def camel(name: str) -> str:
    """Return a setting's name as clients see it: ``max_depth`` → ``maxDepth``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class LimitExceeded(graph.NewsgraphError):
    """A request went past one of the server's limits.

    The message names the limit and its value; ``extensions`` carry
    ``{"code": "LIMIT_EXCEEDED", "limit": "maxDepth", "max": 10}``.
    """

    def __init__(self, message: str, setting: str, value: float):
        super().__init__(f"{message} (limit {camel(setting)} = {value:g}, "
                         f"set by {env_name(setting)})")
        self.extensions = {"code": "LIMIT_EXCEEDED", "limit": camel(setting), "max": value}


def validation_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """Return the validation rules of the request's limits (the same objects for the
    same numbers: validations are cached by their rules)."""
    return _validation_rules(settings.max_depth, settings.max_aliases,
                             settings.introspection_enabled)


@lru_cache(maxsize=32)
def _validation_rules(max_depth: int, max_aliases: int,
                      introspection: bool) -> tuple[type[ASTValidationRule], ...]:
    # The fan-out limit first: the depth and alias rules walk every spread copy.
    walkers = [*QueryDepthLimiter(max_depth=max_depth).validation_rules,
               *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules]
    rules: list[type[ASTValidationRule]] = [ExpandedFieldsLimit,
                                            *(guarded(rule) for rule in walkers)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


# Messages of the limits that Strawberry and graphql-core enforce, and their settings.
_FOREIGN_LIMITS = (
    (re.compile(r"exceeds maximum operation depth of \d+"), "max_depth"),
    (re.compile(r"^\d+ aliases found\. Allowed: \d+"), "max_aliases"),
    (re.compile(r"Document contains more than \d+ tokens"), "max_tokens"),
)
# graphql-core's suggestions, wherever they stand in a message ("... unknown field 'x'.
# Did you mean 'y'? Found: ..."); GraphQL names never hold "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def check_arguments(settings: Settings, field_name: str, arguments: dict[str, Any]) -> None:
    """Check a field's bounded arguments against the ranges the schema documents (their
    ceilings in CEILINGS), tightened by ``settings``: the one check of each, made as the
    field resolves (by :class:`schema.cost.Cost`'s per-field hook)."""
    for name, value in arguments.items():
        bound = _BOUNDED.get(name)
        if bound is None or isinstance(value, bool) or not isinstance(value, int):
            continue
        low, setting = bound
        if name == "hops" and field_name == "neighborhood":
            low = 0
        high = getattr(settings, setting)
        if low <= value <= high:
            continue
        message = f"{name} must be {low} to {high}, got {value}"
        if value > high and high < CEILINGS[setting]:  # a tighter setting: name it
            raise LimitExceeded(message, setting, high)
        raise graph.InvalidArgument(message)


def settings_of(context: Any) -> Settings:
    """Return the settings of a request context; the defaults outside a server."""
    found = context.get("settings") if isinstance(context, dict) else None
    return found or DEFAULT_SETTINGS


class Limits(SchemaExtension):
    """Enforce the limits of the request's document, and say in every limit error which
    setting it was; the arguments are checked by :func:`check_arguments`."""

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        self.settings = settings = settings_of(ec.context)
        ec.parse_options["max_tokens"] = settings.max_tokens
        ec.validation_rules = ec.validation_rules + validation_rules(settings)
        yield
        if ec.result is not None and ec.result.errors:
            ec.result.errors = tidy_errors(settings, ec.result.errors)

    def on_parse(self) -> Iterator[None]:
        too_long = document_too_long(self.settings, self.execution_context.query)
        if too_long is not None:
            raise too_long
        yield


def document_too_long(settings: Settings, query: str | None) -> LimitExceeded | None:
    """The error of a document longer than ``maxDocumentBytes``; None for any other."""
    limit = settings.max_document_bytes
    if query is not None and len(query) > limit // 4 and len(query.encode()) > limit:
        return LimitExceeded(f"the document is {len(query.encode()):,} bytes long",
                             "max_document_bytes", limit)
    return None


class DeadlineResult(ExecutionResult):
    """An operation's answer at its deadline, whatever its work was doing then: a result
    of the operation (sent over WebSocket as one), not an error before it ran."""


async def limited_stream(settings: Settings, query: str | None,
                         stream: Callable[[], Awaitable[AsyncGenerator[Any, None]]]
                         ) -> AsyncGenerator[Any, None]:
    """Run ``stream()`` (Strawberry's ``Schema.stream``: WebSocket and other streaming
    transports) under the limits an HTTP request is answered with: a document over
    ``maxDocumentBytes`` is refused before it is parsed (the check in :meth:`Limits.on_parse`
    raised out of Strawberry's parsing, so graphql-transport-ws completed with nothing
    said), and each result's limit errors name their setting (:meth:`Limits.on_operation`
    tidies them only after the first result has gone)."""
    too_long = document_too_long(settings, query)
    if too_long is not None:
        yield PreExecutionError(data=None, errors=[GraphQLError(
            str(too_long), extensions=too_long.extensions, original_error=too_long)])
        return
    source = await stream()
    async with contextlib.aclosing(source):
        async for result in source:
            if isinstance(result, ExecutionResult) and result.errors:
                result.errors = tidy_errors(settings, result.errors)
            yield result


def tidy_errors(settings: Settings, errors: list[GraphQLError]) -> list[GraphQLError]:
    """Say in every limit error which setting it was, the timeout once; in production,
    without graphql-core's suggestions."""
    out: list[GraphQLError] = []
    timed_out = False
    for error in errors:
        if isinstance(error, GraphQLSyntaxError):  # kept by Strawberry as parse raised it
            with_code([error], GRAPHQL_PARSE_FAILED)
        original = error.original_error
        if isinstance(original, LimitExceeded) and original.extensions["limit"] == "timeout":
            if timed_out:
                continue  # every field after the deadline says the same: say it once
            timed_out = True
        message, extensions = error.message, dict(error.extensions or {})
        for pattern, setting in _FOREIGN_LIMITS:
            # (once: a WebSocket's query run as HTTP's is, off the loop, comes tidied)
            if pattern.search(message) and f"(limit {camel(setting)} = " not in message:
                value = getattr(settings, setting)
                message += f" (limit {camel(setting)} = {value}, set by {env_name(setting)})"
                extensions.update(code="LIMIT_EXCEEDED", limit=camel(setting), max=value)
        if settings.production:
            message = _SUGGESTION.sub("", message)
        if message != error.message or extensions != (error.extensions or {}):
            error = GraphQLError(message, nodes=error.nodes, source=error.source,
                                 positions=error.positions, path=error.path,
                                 original_error=error.original_error, extensions=extensions)
        out.append(error)
    return out
