"""A planned selection compiled to one Python function, as graphql-jit compiles a query.

:meth:`schema.executor.PlannedExecutor.run_fields` runs a selection field by field,
deciding at every field what kind it is. Most fields of a graph explorer's answer are
of three kinds: a leaf attribute of the object (``id``, ``hops``), a field of a node's
view read from the node's attributes (``title``, ``url``), and another node's view
(``provider``, ``topics``; schema/nodeview.py). :func:`compile_selection` writes the
selection out as straight-line code, those fields inline and every other field handed
to the executor's :meth:`~schema.executor.PlannedExecutor.run_field`, which does what
``run_fields`` did for it. Each inline field does what ``run_field`` would: the value,
the objects counted, completion, and every error made a field error at the same path.
The selections of the objects it completes (an object of exactly its type's class, a
list of them, each type of an interface whose objects name their type by class) are
written inline too, up to :attr:`_Compiler.depth` levels, so that a page of 20 articles
with their provider and topics is one function call, not one per object. An article's
provider and topics (a :class:`~schema.nodeview.ViewLink`) are read from their nodes'
attributes without making their views, when the selection reads nothing else and their
type's ``from_node`` is NodeView's own (checked at every call: a replaced one is
called, as the standard executor calls it).

The deadline is read before the first field of every object, not before each of its
inline fields: those read the object or its node's attributes and make other nodes'
views, work bounded by the selection, not by the graph. Every field that runs a
resolver (``run_field``) still reads it first, as the standard executor does. So a
request past its deadline stops at the next object, and answers the same timeout error;
the bench's page of 20 articles (~120 objects) reads the clock ~124 times instead of
~319 (tests/test_plan.py holds it to at least once per object returned and never more
often than the standard executor).
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
from schema.nodeview import NodeView, ViewLink, node_attributes
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


def _indent(code: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in code.splitlines(True))


_FAILED = """\
    except SyncFailure:
        raise
    except Exception as error:  # every error is a field error
        ex.handle_field_error(error, f{i}.type, f{i}.details,
                              new_path(Path, (path{s}, {key!r}, {parent!r})))
        results{s}[{key!r}] = None
