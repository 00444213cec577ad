"""What a query costs: the objects it may return, estimated from the document.

:func:`requested_objects` reads the document: every object it selects counts once,
times the page size of each list above it (``first`` or ``last``, 20 by default; a
neighborhood's ``limit``; the ids given to ``nodes``), the way GitHub counts the nodes
of a call. The nodes a traversal visits are not estimated: each walk charges its
:class:`graph.budget.Budget` as it goes (see :mod:`schema.limits`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
)
from graphql.utilities import get_operation_ast, value_from_ast_untyped

from schema.pagination import DEFAULT_PAGE

__all__ = ["requested_objects", "PAGE_ARGUMENTS"]

# Arguments that say how many items a field returns, and the most each may ask.
PAGE_ARGUMENTS = ("first", "last", "limit", "ids")


def requested_objects(schema: GraphQLSchema, document: DocumentNode,
                      operation_name: str | None, variables: Mapping[str, Any] | None,
                      caps: Mapping[str, int]) -> int:
    """Return how many objects the operation may return, estimated from the document.

    ``caps`` bounds each page argument (``{"first": 100, "limit": 2000}``): a larger
    value is refused by the field itself, so it is counted as the cap.
    """
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
