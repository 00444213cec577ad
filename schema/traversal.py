"""Traversal results in GraphQL: within, neighborhood and paths, with their resolvers."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

import graph
from graph import explore
from graph.budget import Budget
from graph.build import ARTICLE
from graph.export import as_json
from graph.paths import story_links
from schema.connections import Connection, Edge, page_info
from schema.cost import charge_export
from schema.inputs import (
    ArticleFilter,
    EdgeKind,
    GraphLayout,
    NodeKind,
    selection_of,
    via_of,
)
from schema.nodes import (
    GraphEdge,
    Node,
    node_of,
)
from schema.pagination import ListKey, Page, paginate
from schema.settings import CEILINGS

if TYPE_CHECKING:
    from schema.explore import StoryLink

MAX_EXCLUDE = CEILINGS["max_exclude"]


@strawberry.enum(description="JSON shapes a subgraph can be exported in.")
class ExportFormat(Enum):
    _value_: str  # for mypy: the members' values are strings
    CYTOSCAPE = strawberry.enum_value("cytoscape", description=(
        "Cytoscape.js elements, as cytoscape({elements}) takes them: {nodes: [{data: {id, "
        "label, kind, ...}, position?}], edges: [{data: {id, source, target, kind, "
        "evidence}}]}."))
    GRAPHOLOGY = strawberry.enum_value("graphology", description=(
        "graphology's serialization, as sigma.js loads it: {attributes, options: {type, "
        "multi, allowSelfLoops}, nodes: [{key, attributes}], edges: [{key, source, target, "
        "attributes}]}."))
    NODE_LINK = strawberry.enum_value("node-link", description=(
        "networkx node-link data: {directed, multigraph, graph, nodes: [{id, ...}], "
        "links: [{source, target, key, ...}]}, as d3-force's forceLink and "
        "networkx.node_link_graph(data, edges=\"links\") read it."))


@strawberry.type(description="A node found by `within`, with its distance and why it is there.")
class WithinEdge(Edge[Node]):
    hops: int = strawberry.field(description="Shortest-path length from the start.")
    # The cursor and the path are made only when a query asks for them (see `at`).
    _kg: strawberry.Private[graph.KnowledgeGraph]
    _path_of: strawberry.Private[Callable[[str], list[str]]]
    _found: strawberry.Private[str]
    _via: strawberry.Private[list[str] | None]
    _page: strawberry.Private[Page[tuple[str, int]]]
    _offset: strawberry.Private[int]

    @classmethod
    def at(cls, kg: graph.KnowledgeGraph, page: Page[tuple[str, int]], offset: int,
           found: str, hops: int, path_of: Callable[[str], list[str]],
           via: list[str] | None) -> WithinEdge:
        """Return the edge of the node ``found`` at ``offset`` of a page of `within`."""
        edge = object.__new__(cls)
        attributes = edge.__dict__  # (set one by one: twice as fast as update(**kwargs))
        attributes["hops"] = hops
        attributes["node"] = node_of(kg, found)
        attributes["_kg"] = kg
        attributes["_path_of"] = path_of
        attributes["_found"] = found
        attributes["_via"] = via
        attributes["_page"] = page
        attributes["_offset"] = offset
        return edge

    @strawberry.field(description=(
        "A shortest path from the start to this node, both included: the reason it is here."))
    def path(self) -> list[Node]:
        return [node_of(self._kg, p) for p in self._path_of(self._found)]

    @strawberry.field(description=(
        "The edges along `path`, each in its stored direction, so a client can say "
        "'related to', 'tagged', 'published by'."))
    def path_edges(self) -> list[GraphEdge]:
        path = self._path_of(self._found)
        return [GraphEdge.from_edge(e) for e in self._kg.path_edges(path, self._via)]


class _Cursor:
    """A `within` edge's cursor, encoded when it is read."""

    def __get__(self, edge: Any, owner: type | None = None) -> Any:
        if edge is None:
            return self
        return edge._page.cursor(edge._offset)


WithinEdge.cursor = _Cursor()  # type: ignore[assignment]


@strawberry.type(description="A page of nodes within some hops of a start.")
class WithinConnection(Connection[Node]):
    edges: list[WithinEdge] = strawberry.field(  # type: ignore[assignment]
        description="The nodes of this page.")


@strawberry.type(description=(
    "A node as one subgraph draws it: the node itself under `node`, and what belongs to "
    "this drawing only (its distance, size, position). It has no id of its own: a drawing "
    "is a value of the query that made it, so clients keep it with that query's answer "
    "and never merge the drawings of two queries."))
class GraphNode:
    kind: NodeKind = strawberry.field(description="Article, provider or topic.")
    label: str = strawberry.field(description="Text to draw: title, name.")
    hops: int = strawberry.field(description="Distance from the nearest seed.")
    degree: int = strawberry.field(description=(
        "Edges at this node in the whole graph (stored kinds, either direction): how much "
        "there is to expand."))
    size: float = strawberry.field(description=(
        "A radius to draw it with: 4, growing with the log of the degree."))
    x: float | None = strawberry.field(description=(
        "Horizontal position from `layout`, within -1000 to 1000; null without a layout."))
    y: float | None = strawberry.field(description=(
        "Vertical position from `layout`, within -1000 to 1000; null without a layout."))
    node: Node = strawberry.field(description=(
        "The node drawn (an Article, Topic or Provider), under its global id."))


