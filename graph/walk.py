"""The one breadth-first walk every traversal is built on.

:func:`levels` walks from start nodes over chosen edge kinds, either direction, the
way networkx builds its walks on ``generic_bfs_edges(G, source, neighbors,
depth_limit)``: the caller says who the neighbours are (``via``), which nodes may be
entered (``passes``), which are reported (``keep``), how deep (``hops``), and what the
walk may spend (``budget``). ``within``, ``neighborhood``, ``shortest_path``,
``k_shortest_paths`` and the exports' selection are each a few lines over it.

Order
    The starts first (depth 0, in the order given, always reported), then hop by hop;
    within a hop, in the order a node-by-node walk first reaches them: each frontier
    node in turn, its neighbours kind by kind in :data:`WALK_KINDS` order, each kind's
    in id order. A node's parent is the first frontier node that reaches it. With
    ``ordered=False`` the last level may come in another order (it is then found from
    the kept candidates' side when that is cheaper).
Rules
    ``passes`` and ``keep`` are each a boolean mask over node positions, or a function
    from an array of positions to a boolean array of the same length. A node that does
    not pass is never entered: not walked through, not reported. The starts always pass.
Cost
    Before reading a level the walk charges its :class:`~graph.budget.Budget` the
    neighbour entries of the level (the sum of the frontier's degrees over ``via``),
    and it checks the deadline between the chunks of a long level; see
    :mod:`graph.budget`.

The walk is vectorised over the read index's CSR rows (numpy), one level at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from graph.analytics import SAME_STORY
from graph.budget import Budget
from graph.build import ARTICLE, EDGE_KINDS, PROVIDER, TOPIC
from graph.errors import InvalidArgument, shown
from graph.index import CSR, WALK_ORDER, csr_of, gather

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["WALK_KINDS", "EDGE_ID_KIND", "NODE_KINDS", "Rule", "Level", "levels", "reach",
           "Parents", "shortest", "path_to",
           "adjacency", "firsts", "check_via", "check_kinds", "check_hops"]

# SAME_STORY (derived: syndicated copies) is a kind like the others, walked when named.
WALK_KINDS = (*WALK_ORDER, SAME_STORY)
# The start of an edge's id, 'KIND:<source id>-><target id>' (the API's edge ids).
EDGE_ID_KIND = re.compile(f"({'|'.join(WALK_KINDS)}):")
NODE_KINDS = (ARTICLE, PROVIDER, TOPIC)
# A level with more neighbour entries than this is read in chunks, the clock read between.
CHUNK = 1 << 17
# Fewer values than 1/SPARSE of the nodes: a table is set where they are, not filled; and
# a level of more is checked for repeats by counting before it is deduplicated.
SPARSE = 16

Rule = np.ndarray | Callable[[np.ndarray], np.ndarray]


def check_via(via: Iterable[str] | None) -> tuple[str, ...]:
    """Return edge kinds in walk order, checking each; ``None`` means the three stored kinds.

    ``SAME_STORY`` is walked only when named.
    """
    if via is None:
        return WALK_ORDER
    if isinstance(via, str):  # via="RELATED": one kind, not its letters
        via = (via,)
    allowed = ", ".join((*EDGE_KINDS, SAME_STORY))
    kinds = set()
    for kind in via:
        name = str(kind).upper()
        if name not in WALK_KINDS:
            raise InvalidArgument(f"unknown edge kind {shown(kind)}: expected any of {allowed}")
        kinds.add(name)
    if not kinds:
        raise InvalidArgument(f"via is empty: give at least one of {allowed}")
    return tuple(k for k in WALK_KINDS if k in kinds)


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
            f"unknown node kind {shown(sorted(bad)[0])}: expected any of {', '.join(NODE_KINDS)}"
        )
    if not out:  # it kept nothing: "0 results", as if none were near
        raise InvalidArgument(f"kinds is empty: give at least one of {', '.join(NODE_KINDS)}, "
                              "or leave kinds out for the default")
    return out


def check_hops(hops: int, *, low: int = 1, high: int | None = None, name: str = "hops") -> int:
    """Return ``hops`` when it is an int within ``[low, high]``, else raise InvalidArgument."""
    if isinstance(hops, bool) or not isinstance(hops, int):
        raise InvalidArgument(f"{name} must be an integer, got {shown(hops)}")
    if hops < low or (high is not None and hops > high):
        allowed = f"{low} to {high}" if high is not None else f"at least {low}"
        raise InvalidArgument(f"{name} must be {allowed}, got {shown(hops)}")
    return hops


def adjacency(kg: KnowledgeGraph, via: tuple[str, ...]) -> CSR:
    """Return the CSR whose row ``i`` is node ``i``'s neighbours over ``via``, kind by kind."""
    index = kg.index
    if SAME_STORY in via and SAME_STORY not in index.csr:
        pairs = [x for a, others in kg.analytics.same_story_pos.items() for b in others
                 for x in (a, b)]
        index.csr[SAME_STORY] = csr_of(pairs, len(index.ids), index)
    return index.combined(via)


