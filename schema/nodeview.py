"""GraphQL objects that are views of a graph node: each field read from the node's
attributes when it is asked for, nothing copied before.

An Article, Topic or Provider is made from a node id by ``from_node`` in one step: it
keeps the node's attribute mapping (``kg[node_id]``) and its id. A field is read when
the executor asks for it, by the type's ``__node_fields__`` (field name -> function of
the attributes, installed as the class's attribute by :func:`define_view`); a field
that is another node (an article's provider, its topics) by its ``__node_links__``
(name -> function of the graph and the attributes, which makes the other node's view),
which its resolver calls. graphql-core's standard executor reads them through
``getattr`` and the resolvers; the planned executor (schema/plan.py) calls the same
functions directly, without the attribute lookup or the resolver call around them, so
the two read the same values by construction. A link to other nodes declared as a
:class:`ViewLink` (their ids, read from the attributes) lets the plan read those nodes'
attributes without making their views when nothing else is asked of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import graph

__all__ = ["NodeView", "Reader", "Link", "ViewLink", "define_view", "node_attributes",
           "node_data", "resolve_by_class"]

Reader = Callable[[Mapping[str, Any]], Any]
Link = Callable[[graph.KnowledgeGraph, Mapping[str, Any]], Any]
V = TypeVar("V", bound="NodeView")


class NodeView:
    """A mixin for Strawberry types whose objects are views of one graph node (never
    awaitable: the planned executor does not ask)."""

    __node_fields__: ClassVar[dict[str, Reader]] = {}
    __node_links__: ClassVar[dict[str, Link]] = {}

    @classmethod
    def from_node(cls: type[V], kg: graph.KnowledgeGraph, node_id: str) -> V:
        """Return the view of a node known to be in the graph."""
        try:  # (kg[node_id] says which node is missing; read directly, one call less)
            data = kg.nx._node[node_id]  # (not .nodes: one Python call less)
        except KeyError:
            data = kg[node_id]
        view = object.__new__(cls)  # as viewing() makes it, without the call
        attributes = view.__dict__
        attributes["id"] = node_id
        attributes["_node"] = data
        return view

    @classmethod
    def viewing(cls: type[V], node_id: str, data: Mapping[str, Any]) -> V:
        """Return the view of the node ``node_id`` whose attributes are ``data``."""
        view = object.__new__(cls)
        attributes = view.__dict__
        attributes["id"] = node_id
        attributes["_node"] = data
        return view


def node_attributes(kg: graph.KnowledgeGraph, node_id: str) -> Mapping[str, Any]:
    """Return the attributes of a node known to be in the graph, read as ``from_node``
    reads them (keep the two alike)."""
    try:
        return kg.nx._node[node_id]
    except KeyError:
        return kg[node_id]


_FROM_NODE = NodeView.__dict__["from_node"].__func__


class ViewLink:
    """A field that is another node's view (``many``: a list of them), by the ids
    ``ids`` reads from the node's attributes, each view made by ``target.from_node``;
    called as a :data:`Link`. The planned executor (schema/runner.py) reads the linked
    nodes' attributes without making their views when ``target.from_node`` is
    NodeView's own and the selection reads nothing but those attributes."""

    __slots__ = ("target", "ids", "many")

    def __init__(self, target: type[NodeView], ids: Callable[[Mapping[str, Any]], Any],
                 many: bool = False):
        self.target, self.ids, self.many = target, ids, many

    def __call__(self, kg: graph.KnowledgeGraph, d: Mapping[str, Any]) -> Any:
        make = self.target.from_node
        if self.many:
            return [make(kg, node_id) for node_id in self.ids(d)]
        return make(kg, self.ids(d))

    def made_by_node_view(self) -> bool:
        """Whether the target's views are made by NodeView's ``from_node`` (not
        replaced, as a test or a subclass may)."""
        return getattr(self.target.from_node, "__func__", None) is _FROM_NODE


class _Field:
    """A field of a view, read from the node's attributes each time it is asked for.
    (A value set on the object itself, as the dataclass constructor sets it, wins.)"""

    __slots__ = ("name", "read")

    def __init__(self, name: str, read: Reader):
        self.name, self.read = name, read

    def __get__(self, view: Any, owner: type | None = None) -> Any:
        if view is None:
            return self
        node = view.__dict__.get("_node")
        if node is None:
            raise AttributeError(f"{type(view).__name__!r} object has no attribute "
                                 f"{self.name!r}")
        return self.read(node)


def define_view(cls: type[NodeView], fields: dict[str, Reader],
                links: dict[str, Link] | None = None) -> None:
    """Say how each field of a view type is read (by its Python name), and which
    fields are other nodes' views; done once the Strawberry type is made."""
    cls.__node_fields__ = dict(fields)
    cls.__node_links__ = dict(links or {})
    for name, read in fields.items():
        setattr(cls, name, _Field(name, read))


def resolve_by_class(cls: type, obj: Any, info: Any, abstract_type: Any) -> str:
    """Name the runtime type of an interface's object: its own class's (an interface's
    ``resolve_type``; the planned executor, knowing this, calls no resolver for it)."""
    return obj.__strawberry_definition__.name


def node_data(view: Any) -> Mapping[str, Any] | None:
    """Return the attributes of the node an object views (None: not a node view)."""
    found = getattr(view, "__dict__", None)
    return found.get("_node") if found is not None else None
