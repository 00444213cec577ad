"""Traversal over the knowledge graph: within (and its paths), shortest_path, and the
edges a traversal returns.

Hops are shortest-path lengths in the undirected view over the chosen edge kinds,
and every node — article, provider or topic — counts as a hop. Every walk here is
one call of :func:`graph.walk.levels` and takes a :class:`~graph.budget.Budget`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, overload

import numpy as np

from graph.analytics import SAME_STORY
from graph.budget import Budget
from graph.build import ARTICLE, PUBLISHED_BY, RELATED, TAGGED
from graph.normalize import mentions_tokens
from graph.select import Selection, check_selection
from graph.walk import Rule, adjacency, check_hops, check_kinds, check_via, reach, shortest

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["within", "within_paths", "within_lazy_paths", "Found", "shortest_path", "Subgraph",
           "Edge", "EdgeRows", "ROW_KINDS",
           "edge", "edge_id", "edge_evidence", "check_via", "check_kinds", "check_hops"]


def within_paths(
    kg: KnowledgeGraph, start: str, hops: int = 2, via: Iterable[str] | None = None,
    mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
    where: Selection | None = None, budget: Budget | None = None,
) -> list[tuple[str, int, list[str]]]:
    """Return ``(node_id, hops, path)`` for each node within ``hops`` of ``start``.

    ``path`` lists the node ids from ``start`` to the node, a shortest path that
    explains why it is there. Ordering and filters are those of :func:`within`.
    """
    index = kg.index
    nodes, depths, parent_of = _within(kg, start, hops, via, mentions, kinds, where, budget)
    out = []
    for node, depth in zip(nodes.tolist(), depths.tolist(), strict=True):
        path = [node]
        while (up := parent_of(path[-1])) != -1:
            path.append(up)
        out.append((index.ids[node], depth, [index.ids[p] for p in reversed(path)]))
    return out


def within_lazy_paths(
    kg: KnowledgeGraph, start: str, hops: int = 2, via: Iterable[str] | None = None,
    mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
    where: Selection | None = None, budget: Budget | None = None,
) -> tuple[Found, Callable[[str], list[str]]]:
    """Return :func:`within`'s ``(node_id, hops)`` answer as a :class:`Found` and a
    function giving the path :func:`within_paths` would give a found node: for a page
    of a long result, only the pairs and paths shown are built."""
    index = kg.index
    nodes, depths, parent_of = _within(kg, start, hops, via, mentions, kinds, where, budget)

    def path_of(node_id: str) -> list[str]:
        path = [index.pos[node_id]]
        while (up := parent_of(path[-1])) != -1:
            path.append(up)
        return [index.ids[p] for p in reversed(path)]

    return Found(index.ids, nodes, depths), path_of


def _within(
    kg: KnowledgeGraph, start: str, hops: int, via: Iterable[str] | None,
    mentions: str | None, kinds: Iterable[str] | None, where: Selection | None,
    budget: Budget | None,
) -> tuple[np.ndarray, np.ndarray, Callable[[int], int]]:
    """Return the ordered nodes of :func:`within` (node indexes) and their hops, and a
    function giving each reached node's BFS parent (-1 for the start)."""
    check_hops(hops)
    walk = check_via(via)
    wanted = check_kinds(kinds)
    check_selection(where, "where")
    index = kg.index
    origin = index.pos[str(kg.resolve(start))]
    phrase = mentions_tokens(mentions) if mentions is not None else None
    mask = index.keep_mask(wanted, phrase, budget=budget)
    keep: Rule = mask
    if where is not None and not where.empty and where != Selection(mentions=where.mentions):
        keep = _and(mask, where.predicate(kg, budget), index.ids)
    kept_rows = None
    if keep is mask and phrase is not None:  # a phrase keeps few: their rows are small
        adjacency(kg, walk)  # derived rows (SAME_STORY) exist before the index combines them
        kept_rows = index.kept_rows(walk, wanted, phrase, budget=budget)
    # Each level comes sorted by rank (newest first, then id): the answer's order.
    nodes, depths, parents = reach(kg, [origin], hops, walk, keep=keep, ordered=False,
                                   budget=budget, kept_rows=kept_rows, by=index.rank)
    return nodes[1:], depths[1:], parents.__getitem__  # the start is never in it


