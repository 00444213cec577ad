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
(schema/complete.py). A selection runs compiled to one function (schema/runner.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from graphql import (
    DirectiveNode,
    GraphQLObjectType,
    get_named_type,
    is_leaf_type,
    visit,
)
from graphql.language import Visitor
from graphql.type.scalars import (
    serialize_boolean,
    serialize_id,
    serialize_string,
)

from schema.admission import KEPT_DOCUMENTS, kept, text_of
from schema.arguments import argument_reader
from schema.complete import completer, needs_info, node_view
from schema.convert import arguments_converter
from schema.cost import composite, variables_in

if TYPE_CHECKING:
    from schema.executor import PlannedExecutor

__all__ = ["PLANS", "Plans", "FieldPlan", "Selection", "plan_fields", "SYNC_FAILED",
           "LEAF_ATTRIBUTE", "ATTRIBUTE", "METHOD", "RESOLVER", "NODE_LEAF", "NODE_ATTRIBUTE",
           "NODE_LINK", "CALL"]

SYNC_FAILED = "GraphQL execution failed to complete synchronously."


class _Unplannable(Exception):
    """The document needs something only the standard executor does."""



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

    def __init__(self, maxsize: int = KEPT_DOCUMENTS):
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
        facts.enter_leave_map.clear()  # its own bound methods: a cycle for the collector
        conditions = None if facts.unplannable else tuple(sorted(facts.conditions))
        if not kept(text_of(document)):
            return conditions, {}
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
                 "needs_info", "complete", "read", "link", "convert", "arguments")

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
        # Arguments with variables: read from them as graphql-core reads them
        # (schema/arguments.py), unless a fragment's own variables are in play.
        self.arguments = None
        if not self.literal and all(d.fragment_variable_values is None for d in details):
            self.arguments = argument_reader(definition, node)
        self.counted = composite(parent.name, self.name, self.type)
        self.needs_info = needs_info(self.type)
        self.complete = completer(self, self.type)
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
    return any(next(variables_in(a.value), None) is not None for a in node.arguments or ())
