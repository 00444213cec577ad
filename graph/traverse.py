"""Traversal over the knowledge graph: within, neighborhood, shortest_path.

Hops are shortest-path lengths in the undirected view over the chosen edge
kinds, and every node — article, provider or topic — counts as a hop.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from graph.build import ARTICLE, EDGE_KINDS, PROVIDER, RELATED, TOPIC
from graph.errors import InvalidArgument
from graph.index import WALK_ORDER
from graph.normalize import phrase_tokens

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["within", "within_paths", "within_lazy_paths", "neighborhood", "shortest_path",
           "Subgraph", "Edge",
           "check_via", "check_kinds", "edge_id", "edge_evidence"]

NODE_KINDS = (ARTICLE, PROVIDER, TOPIC)


def check_via(via: Iterable[str] | None) -> tuple[str, ...]:
    """Return edge kinds in walk order, checking each; ``None`` means all three."""
    if via is None:
        return WALK_ORDER
    kinds = set()
    for kind in via:
        name = str(kind).upper()
        if name not in EDGE_KINDS:
            raise InvalidArgument(
                f"unknown edge kind {kind!r}: expected any of {', '.join(EDGE_KINDS)}"
            )
        kinds.add(name)
    if not kinds:
        raise InvalidArgument(f"via is empty: give at least one of {', '.join(EDGE_KINDS)}")
    return tuple(k for k in WALK_ORDER if k in kinds)


def check_kinds(kinds: Iterable[str] | None) -> frozenset[str]:
    """Return node kinds, checking each; ``None`` means all three."""
    if kinds is None:
        return frozenset(NODE_KINDS)
    if isinstance(kinds, str):
        kinds = (kinds,)
    out = frozenset(str(k).lower() for k in kinds)
    bad = out - set(NODE_KINDS)
    if bad:
        raise InvalidArgument(
            f"unknown node kind {sorted(bad)[0]!r}: expected any of {', '.join(NODE_KINDS)}"
        )
    return out


def check_hops(hops: int, *, low: int = 1, high: int | None = None, name: str = "hops") -> int:
    """Return ``hops`` when it is an int within ``[low, high]``, else raise InvalidArgument."""
    if isinstance(hops, bool) or not isinstance(hops, int):
        raise InvalidArgument(f"{name} must be an integer, got {hops!r}")
    if hops < low or (high is not None and hops > high):
        allowed = f"{low} to {high}" if high is not None else f"at least {low}"
        raise InvalidArgument(f"{name} must be {allowed}, got {hops!r}")
    return hops


def _bfs(kg: KnowledgeGraph, starts: Iterable[int], hops: int, via: tuple[str, ...],
         skip: Collection[int] = ()) -> Iterator[tuple[int, int, int]]:
    """Yield ``(node, hops, parent)`` level by level; a start's parent is -1."""
    index = kg.index
    seen = {s: -1 for s in starts}
    for s in seen:
        yield s, 0, -1
    frontier = list(seen)
    for depth in range(1, hops + 1):
        nxt = []
        for u in frontier:
            for v in index.neighbours(u, via):
                if v not in seen and v not in skip:
                    seen[v] = u
                    nxt.append(v)
                    yield v, depth, u
        if not nxt:
            return
        frontier = nxt


def within_paths(
    kg: KnowledgeGraph, start: str, hops: int = 2, via: Iterable[str] | None = None,
    mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
) -> list[tuple[str, int, list[str]]]:
    """Return ``(node_id, hops, path)`` for each node within ``hops`` of ``start``.

    ``path`` lists the node ids from ``start`` to the node, a shortest path that
    explains why it is there. Ordering and filters are those of :func:`within`.
    """
    index = kg.index
    found, parent_of = _within(kg, start, hops, via, mentions, kinds)
    out = []
    for node, depth in found:
        path = [node]
        while (up := parent_of(path[-1])) != -1:
            path.append(up)
        out.append((index.ids[node], depth, [index.ids[p] for p in reversed(path)]))
    return out


def within_lazy_paths(
    kg: KnowledgeGraph, start: str, hops: int = 2, via: Iterable[str] | None = None,
    mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
) -> tuple[list[tuple[str, int]], Callable[[str], list[str]]]:
    """Return :func:`within`'s ``(node_id, hops)`` list and a function giving the path
    :func:`within_paths` would give a found node: for a page of a long result, only
    the paths shown are built."""
    index = kg.index
    found, parent_of = _within(kg, start, hops, via, mentions, kinds)

    def path_of(node_id: str) -> list[str]:
        path = [index.pos[node_id]]
        while (up := parent_of(path[-1])) != -1:
            path.append(up)
        return [index.ids[p] for p in reversed(path)]

    ids = index.ids
    return [(ids[node], depth) for node, depth in found], path_of