def _pairs(ids: list[str], nodes: np.ndarray, depths: np.ndarray) -> list[tuple[str, int]]:
    """Return ``(ids[node], depth)`` for each node: one C-level gather of the ids, not a
    Python loop (a long answer's cost was this list)."""
    keys = nodes.tolist()
    if len(keys) < 2:
        return [(ids[k], d) for k, d in zip(keys, depths.tolist(), strict=True)]
    return list(zip(itemgetter(*keys)(ids), depths.tolist(), strict=True))


class Found(Sequence[tuple[str, int]]):
    """The ordered ``(node_id, hops)`` answer of :func:`within`, held as node positions
    and hops; the pairs are made only for what is read (its length costs nothing, a
    slice only its items). Equal to the list :func:`within` returns, and to any
    sequence of the same pairs."""

    __slots__ = ("_ids", "nodes", "hops")

    def __init__(self, ids: list[str], nodes: np.ndarray, hops: np.ndarray) -> None:
        self._ids = ids
        self.nodes = nodes
        self.hops = hops

    def __len__(self) -> int:
        return len(self.nodes)

    @overload
    def __getitem__(self, i: int) -> tuple[str, int]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, int]]: ...
    def __getitem__(self, i: int | slice) -> tuple[str, int] | list[tuple[str, int]]:
        if isinstance(i, slice):
            return _pairs(self._ids, self.nodes[i], self.hops[i])
        return self._ids[int(self.nodes[i])], int(self.hops[i])

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self[:])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Found):
            return (self._ids is other._ids and np.array_equal(self.nodes, other.nodes)
                    and np.array_equal(self.hops, other.hops)) or self[:] == other[:]
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(other) == len(self) and self[:] == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"Found({self[:]!r})"


def _and(mask: np.ndarray, test: Callable[[str], bool], ids: list[str]) -> Rule:
    """Return the rule: in ``mask``, and ``test`` holds of the node's id."""
    def rule(nodes: np.ndarray) -> np.ndarray:
        out = mask[nodes].copy()
        for j in np.flatnonzero(out).tolist():
            out[j] = test(ids[nodes[j]])
        return out
    return rule


