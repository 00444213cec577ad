"""Completing a planned field's value (schema/plan.py): graphql-core's ``complete_value``
with every decision on the type taken when the field is planned.

Per field and type: leaf serialization (an ``Int`` in range and a string kept as they
are), lists, non-null, objects (their ``is_type_of`` check, skipped for an object of
exactly the type's class, not cast, which Strawberry's check passes; then the planned
sub-selection, made on first use) and abstract types (resolved at run time with a plan
per possible type; an interface whose objects name their own type by class,
:func:`~schema.nodeview.resolve_by_class`, without the call). Completion raises the
standard executor's errors, with its messages, at the same places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from graphql import (
    GraphQLError,
    GraphQLObjectType,
    Undefined,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_subfields
from graphql.pyutils import Path, inspect, is_iterable
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT, serialize_int
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from schema.nodeview import NodeView, resolve_by_class

if TYPE_CHECKING:
    from schema.executor import PlannedExecutor
    from schema.plan import FieldPlan, Selection

__all__ = ["FieldFacts", "facts_of", "completer", "needs_info", "object_parts", "node_view",
           "SyncFailure", "new_path", "close_awaitable", "Completer"]

new_path = tuple.__new__  # Path(prev, key, typename) without NamedTuple's own __new__


class SyncFailure(Exception):
    """A resolver answered with an awaitable: as the standard executor's result then
    would be, the operation cannot complete synchronously."""


def node_view(object_type: GraphQLObjectType) -> Any:
    """Return the Python class of a type whose objects are views of a graph node
    (schema/nodeview.py), or None."""
    definition = (object_type.extensions or {}).get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, NodeView) else None


def needs_info(type_: Any) -> bool:
    """Whether completing a value of this type calls a function that takes ``info``:
    a ``resolve_type`` other than :func:`~schema.nodeview.resolve_by_class`, or an
    ``is_type_of`` other than Strawberry's (which ignores it)."""
    named = get_named_type(type_)
    if is_abstract_type(named):
        return not _by_class(named)
    return not _strawberry_check(named)


def _by_class(abstract_type: Any) -> bool:
    """Whether an abstract type's objects name their type by their class."""
    return getattr(abstract_type.resolve_type, "__func__", None) is resolve_by_class


def _strawberry_check(object_type: Any) -> bool:
    """Whether an object type's ``is_type_of`` is none or Strawberry's own: a cast
    object's cast decides, else ``isinstance`` of the type's class (or its interfaces'),
    which an object of exactly that class passes."""
    check = getattr(object_type, "is_type_of", None)
    return check is None or check.__qualname__.endswith("_get_is_type_of.<locals>.is_type_of")


def _origin(object_type: Any) -> Any:
    definition = (object_type.extensions or {}).get("strawberry-definition")
    return getattr(definition, "origin", None)


Completer = Callable[["PlannedExecutor", Path, Any, Any], Any]


class FieldFacts(NamedTuple):
    """What completing a field's values reads of its plan, apart from it: a plan holds
    its completion, and a completion holding the plan was a cycle, one a planned field,
    left for the collector whenever the plans' cache let a document's plans go."""

    name: str
    parent: GraphQLObjectType
    details: list[Any]
    definition: Any
    nodes: list[Any]


def facts_of(field: FieldPlan | FieldFacts) -> FieldFacts:
    """``field``'s facts (:class:`FieldFacts`)."""
    if isinstance(field, FieldFacts):
        return field
    return FieldFacts(field.name, field.parent, field.details, field.definition, field.nodes)


