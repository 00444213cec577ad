"""What a request spends and may spend: objects returned, nodes visited, time.

:class:`Cost` is a schema extension, built afresh for every operation. One
:class:`RequestBudget` covers a whole HTTP request, batched operations included; it
holds the walks' :class:`graph.budget.Budget`, made from the settings (visits and the
deadline), which every walk is handed (:func:`budget_of`) and charges level by level,
so a walk over budget stops midway. The stages:

========================  ======================================================
before execution          objects requested, estimated from the document
                          (:func:`requested_objects`)
while resolving           the wall-clock deadline, before every field (a planned
                          query: before every object, and every field that runs
                          a resolver; schema/runner.py); objects
                          returned, counted; the field's arguments
                          (:func:`schema.limits.check_arguments`)
during walks              the node budget and the deadline, charged by the walk
========================  ======================================================

The estimate reads the document: every object it selects counts once, times the page
size of each list above it (``first`` or ``last``, 20 by default; a neighborhood's
``limit``; the ids given to ``nodes``), the way GitHub counts the nodes of a call. The
nodes a traversal visits are not estimated: each walk charges its budget as it goes.
What was asked for and spent is reported in ``extensions.cost``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_list_type,
    visit,
)
from graphql.language import Visitor
from graphql.utilities import get_operation_ast, value_from_ast_untyped
from strawberry.extensions import SchemaExtension

import graph
from graph.budget import Budget
from schema.admission import KEPT_DOCUMENTS, kept, text_of
from schema.limits import LimitExceeded, check_arguments, settings_of
from schema.pagination import DEFAULT_PAGE
from schema.settings import Settings

__all__ = ["Cost", "RequestBudget", "budget_of", "charge_export", "requested_objects",
           "composite", "PAGE_ARGUMENTS", "variables_in"]

# Arguments that say how many items a field returns, and the most each may ask.
PAGE_ARGUMENTS = ("first", "last", "limit", "ids")


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
                            clock=self.walks.clock, pace=self.walks.pace)
        self.objects = 0
        self.timed_out = False

    def mark(self) -> tuple[int, int, dict[str, int], int, bool]:
        """What the request has spent so far, to :meth:`rewind` to: an operation stopped on
        the event loop runs again in a thread as if it had not run (schema/http.py)."""
        walks = self.walks
        return walks.visits, walks.asked, dict(walks.work), self.objects, self.timed_out

    def rewind(self, mark: tuple[int, int, dict[str, int], int, bool]) -> None:
        """Spend again only what had been spent at ``mark`` (:meth:`mark`)."""
        walks = self.walks
        walks.visits, walks.asked, work, self.objects, self.timed_out = mark
        walks.work = dict(work)

    def check_time(self) -> None:
        """Raise LimitExceeded once the request has run past its deadline."""
        try:
            self.walks.check_time()
        except graph.BudgetExceeded as e:
            raise self.exceeded(e) from None

    def late(self) -> LimitExceeded:
        """Return the LimitExceeded of a request past its deadline (the clock was read)."""
        return self.exceeded(graph.BudgetExceeded("past the deadline", limit="seconds",
                                                  value=self.walks.seconds or 0.0))

    def exceeded(self, error: graph.BudgetExceeded, where: str = "") -> LimitExceeded:
        """Return the LimitExceeded, naming its setting, of a walk stopped by the budget."""
        if error.limit == "seconds":
            self.timed_out = True
            timeout = self.settings.timeout
            return LimitExceeded(f"the request ran past its time limit of {timeout:g} s",
                                 "timeout", timeout)
        if error.limit == "max_long_waiting":
            return LimitExceeded(f"{error}: this one was stopped past its first 20 ms; "
                                 "retry later, or ask for less", "max_long_waiting",
                                 self.settings.max_long_waiting)
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


def charge_export(info: Any, nodes: int, edges: int, size: int) -> None:
    """Charge an export's nodes and edges as objects of the response (past the limit it
    is refused) and count them and its bytes in the cost reported."""
    context = info.context if isinstance(info.context, dict) else {}
    found = context.get("budget")
    if not isinstance(found, RequestBudget):
        return
    found.returned(nodes + edges)
    for what, n in (("exportNodes", nodes), ("exportEdges", edges), ("exportBytes", size)):
        found.walks.count(what, n)


def budget_of(info: Any) -> Budget | None:
    """Return the walks' budget of the request ``info`` belongs to (None outside one)."""
    context = info.context if isinstance(info.context, dict) else {}
    found = context.get("budget")
    return found.walks if isinstance(found, RequestBudget) else None


