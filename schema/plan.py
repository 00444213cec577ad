"""Queries run as a plan: execution worked out once per validated document, then replayed.

graphql-core's executor works out, for every object of every response, which fields
its selection holds, their definitions, resolvers, middleware and how to complete each
value; on a 20-result ``within`` that bookkeeping costs more than the walk and the
resolvers together. :class:`PlannedExecutor` does it once per (document, operation,
values of the variables ``@skip``/``@include`` read), the way graphql-jit and Grafast
do, and keeps the plans beside the parsed and validated document. Strawberry still
defines the schema, parses, validates and runs every extension around execution.

A plan is a tree: per object type and selection, the fields to run (response key,
definition, the resolver, the arguments coerced once when they hold no variable),
and per field how to complete its value (leaf serialization, lists, non-null, objects,
abstract types resolved at run time with a plan per possible type, made on first
use). Fields without a resolver of their own are read straight off the object; the
per-field hook of :class:`schema.cost.Cost` (deadline, arguments, objects returned)
runs for every field as before. Errors are made by the executor's own methods
(``handle_field_error``, ``ensure_valid_runtime_type``) at the same places, so
messages, paths, locations, nulls and masking are the standard executor's.

What the plan does not run, the standard executor does: mutations and subscriptions,
asynchronous execution (``Schema.execute``, subscriptions over WebSocket), ``@defer``
and ``@stream``, fragment arguments, an abort signal, the error-propagation-off
directive, any middleware other than :class:`~schema.cost.Cost`, and a request whose
context says ``"planned": False`` (as the benchmark's side-by-side rows do).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graphql import (
    DirectiveNode,
    GraphQLError,
    GraphQLObjectType,
    OperationType,
    Undefined,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.language import Visitor
from graphql.pyutils import Path, inspect, is_iterable
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import graph
from schema.cost import Cost, composite

__all__ = ["PlannedExecutor", "PLANS"]

_SYNC_FAILED = "GraphQL execution failed to complete synchronously."
_new_path = tuple.__new__  # Path(prev, key, typename) without NamedTuple's own __new__


class _Unplannable(Exception):
    """The document needs something only the standard executor does."""


class _SyncFailure(Exception):
    """A resolver answered with an awaitable: as the standard executor's result then
    would be, the operation cannot complete synchronously."""


class _DocumentFacts(Visitor):
    """What a document holds that decides whether and how it is planned."""

    def __init__(self) -> None:
        super().__init__()
        self.conditions: set[str] = set()  # variables read by @skip / @include
        self.unplannable = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        name = node.name.value
        if name in ("defer", "stream"):
            self.unplannable = True
        elif name in ("skip", "include"):
            for argument in node.arguments or ():
                if argument.value.kind == "variable":
                    self.conditions.add(argument.value.name.value)  # type: ignore[attr-defined]

    def enter_fragment_definition(self, node: Any, *_: Any) -> None:
        if node.variable_definitions:
            self.unplannable = True

    def enter_fragment_spread(self, node: Any, *_: Any) -> None:
        if getattr(node, "arguments", None):
            self.unplannable = True


class Plans:
    """Plans by operation node (one per operation of a parsed document, as stable as the
    cached parse; held while cached, so its id names it), then by the values of the
    variables its ``@skip``/``@include`` read. Bounded like the
    validation cache; a plan fills in lazily, per object type met, and is shared by
    every thread (each piece is made whole before it is stored)."""

    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self._documents: OrderedDict[int, tuple[Any, tuple[str, ...] | None, dict[Any, Any]]]
        self._documents = OrderedDict()
        self._lock = threading.Lock()

    def of(self, document: Any, fragments: Any
           ) -> tuple[tuple[str, ...] | None, dict[Any, Any]]:
        """Return the document's condition variables (None: not plannable) and its plans;
        ``document`` is the operation node, ``fragments`` its fragment definitions."""
        key = id(document)
        with self._lock:
            entry = self._documents.get(key)
            if entry is not None and entry[0] is document:
                self._documents.move_to_end(key)
                return entry[1], entry[2]
        facts = _DocumentFacts()
        for node in (document, *fragments):
            visit(node, facts)
        conditions = None if facts.unplannable else tuple(sorted(facts.conditions))
        with self._lock:
            self._documents[key] = (document, conditions, {})
            while len(self._documents) > self.maxsize:
                self._documents.popitem(last=False)
            return conditions, self._documents[key][2]


PLANS = Plans()


# How a planned field runs (see PlannedExecutor.run_fields).
_LEAF_ATTRIBUTE, _ATTRIBUTE, _METHOD, _RESOLVER = range(4)
# Leaf serializers that return a value of this exact type as it is.
_AS_IS = {serialize_string: str, serialize_id: str, serialize_boolean: bool}


class _Field:
    """One field of a selection on one object type, planned."""

    __slots__ = ("key", "name", "definition", "details", "nodes", "parent", "type", "how",
                 "attribute", "as_is", "method", "resolve", "args", "literal", "counted",
                 "needs_info", "complete")

    def __init__(self, executor: PlannedExecutor, parent: GraphQLObjectType, key: str,
                 details: list[Any]):
        node = details[0].node
        self.key, self.name, self.details, self.parent = key, node.name.value, details, parent
        self.nodes = [d.node for d in details]
        definition = executor.schema.get_field(parent, self.name)
        if definition is None:
            raise _Unplannable(f"no field {self.name!r} on {parent.name}")
        self.definition, self.type = definition, definition.type
        self.resolve = resolve = definition.resolve or executor.field_resolver
        # Arguments without variables are coerced once, by the first run that gets them
        # (as the field runs, so that a coercion error is still this field's error).
        self.args: dict[str, Any] | None = None
        self.literal = not _has_variables(node)
        if not (definition.args or node.arguments):
            self.args = {}
        self.counted = composite(parent.name, self.name, self.type)
        self.needs_info = _needs_info(self.type)
        self.complete = _completer(self, self.type)
        named = get_named_type(self.type)
        self.as_is = _AS_IS.get(getattr(named, "coerce_output_value", None))  # type: ignore
        self.attribute: str | None = None
        self.method: Any = None
        self.how = _RESOLVER
        field = (definition.extensions or {}).get("strawberry-definition")
        if field is None or executor.strawberry is None:
            return
        if getattr(resolve, "_is_default", False) and field.default_resolver is getattr:
            # Strawberry's basic field (no resolver of its own): its attribute.
            self.attribute = field.python_name
            self.how = _LEAF_ATTRIBUTE if is_leaf_type(named) else _ATTRIBUTE
        elif _plain_method(executor.strawberry, field) and not node.arguments:
            # A resolver taking no arguments (self, info, root at most): called as
            # Strawberry's resolver would call it, without converting arguments.
            self.method = field
            self.how = _METHOD


def _plain_method(strawberry: Any, field: Any) -> bool:
    """Whether a Strawberry field's resolver is a plain synchronous function of the
    object (and info): no arguments, field extensions, permissions or exception
    handlers."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.arguments or field.is_async:
        return False
    try:
        handlers = strawberry.schema_converter._get_field_exception_handlers(field)
    except AttributeError:
        return False
    return not handlers and callable(resolver.wrapped_func)