@strawberry.type(description="Nodes and the edges among them.")
class Subgraph:
    nodes: list[GraphNode] = strawberry.field(description="Nodes, seeds first, then by hops.")
    edges: list[GraphEdge] = strawberry.field(description=(
        "Edges whose two ends are both here, or, when expanding, one here and the other in "
        "`exclude` or on an earlier page: each edge arrives once, with its later end."))
    truncated: bool = strawberry.field(description="True when `limit` cut the walk short.")
    cursor: str | None = strawberry.field(description=(
        "Pass as `after` (with the same from, hops, via, kinds and where) for the next page "
        "of this walk; null when nothing is left."))
    _kg: strawberry.Private[graph.KnowledgeGraph]
    _sub: strawberry.Private[graph.Subgraph]

    @strawberry.field(description=(
        "This subgraph as JSON, in the exact shape a graph library loads; nodes carry kind, "
        "label, degree, size, hops (and x, y with a layout), edges their kind and evidence."))
    def export(self, info: Info, format: Annotated[ExportFormat, strawberry.argument(
            description="Which library's shape.")]) -> JSON:
        data = as_json(self._kg, self._sub, format.value)
        # Its nodes and edges are objects of the response; its size is reported too.
        size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        charge_export(info, len(self._sub.nodes), len(self._sub.edges), size)
        return JSON(data)


@strawberry.type(description="A path through the graph: nodes from start to end, and the edges.")
class Path:
    length: int = strawberry.field(description="Number of edges.")
    nodes: list[Node] = strawberry.field(description="Nodes from the start to the end.")
    edges: list[GraphEdge] = strawberry.field(description=(
        "Edges in path order, stored direction, with their evidence."))
    links: list[Annotated[StoryLink, strawberry.lazy("schema.explore")]] = strawberry.field(
        description=("Why each pair of consecutive stories along the path is linked: a related "
                     "listing, a shared topic or provider, or copies of one story."))


def resolve_within(kg: graph.KnowledgeGraph, start: str, hops: int,
                   via: list[EdgeKind] | None, where: ArticleFilter | None,
                   kinds: list[NodeKind] | None, first: int | None,
                   after: str | None, last: int | None = None,
                   before: str | None = None, budget: Budget | None = None) -> WithinConnection:
    selection = selection_of(where)
    wanted = [k.value for k in kinds] if kinds is not None else [ARTICLE]
    mentions = selection.mentions if selection is not None else None
    walked = via_of(via)
    found, path_of = kg.within_lazy_paths(start, hops, walked, mentions, wanted, selection,
                                          budget)
    key = ListKey("within", start, hops, walked, where, wanted)
    page = paginate(found, key, first, after, last, before)
    edges = [WithinEdge.at(kg, page, i, node, depth, path_of, walked)
             for i, (node, depth) in page.items]
    return WithinConnection(edges=edges, page_info=page_info(page), total_count=page.total)


def resolve_neighborhood(kg: graph.KnowledgeGraph, seeds: list[str], hops: int,
                         via: list[EdgeKind] | None, limit: int,
                         kinds: list[NodeKind] | None = None, where: ArticleFilter | None = None,
                         exclude: list[strawberry.ID] | None = None, after: str | None = None,
                         layout: GraphLayout | None = None,
                         budget: Budget | None = None) -> Subgraph:
    if exclude is not None and len(exclude) > MAX_EXCLUDE:
        raise graph.InvalidArgument(
            f"exclude holds {len(exclude)} ids; at most {MAX_EXCLUDE} are allowed")
    sub = explore.expand(kg, seeds, hops, via_of(via),
                         [k.value for k in kinds] if kinds is not None else None,
                         selection_of(where), [str(x) for x in exclude or ()], limit, after,
                         layout.value if layout is not None else None, budget)
    positions = sub.positions or {}
    nodes = []
    for n, d in sub.nodes.items():
        label, degree, size = explore.looks(kg, n)
        x, y = positions.get(n, (None, None))
        nodes.append(GraphNode(kind=NodeKind(kg.nx.nodes[n]["kind"]), label=label, hops=d,
                               degree=degree, size=size, x=x, y=y, node=node_of(kg, n)))
    return Subgraph(nodes=nodes, edges=[GraphEdge.from_edge(e) for e in sub.edges],
                    truncated=sub.truncated, cursor=sub.cursor, _kg=kg, _sub=sub)


def resolve_path(kg: graph.KnowledgeGraph, start: str, target: str,
                 via: list[EdgeKind] | None, max_hops: int,
                 budget: Budget | None = None) -> Path | None:
    try:
        path = kg.shortest_path(start, target, via_of(via), max_hops, budget)
    except graph.NodeNotFound:
        if kg.resolve(target, missing_ok=True) is None:
            return None  # no path to a node the graph does not hold
        raise
    if path is None:
        return None
    from schema.explore import story_links_of

    edges = kg.path_edges(path, via_of(via))
    return Path(length=len(path) - 1, nodes=[node_of(kg, n) for n in path],
                edges=[GraphEdge.from_edge(e) for e in edges],
                links=story_links_of(kg, story_links(kg, path, edges)))


__all__ = ["WithinConnection", "WithinEdge", "Subgraph", "GraphNode", "Path",
           "ExportFormat", "resolve_within", "resolve_neighborhood", "resolve_path"]