def within(
    kg: KnowledgeGraph, start: str, hops: int = 2, via: Iterable[str] | None = None,
    mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
    where: Selection | None = None, budget: Budget | None = None,
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
        Edge kinds walked, in either direction: ``RELATED``, ``PUBLISHED_BY`` and
        ``TAGGED`` by default; ``SAME_STORY`` (syndicated copies) when named.
    mentions : str, optional
        Keep only articles whose title, excerpt, body or a topic name holds this
        phrase: its lowercase letter-and-digit tokens, consecutively.
    kinds : iterable of str, optional
        Node kinds kept; articles by default, ``None`` for all.
    where : Selection, optional
        Further conditions on what is kept (articles only); every node is still
        walked through.
    budget : Budget, optional
        What the walk may spend; unlimited by default.

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
    nodes, depths, _ = _within(kg, start, hops, via, mentions, kinds, where, budget)
    return _pairs(kg.index.ids, nodes, depths)


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed edge of the graph: its stable id, ends, kind and evidence.

    ``evidence`` names the records (``path:line``) the edge rests on: for ``RELATED``
    the records that listed it; for ``TAGGED`` and ``PUBLISHED_BY`` the record the
    article's fields came from; for ``SAME_STORY`` (smaller id first) the records
    that carry the two copies. It takes no part in equality.
    """

    source: str
    target: str
    kind: str
    evidence: tuple[str, ...] = field(default=(), compare=False)
    # SAME_STORY pairs are undirected: stored smaller id first, carried by both copies.

    @property
    def id(self) -> str:
        return edge_id(self.source, self.target, self.kind)


def edge(kg: KnowledgeGraph, source: str, target: str, kind: str) -> Edge:
    """Return the edge ``source → target`` of ``kind`` with its evidence."""
    return Edge(source, target, kind, edge_evidence(kg, source, target, kind))


def edge_evidence(kg: KnowledgeGraph, source: str, target: str, kind: str) -> tuple[str, ...]:
    """Return the records (``path:line``) an edge rests on; see :class:`Edge`."""
    if kind == SAME_STORY:
        return kg.analytics.same_story_evidence(source, target)
    if kind == RELATED:
        return tuple(kg.nx.edges[source, target, kind].get("evidence") or ())
    sources = kg.nx.nodes[source].get("sources") or ()
    # The record whose fields the article holds is the last of its sources.
    return (sources[-1],) if sources else ()


def edge_id(source: str, target: str, kind: str) -> str:
    """Return the stable id of an edge: ``KIND:source->target``."""
    return f"{kind}:{source}->{target}"


# The edge kinds of an :class:`EdgeRows` row, by code.
ROW_KINDS = (RELATED, PUBLISHED_BY, TAGGED, SAME_STORY)
_ROWS_MADE_AT_ONCE = 4096


class EdgeRows(Sequence[Edge]):
    """Edges held as numbers: rows of (source position, target position, kind code) in
    the read index's numbering and :data:`ROW_KINDS`, an int32 array the collector never
    scans; an :class:`Edge` is made, its evidence read from the graph, for each edge
    read. An export holds its edges until they are written (a whole graph's: 120,000 at
    20k records): as objects, every full collection meanwhile visited each of them,
    holding every request (serve36). Equal to a list of the same edges."""

    __slots__ = ("_kg", "rows")

    def __init__(self, kg: KnowledgeGraph, rows: np.ndarray) -> None:
        self._kg = kg
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Edge: ...
    @overload
    def __getitem__(self, i: slice) -> list[Edge]: ...
    def __getitem__(self, i: int | slice) -> Edge | list[Edge]:
        if isinstance(i, slice):
            return self._made(self.rows[i])
        return self._made(self.rows[i][np.newaxis])[0]

    def __iter__(self) -> Iterator[Edge]:
        for start in range(0, len(self.rows), _ROWS_MADE_AT_ONCE):
            yield from self._made(self.rows[start:start + _ROWS_MADE_AT_ONCE])

    def _made(self, rows: np.ndarray) -> list[Edge]:
        kg = self._kg
        ids, succ, node_data = kg.index.ids, kg.nx._succ, kg.nx._node
        out = []
        last: tuple[int, tuple[str, ...]] = (-1, ())  # a node's edges come together
        for s, t, code in rows.tolist():
            source, target, kind = ids[s], ids[t], ROW_KINDS[code]
            if kind == RELATED:
                evidence = tuple(succ[source][target][kind].get("evidence") or ())
            elif kind == SAME_STORY:
                evidence = kg.analytics.same_story_evidence(source, target)
            else:  # edge_evidence's: the last of the article's sources
                if last[0] != s:
                    sources = node_data[source].get("sources") or ()
                    last = (s, (sources[-1],) if sources else ())
                evidence = last[1]
            out.append(Edge(source, target, kind, evidence))
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(other) == len(self) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"EdgeRows({len(self)} edges)"


@dataclass(slots=True)
class Subgraph:
    """Nodes with their hop distance from the seeds, the edges among them, and whether
    a limit cut the walk short.

    ``cursor`` continues a cut walk (see :func:`graph.explore.expand`); ``positions``
    holds layout coordinates when one was asked for.
    """

    nodes: dict[str, int] = field(default_factory=dict)
    edges: Sequence[Edge] = field(default_factory=list)
    truncated: bool = False
    cursor: str | None = None
    positions: dict[str, tuple[float, float]] | None = None


def shortest_path(
    kg: KnowledgeGraph, a: str, b: str, via: Iterable[str] | None = None,
    max_hops: int | None = None, budget: Budget | None = None,
) -> list[str] | None:
    """Return a shortest path of node ids from ``a`` to ``b`` in the undirected view,
    or None when there is none within ``max_hops``.

    Of several shortest paths, the walk's: each step through the first node (in walk
    order) that reaches the next.
    """
    walk = check_via(via)
    if max_hops is not None:
        check_hops(max_hops, low=0, name="maxHops")
    index = kg.index
    source, target = index.pos[str(kg.resolve(a))], index.pos[str(kg.resolve(b))]
    limit = max_hops if max_hops is not None else len(index.ids)
    path = shortest(kg, [source], target, limit, walk, budget=budget)
    return None if path is None else [index.ids[p] for p in path]