def completer(field: FieldPlan | FieldFacts, type_: Any) -> Completer:
    """Return how to complete a value of ``type_`` for ``field``: the standard
    executor's ``complete_value``, with every decision on the type taken now."""
    field = facts_of(field)
    if is_non_null_type(type_):
        message = f"Cannot return null for non-nullable field {field.parent}.{field.name}."
        of = type_.of_type
        if is_object_type(of) or is_leaf_type(of):
            # The commonest shapes, completed in one call: the same checks in the same
            # order (an object's completion never answers null; a leaf's says why first).
            direct = (_object_completer(field, of) if is_object_type(of)
                      else completer(field, of))

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
        inner = completer(field, of)

        def complete_non_null(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            completed = inner(ex, path, result, info)
            if completed is None:
                raise TypeError(message)
            return completed
        complete_non_null.by_class = getattr(inner, "by_class", None)  # type: ignore[attr-defined]
        return complete_non_null
    if is_list_type(type_):
        item_type = type_.of_type
        item = completer(field, item_type)
        message = ("Expected Iterable, but did not find one for field"
                   f" '{field.parent}.{field.name}'.")
        if is_non_null_type(item_type) and is_object_type(item_type.of_type):
            _, run, exact = object_parts(field, item_type.of_type)
            if exact is not None:
                return _object_list_completer(field, item_type, item, run, exact, message)

        def complete_list(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                return None
            if type(result) is not list and not is_iterable(result):
                raise GraphQLError(message)
            out: list[Any] = []
            append = out.append
            for index, value in enumerate(result):
                item_path = new_path(Path, (path, index, None))
                if ex.is_awaitable(value):
                    close_awaitable(value)
                    raise SyncFailure
                try:
                    append(item(ex, item_path, value, info))
                except SyncFailure:
                    raise
                except Exception as error:  # noqa: BLE001 - every error is a field error
                    ex.handle_field_error(error, item_type, field.details, item_path)
                    append(None)
            return out
        return complete_list
    if is_leaf_type(type_):
        coerce = type_.coerce_output_value
        # An int within Int's range is what serialize_int returns for it.
        ints = coerce is serialize_int

        def complete_leaf(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
            if ints and type(result) is int and GRAPHQL_MIN_INT <= result <= GRAPHQL_MAX_INT:
                return result
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
    objects: dict[GraphQLObjectType, tuple[Completer, Completer, type | None]] = {}

    def object_completer(object_type: GraphQLObjectType
                         ) -> tuple[Completer, Completer, type | None]:
        found = objects.get(object_type)
        if found is None:
            found = objects[object_type] = object_parts(field, object_type)
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
    by_class = _by_class(type_)
    # For an interface whose objects name their type by class: each class met whose
    # objects (not cast) pass their type's check, and their type's completion without
    # it, so that compiled selections (schema/runner.py) complete them in one call.
    classes: dict[type, Completer] = {}

    def complete_abstract(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if by_class:  # resolve_by_class, without the call and its info
            name = result.__strawberry_definition__.name
        else:
            resolve_type = type_.resolve_type or ex.type_resolver
            name = resolve_type(result, info, type_)
            if ex.is_awaitable(name):
                close_awaitable(name)
                raise SyncFailure
        # A type name found valid for this field stays valid (the check reads only the
        # name and the schema); anything else is checked, and refused, every time.
        runtime = valid.get(name) if isinstance(name, str) else None
        if runtime is None:
            if info is None:  # read for the field's name in the error message
                info = ex.build_resolve_info(field.definition, field.nodes, field.parent, path)
            runtime = ex.ensure_valid_runtime_type(name, type_, field.details, info, result)
            if isinstance(name, str):
                valid[name] = runtime
        complete, run, exact = object_completer(runtime)
        if by_class and type(result) is exact and isinstance(name, str):
            classes[exact] = run
        return complete(ex, path, result, info)
    complete_abstract.by_class = classes if by_class else None  # type: ignore[attr-defined]
    return complete_abstract


def _object_list_completer(field: FieldFacts, item_type: Any, item: Completer,
                           run: Completer, exact: type, message: str) -> Completer:
    """Return the completion of a list of non-null objects of one type: as the general
    list's, each item an object of exactly the type's class (not cast, not awaitable)
    completed at once, without the checks it passes."""

    def complete_object_list(ex: PlannedExecutor, path: Path, result: Any, info: Any
                             ) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if type(result) is not list and not is_iterable(result):
            raise GraphQLError(message)
        out: list[Any] = []
        append = out.append
        for index, value in enumerate(result):
            item_path = new_path(Path, (path, index, None))
            try:
                if type(value) is exact and TYPE_CAST_ATTRIBUTE not in value.__dict__ \
                        and "__await__" not in value.__dict__:
                    append(run(ex, item_path, value, info))
                    continue
                if ex.is_awaitable(value):
                    close_awaitable(value)
                    raise SyncFailure
                append(item(ex, item_path, value, info))
            except SyncFailure:
                raise
            except Exception as error:  # noqa: BLE001 - every error is a field error
                ex.handle_field_error(error, item_type, field.details, item_path)
                append(None)
        return out
    return complete_object_list


_NO_DICT: dict[str, Any] = {}


def _object_completer(field: FieldFacts, object_type: GraphQLObjectType) -> Completer:
    """Return the completion of ``field``'s values of one object type: its ``is_type_of``
    check, then the planned sub-selection (made on first use)."""
    return object_parts(field, object_type)[0]


def object_parts(field: FieldPlan | FieldFacts, object_type: GraphQLObjectType
                  ) -> tuple[Completer, Completer, type | None]:
    """Return the completion of ``field``'s values of one object type, the same without
    the type check, and the class whose objects (not cast) pass the check (or None)."""
    field = facts_of(field)
    from graphql.execution.executor import invalid_return_type_error

    check = object_type.is_type_of
    selection: list[Selection] = []
    view = node_view(object_type) is not None
    # Strawberry's check passes an object of exactly the type's class, not cast.
    exact = _origin(object_type) if _strawberry_check(object_type) else None
    if not isinstance(exact, type) or not exact.__dictoffset__ or hasattr(exact, "__await__"):
        exact = None  # (objects without a __dict__, or awaitable, are checked)

    def plan(ex: PlannedExecutor) -> Selection:
        """Return the planned sub-selection, planned now if it was not."""
        if not selection:
            grouped = collect_subfields(ex.schema, ex.fragments, ex.variable_values,
                                        ex.operation, object_type, field.details,
                                        ex.hide_suggestions).grouped_field_set
            from schema.plan import plan_fields  # (plan.py plans with these completers)

            selection.append(plan_fields(ex, object_type, grouped))
        return selection[0]

    def run(ex: PlannedExecutor, path: Path, result: Any, info: Any = None) -> Any:
        fields = selection[0] if selection else plan(ex)
        node = getattr(result, "__dict__", _NO_DICT).get("_node") if view else None
        if fields.run is None:  # compiled by its first run
            return ex.run_fields(fields, result, path, node)
        return fields.run(ex, result, path, node)
    # What compiled selections read to run the planned sub-selection themselves, once
    # planned and compiled: as run() does, the node of a view given.
    run.selection, run.view, run.plan = selection, view, plan  # type: ignore[attr-defined]

    def complete(ex: PlannedExecutor, path: Path, result: Any, info: Any) -> Any:
        if check is not None and not (type(result) is exact
                                      and TYPE_CAST_ATTRIBUTE not in result.__dict__):
            ok = check(result, info)
            if ex.is_awaitable(ok):
                close_awaitable(ok)
                raise SyncFailure
            if not ok:
                raise invalid_return_type_error(object_type, result, field.details)
        return run(ex, path, result)
    return complete, run, exact


def close_awaitable(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
