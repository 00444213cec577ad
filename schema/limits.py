"""The limits of one request, enforced, and its cost, reported in ``extensions.cost``.

:class:`Limits` is a schema extension, built afresh for every operation. It reads
the :class:`~schema.settings.Settings` from the request context (the defaults when
there are none, as for ``newsgraph query``) and enforces them at the stage where
each can be checked cheapest:

========================  ======================================================
before parsing            document size; the token limit is handed to the parser
validation                depth and aliases (Strawberry's rules); introspection
before execution          objects requested, estimated from the document
while resolving           ``first``, ``hops``, ``limit``; objects returned; the
                          wall-clock deadline, before every field
during walks              the node budget and the deadline: every walk is handed
                          the request's :class:`graph.budget.Budget`, which it
                          charges level by level, so it stops midway
========================  ======================================================

Every limit error is a :class:`LimitExceeded` whose message names the limit and its
value; its ``extensions`` say the same for programs. One budget covers a whole HTTP
request, batched operations included.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, get_named_type, is_composite_type, is_list_type
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

import graph
from graph.budget import Budget
from schema.cost import requested_objects
from schema.settings import CEILINGS, Settings, env_name

__all__ = ["LimitExceeded", "RequestBudget", "Limits", "budget_of", "DEFAULT_SETTINGS"]

DEFAULT_SETTINGS = Settings()
# Arguments that bound a field, and the setting that bounds each.
_BOUNDED = {"first": "max_first", "last": "max_first", "hops": "max_hops",
            "maxHops": "max_hops", "limit": "max_neighborhood"}


def camel(name: str) -> str:
    """Return a setting's name as clients see it: ``max_depth`` → ``maxDepth``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    """Return a setting's name from the client's spelling: ``maxDepth`` → ``max_depth``."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), name)


class LimitExceeded(graph.NewsgraphError):
    """A request went past one of the server's limits.

    The message names the limit and its value; ``extensions`` carry
    ``{"code": "LIMIT_EXCEEDED", "limit": "maxDepth", "max": 10}``.
    """

    def __init__(self, message: str, setting: str, value: float):
        super().__init__(f"{message} (limit {camel(setting)} = {value:g}, "
                         f"set by {env_name(setting)})")
        self.extensions = {"code": "LIMIT_EXCEEDED", "limit": camel(setting), "max": value}


class RequestBudget:
    """What one request may still spend: the walks' :class:`graph.budget.Budget` (visits
    and the deadline) and the objects of the response."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.walks = Budget(visits=settings.max_visits, seconds=settings.timeout, clock=clock)
        self.objects = 0
        self.timed_out = False

    def restart(self) -> None:
        """Start afresh: each event of a subscription is budgeted like a request."""
        self.walks = Budget(visits=self.settings.max_visits, seconds=self.settings.timeout,
                            clock=self.walks.clock)
        self.objects = 0
        self.timed_out = False

    def check_time(self) -> None:
        """Raise LimitExceeded once the request has run past its deadline."""
        try:
            self.walks.check_time()
        except graph.BudgetExceeded as e:
            raise self.exceeded(e) from None

    def exceeded(self, error: graph.BudgetExceeded, where: str = "") -> LimitExceeded:
        """Return the LimitExceeded, naming its setting, of a walk stopped by the budget."""
        if error.limit == "seconds":
            self.timed_out = True
            timeout = self.settings.timeout
            return LimitExceeded(f"the request ran past its time limit of {timeout:g} s",
                                 "timeout", timeout)
        prefix = f"{where}: " if where else ""
        return LimitExceeded(f"{prefix}{error}; ask for fewer hops, fewer edge kinds (`via`) "
                             "or a less connected start", "max_visits",
                             self.settings.max_visits)

    def returned(self, n: int) -> None:
        """Count ``n`` objects resolved for the response."""
        self.objects += n
        if self.objects > self.settings.max_objects:
            raise LimitExceeded(
                f"the response holds more than {self.settings.max_objects:,} objects",
                "max_objects", self.settings.max_objects)


def budget_of(info: Any) -> Budget | None:
    """Return the walks' budget of the request ``info`` belongs to (None outside one)."""
    context = info.context if isinstance(info.context, dict) else {}
    found = context.get("budget")
    return found.walks if isinstance(found, RequestBudget) else None