class Cost(SchemaExtension):
    """Budget the request, stop it where it runs out, and report ``extensions.cost``."""

    budget: RequestBudget
    requested = 0

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        self.start(ec.context if isinstance(ec.context, dict) else {})
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is not None:
            self.estimate(ec.schema._schema, ec.graphql_document, ec.operation_name,
                          ec.variables)
        yield

    def start(self, context: dict[str, Any]) -> None:
        """Take the request's budget (made by its first operation) and what it had spent."""
        self.settings = settings = settings_of(context)
        if "budget" not in context:  # one per request: a batch's operations share it
            context["budget"] = RequestBudget(settings)
        self.budget = budget = context["budget"]
        self.before = (budget.walks.asked, budget.walks.visits, budget.objects)
        self.work_before = dict(budget.walks.work)

    def estimate(self, schema: GraphQLSchema, document: DocumentNode,
                 operation_name: str | None, variables: Mapping[str, Any] | None) -> None:
        """Estimate the objects the operation may return; refuse it over the limit."""
        caps = {"first": self.settings.max_first, "limit": self.settings.max_neighborhood}
        self.requested = requested_objects(schema, document, operation_name, variables, caps)
        if self.requested > self.settings.max_objects:
            raise LimitExceeded(
                f"the query may return {self.requested:,} objects (each object it "
                "selects, times the page size of every list above it); ask for "
                "smaller pages", "max_objects", self.settings.max_objects)

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any,
                **kwargs: Any) -> Any:
        budget = self.budget
        if info.operation.operation is not OperationType.MUTATION:
            # A mutation is never cut at a field: it checks the deadline between its
            # writes and answers what it did (graph.ingest), which the client must learn.
            budget.check_time()
        if kwargs:  # the one per-field hook of the schema: it runs the argument checks too
            check_arguments(self.settings, info.field_name, kwargs)
        try:
            result = _next(root, info, *args, **kwargs)
        except graph.BudgetExceeded as e:  # a walk stopped midway
            raise budget.exceeded(e, info.field_name) from e
        counted = composite(info.parent_type.name, info.field_name, info.return_type)
        if counted == "list" and isinstance(result, list | tuple):
            budget.returned(len(result))
        elif counted == "one" and result is not None:
            budget.returned(1)
        return result

    def get_results(self) -> dict[str, Any]:
        budget = getattr(self, "budget", None)
        if budget is None:
            return {}
        asked, visits, objects = self.before
        actual = {"objects": budget.objects - objects, "visits": budget.walks.visits - visits}
        before = getattr(self, "work_before", {})
        for what, n in budget.walks.work.items():  # layout and export work, when any
            if n - before.get(what, 0):
                actual[what] = n - before.get(what, 0)
        return {"cost": {
            "requested": {"objects": self.requested, "visits": budget.walks.asked - asked},
            "actual": actual,
            "limits": {"objects": self.settings.max_objects,
                       "visits": self.settings.max_visits,
                       "timeoutMs": round(self.settings.timeout * 1000)},
        }}


@lru_cache(maxsize=4096)
def composite(parent: str, field: str, return_type: Any) -> str | None:
    """Return 'list', 'one' or None: whether a field's value counts as returned objects."""
    if not is_composite_type(get_named_type(return_type)):
        return None
    inner = getattr(return_type, "of_type", return_type) if not is_list_type(return_type) \
        else return_type
    return "list" if is_list_type(inner) else "one"


