"""The request pipeline of an ordinary query, run without Strawberry's per-request
extension machinery.

``Schema.execute_sync`` builds, for every request, an instance of each of the schema's
seven extensions, looks up each one's four hooks, wraps each found hook in a context
manager and enters them in turn: on a 20-result ``within`` that bookkeeping cost about as
much as building the whole answer's JSON. What the extensions do for a query whose
document was seen before is little, and the same every time: the limits' parse option
and validation rules (schema/limits.py), the cached parse and validation
(schema/cache.py), the one-operation rule (schema/operation.py), the budget and the
objects estimate (schema/cost.py), the graph version (schema/live.py), and, when there
are errors, the limits' wording and the masking of unexpected ones.

:class:`QueryPipeline` does exactly that, in that order, for a request that is a
query, planned (schema/plan.py), whose document has one operation and parsed and
validated before without errors under the request's limits (:meth:`prepare`, cached per
document text and limits). Anything else — a mutation or subscription, a document
that fails to parse or validate, several operations, a document over the size limit,
the standard executor asked for, an operation type the request does not allow — runs
through Strawberry's pipeline as before, which answers it and reports its errors as it
always has (tests/test_plan.py compares the two on every query of the tests and docs).
"""

from __future__ import annotations

import threading
from asyncio import ensure_future
from collections import OrderedDict
from collections.abc import Callable, Iterable
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, specified_rules
from graphql import OperationType as CoreOperationType
from graphql.execution.middleware import MiddlewareManager
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.schema import _coerce_error
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

import graph
from graph.budget import Budget
from schema.admission import KEPT_DOCUMENTS, kept
from schema.cache import parsed, validation_errors
from schema.cost import Cost, RequestBudget
from schema.limits import settings_of, tidy_errors, validation_rules
from schema.live import graph_version_of

__all__ = ["QueryPipeline", "forget_frames"]

_STRAWBERRY_RULES = tuple(specified_rules)  # an ExecutionContext's validation_rules