class Level(NamedTuple):
    """One level of a walk: its depth, the nodes entered, each one's parent, and which of
    them are kept (None: all). On the last level only nodes that may be kept are entered."""

    depth: int
    nodes: np.ndarray
    parents: np.ndarray
    kept: np.ndarray | None

    def reported(self) -> np.ndarray:
        """Return the nodes of this level that are kept."""
        return self.nodes if self.kept is None else self.nodes[self.kept]


def _test(rule: Rule, nodes: np.ndarray) -> np.ndarray:
    return rule[nodes] if isinstance(rule, np.ndarray) else rule(nodes)


def levels(kg: KnowledgeGraph, starts: Sequence[int], hops: int, via: tuple[str, ...], *,
           passes: Rule | None = None, keep: Rule | None = None, ordered: bool = True,
           budget: Budget | None = None, kept_rows: CSR | None = None,
           by: np.ndarray | None = None) -> Generator[Level, None, None]:
    """Yield the levels of the walk described in the module docstring, depth 0 first.

    ``starts`` are node positions (repeats dropped); ``via`` comes from
    :func:`check_via`. The walk stops after ``hops`` levels or when nothing new is
    reached; a consumer that stops iterating stops the walk (and its charges).
    ``kept_rows`` (with a ``keep`` mask and ``ordered=False``) are the rows of ``via``
    holding only the nodes ``keep`` keeps (:meth:`graph.index.ReadIndex.kept_rows`):
    the last level reads those, not the frontier's whole rows. ``by`` (distinct values
    over the nodes, a rank), with ``ordered=False``: the last level comes sorted by it.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph import KnowledgeGraph
    >>> g = nx.MultiDiGraph()
    >>> for n in "abc":
    ...     g.add_node(f"article:{n}", kind="article", url=f"https://x.com/{n}", title=n)
    >>> _ = g.add_edge("article:a", "article:b", key="RELATED", kind="RELATED")
    >>> _ = g.add_edge("article:b", "article:c", key="RELATED", kind="RELATED")
    >>> kg, budget = KnowledgeGraph(g), Budget()
    >>> [(d, n.tolist(), p.tolist()) for d, n, p, _ in levels(kg, [0], 3, ("RELATED",),
    ...                                                       budget=budget)]
    [(0, [0], [-1]), (1, [1], [0]), (2, [2], [1])]
    >>> budget.visits  # a's row, b's row, c's row
    4
    """
    csr = adjacency(kg, via)
    indptr, indices, degree = csr.indptr, csr.indices, csr.degree
    n = len(kg.index.ids)
    frontier = np.array(starts if len(starts) == 1 else list(dict.fromkeys(starts)),
                        dtype=np.int32)
    # A node that may not be entered counts as seen from the start.
    if isinstance(passes, np.ndarray):
        seen = ~passes
    else:
        seen = np.zeros(n, dtype=bool)
    seen[frontier] = True
    yield Level(0, frontier, np.full(len(frontier), -1, dtype=np.int32), None)
    mask = keep if isinstance(keep, np.ndarray) else None
    candidates: np.ndarray | None = None
    for depth in range(1, hops + 1):
        last = depth == hops
        if last and mask is not None and not ordered and kept_rows is not None:
            # A hub's rows are long and hold few kept nodes: read only those.
            if budget is not None:
                budget.charge(int(degree[frontier].sum()))
            nxt, par = _last_level(frontier, kept_rows, seen, passes, by, budget)
            if len(nxt):
                yield Level(depth, nxt, par, None)
            return
        counts = degree[frontier]
        forward = int(counts.sum())
        if budget is not None:
            budget.charge(forward)
        if last and mask is not None and not ordered:
            if candidates is None:
                candidates = np.flatnonzero(mask)
            cand = candidates[~seen[candidates]]
            if callable(passes):
                cand = cand[passes(cand)]
            if int(degree[cand].sum()) < forward:
                nodes, parents = _from_candidates(cand, frontier, n, indptr, indices, degree)
                if by is not None:
                    nodes, parents = _sorted_by(by, nodes, parents)
                yield Level(depth, nodes, parents, None)
                return
        nxt, par = _next_level(frontier, counts, forward, indptr, indices, seen, passes,
                               mask if last else None, budget)
        if not len(nxt):
            return
        if last and not ordered and by is not None:
            nxt, par = _sorted_by(by, nxt, par)
        yield Level(depth, nxt, par, None if keep is None else _test(keep, nxt))
        frontier = nxt