def _within(
    kg: KnowledgeGraph, start: str, hops: int, via: Iterable[str] | None,
    mentions: str | None, kinds: Iterable[str] | None,
) -> tuple[list[tuple[int, int]], Callable[[int], int]]:
    """Return the ordered ``(node, hops)`` of :func:`within` as node indexes, and a
    function giving each reached node's BFS parent (-1 for the start)."""
    check_hops(hops)
    walk = check_via(via)
    wanted = check_kinds(kinds)
    index = kg.index
    origin = kg.index.pos[kg.resolve(start)]
    phrase = phrase_tokens(mentions) if mentions is not None else None
    if getattr(index.neighbours, "metered", False) and not getattr(index.visited, "metered",
                                                                    False):
        # A request meter counts neighbour lists one by one: walk node by node for it.
        return _within_by_node(kg, origin, hops, walk, phrase, wanted)
    keep = index.keep_mask(wanted, phrase)
    nodes, depths, parents = index.reach(origin, hops, walk, keep)
    order = np.lexsort((index.rank[nodes], depths))
    found = list(zip(nodes[order].tolist(), depths[order].tolist(), strict=True))
    parents[origin] = -1
    return found, lambda i: int(parents[i])


def _within_by_node(
    kg: KnowledgeGraph, origin: int, hops: int, walk: tuple[str, ...],
    phrase: tuple[str, ...] | None, wanted: frozenset[str],
) -> tuple[list[tuple[int, int]], Callable[[int], int]]:
    index = kg.index
    matches = index.mentioning(phrase) if phrase is not None else None
    parents: dict[int, int] = {}
    found: list[tuple[int, int]] = []
    for node, depth, parent in _bfs(kg, (origin,), hops, walk):
        parents[node] = parent
        if depth == 0 or index.kind[node] not in wanted:
            continue
        if matches is not None and node not in matches:
            continue
        found.append((node, depth))
    found.sort(key=lambda nd: (nd[1], *index.order_key(nd[0])))
    return found, parents.__getitem__