@lru_cache(maxsize=32)
def _validation_rules(max_depth: int, max_aliases: int,
                      introspection: bool) -> tuple[type[ASTValidationRule], ...]:
    rules = [*QueryDepthLimiter(max_depth=max_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules]
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


class Limits(SchemaExtension):
    """Enforce the request's limits and report its cost in ``extensions.cost``."""

    budget: RequestBudget
    requested = 0

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        context = ec.context if isinstance(ec.context, dict) else {}
        settings = context.get("settings") or DEFAULT_SETTINGS
        if "budget" not in context:  # one per request: a batch's operations share it
            context["budget"] = RequestBudget(settings)
        self.budget = budget = context["budget"]
        self.settings = settings
        self.before = (budget.walks.asked, budget.walks.visits, budget.objects)
        ec.parse_options["max_tokens"] = settings.max_tokens
        ec.validation_rules = ec.validation_rules + _validation_rules(
            settings.max_depth, settings.max_aliases, settings.introspection_enabled)
        yield
        if ec.result is not None and ec.result.errors:
            ec.result.errors = self._tidy(ec.result.errors)

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        limit = self.settings.max_document_bytes
        if query is not None and len(query) > limit // 4 and len(query.encode()) > limit:
            raise LimitExceeded(f"the document is {len(query.encode()):,} bytes long",
                                "max_document_bytes", limit)
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is not None:
            caps = {"first": self.settings.max_first, "limit": self.settings.max_neighborhood}
            self.requested = requested_objects(ec.schema._schema, ec.graphql_document,
                                               ec.operation_name, ec.variables, caps)
            if self.requested > self.settings.max_objects:
                raise LimitExceeded(
                    f"the query may return {self.requested:,} objects (each object it "
                    "selects, times the page size of every list above it); ask for "
                    "smaller pages", "max_objects", self.settings.max_objects)
        yield

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any,
                **kwargs: Any) -> Any:
        budget = self.budget
        budget.check_time()
        if kwargs:
            self._check_arguments(info, kwargs)
        try:
            result = _next(root, info, *args, **kwargs)
        except graph.BudgetExceeded as e:  # a walk stopped midway
            raise budget.exceeded(e, info.field_name) from e
        counted = _composite(info.parent_type.name, info.field_name, info.return_type)
        if counted == "list" and isinstance(result, list | tuple):
            budget.returned(len(result))
        elif counted == "one" and result is not None:
            budget.returned(1)
        return result

    def _check_arguments(self, info: Any, kwargs: dict[str, Any]) -> None:
        for name, value in kwargs.items():
            setting = _BOUNDED.get(name)
            if setting is None or isinstance(value, bool) or not isinstance(value, int):
                continue
            limit = getattr(self.settings, setting)
            # Past the schema's own ceiling the resolver refuses it, in the words the
            # schema documents; a tighter setting is refused here, naming the setting.
            if limit < value and limit < CEILINGS[setting]:
                low = 0 if name in ("first", "last", "limit") \
                    or info.field_name == "neighborhood" else 1
                raise LimitExceeded(f"{name} must be {low} to {limit}, got {value}",
                                    setting, limit)

    def _tidy(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out: list[GraphQLError] = []
        timed_out = False
        for error in errors:
            original = error.original_error
            if isinstance(original, LimitExceeded) and original.extensions["limit"] == "timeout":
                if timed_out:
                    continue  # every field after the deadline says the same: say it once
                timed_out = True
            message, extensions = error.message, dict(error.extensions or {})
            for pattern, setting in _FOREIGN_LIMITS:
                if pattern.search(message):
                    value = getattr(self.settings, setting)
                    message += f" (limit {camel(setting)} = {value}, set by {env_name(setting)})"
                    extensions.update(code="LIMIT_EXCEEDED", limit=camel(setting), max=value)
            if self.settings.production:
                message = _SUGGESTION.sub("", message)
            if message != error.message or extensions != (error.extensions or {}):
                error = GraphQLError(message, nodes=error.nodes, source=error.source,
                                     positions=error.positions, path=error.path,
                                     original_error=error.original_error, extensions=extensions)
            out.append(error)
        return out

    def get_results(self) -> dict[str, Any]:
        budget = getattr(self, "budget", None)
        if budget is None:
            return {}
        asked, visits, objects = self.before
        return {"cost": {
            "requested": {"objects": self.requested, "visits": budget.walks.asked - asked},
            "actual": {"objects": budget.objects - objects,
                       "visits": budget.walks.visits - visits},
            "limits": {"objects": self.settings.max_objects,
                       "visits": self.settings.max_visits,
                       "timeoutMs": round(self.settings.timeout * 1000)},
        }}


@lru_cache(maxsize=4096)
def _composite(parent: str, field: str, return_type: Any) -> str | None:
    """Return 'list', 'one' or None: whether a field's value counts as returned objects."""
    if not is_composite_type(get_named_type(return_type)):
        return None
    inner = getattr(return_type, "of_type", return_type) if not is_list_type(return_type) \
        else return_type
    return "list" if is_list_type(inner) else "one"
