"""Execution plans: how to run a validated operation, worked out once and then replayed.

graphql-core's executor works out, for every object of every response, which fields
its selection holds, their definitions, resolvers, middleware and how to complete each
value; on a 20-result ``within`` that bookkeeping costs more than the walk and the
resolvers together. A plan holds those decisions, made once per (operation, values of
the variables ``@skip``/``@include`` read), the way graphql-jit and Grafast do, and is
kept beside the parsed and validated document (:data:`PLANS`, bounded as the
validation cache is). :class:`schema.executor.PlannedExecutor` runs them.

A plan is a tree: per object type and selection, the fields to run
(:class:`FieldPlan`: response key, definition, resolver, arguments coerced once when
they hold no variable, how the field runs), and per field how to complete its value
(leaf serialization, lists, non-null, objects, abstract types resolved at run time
with a plan per possible type, made on first use). Completion raises the standard
executor's errors, with its messages, at the same places.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    DirectiveNode,
    GraphQLError,
    GraphQLObjectType,
    Undefined,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import collect_subfields
from graphql.language import Visitor
from graphql.pyutils import Path, inspect, is_iterable
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from schema.convert import arguments_converter
from schema.cost import composite
from schema.nodeview import NodeView, resolve_by_class

if TYPE_CHECKING:
    from schema.executor import PlannedExecutor

__all__ = ["PLANS", "Plans", "FieldPlan", "Selection", "plan_fields", "SyncFailure",
           "SYNC_FAILED", "new_path", "close_awaitable", "node_view", "object_parts",
           "LEAF_ATTRIBUTE", "ATTRIBUTE", "METHOD", "RESOLVER", "NODE_LEAF", "NODE_ATTRIBUTE",
           "NODE_LINK", "CALL"]

SYNC_FAILED = "GraphQL execution failed to complete synchronously."
new_path = tuple.__new__  # Path(prev, key, typename) without NamedTuple's own __new__


class _Unplannable(Exception):
    """The document needs something only the standard executor does."""


class SyncFailure(Exception):
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


# How a planned field runs (see PlannedExecutor.run_field): an attribute, of a leaf type
# or not; a resolver without arguments; any resolver (through Strawberry); on a node's
# view (schema/nodeview.py), the field read from the node's attributes, of a leaf type
# or not, or the view of another node; a plain resolver with arguments.
LEAF_ATTRIBUTE, ATTRIBUTE, METHOD, RESOLVER, NODE_LEAF, NODE_ATTRIBUTE, NODE_LINK, CALL = range(8)
# Leaf serializers that return a value of this exact type as it is.
_AS_IS = {serialize_string: str, serialize_id: str, serialize_boolean: bool}


class FieldPlan:
    """One field of a selection on one object type, planned."""

    __slots__ = ("key", "name", "definition", "details", "nodes", "parent", "type", "how",
                 "attribute", "as_is", "method", "resolve", "args", "literal", "counted",
                 "needs_info", "complete", "read", "link", "convert")

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
        self.read: Any = None
        self.link: Any = None
        self.convert: Any = None
        self.how = RESOLVER
        field = (definition.extensions or {}).get("strawberry-definition")
        if field is None or executor.strawberry is None:
            return
        view = node_view(parent)
        if getattr(resolve, "_is_default", False) and field.default_resolver is getattr:
            # Strawberry's basic field (no resolver of its own): its attribute.
            self.attribute = field.python_name
            self.how = LEAF_ATTRIBUTE if is_leaf_type(named) else ATTRIBUTE
            if view is not None and field.python_name in view.__node_fields__:
                # Read from the node's attributes, as the view's attribute would be.
                self.read = view.__node_fields__[field.python_name]
                self.how = NODE_LEAF if self.how == LEAF_ATTRIBUTE else NODE_ATTRIBUTE
        elif _plain_method(executor.strawberry, field) and not node.arguments:
            # A resolver taking no arguments (self, info, root at most): called as
            # Strawberry's resolver would call it, without converting arguments.
            self.method = field
            self.how = METHOD
            if view is not None and field.python_name in view.__node_links__:
                # The view of another node, made as the resolver makes it.
                self.link = view.__node_links__[field.python_name]
                self.how = NODE_LINK
        elif _plain_method(executor.strawberry, field, arguments=True):
            # A resolver taking arguments: called as Strawberry would call it, with
            # the arguments converted as Strawberry converts them (schema/convert.py).
            self.method = field
            self.convert = arguments_converter(field, executor.strawberry)
            self.how = CALL


def node_view(object_type: GraphQLObjectType) -> Any:
    """Return the Python class of a type whose objects are views of a graph node
    (schema/nodeview.py), or None."""
    definition = (object_type.extensions or {}).get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, NodeView) else None


def _plain_method(strawberry: Any, field: Any, arguments: bool = False) -> bool:
    """Whether a Strawberry field's resolver is a plain synchronous function of the
    object (and info): no field extensions, permissions or exception handlers, and no
    arguments unless ``arguments``."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.is_async \
            or (field.arguments and not arguments):
        return False
    try:
        handlers = strawberry.schema_converter._get_field_exception_handlers(field)
    except AttributeError:
        return False
    return not handlers and callable(resolver.wrapped_func)


class Selection(list[FieldPlan]):
    """The planned fields of one selection on one object type, in order; ``run`` is
    the selection compiled (schema/runner.py), made on first use."""

    run: Any = None


def plan_fields(executor: PlannedExecutor, parent: GraphQLObjectType,
                grouped: dict[str, list[Any]]) -> Selection:
    """Plan a grouped field set; a key naming no field is left out, as the standard
    executor leaves it out."""
    out = Selection()
    for key, details in grouped.items():
        try:
            out.append(FieldPlan(executor, parent, key, details))
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


def _completer(field: FieldPlan, type_: Any) -> Completer:
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
    by_class = _by_class(type_)

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
        return object_completer(runtime)(ex, path, result, info)
    return complete_abstract


def _object_list_completer(field: FieldPlan, item_type: Any, item: Completer,
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


def _object_completer(field: FieldPlan, object_type: GraphQLObjectType) -> Completer:
    """Return the completion of ``field``'s values of one object type: its ``is_type_of``
    check, then the planned sub-selection (made on first use)."""
    return object_parts(field, object_type)[0]


def object_parts(field: FieldPlan, object_type: GraphQLObjectType
                  ) -> tuple[Completer, Completer, type | None]:
    """Return the completion of ``field``'s values of one object type, the same without
    the type check, and the class whose objects (not cast) pass the check (or None)."""
    from graphql.execution.executor import invalid_return_type_error

    check = object_type.is_type_of
    selection: list[Selection] = []
    view = node_view(object_type) is not None
    # Strawberry's check passes an object of exactly the type's class, not cast.
    exact = _origin(object_type) if _strawberry_check(object_type) else None
    if not isinstance(exact, type) or not exact.__dictoffset__ or hasattr(exact, "__await__"):
        exact = None  # (objects without a __dict__, or awaitable, are checked)

    def run(ex: PlannedExecutor, path: Path, result: Any, info: Any = None) -> Any:
        if not selection:
            grouped = collect_subfields(ex.schema, ex.fragments, ex.variable_values,
                                        ex.operation, object_type, field.details,
                                        ex.hide_suggestions).grouped_field_set
            selection.append(plan_fields(ex, object_type, grouped))
        fields = selection[0]
        node = getattr(result, "__dict__", _NO_DICT).get("_node") if view else None
        if fields.run is None:  # compiled by its first run
            return ex.run_fields(fields, result, path, node)
        return fields.run(ex, result, path, node)

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