def within(
    kg: KnowledgeGraph, start: str, hops: int = 2, via: Iterable[str] | None = None,
    mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
) -> list[tuple[str, int]]:
    """Return ``(node_id, hops)`` for each node within ``hops`` of ``start``.

    Parameters
    ----------
    kg : KnowledgeGraph
    start : str
        A node id (``article:<url>``, ``topic:<slug>``, ``provider:<domain>``) or an
        article URL, raw or canonical.
    hops : int
        The largest shortest-path length kept, at least 1.
    via : iterable of str, optional
        Edge kinds walked (``RELATED``, ``PUBLISHED_BY``, ``TAGGED``); all by default.
        Edges are walked in either direction.
    mentions : str, optional
        Keep only articles whose title, excerpt, body or a topic name holds this
        phrase: its lowercase letter-and-digit tokens, consecutively.
    kinds : iterable of str, optional
        Node kinds kept; articles by default, ``None`` for all.

    Returns
    -------
    list of (str, int)
        Ordered by hops, then newest first, then by id. ``start`` is never in it.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph import KnowledgeGraph
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("article:https://a.com/1", kind="article", url="https://a.com/1",
    ...            title="Facial recognition bans")
    >>> g.add_node("topic:privacy", kind="topic", slug="privacy", name="Privacy")
    >>> g.add_node("article:https://b.com/2", kind="article", url="https://b.com/2",
    ...            title="Face recognition, again")
    >>> _ = g.add_edge("article:https://a.com/1", "topic:privacy", key="TAGGED", kind="TAGGED")
    >>> _ = g.add_edge("article:https://b.com/2", "topic:privacy", key="TAGGED", kind="TAGGED")
    >>> kg = KnowledgeGraph(g)
    >>> within(kg, "https://b.com/2", hops=2)
    [('article:https://a.com/1', 2)]
    >>> within(kg, "https://a.com/1", hops=2, mentions="facial recognition")
    []
    """
    found, _ = _within(kg, start, hops, via, mentions, kinds)
    ids = kg.index.ids
    return [(ids[node], depth) for node, depth in found]


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed edge of the graph: its stable id, ends, kind and evidence.

    ``evidence`` names the records (``path:line``) the edge rests on: for ``RELATED``
    the records that listed it; for ``TAGGED`` and ``PUBLISHED_BY`` the record the
    article's fields came from. It takes no part in equality.
    """

    source: str
    target: str
    kind: str
    evidence: tuple[str, ...] = field(default=(), compare=False)

    @property
    def id(self) -> str:
        return edge_id(self.source, self.target, self.kind)


def edge_evidence(kg: KnowledgeGraph, source: str, target: str, kind: str) -> tuple[str, ...]:
    """Return the records (``path:line``) a stored edge rests on; see :class:`Edge`."""
    if kind == RELATED:
        return tuple(kg.nx.edges[source, target, kind].get("evidence") or ())
    sources = kg.nx.nodes[source].get("sources") or ()
    # The record whose fields the article holds is the last of its sources.
    return (sources[-1],) if sources else ()


def edge_id(source: str, target: str, kind: str) -> str:
    """Return the stable id of an edge: ``KIND:source->target``."""
    return f"{kind}:{source}->{target}"


@dataclass(slots=True)
class Subgraph:
    """Nodes with their hop distance from the seeds, the edges among them, and whether
    a limit cut the walk short.

    ``cursor`` continues a cut walk (see :func:`graph.explore.expand`); ``positions``
    holds layout coordinates when one was asked for.
    """

    nodes: dict[str, int] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False
    cursor: str | None = None
    positions: dict[str, tuple[float, float]] | None = None


def neighborhood(
    kg: KnowledgeGraph, start: str | Iterable[str], hops: int = 1,
    via: Iterable[str] | None = None, limit: int | None = None,
    exclude: Iterable[str] = (),
) -> Subgraph:
    """Return the subgraph within ``hops`` of one or more seeds: nodes, edges, truncation.

    Nodes are taken in BFS order (seeds first, then by hops) until ``limit``;
    edges are those of the ``via`` kinds whose two ends were both taken.
    ``exclude`` names nodes that are neither returned nor walked through.
    """
    check_hops(hops, low=0)
    walk = check_via(via)
    if limit is not None:
        check_hops(limit, low=1, name="limit")
    seeds = [start] if isinstance(start, str) else list(start)
    index = kg.index
    origins = [index.pos[kg.resolve(s)] for s in seeds]
    skip = {index.pos[n] for n in (kg.resolve(x, missing_ok=True) for x in exclude) if n}
    skip.difference_update(origins)
    sub = Subgraph()
    taken: list[int] = []
    for node, depth, _ in _bfs(kg, origins, hops, walk, skip):
        if limit is not None and len(taken) >= limit:
            sub.truncated = True
            break
        taken.append(node)
        sub.nodes[index.ids[node]] = depth
    sub.edges = subgraph_edges(kg, sub.nodes, walk)
    return sub


def subgraph_edges(kg: KnowledgeGraph, nodes: Collection[str],
                   via: tuple[str, ...] = EDGE_KINDS) -> list[Edge]:
    """Return the edges of the ``via`` kinds whose two ends are both in ``nodes``."""
    kinds = set(via)
    return [
        Edge(u, v, kind, edge_evidence(kg, u, v, kind))
        for u in nodes
        for _, v, kind in kg.nx.out_edges(u, keys=True)
        if kind in kinds and v in nodes
    ]


def shortest_path(
    kg: KnowledgeGraph, a: str, b: str, via: Iterable[str] | None = None,
    max_hops: int | None = None,
) -> list[str] | None:
    """Return a shortest path of node ids from ``a`` to ``b`` in the undirected view,
    or None when there is none within ``max_hops``."""
    walk = check_via(via)
    if max_hops is not None:
        check_hops(max_hops, low=0, name="maxHops")
    index = kg.index
    source, target = index.pos[kg.resolve(a)], index.pos[kg.resolve(b)]
    limit = max_hops if max_hops is not None else len(index.ids)
    parents: dict[int, int] = {}
    for node, _, parent in _bfs(kg, (source,), limit, walk):
        parents[node] = parent
        if node == target:
            path = [node]
            while parents[path[-1]] != -1:
                path.append(parents[path[-1]])
            return [index.ids[p] for p in reversed(path)]
    return None


def path_edges(kg: KnowledgeGraph, path: list[str], via: Iterable[str] | None = None) -> list[Edge]:
    """Return the edge joining each consecutive pair of a path, in its stored direction."""
    kinds = check_via(via)
    out = []
    for u, v in zip(path, path[1:], strict=False):
        for a, b in ((u, v), (v, u)):
            kind = next((k for k in kinds if kg.nx.has_edge(a, b, key=k)), None)
            if kind:
                out.append(Edge(a, b, kind, edge_evidence(kg, a, b, kind)))
                break
    return out
