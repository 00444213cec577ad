"""A planned selection compiled to one Python function, as graphql-jit compiles a query.

:meth:`schema.executor.PlannedExecutor.run_fields` runs a selection field by field,
deciding at every field what kind it is. Most fields of a graph explorer's answer are
of three kinds: a leaf attribute of the object (``id``, ``hops``), a field of a node's
view read from the node's attributes (``title``, ``url``), and another node's view
(``provider``, ``topics``; schema/nodeview.py). :func:`compile_selection` writes the
selection out as straight-line code, those fields inline and every other field handed
to the executor's :meth:`~schema.executor.PlannedExecutor.run_field`, which does what
``run_fields`` did for it. Each inline field does what ``run_field`` would: the
deadline read first, the value, the objects counted, completion, and every error made
a field error at the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from graphql import get_named_type, is_list_type, is_non_null_type, is_object_type
from graphql.pyutils import Path
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT, serialize_int
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from schema.complete import SyncFailure, close_awaitable, completer, new_path, object_parts
from schema.nodeview import NodeView
from schema.plan import (
    ATTRIBUTE,
    LEAF_ATTRIBUTE,
    NODE_ATTRIBUTE,
    NODE_LEAF,
    NODE_LINK,
    FieldPlan,
)

__all__ = ["compile_selection"]

Run = Callable[[Any, Any, Any, Any], dict[str, Any]]
# Values of these types are never awaitable: not asked.
BUILT_IN = frozenset({str, int, float, bool, type(None), datetime, date, list, dict, tuple})


def _late(indent: str, check: bool) -> str:
    """The deadline, read before the object's first field runs (``check``)."""
    if not check:
        return ""
    return (f"{indent}if deadline is not None and clock() > deadline:\n"
            f"{indent}    raise budget.late()\n")


_FAILED = """\
    except SyncFailure:
        raise
    except Exception as error:  # every error is a field error
        ex.handle_field_error(error, f{i}.type, f{i}.details,
                              new_path(Path, (path, {key!r}, {parent!r})))
        results[{key!r}] = None
"""


def _leaf(i: int, field: FieldPlan, check: bool) -> str:
    """A leaf attribute of the object, or a leaf field read from its node: a value its
    serializer returns as it is (a string, an ``Int`` in range) kept at once, a value
    of a built-in type not asked whether it is awaitable."""
    value = (f"read{i}(node) if node is not None else source.{field.attribute}"
             if field.how == NODE_LEAF else f"source.{field.attribute}")
    kept = f"type(result) is not as_is{i}"
    if getattr(get_named_type(field.type), "coerce_output_value", None) is serialize_int:
        kept = (f"{kept} and not (type(result) is int "
                f"and {GRAPHQL_MIN_INT} <= result <= {GRAPHQL_MAX_INT})")
    return f"""\
    try:
{_late(" " * 8, check)}        result = {value}
        if {kept}:
            if type(result) not in BUILT_IN and ex.is_awaitable(result):
                close_awaitable(result)
                raise SyncFailure
            result = f{i}.complete(ex, new_path(Path, (path, {field.key!r}, {field.parent.name!r})),
                                   result, None)
        results[{field.key!r}] = result
{_FAILED.format(i=i, key=field.key, parent=field.parent.name)}"""


def _completion(i: int, field: FieldPlan, names: dict[str, Any], info: str) -> str:
    """Complete ``result`` into the response map: an object of exactly its type's class
    (not cast) at once, as the type's completion would after the checks it passes; so
    each such object of a list of them, and of an interface whose objects name their
    type by class, once that class has been met (schema/complete.py)."""
    type_ = field.type.of_type if is_non_null_type(field.type) else field.type
    classes = getattr(field.complete, "by_class", None)
    if classes is not None and is_non_null_type(field.type):
        names[f"classes{i}"] = classes
        return f"""\
            run_ = classes{i}.get(type(result))
            if run_ is not None and TYPE_CAST_ATTRIBUTE not in (attributes := result.__dict__):
                planned = run_.selection
                if planned and planned[0].run is not None:
                    results[{field.key!r}] = planned[0].run(
                        ex, result, field_path, attributes.get("_node") if run_.view else None)
                else:
                    results[{field.key!r}] = run_(ex, field_path, result, {info})
            else:
                results[{field.key!r}] = f{i}.complete(ex, field_path, result, {info})
"""
    item_type = type_.of_type if is_list_type(type_) else None
    if is_non_null_type(field.type) and is_non_null_type(item_type) \
            and is_object_type(item_type.of_type):
        _, run, exact = object_parts(field, item_type.of_type)
        if exact is not None:
            names[f"exact{i}"], names[f"object{i}"] = exact, run
            names[f"item_type{i}"] = item_type
            names[f"item{i}"] = completer(field, item_type)
            node = 'attributes.get("_node")' if run.view else "None"  # type: ignore[attr-defined]
            return f"""\
            if type(result) is list:
                out = []
                planned = object{i}.selection
                sub = planned[0].run if planned else None
                for index, value in enumerate(result):
                    item_path = new_path(Path, (field_path, index, None))
                    try:
                        if type(value) is exact{i} \\
                                and TYPE_CAST_ATTRIBUTE not in (attributes := value.__dict__) \\
                                and "__await__" not in attributes:
                            if sub is not None:
                                out.append(sub(ex, value, item_path, {node}))
                            else:
                                out.append(object{i}(ex, item_path, value, {info}))
                                sub = planned[0].run if planned else None
                            continue
                        if ex.is_awaitable(value):
                            close_awaitable(value)
                            raise SyncFailure
                        out.append(item{i}(ex, item_path, value, {info}))
                    except SyncFailure:
                        raise
                    except Exception as error:  # every error is a field error
                        ex.handle_field_error(error, item_type{i}, f{i}.details, item_path)
                        out.append(None)
                results[{field.key!r}] = out
            else:
                results[{field.key!r}] = f{i}.complete(ex, field_path, result, {info})
"""
    if is_object_type(type_):
        _, run, exact = object_parts(field, type_)
        if exact is not None:
            names[f"exact{i}"], names[f"object{i}"] = exact, run
            node = 'attributes.get("_node")' if run.view else "None"  # type: ignore[attr-defined]
            return f"""\
            if type(result) is exact{i} \\
                    and TYPE_CAST_ATTRIBUTE not in (attributes := result.__dict__):
                planned = object{i}.selection
                if planned and planned[0].run is not None:
                    results[{field.key!r}] = planned[0].run(ex, result, field_path, {node})
                else:
                    results[{field.key!r}] = object{i}(ex, field_path, result, {info})
            else:
                results[{field.key!r}] = f{i}.complete(ex, field_path, result, {info})
"""
    return f"            results[{field.key!r}] = f{i}.complete(ex, field_path, result, {info})\n"