class QueryPipeline:
    """Run ordinary planned queries of one schema as its extensions would (see the
    module's docstring); ``mask`` is the schema's :class:`MaskErrors` factory."""

    maxsize = KEPT_DOCUMENTS

    def __init__(self, schema: Any, mask: Callable[[], Any]):
        self.schema = schema
        self.mask = mask
        self._prepared: OrderedDict[tuple[Any, ...], tuple[Any, Any] | None] = OrderedDict()
        self._lock = threading.Lock()

    def prepare(self, query: str, max_tokens: int, rules: tuple[Any, ...],
                walks: Budget | None = None) -> tuple[Any, Any] | None:
        """Return the document of a query text and its one operation, parsed (with the
        token limit) and validated (with ``rules``) without errors; None when the text
        must take Strawberry's pipeline. Both are cached (schema/cache.py): a text that
        goes on is parsed and validated once by whichever pipeline meets it first. A
        validation that reaches the deadline of ``walks`` raises ``BudgetExceeded`` and
        leaves nothing cached."""
        key = (query, max_tokens, rules)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
        found: tuple[Any, Any] | None = None
        try:
            document = parsed(query, max_tokens)
        except (GraphQLError, TypeError, RecursionError):
            document = None
        if document is not None:
            operations = [d for d in document.definitions
                          if isinstance(d, OperationDefinitionNode)]
            if len(operations) == 1 and operations[0].operation == CoreOperationType.QUERY \
                    and self._valid(document, rules, walks):
                found = (document, operations[0])
        if not kept(query):
            return found
        with self._lock:
            self._prepared[key] = found
            while len(self._prepared) > self.maxsize:
                self._prepared.popitem(last=False)
        return found

    def _valid(self, document: Any, rules: tuple[Any, ...], walks: Budget | None) -> bool:
        try:
            return not validation_errors(self.schema._schema, document, rules, walks)
        except graph.BudgetExceeded:
            raise
        except Exception:  # noqa: BLE001 - a rule that fails is answered by Strawberry's
            return False

    def run(self, query: str | None, variable_values: dict[str, Any] | None,
            context: Any, root_value: Any, operation_name: str | None,
            allowed: Iterable[OperationType] | None,
            operation_extensions: dict[str, Any] | None) -> ExecutionResult | None:
        """Answer a request as ``execute_sync`` with the schema's extensions would; None
        when it must take Strawberry's pipeline instead (nothing was done)."""
        if not query or not isinstance(query, str) or not isinstance(context, dict) \
                or context.get("planned") is False \
                or (allowed is not None and OperationType.QUERY not in allowed) \
                or self.schema.config.enable_experimental_incremental_execution:
            return None
        settings = settings_of(context)
        limit = settings.max_document_bytes
        if len(query) > limit // 4 and len(query.encode()) > limit:
            return None  # refused by Limits, in its words
        rules = _STRAWBERRY_RULES + validation_rules(settings)
        if "budget" not in context:  # made here as Cost.start makes it: one per request
            context["budget"] = RequestBudget(settings)
        budget = context["budget"]
        try:
            prepared = self.prepare(query, settings.max_tokens, rules,
                                    budget.walks if isinstance(budget, RequestBudget) else None)
        except graph.BudgetExceeded as e:  # its deadline passed while it was validated
            return self._stopped(budget.exceeded(e), context)
        if prepared is None:
            return None
        document, operation = prepared
        name = operation.name.value if operation.name is not None else None
        if operation_name is not None and operation_name != name:
            return None  # an unknown operation: graphql-core says so
        return self.execute(query, document, name, variable_values, context, root_value,
                            allowed, operation_extensions)

    def execute(self, query: str, document: Any, operation_name: str | None,
                variables: dict[str, Any] | None, context: dict[str, Any],
                root_value: Any, allowed: Iterable[OperationType] | None,
                operation_extensions: dict[str, Any] | None) -> ExecutionResult:
        """Execute a prepared document's one operation: the budget and its estimate, the
        plan, then the errors' wording and masking, as the extensions would."""
        owner = self.schema
        cost = Cost()
        cost.start(context)
        try:
            cost.estimate(owner._schema, document, operation_name, variables)
            result = owner._get_execute_function()(
                owner._schema, document, root_value=root_value,
                middleware=MiddlewareManager(cost), variable_values=variables,
                operation_name=operation_name, context_value=context,
                is_awaitable=optimized_is_awaitable,
                **execution_context_class_kwargs(owner.execution_context_class),
                **owner._get_custom_context_kwargs(operation_extensions, sync=True))
            if isawaitable(result):  # as Strawberry's pipeline says it
                ensure_future(result).cancel()
                raise RuntimeError("GraphQL execution failed to complete synchronously.")
        except Exception as exc:  # noqa: BLE001 - answered as Strawberry answers it
            errors = [_coerce_error(exc)]
            self._process(errors, query, document, variables, context, root_value,
                          operation_name, allowed, operation_extensions)
            forget_frames(errors)
            return ExecutionResult(data=None, errors=errors,
                                   extensions=self._extensions(cost, context))
        errors = result.errors
        if errors:
            self._process(errors, query, document, variables, context, root_value,
                          operation_name, allowed, operation_extensions)
            forget_frames(errors)
            errors = self.mask()._process_errors(tidy_errors(cost.settings, errors))
        return ExecutionResult(data=result.data, errors=errors,
                               extensions=self._extensions(cost, context))

    def _stopped(self, error: Exception, context: dict[str, Any]) -> ExecutionResult:
        """The answer of a request stopped before execution: its limit's error, in the
        extensions' words, and its cost."""
        cost = Cost()
        cost.start(context)
        errors = self.mask()._process_errors(tidy_errors(cost.settings, [_coerce_error(error)]))
        return ExecutionResult(data=None, errors=errors,
                               extensions=self._extensions(cost, context))

    def _extensions(self, cost: Cost, context: dict[str, Any]) -> dict[str, Any]:
        """The extensions' results, in the schema's order: the cost, the graph version."""
        out = cost.get_results()
        out.update(graph_version_of(context))
        return out

    def _process(self, errors: list[GraphQLError], query: str, document: Any,
                 variables: dict[str, Any] | None, context: dict[str, Any],
                 root_value: Any, operation_name: str | None,
                 allowed: Iterable[OperationType] | None,
                 operation_extensions: dict[str, Any] | None) -> None:
        """Log the errors as the schema logs them, with the execution context Strawberry
        would give (made only when there are errors)."""
        owner = self.schema
        ec = owner._create_execution_context(
            query=query, allowed_operation_types=allowed if allowed is not None else (),
            variable_values=variables,
            context_value=context, root_value=root_value, operation_name=operation_name,
            operation_extensions=operation_extensions)
        ec.graphql_document = document
        ec.pre_execution_errors = errors
        owner._process_errors(errors, ec)


def forget_frames(errors: list[GraphQLError]) -> None:
    """Drop the tracebacks of ``errors`` (and of the exceptions they wrap, caused or met
    on the way), once logged: a traceback holds the frames it passed through, among them
    the executor's, which holds the error, a cycle as deep as the stack, left for the
    collector by every request answered with an error (gc38)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = list(errors)
    while stack:
        error = stack.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        error.__traceback__ = None
        stack += (getattr(error, "original_error", None), error.__cause__, error.__context__)