"""

_COUNTED = {
    "one": "            if budget is not None and result{s} is not None:\n"
           "                budget.objects += 1\n"
           "                if budget.objects > budget.settings.max_objects:\n"
           "                    budget.returned(0)  # raises the limit's error\n",
    "list": "            if budget is not None and isinstance(result{s}, (list, tuple)):\n"
            "                budget.returned(len(result{s}))\n",
    None: "",
}


class _Compiler:
    """Writes a selection, and the selections of the objects it completes inline (up to
    :attr:`depth` levels and :attr:`inlined` selections), as one function's code. Names
    of the selection at each level end in the level's number; each planned field's
    constants in the field's own number."""

    depth = 4
    inlined = 48

    def __init__(self, ex: Any):
        self.ex = ex
        self.names: dict[str, Any] = {
            "Path": Path, "new_path": new_path, "SyncFailure": SyncFailure,
            "close_awaitable": close_awaitable, "TYPE_CAST_ATTRIBUTE": TYPE_CAST_ATTRIBUTE,
            "NodeView": NodeView, "BUILT_IN": BUILT_IN, "node_attributes": node_attributes}
        self.count = 0
        self.inlines = 0

    def selection(self, fields: list[FieldPlan], s: int) -> str:
        """The code (at a function body's indentation) running ``fields`` on
        ``source{s}`` (its node ``node{s}``, at ``path{s}``) into ``results{s}``."""
        body = []
        for n, field in enumerate(fields):
            i = self.count
            self.count += 1
            self.names[f"f{i}"] = field
            check = n == 0  # the deadline, once per object (every other field is cheap)
            if field.how in (LEAF_ATTRIBUTE, NODE_LEAF) and field.attribute is not None \
                    and field.attribute.isidentifier():
                self.names[f"read{i}"], self.names[f"as_is{i}"] = field.read, field.as_is
                body.append(self._leaf(i, s, field, check))
            elif field.how in (ATTRIBUTE, NODE_ATTRIBUTE) and field.attribute is not None \
                    and field.attribute.isidentifier():
                self.names[f"read{i}"] = field.read
                body.append(self._attribute(i, s, field, check))
            elif field.how == NODE_LINK and not field.needs_info:
                self.names[f"link{i}"] = field.link
                body.append(self._link(i, s, field, check))
            else:
                body.append(f"    ex.run_field(f{i}, source{s}, path{s}, node{s}, results{s})\n")
        return "".join(body)

    def _leaf(self, i: int, s: int, field: FieldPlan, check: bool) -> str:
        """A leaf attribute of the object, or a leaf field read from its node: a value
        its serializer returns as it is (a string, an ``Int`` in range) kept at once, a
        value of a built-in type not asked whether it is awaitable."""
        value = (f"read{i}(node{s}) if node{s} is not None else source{s}.{field.attribute}"
                 if field.how == NODE_LEAF else f"source{s}.{field.attribute}")
        kept = f"type(result{s}) is not as_is{i}"
        if getattr(get_named_type(field.type), "coerce_output_value", None) is serialize_int:
            kept = (f"{kept} and not (type(result{s}) is int "
                    f"and {GRAPHQL_MIN_INT} <= result{s} <= {GRAPHQL_MAX_INT})")
        return f"""\
    try:
{_late(" " * 8, check)}        result{s} = {value}
        if {kept}:
            if type(result{s}) not in BUILT_IN and ex.is_awaitable(result{s}):
                close_awaitable(result{s})
                raise SyncFailure
            result{s} = f{i}.complete(
                ex, new_path(Path, (path{s}, {field.key!r}, {field.parent.name!r})),
                result{s}, None)
        results{s}[{field.key!r}] = result{s}
{_FAILED.format(i=i, s=s, key=field.key, parent=field.parent.name)}"""

    def _object(self, field: FieldPlan, object_type: Any, value: str, path: str,
                store: str, s: int, indent: int, view_of: type | None = None,
                ) -> str | None:
        """The code completing ``value``, an object of exactly ``object_type``'s class
        (not cast), at ``path``: its planned selection inline, its response map given to
        ``store`` (a format of one name); None when it is not inlined here. With
        ``view_of``, ``value`` is the attributes of a node that class views (its view is
        not made): None unless the selection reads nothing but those."""
        if s + 1 > self.depth or self.inlines >= self.inlined:
            return None
        _, run, exact = object_parts(field, object_type)
        plan = getattr(run, "plan", None)
        if exact is None or plan is None:
            return None
        if view_of is not None and (exact is not view_of or not run.view):  # type: ignore[attr-defined]
            return None
        try:
            fields = plan(self.ex)
        except Exception:  # noqa: BLE001 - planned on first use instead, as before
            return None
        if view_of is not None and not all(_reads_node(f) for f in fields):
            return None
        self.inlines += 1
        t = s + 1
        node = f'attributes{s}.get("_node")' if run.view else "None"  # type: ignore[attr-defined]
        if view_of is not None:
            value, node = "None", value
        code = (f"    source{t}, path{t}, node{t} = {value}, {path}, {node}\n"
                f"    results{t} = {{}}\n"
                + self.selection(fields, t)
                + f"    {store.format(f'results{t}')}\n")
        return _indent(code, indent - 4)

    def _completion(self, i: int, s: int, field: FieldPlan, info: str) -> str:
        """Complete ``result{s}`` into the response map: an object of exactly its type's
        class (not cast) at once, its selection inline, as the type's completion would
        after the checks it passes; so each such object of a list of them, and of an
        interface whose objects name their type by class (schema/complete.py)."""
        names = self.names
        type_ = field.type.of_type if is_non_null_type(field.type) else field.type
        store = f"results{s}[{field.key!r}] = {{}}"
        classes = getattr(field.complete, "by_class", None)
        if classes is not None and is_non_null_type(field.type):
            schema = self.ex.schema
            branches: list[str] = []
            for object_type in schema.get_possible_types(get_named_type(field.type)):
                exact = object_parts(field, object_type)[2]
                definition = getattr(exact, "__strawberry_definition__", None)
                if exact is None or getattr(definition, "name", None) != object_type.name \
                        or not schema.is_sub_type(get_named_type(field.type), object_type):
                    continue  # (the type its objects name would be checked, or refused)
                k = self.count
                self.count += 1
                names[f"exact{k}"] = exact
                code = self._object(field, object_type, f"result{s}", f"field_path{s}", store,
                                    s, 16)
                if code is None:
                    continue
                keyword = "elif" if branches else "if"
                branches.append(
                    f"            {keyword} type(result{s}) is exact{k} \\\n"
                    f"                    and TYPE_CAST_ATTRIBUTE not in "
                    f"(attributes{s} := result{s}.__dict__):\n" + code)
            names[f"classes{i}"] = classes
            fallback = f"""\
            run_{s} = classes{i}.get(type(result{s}))
            if run_{s} is not None \\
                    and TYPE_CAST_ATTRIBUTE not in (attributes{s} := result{s}.__dict__):
                planned{s} = run_{s}.selection
                if planned{s} and planned{s}[0].run is not None:
                    results{s}[{field.key!r}] = planned{s}[0].run(
                        ex, result{s}, field_path{s},
                        attributes{s}.get("_node") if run_{s}.view else None)
                else:
                    results{s}[{field.key!r}] = run_{s}(ex, field_path{s}, result{s}, {info})
            else:
                results{s}[{field.key!r}] = f{i}.complete(ex, field_path{s}, result{s}, {info})
"""
            if not branches:
                return fallback
            return "".join(branches) + "            else:\n" + _indent(fallback, 4)
        item_type = type_.of_type if is_list_type(type_) else None
        if is_non_null_type(field.type) and is_non_null_type(item_type) \
                and is_object_type(item_type.of_type):
            _, run, exact = object_parts(field, item_type.of_type)
            if exact is not None:
                names[f"exact{i}"], names[f"object{i}"] = exact, run
                names[f"item_type{i}"] = item_type
                names[f"item{i}"] = completer(field, item_type)
                node = f'attributes{s}.get("_node")' if run.view else "None"  # type: ignore[attr-defined]
                inline = self._object(field, item_type.of_type, f"value{s}", f"item_path{s}",
                                      f"out{s}.append({{}})", s, 28)
                if inline is None:
                    inline = f"""\
                            if sub{s} is not None:
                                out{s}.append(sub{s}(ex, value{s}, item_path{s}, {node}))
                            else:
                                out{s}.append(object{i}(ex, item_path{s}, value{s}, {info}))
                                sub{s} = planned{s}[0].run if planned{s} else None
"""
                return f"""\
            if type(result{s}) is list:
                out{s} = []
                planned{s} = object{i}.selection
                sub{s} = planned{s}[0].run if planned{s} else None
                for index{s}, value{s} in enumerate(result{s}):
                    item_path{s} = new_path(Path, (field_path{s}, index{s}, None))
                    try:
                        if type(value{s}) is exact{i} \\
                                and TYPE_CAST_ATTRIBUTE not in \\
                                (attributes{s} := value{s}.__dict__) \\
                                and "__await__" not in attributes{s}:
{inline}                            continue
                        if ex.is_awaitable(value{s}):
                            close_awaitable(value{s})
                            raise SyncFailure
                        out{s}.append(item{i}(ex, item_path{s}, value{s}, {info}))
                    except SyncFailure:
                        raise
                    except Exception as error:  # every error is a field error
                        ex.handle_field_error(error, item_type{i}, f{i}.details, item_path{s})
                        out{s}.append(None)
                results{s}[{field.key!r}] = out{s}
            else:
                results{s}[{field.key!r}] = f{i}.complete(ex, field_path{s}, result{s}, {info})
"""
        if is_object_type(type_):
            _, run, exact = object_parts(field, type_)
            if exact is not None:
                names[f"exact{i}"], names[f"object{i}"] = exact, run
                node = f'attributes{s}.get("_node")' if run.view else "None"  # type: ignore[attr-defined]
                inline = self._object(field, type_, f"result{s}", f"field_path{s}", store, s, 16)
                if inline is None:
                    inline = f"""\
                planned{s} = object{i}.selection
                if planned{s} and planned{s}[0].run is not None:
                    results{s}[{field.key!r}] = planned{s}[0].run(
                        ex, result{s}, field_path{s}, {node})
                else:
                    results{s}[{field.key!r}] = object{i}(ex, field_path{s}, result{s}, {info})
"""
                return f"""\
            if type(result{s}) is exact{i} \\
                    and TYPE_CAST_ATTRIBUTE not in (attributes{s} := result{s}.__dict__):
{inline}            else:
                results{s}[{field.key!r}] = f{i}.complete(ex, field_path{s}, result{s}, {info})
"""
        return (f"            results{s}[{field.key!r}] = "
                f"f{i}.complete(ex, field_path{s}, result{s}, {info})\n")

    def _link(self, i: int, s: int, field: FieldPlan, check: bool) -> str:
        """Another node's view, made by the view's link function (schema/nodeview.py);
        for a :class:`~schema.nodeview.ViewLink` whose views are NodeView's own, the
        linked nodes' attributes read without making the views, when the selection
        written inline reads nothing else."""
        general = self._made_link(i, s, field, check)
        fast = self._view_free_link(i, s, field, check)
        if fast is None:
            return general
        return (f"    if node{s} is not None and kg is not None and made{i}():\n" + fast
                + "    else:\n" + _indent(general, 4))

    def _view_free_link(self, i: int, s: int, field: FieldPlan, check: bool) -> str | None:
        link = field.link
        if not isinstance(link, ViewLink):
            return None
        type_ = field.type.of_type if is_non_null_type(field.type) else field.type
        key, counted = field.key, _COUNTED[field.counted].format(s=s)
        if link.many:
            item_type = type_.of_type if is_list_type(type_) else None
            if not (is_non_null_type(field.type) and is_non_null_type(item_type)
                    and is_object_type(item_type.of_type)):
                return None
            inline = self._object(field, item_type.of_type, f"data{s}", f"item_path{s}",
                                  f"out{s}.append({{}})", s, 20, view_of=link.target)
            if inline is None:
                return None
            self.names[f"item_type{i}"] = item_type
            body = f"""\
            result{s} = [node_attributes(kg, id_) for id_ in ids{i}(node{s})]
{counted}            out{s} = []
            for index{s}, data{s} in enumerate(result{s}):
                item_path{s} = new_path(Path, (field_path{s}, index{s}, None))
                try:
{inline}                except SyncFailure:
                    raise
                except Exception as error:  # every error is a field error
                    ex.handle_field_error(error, item_type{i}, f{i}.details, item_path{s})
                    out{s}.append(None)
            results{s}[{key!r}] = out{s}
"""
        else:
            if not is_object_type(type_):
                return None
            inline = self._object(field, type_, f"result{s}", f"field_path{s}",
                                  f"results{s}[{key!r}] = {{}}", s, 12, view_of=link.target)
            if inline is None:
                return None
            body = (f"            result{s} = node_attributes(kg, ids{i}(node{s}))\n"
                    + counted + inline)
        self.names[f"made{i}"], self.names[f"ids{i}"] = link.made_by_node_view, link.ids
        return f"""\
        field_path{s} = new_path(Path, (path{s}, {key!r}, {field.parent.name!r}))
        try:
{_late(" " * 12, check)}{body}\
        except SyncFailure:
            raise
        except Exception as error:  # every error is a field error
            ex.handle_field_error(error, f{i}.type, f{i}.details, field_path{s})
            results{s}[{key!r}] = None
"""

    def _made_link(self, i: int, s: int, field: FieldPlan, check: bool) -> str:
        return f"""\
    if node{s} is None or kg is None:
        ex.run_field(f{i}, source{s}, path{s}, node{s}, results{s})
    else:
        field_path{s} = new_path(Path, (path{s}, {field.key!r}, {field.parent.name!r}))
        try:
{_late(" " * 12, check)}            result{s} = link{i}(kg, node{s})
{_COUNTED[field.counted].format(s=s)}{self._completion(i, s, field, "None")}\
        except SyncFailure:
            raise
        except Exception as error:  # every error is a field error
            ex.handle_field_error(error, f{i}.type, f{i}.details, field_path{s})
            results{s}[{field.key!r}] = None
"""

    def _attribute(self, i: int, s: int, field: FieldPlan, check: bool) -> str:
        """An attribute of the object that is not a leaf, or such a field read from its
        node."""
        if field.how == NODE_ATTRIBUTE:  # read by the view's own function: never awaitable
            value = f"read{i}(node{s}) if node{s} is not None else source{s}.{field.attribute}"
            awaitable = ""
        else:
            value = f"source{s}.{field.attribute}"
            awaitable = (f"            if not isinstance(result{s}, NodeView) \\\n"
                         f"                    and ex.is_awaitable(result{s}):\n"
                         f"                close_awaitable(result{s})\n"
                         "                raise SyncFailure\n")
        info = (f"ex.build_resolve_info(f{i}.definition, f{i}.nodes, f{i}.parent, "
                f"field_path{s})" if field.needs_info else "None")
        return f"""\
    if True:
        field_path{s} = new_path(Path, (path{s}, {field.key!r}, {field.parent.name!r}))
        try:
{_late(" " * 12, check)}            result{s} = {value}
{_COUNTED[field.counted].format(s=s)}{awaitable}            info{s} = {info}
{self._completion(i, s, field, f"info{s}")}        except SyncFailure:
            raise
        except Exception as error:  # every error is a field error
            ex.handle_field_error(error, f{i}.type, f{i}.details, field_path{s})
            results{s}[{field.key!r}] = None
"""


def _reads_node(field: FieldPlan) -> bool:
    """Whether a planned field, written inline on a node's view, reads nothing but the
    node's attributes (and the graph): not the view itself."""
    if field.attribute is not None and field.attribute.isidentifier() \
            and field.how in (NODE_LEAF, NODE_ATTRIBUTE):
        return True
    return field.how == NODE_LINK and not field.needs_info


def compile_selection(fields: list[FieldPlan], ex: Any) -> Run:
    """Return ``run(ex, source, path, node)``: the selection run on one object, its
    response map returned, as ``run_field`` would run each field in turn; the
    selections of the objects it completes written inline, planned now by ``ex``."""
    compiler = _Compiler(ex)
    body = compiler.selection(fields, 0)
    source = ("def run(ex, source0, path0, node0):\n"
              "    results0 = {}\n"
              "    budget, deadline, clock, kg = ex.budget, ex.deadline, ex.clock, ex.kg\n"
              + body + "    return results0\n")
    names = compiler.names
    exec(compile(source, f"<plan of {len(fields)} fields>", "exec"), names)  # noqa: S102
    return names.pop("run")  # kept in its own globals, it was a cycle for the collector