def _next_level(frontier: np.ndarray, counts: np.ndarray, total: int, indptr: np.ndarray,
                indices: np.ndarray, seen: np.ndarray, passes: Rule | None,
                only: np.ndarray | None, budget: Budget | None,
                ) -> tuple[np.ndarray, np.ndarray]:
    """Return the nodes first reached from ``frontier`` (marking them seen) and their
    parents, in walk order; a long level is read in chunks, the deadline checked
    between them. ``only`` restricts what is looked for (on the last level)."""
    if total <= CHUNK:
        return _step(frontier, counts, indptr, indices, seen, passes, only)
    found: list[np.ndarray] = []
    fathers: list[np.ndarray] = []
    for lo, hi in _chunks(counts, total):
        if lo and budget is not None:
            budget.check_time()
        nxt, par = _step(frontier[lo:hi], counts[lo:hi], indptr, indices, seen, passes, only)
        found.append(nxt)
        fathers.append(par)
    return np.concatenate(found), np.concatenate(fathers)


def _chunks(counts: np.ndarray, total: int) -> list[tuple[int, int]]:
    """Return ``(lo, hi)`` bounds cutting rows of ``counts`` entries into pieces of about
    :data:`CHUNK` entries (a row is never cut)."""
    ends = np.cumsum(counts)
    cuts = np.searchsorted(ends, np.arange(CHUNK, total, CHUNK), side="left") + 1
    bounds = [0, *sorted(set(cuts.tolist()) - {0, len(counts)}), len(counts)]
    return list(zip(bounds, bounds[1:], strict=False))