class _Estimates:
    """Estimates made before, by (schema, document, operation, caps) and the values of
    the variables the page arguments read: the estimate reads nothing else, and an
    explorer sends the same document with a new start each time. The document is known
    by identity (its parse is cached): hashing it walks its whole tree."""

    def __init__(self, maxsize: int = KEPT_DOCUMENTS):
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[Any, ...], tuple[DocumentNode, int]] = OrderedDict()
        self._pages: dict[tuple[int, int], tuple[DocumentNode, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def get(self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
            variables: Mapping[str, Any] | None, caps: Mapping[str, int]) -> int:
        names = self._page_variables(schema, document)
        values = variables or {}
        try:
            key = (id(schema), id(document), operation_name, tuple(sorted(caps.items())),
                   tuple((type(v), v) for v in (values.get(n, _MISSING) for n in names)))
            hash(key)
        except TypeError:  # a value that cannot be a key (a list of ids): estimated afresh
            return _requested_objects(schema, document, operation_name, variables, caps)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is document:
                self._entries.move_to_end(key)
                return entry[1]
        found = _requested_objects(schema, document, operation_name, variables, caps)
        if not kept(text_of(document)):
            return found
        with self._lock:
            self._entries[key] = (document, found)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return found

    def _page_variables(self, schema: GraphQLSchema, document: DocumentNode
                        ) -> tuple[str, ...]:
        """Return the variables read by the document's page arguments, wherever they
        stand (more than the estimate reads is only a narrower key)."""
        key = (id(schema), id(document))
        entry = self._pages.get(key)
        if entry is not None and entry[0] is document:
            return entry[1]
        pages = _PageVariables()
        visit(document, pages)
        pages.enter_leave_map.clear()  # its own bound methods: a cycle left for the collector
        names = pages.names
        found = tuple(sorted(names))
        if not kept(text_of(document)):
            return found
        with self._lock:
            if len(self._pages) >= self.maxsize:
                self._pages.clear()
            self._pages[key] = (document, found)
        return found


class _PageVariables(Visitor):
    """The names of the variables that page arguments read."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        if node.name.value in PAGE_ARGUMENTS:
            self.names.update(variables_in(node.value))


def variables_in(value: ValueNode) -> Iterator[str]:
    """Yield the names of the variables an argument's value reads, however nested."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, VariableNode):
            yield node.name.value
        elif isinstance(node, ListValueNode):
            stack.extend(node.values)
        elif isinstance(node, ObjectValueNode):
            stack.extend(f.value for f in node.fields)


_MISSING = object()
_ESTIMATES = _Estimates()


def requested_objects(schema: GraphQLSchema, document: DocumentNode,
                      operation_name: str | None, variables: Mapping[str, Any] | None,
                      caps: Mapping[str, int]) -> int:
    """Return how many objects the operation may return, estimated from the document.

    ``caps`` bounds each page argument (``{"first": 100, "limit": 2000}``): a larger
    value is refused by the field itself, so it is counted as the cap. The same document
    with the same page sizes is estimated once.
    """
    return _ESTIMATES.get(schema, document, operation_name, variables, caps)


def _requested_objects(schema: GraphQLSchema, document: DocumentNode,
                       operation_name: str | None, variables: Mapping[str, Any] | None,
                       caps: Mapping[str, int]) -> int:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    return _count(schema, operation.selection_set, root, 1, values, fragments, caps, frozenset())


def _count(schema: GraphQLSchema, selections: SelectionSetNode, parent: Any, multiplier: int,
           values: dict[str, Any], fragments: dict[str, FragmentDefinitionNode],
           caps: Mapping[str, int], spread: frozenset[str]) -> int:
    total = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None:
                continue  # a scalar
            name = selection.name.value
            field = getattr(parent, "fields", {}).get(name)
            if field is None or name.startswith("__"):
                total += multiplier  # introspection: counted, not walked
                continue
            page = _page_size(selection, field, values, caps)
            of = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            is_list = isinstance(of, GraphQLList)
            inner = multiplier * page
            total += inner if is_list and page != 1 else multiplier
            named = get_named_type(field.type)
            if is_composite_type(named):
                total += _count(schema, selection.selection_set, named, inner, values,
                                fragments, caps, spread)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            total += _count(schema, selection.selection_set, target or parent, multiplier,
                            values, fragments, caps, spread)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in spread:
                continue
            target = schema.get_type(fragment.type_condition.name.value) or parent
            total += _count(schema, fragment.selection_set, target, multiplier, values,
                            fragments, caps, spread | {name})
    return total


def _page_size(node: FieldNode, field: Any, values: dict[str, Any],
               caps: Mapping[str, int]) -> int:
    given = {a.name.value: a.value for a in node.arguments or ()}
    if "last" in field.args and "last" in given:  # paging backward: `last` is the size
        given = {**given, "first": given["last"]} if "first" not in given else given
    for name in PAGE_ARGUMENTS:
        if name not in field.args or name == "last":
            continue
        value = value_from_ast_untyped(given[name], values) if name in given else None
        if name == "ids":
            return len(value) if isinstance(value, list) else 1
        if value is None:
            default = field.args[name].default_value
            value = default if isinstance(default, int) else DEFAULT_PAGE
        if isinstance(value, bool) or not isinstance(value, int):
            return DEFAULT_PAGE
        return max(0, min(value, caps.get(name, value)))
    return 1