def _fields(executor: PlannedExecutor, parent: GraphQLObjectType,
            grouped: dict[str, list[Any]]) -> list[_Field]:
    """Plan a grouped field set; a key naming no field is left out, as the standard
    executor leaves it out."""
    out = []
    for key, details in grouped.items():
        try:
            out.append(_Field(executor, parent, key, details))
        except _Unplannable:
            continue
    return out


def _has_variables(node: Any) -> bool:
    found = False

    class Variables(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Variables())
    return found


def _needs_info(type_: Any) -> bool:
    """Whether completing a value of this type calls a function that takes ``info``:
    ``resolve_type``, or an ``is_type_of`` other than Strawberry's (which ignores it)."""
    named = get_named_type(type_)
    if is_abstract_type(named):
        return True
    check = getattr(named, "is_type_of", None)
    return check is not None and not check.__qualname__.endswith(
        "_get_is_type_of.<locals>.is_type_of")


Completer = Callable[["PlannedExecutor", Path, Any, Any], Any]


def _completer(field: _Field, type_: Any) -> Completer:
    """Return how to complete a value of ``type_`` for ``field``: the standard
    executor's ``complete_value``, with every decision on the type taken now."""
    if is_non_null_type(type_):
        message = f"Cannot return null for non-nullable field {field.parent}.{field.name}."
        of = type_.of_type
        if is_object_type(of) or is_leaf_type(of):
            # The commonest shapes, completed in one call: the same checks in the same
            # order (an object's completion never answers null; a leaf's says why first).
            direct = (_object_completer(field, of) if is_object_type(of)
                      else _completer(field, of))

            def complete_non_null_direct(ex: PlannedExecutor, path: Path, result: Any,
                                         info: Any) -> Any:
                if isinstance(result, Exception):
                    raise result
                if result is None or result is Undefined:
                    raise TypeError(message)
                completed = direct(ex, path, result, info)
                if completed is None:
                    raise TypeError(message)
                return completed
            return complete_non_null_direct
        inner = _completer(field, of)

        def complete_non_null(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            completed = inner(ex, path, result, info)
            if completed is None:
                raise TypeError(message)
            return completed
        return complete_non_null
    if is_list_type(type_):
        item_type = type_.of_type
        item = _completer(field, item_type)
        message = ("Expected Iterable, but did not find one for field"
                   f" '{field.parent}.{field.name}'.")

        def complete_list(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                return None
            if not is_iterable(result):
                raise GraphQLError(message)
            out: list[Any] = []
            append = out.append
            for index, value in enumerate(result):
                item_path = _new_path(Path, (path, index, None))
                if ex.is_awaitable(value):
                    _close(value)
                    raise _SyncFailure
                try:
                    append(item(ex, item_path, value, info))
                except _SyncFailure:
                    raise
                except Exception as error:  # noqa: BLE001 - every error is a field error
                    ex.handle_field_error(error, item_type, field.details, item_path)
                    append(None)
            return out
        return complete_list
    if is_leaf_type(type_):
        coerce = type_.coerce_output_value

        def complete_leaf(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                return None
            coerced = coerce(result)
            if coerced is Undefined or coerced is None:
                raise TypeError(f"Expected `{inspect(type_)}.coerce_output_value("
                                f"{inspect(result)})` to return non-nullable value, "
                                f"returned: {inspect(coerced)}")
            return coerced
        return complete_leaf
    objects: dict[GraphQLObjectType, Completer] = {}

    def object_completer(object_type: GraphQLObjectType) -> Completer:
        found = objects.get(object_type)
        if found is None:
            found = objects[object_type] = _object_completer(field, object_type)
        return found

    if is_object_type(type_):
        complete_fields = _object_completer(field, type_)

        def complete_object(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                return None
            return complete_fields(ex, path, result, info)
        return complete_object

    valid: dict[str, GraphQLObjectType] = {}

    def complete_abstract(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        resolve_type = type_.resolve_type or ex.type_resolver
        name = resolve_type(result, info, type_)
        if ex.is_awaitable(name):
            _close(name)
            raise _SyncFailure
        # A type name found valid for this field stays valid (the check reads only the
        # name and the schema); anything else is checked, and refused, every time.
        runtime = valid.get(name) if isinstance(name, str) else None
        if runtime is None:
            runtime = ex.ensure_valid_runtime_type(name, type_, field.details, info, result)
            if isinstance(name, str):
                valid[name] = runtime
        return object_completer(runtime)(ex, path, result, info)
    return complete_abstract


def _object_completer(field: _Field, object_type: GraphQLObjectType) -> Completer:
    """Return the completion of ``field``'s values of one object type: its ``is_type_of``
    check, then the planned sub-selection (made on first use)."""
    from graphql.execution.executor import invalid_return_type_error

    check = object_type.is_type_of
    selection: list[list[_Field]] = []

    def complete(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
        if check is not None:
            ok = check(result, info)
            if ex.is_awaitable(ok):
                _close(ok)
                raise _SyncFailure
            if not ok:
                raise invalid_return_type_error(object_type, result, field.details)
        if not selection:
            grouped = collect_subfields(ex.schema, ex.fragments, ex.variable_values,
                                        ex.operation, object_type, field.details,
                                        ex.hide_suggestions).grouped_field_set
            selection.append(_fields(ex, object_type, grouped))
        return ex.run_fields(selection[0], result, path)
    return complete


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, running queries executed synchronously as plans."""

    plans = PLANS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.planned = kwargs.pop("planned", False)
        super().__init__(*args, **kwargs)
        self.strawberry: Any = getattr(self.schema, "_strawberry_schema", None)
        self._cost: Cost | None = None

    def execute_operation(self, serially: bool | None = None) -> Any:
        fields = self._root_plan() if self.planned and not serially else None
        if fields is None:
            return super().execute_operation(serially)
        try:
            data = self.run_fields(fields, self.root_value, None)
        except _SyncFailure:
            raise RuntimeError(_SYNC_FAILED) from None
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(data))

    def _root_plan(self) -> list[_Field] | None:
        """Return the plan of the operation's root selection; None when the standard
        executor must run it."""
        operation = self.operation
        context = self.context_value
        if isinstance(context, dict) and context.get("planned") is False:
            return None  # asked for the standard executor (benchmarks compare the two)
        if (operation.operation != OperationType.QUERY or self.abort_signal is not None
                or not self.error_propagation or not self._plain_middleware()):
            return None
        conditions, plans = self.plans.of(operation, self.fragment_definitions.values())
        if conditions is None:
            return None
        coerced = self.variable_values.coerced
        key = tuple(coerced.get(name) for name in conditions)
        found = plans.get(key)
        if found is None:
            root = self.schema.query_type
            if root is None:
                return None
            try:
                grouped = collect_fields(self.schema, self.fragments, self.variable_values,
                                         root, operation, self.hide_suggestions
                                         ).grouped_field_set
                found = _fields(self, root, grouped)
            except (RecursionError, GraphQLError):
                return None
            plans[key] = found
        return found

    def _plain_middleware(self) -> bool:
        manager = self.middleware_manager
        middlewares = manager.middlewares if manager is not None else ()
        if not middlewares:
            self._cost = None
            return True
        if len(middlewares) == 1 and type(middlewares[0]) is Cost:
            self._cost = middlewares[0]
            return True
        return False

    def run_fields(self, fields: list[_Field], source: Any, path: Path | None) -> Any:
        """Run a planned selection on one object; return its response map.

        Every field passes :class:`~schema.cost.Cost`'s per-field hook, inlined for
        fields without arguments: the deadline first, then the call (a walk stopped by
        the budget becomes the limit's error), then the objects returned are counted.
        """
        results: dict[str, Any] = {}
        cost: Cost | None = self._cost
        budget = cost.budget if cost is not None else None
        walks = budget.walks if budget is not None else None
        for field in fields:
            how = field.how
            if how == _LEAF_ATTRIBUTE:
                try:
                    if walks is not None and walks.deadline is not None \
                            and walks.clock() > walks.deadline:
                        raise budget.late()  # type: ignore[union-attr]
                    result = getattr(source, field.attribute)  # type: ignore[arg-type]
                    if type(result) is field.as_is:
                        results[field.key] = result
                        continue
                    field_path = _new_path(Path, (path, field.key, field.parent.name))
                    results[field.key] = field.complete(self, field_path, result, None)
                except Exception as error:  # noqa: BLE001 - every error is a field error
                    field_path = _new_path(Path, (path, field.key, field.parent.name))
                    self.handle_field_error(error, field.type, field.details, field_path)
                    results[field.key] = None
                continue
            field_path = _new_path(Path, (path, field.key, field.parent.name))
            try:
                info = None
                if how == _ATTRIBUTE or how == _METHOD:
                    if walks is not None and walks.deadline is not None \
                            and walks.clock() > walks.deadline:
                        raise budget.late()  # type: ignore[union-attr]
                    if how == _ATTRIBUTE:
                        result = getattr(source, field.attribute)  # type: ignore[arg-type]
                    else:
                        info = self.build_resolve_info(field.definition, field.nodes,
                                                       field.parent, field_path)
                        result = self._call_method(field.method, source, info, budget)
                    counted = field.counted
                    if counted is not None and budget is not None:
                        if counted == "list" and isinstance(result, list | tuple):
                            budget.returned(len(result))
                        elif counted == "one" and result is not None:
                            budget.returned(1)
                else:
                    info = self.build_resolve_info(field.definition, field.nodes,
                                                   field.parent, field_path)
                    args = field.args
                    if args is None:
                        first = field.details[0]
                        args = get_argument_values(field.definition, first.node,
                                                   self.variable_values,
                                                   first.fragment_variable_values,
                                                   self.hide_suggestions)
                        if field.literal:
                            field.args = args
                    if cost is not None:
                        result = cost.resolve(field.resolve, source, info, **args)
                    else:
                        result = field.resolve(source, info, **args)
                    if self.is_awaitable(result):
                        _close(result)
                        raise _SyncFailure
                if info is None and field.needs_info:
                    info = self.build_resolve_info(field.definition, field.nodes,
                                                   field.parent, field_path)
                results[field.key] = field.complete(self, field_path, result, info)
            except _SyncFailure:
                raise
            except Exception as error:  # noqa: BLE001 - every error is a field error
                self.handle_field_error(error, field.type, field.details, field_path)
                results[field.key] = None
        return results

    def _call_method(self, field: Any, source: Any, info: Any, budget: Any) -> Any:
        """Call a Strawberry resolver without arguments as Strawberry calls it."""
        resolver = field.base_resolver
        args = [source] if resolver.self_parameter else []
        kwargs: dict[str, Any] = {}
        for parameter in (resolver.parent_parameter, resolver.root_parameter):
            if parameter is not None:
                kwargs[parameter.name] = source
        if resolver.info_parameter is not None:
            kwargs[resolver.info_parameter.name] = self.strawberry.config.info_class(
                _raw_info=info, _field=field)
        try:
            return resolver.wrapped_func(*args, **kwargs)
        except graph.BudgetExceeded as e:  # a walk stopped midway, as Cost.resolve says
            if budget is None:
                raise
            raise budget.exceeded(e, info.field_name) from e