def _step(frontier: np.ndarray, counts: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
          seen: np.ndarray, passes: Rule | None,
          only: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Read the rows of ``frontier`` at once; see :func:`_next_level`."""
    nb, src = gather(frontier, indptr, indices, counts)
    fresh = ~seen[nb]
    if only is not None:
        fresh &= only[nb]
    nxt, par = _first_reached(nb[fresh], src[fresh], seen)
    if passes is not None and not isinstance(passes, np.ndarray):
        ok = passes(nxt)  # judged once: a node that fails stays seen, never entered
        nxt, par = nxt[ok], par[ok]
    return nxt, par


def _first_reached(nb: np.ndarray, src: np.ndarray, seen: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Return each value of ``nb`` (none of them seen) once, at its first occurrence, and
    the ``src`` beside it; mark them all seen."""
    n = len(seen)
    if len(nb) * SPARSE < n:
        first = firsts(nb, n)
        nb, src = nb[first], src[first]
        seen[nb] = True
        return nb, src
    # A long level (a hub's row) seldom repeats a node: marking them tells whether it did,
    # by how many more nodes are seen, at the price of counting the marks.
    before = np.count_nonzero(seen)
    seen[nb] = True
    if np.count_nonzero(seen) - before != len(nb):
        first = firsts(nb, n)
        nb, src = nb[first], src[first]
    return nb, src


def _last_level(frontier: np.ndarray, kept_rows: CSR, seen: np.ndarray, passes: Rule | None,
                by: np.ndarray | None, budget: Budget | None,
                ) -> tuple[np.ndarray, np.ndarray]:
    """Return the kept nodes first reached from ``frontier`` over ``kept_rows`` and their
    parents, sorted by ``by`` (else by node) — what the unordered last level needs: each
    node once, its parent the first frontier node (in frontier order) whose row holds it."""
    counts = kept_rows.degree[frontier]
    rows = np.flatnonzero(counts)  # most of a hub's frontier keeps nothing
    frontier, counts = frontier[rows], counts[rows]
    total = int(counts.sum())
    pieces = [(0, len(frontier))] if total <= CHUNK else _chunks(counts, total)
    found: list[np.ndarray] = []
    fathers: list[np.ndarray] = []
    for lo, hi in pieces:
        if lo and budget is not None:
            budget.check_time()
        nb, src = gather(frontier[lo:hi], kept_rows.indptr, kept_rows.indices, counts[lo:hi])
        fresh = ~seen[nb]
        found.append(nb[fresh])
        fathers.append(src[fresh])
    nb = found[0] if len(found) == 1 else np.concatenate(found)
    src = fathers[0] if len(fathers) == 1 else np.concatenate(fathers)
    # One sort by (order, position): each node's first entry is where its run starts.
    order = by[nb] if by is not None else nb
    key = (order.astype(np.int64) << 32) | np.arange(len(nb), dtype=np.int64)
    key.sort()
    runs = key >> 32
    first = np.empty(len(key), dtype=bool)
    first[:1] = True
    np.not_equal(runs[1:], runs[:-1], out=first[1:])
    at = key[first] & 0xFFFFFFFF
    nxt, par = nb[at], src[at]
    seen[nxt] = True
    if passes is not None and not isinstance(passes, np.ndarray):
        ok = passes(nxt)
        nxt, par = nxt[ok], par[ok]
    return nxt, par


def _sorted_by(by: np.ndarray, nodes: np.ndarray, parents: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(by[nodes])  # distinct values: any sort gives the one order
    return nodes[order], parents[order]


def firsts(values: np.ndarray, n: int) -> np.ndarray:
    """Return the positions of each value's first occurrence in ``values`` (each below
    ``n``), in increasing order.

    >>> firsts(np.array([5, 2, 5, 7, 2]), 8).tolist()
    [0, 1, 3]
    """
    # Each value's earliest position, in a table over all nodes: no sort (a sort of tens of
    # thousands of values costs milliseconds). Short lists set only their own entries.
    at = np.arange(len(values), dtype=np.int32)
    if len(values) * SPARSE < n:
        earliest = np.empty(n, dtype=np.int32)
        earliest[values] = len(values)
    else:
        earliest = np.full(n, len(values), dtype=np.int32)
    np.minimum.at(earliest, values, at)
    return np.flatnonzero(earliest[values] == at)


def _from_candidates(cand: np.ndarray, frontier: np.ndarray, n: int, indptr: np.ndarray,
                     indices: np.ndarray, degree: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Return the candidates adjacent to the frontier and, for each, the first frontier
    node (in frontier order) it is adjacent to: the parent the walk would give it."""
    empty = np.zeros(0, dtype=np.int32)
    order = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
    order[frontier] = np.arange(len(frontier), dtype=np.int32)
    nb, owner = gather(cand, indptr, indices, degree[cand])
    rank = order[nb]
    near = rank != np.iinfo(np.int32).max
    nb_rank, owner = rank[near], owner[near]
    if not len(owner):
        return empty, empty
    # owner is grouped by candidate (gather keeps candidate order): take each group's min.
    bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    best = np.minimum.reduceat(nb_rank, bounds)
    return owner[bounds], frontier[best]


def reach(kg: KnowledgeGraph, starts: Sequence[int], hops: int, via: tuple[str, ...], *,
          passes: Rule | None = None, keep: Rule | None = None, ordered: bool = True,
          budget: Budget | None = None, kept_rows: CSR | None = None,
          by: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, Parents]:
    """Return the whole walk of :func:`levels`: the nodes kept (starts included), their
    hops, and every reached node's parent. With ``by``, each level's nodes come sorted
    by it (the starts stay as given)."""
    nodes: list[np.ndarray] = []
    reached: list[tuple[np.ndarray, np.ndarray]] = []
    for level in levels(kg, starts, hops, via, passes=passes, keep=keep, ordered=ordered,
                        budget=budget, kept_rows=kept_rows, by=by):
        if not level.depth:
            nodes.append(level.nodes)
            continue
        reached.append((level.nodes, level.parents))
        kept = level.reported()
        if by is not None and (ordered or level.depth < hops) and len(kept) > 1:
            kept = kept[np.argsort(by[kept])]
        nodes.append(kept)
    depths = np.repeat(np.arange(len(nodes), dtype=np.int32), [len(x) for x in nodes])
    return np.concatenate(nodes), depths, Parents(len(kg.index.ids), reached)


class Parents:
    """The parent of each node a walk reached (-1 for the others and the starts), from
    its levels: the array over all nodes is made when first asked (a page's paths), not
    by every walk."""

    __slots__ = ("_n", "_levels", "_array")

    def __init__(self, n: int, levels: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self._n = n
        self._levels = levels
        self._array: np.ndarray | None = None

    @property
    def array(self) -> np.ndarray:
        """Each node's parent, -1 where there is none."""
        if self._array is None:
            parent = np.full(self._n, -1, dtype=np.int32)
            for nodes, parents in self._levels:
                parent[nodes] = parents
            self._array = parent
        return self._array

    def __getitem__(self, node: int) -> int:
        return int(self.array[node])


def path_to(parent: np.ndarray, node: int) -> list[int]:
    """Return the node positions from a start to ``node`` along ``parent`` (-1 ends it)."""
    path = [node]
    while (up := int(parent[path[-1]])) != -1:
        path.append(up)
    return path[::-1]


def shortest(kg: KnowledgeGraph, starts: Sequence[int], target: int, hops: int,
             via: tuple[str, ...], *, passes: Rule | None = None,
             budget: Budget | None = None) -> list[int] | None:
    """Return a shortest path (node positions) from one of ``starts`` to ``target`` of
    at most ``hops`` edges over nodes that pass, or None. The walk stops at the level
    that reaches the target; the path is the one of its parents."""
    if target in starts:
        return [target]
    keep = np.zeros(len(kg.index.ids), dtype=bool)
    keep[target] = True
    parent = np.full(len(kg.index.ids), -1, dtype=np.int32)
    for level in levels(kg, starts, hops, via, passes=passes, keep=keep, ordered=False,
                        budget=budget):
        parent[level.nodes] = level.parents
        if level.depth and len(level.reported()):
            return path_to(parent, target)
    return None