def _link(i: int, field: FieldPlan, names: dict[str, Any], check: bool) -> str:
    """Another node's view, made by the view's link function (schema/nodeview.py)."""
    counted = {
        "one": "            if budget is not None and result is not None:\n"
               "                budget.objects += 1\n"
               "                if budget.objects > budget.settings.max_objects:\n"
               "                    budget.returned(0)  # raises the limit's error\n",
        "list": "            if budget is not None and isinstance(result, (list, tuple)):\n"
                "                budget.returned(len(result))\n",
        None: "",
    }[field.counted]
    return f"""\
    if node is None or kg is None:
        ex.run_field(f{i}, source, path, node, results)
    else:
        field_path = new_path(Path, (path, {field.key!r}, {field.parent.name!r}))
        try:
{_late(" " * 12, check)}            result = link{i}(kg, node)
{counted}{_completion(i, field, names, "None")}        except SyncFailure:
            raise
        except Exception as error:  # every error is a field error
            ex.handle_field_error(error, f{i}.type, f{i}.details, field_path)
            results[{field.key!r}] = None
"""


def _attribute(i: int, field: FieldPlan, names: dict[str, Any], check: bool) -> str:
    """An attribute of the object that is not a leaf, or such a field read from its
    node."""
    counted = {
        "one": "            if budget is not None and result is not None:\n"
               "                budget.objects += 1\n"
               "                if budget.objects > budget.settings.max_objects:\n"
               "                    budget.returned(0)  # raises the limit's error\n",
        "list": "            if budget is not None and isinstance(result, (list, tuple)):\n"
                "                budget.returned(len(result))\n",
        None: "",
    }[field.counted]
    if field.how == NODE_ATTRIBUTE:  # read by the view's own function: never awaitable
        value = f"read{i}(node) if node is not None else source.{field.attribute}"
        awaitable = ""
    else:
        value = f"source.{field.attribute}"
        awaitable = ("            if not isinstance(result, NodeView) \\\n"
                     "                    and ex.is_awaitable(result):\n"
                     "                close_awaitable(result)\n"
                     "                raise SyncFailure\n")
    info = (f"ex.build_resolve_info(f{i}.definition, f{i}.nodes, f{i}.parent, field_path)"
            if field.needs_info else "None")
    return f"""\
    if True:
        field_path = new_path(Path, (path, {field.key!r}, {field.parent.name!r}))
        try:
{_late(" " * 12, check)}            result = {value}
{counted}{awaitable}            info = {info}
{_completion(i, field, names, "info")}        except SyncFailure:
            raise
        except Exception as error:  # every error is a field error
            ex.handle_field_error(error, f{i}.type, f{i}.details, field_path)
            results[{field.key!r}] = None
"""


def compile_selection(fields: list[FieldPlan]) -> Run:
    """Return ``run(ex, source, path, node)``: the selection run on one object, its
    response map returned, as ``run_field`` would run each field in turn."""
    names: dict[str, Any] = {"Path": Path, "new_path": new_path, "SyncFailure": SyncFailure,
                             "close_awaitable": close_awaitable,
                             "TYPE_CAST_ATTRIBUTE": TYPE_CAST_ATTRIBUTE, "NodeView": NodeView,
                             "BUILT_IN": BUILT_IN}
    body = []
    for i, field in enumerate(fields):
        names[f"f{i}"] = field
        if field.how in (LEAF_ATTRIBUTE, NODE_LEAF) and field.attribute is not None \
                and field.attribute.isidentifier():
            names[f"read{i}"], names[f"as_is{i}"] = field.read, field.as_is
            body.append(_leaf(i, field, i == 0))
        elif field.how in (ATTRIBUTE, NODE_ATTRIBUTE) and field.attribute is not None \
                and field.attribute.isidentifier():
            names[f"read{i}"] = field.read
            body.append(_attribute(i, field, names, i == 0))
        elif field.how == NODE_LINK and not field.needs_info:
            names[f"link{i}"] = field.link
            body.append(_link(i, field, names, i == 0))
        else:
            body.append(f"    ex.run_field(f{i}, source, path, node, results)\n")
    source = ("def run(ex, source, path, node):\n"
              "    results = {}\n"
              "    budget, deadline, clock, kg = ex.budget, ex.deadline, ex.clock, ex.kg\n"
              + "".join(body) + "    return results\n")
    exec(compile(source, f"<plan of {len(fields)} fields>", "exec"), names)  # noqa: S102
    return names["run"]
