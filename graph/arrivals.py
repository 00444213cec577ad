"""Which stories a change brings to someone watching: new or changed articles that match
a selection, or that are, or came, within some hops of a story.

A :class:`StoryWatch` remembers the zone it last walked (every node within ``hops`` of
its start, with its hops); each :class:`graph.change.Change` then yields the articles
that were added or changed and match, and those that entered the zone because an edge
appeared (a new record relating to a story already near), each with its hops and path.

What a change costs a watch is what it touched, not the zone:

* **A change far from the zone is read, not walked.** Hops only grow shorter through
  an edge the change made, and longer through one it took away; every such edge has an
  end among the articles the change added, updated or removed. When none of those was
  in the zone and none of those the change left has a neighbour within ``hops - 1``,
  the zone is what it was and nothing in it arrived: the watch looks at those articles'
  rows and stops (no walk). It moves onto the new version, whose positions are the old
  ones when nodes were only added; when one was removed anywhere (all numbered again)
  it walks the zone again, reading nothing, rather than hold the old version.
* **A change near it walks the zone again, and reads only what it changed.** The walk
  is one numpy pass (:func:`graph.walk.reach`); what the Python side reads is the
  articles whose hops a changed article may explain: those a changed article reaches
  along shortest paths (a story whose hops came down has a changed article on each of
  its new shortest paths). Every other node of the zone kept its hops, so it neither
  entered nor was added or changed.

What it pushes is what a walk of each version from scratch compared with the last one
would push, in the same order and with the same paths (``tests/test_arrivals.py`` checks
it against that, :class:`bench.naive.NaiveStoryWatch`, over random changes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graph.budget import Budget
from graph.build import ARTICLE
from graph.change import Change
from graph.errors import InvalidArgument, StartGone
from graph.index import CSR, KIND_CODES, gather
from graph.kg import KnowledgeGraph
from graph.reindex import same_positions
from graph.select import Selection
from graph.walk import Parents, adjacency, check_via, path_to, reach

__all__ = ["Arrival", "StoryWatch", "watches_key", "ADDED", "UPDATED", "ENTERED"]

ADDED, UPDATED, ENTERED = "ADDED", "UPDATED", "ENTERED"


@dataclass(frozen=True, slots=True)
class Arrival:
    """One story to tell a watcher about: why (``ADDED``, ``UPDATED`` or ``ENTERED``),
    and, when watching near a start, how many hops away it is and the path there."""

    node: str
    reason: str
    hops: int | None = None
    path: tuple[str, ...] | None = None


class StoryWatch:
    """What one watcher wants: articles matching ``selection``, optionally only those
    within ``hops`` of ``start``. Stubs are never reported: they are not stories yet, and
    a selection of stubs only (``is_stub=True``) is refused. ``budget`` makes the
    :class:`~graph.budget.Budget` each walk of the zone is charged to (unlimited by
    default): a zone past it raises :class:`~graph.errors.BudgetExceeded`, when the watch
    starts or at the change that made it so. Watches of the same :attr:`key` seeing the
    same changes push the same arrivals: one may serve them all.

    Examples
    --------
    >>> import tempfile, pathlib, graph
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.md").write_text("---\\ntitle: A\\nwebUrl: https://x.org/a\\n"
    ...                                "related: [{title: B, webUrl: 'https://x.org/b'}]\\n---\\n")
    >>> live = graph.follow(root)
    >>> watch = StoryWatch(live.current(), start="article:https://x.org/a", hops=2)
    >>> _ = (root / "c.md").write_text("---\\ntitle: C\\nwebUrl: https://x.org/c\\n"
    ...                                "related: [{title: B, webUrl: 'https://x.org/b'}]\\n---\\n")
    >>> [(a.node, a.reason, a.hops) for a in watch.arrivals(live.apply([root / "c.md"]))]
    [('article:https://x.org/c', 'ADDED', 2)]
    """

    def __init__(self, kg: KnowledgeGraph, selection: Selection | None = None,
                 start: str | None = None, hops: int = 2, via: tuple[str, ...] | None = None,
                 budget: Callable[[], Budget] | None = None):
        self.selection = selection if selection is not None and not selection.empty else None
        if self.selection is not None:
            if self.selection.is_stub:
                raise InvalidArgument(
                    "isStub: true can never match here: stubs (articles known only from "
                    "another record's related list) are never pushed, they are not stories "
                    "yet; a stub that gets its own record is pushed then, as UPDATED. Leave "
                    "isStub out, or give false")
            # Read now, as a query reads it: a phrase no article can hold (or a topic no
            # corpus can) was first read at the next change, and the subscription sat
            # silent until then.
            self.selection.check()
        self.start = start
        self.hops = hops
        self.via = via
        self._via = check_via(via)
        self._budget = budget
        self.version = getattr(kg, "version", None)  # the version last seen
        self.walks = 0  # zone walks made, the first included
        self._kg = kg  # the version the zone below was walked on
        self._at = np.zeros(0, dtype=np.int32)  # the zone's positions in it, sorted
        self._hops = np.zeros(0, dtype=np.int8)  # beside each, its hops
        if start is not None:
            if start not in kg:
                raise StartGone(start, self.version)
            self._walk(kg)

    @property
    def key(self) -> tuple[Selection | None, str | None, int, tuple[str, ...]]:
        """What the watch's arrivals depend on besides the changes it sees."""
        return watches_key(self.selection, self.start, self.hops, self.via)

    @property
    def zone(self) -> dict[str, int]:
        """The articles (stubs included) within ``hops`` of the start, by id, with their
        hops, as last walked; empty without a start."""
        ids, kinds = self._kg.index.ids, self._kg.nx.nodes
        out = {}
        for p, h in zip(self._at.tolist(), self._hops.tolist(), strict=True):
            if h and kinds[ids[p]].get("kind") == ARTICLE:
                out[ids[p]] = h
        return out

    def _walk(self, kg: KnowledgeGraph) -> tuple[np.ndarray, np.ndarray, Parents]:
        """Walk the zone on ``kg`` (every node within ``hops``) and keep it; return the
        walk's nodes, hops and parents."""
        assert self.start is not None
        budget = self._budget() if self._budget is not None else None
        origin = kg.index.pos[self.start]
        nodes, depths, parents = reach(kg, [origin], self.hops, self._via, ordered=False,
                                       budget=budget)
        order = np.argsort(nodes, kind="stable")
        self._kg, self._at, self._hops = kg, nodes[order], depths[order].astype(np.int8)
        self.walks += 1
        return nodes, depths, parents

    def _was(self, nodes: Sequence[str]) -> np.ndarray:
        """The hops of each of ``nodes`` in the zone last walked, -1 where it was not in
        it: one search of the zone's sorted positions for all of them."""
        return _hops_of(self._kg, self._at, self._hops, nodes)

    def arrivals(self, change: Change) -> list[Arrival]:
        """Return the stories ``change`` brings: near a start, each in the zone that is
        new (ADDED), was not in the zone before (ENTERED) or changed (UPDATED), by hops,
        then newest first, then id; otherwise each added, then each changed, article
        that matches. Near a start that the change took away, raise StartGone."""
        kg = change.graph
        if kg is None:
            return []
        self.version = change.version
        if self.start is None:
            wanted = self._wanted(kg)
            return [Arrival(n, why) for why, nodes in ((ADDED, change.added),
                                                       (UPDATED, change.updated))
                    for n in nodes if n in kg and wanted(n)]
        if self.start not in kg:
            raise StartGone(self.start, change.version)
        changed = [n for n in (*change.added, *change.updated) if n in kg]
        if self._near(kg, change, changed):
            return self._rewalked(kg, change, changed)
        # The zone is as it was. Its positions hold in the new version unless a node was
        # removed (all are numbered again): then walk it (numpy, nothing read), rather
        # than keep the old version alive for as long as no change comes near.
        if same_positions(self._kg.index.pos, kg.index.pos):
            self._kg = kg
        else:
            self._walk(kg)
        return []

    def _near(self, kg: KnowledgeGraph, change: Change, changed: Sequence[str]) -> bool:
        """Whether ``change`` may have moved the zone: one of its articles was in it, or
        one it left has a neighbour that was within ``hops - 1`` (see the module)."""
        if (self._was((*change.added, *change.updated, *change.removed)) >= 0).any():
            return True
        if not changed:
            return False
        rows = adjacency(kg, self._via)
        index = kg.index
        near = np.concatenate([rows.row_array(index.pos[n]) for n in changed])
        hops = self._was([index.ids[q] for q in near.tolist()])
        return bool(((hops >= 0) & (hops < self.hops)).any())

    def _rewalked(self, kg: KnowledgeGraph, change: Change, changed: Sequence[str],
                  ) -> list[Arrival]:
        """Walk the zone again on ``kg`` and return the arrivals among the nodes the
        changed articles reach along shortest paths."""
        old_kg, old_at, old_hops = self._kg, self._at, self._hops
        nodes, depths, parents = self._walk(kg)

        index = kg.index
        depth = np.full(len(index.ids), -1, dtype=np.int8)
        depth[nodes] = depths
        seeds = np.array([index.pos[n] for n in changed], dtype=np.int64)
        seeds = seeds[depth[seeds] >= 0] if len(seeds) else seeds
        if not len(seeds):
            return []
        reached = _downstream(adjacency(kg, self._via), depth, seeds, self.hops)
        # Articles only, and never the start.
        reached = reached[(depth[reached] > 0)
                          & (index.kind_code[reached] == KIND_CODES[ARTICLE])]
        ids = index.ids
        names = [ids[p] for p in reached.tolist()]
        before = _hops_of(old_kg, old_at, old_hops, names).tolist()
        added, updated = set(change.added), set(change.updated)
        wanted = None
        found: list[tuple[int, int, str, str]] = []
        for p, node, was in zip(reached.tolist(), names, before, strict=True):
            reason = (ADDED if node in added else ENTERED if was < 0
                      else UPDATED if node in updated else None)
            if reason is None:
                continue
            if wanted is None:
                wanted = self._wanted(kg)
            if wanted(node):
                found.append((int(depth[p]), int(index.rank[p]), node, reason))
        found.sort()
        parent = parents.array if found else None
        return [Arrival(node, reason, h,
                        tuple(ids[q] for q in path_to(parent, index.pos[node])))  # type: ignore[arg-type]
                for h, _, node, reason in found]

    def _wanted(self, kg: KnowledgeGraph) -> Callable[[str], bool]:
        keep = self.selection.predicate(kg) if self.selection is not None else None
        g = kg.nx

        def wanted(node: str) -> bool:
            data = g.nodes[node]
            return (data.get("kind") == ARTICLE and not data.get("is_stub")
                    and (keep is None or keep(node)))
        return wanted


def _hops_of(kg: KnowledgeGraph, at: np.ndarray, hops: np.ndarray,
             nodes: Sequence[str]) -> np.ndarray:
    """Return the hops of each of ``nodes`` in a zone walked on ``kg`` (its positions
    ``at``, sorted, and their ``hops``), -1 where it was not in it."""
    get = kg.index.pos.get
    places = np.array([-1 if (p := get(n)) is None else p for n in nodes], dtype=np.int64)
    return _hops_at(at, hops, places)


def _hops_at(at: np.ndarray, hops: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Return the ``hops`` beside each of ``nodes`` in the sorted ``at``, -1 where it is
    not there (nor for a node -1)."""
    out = np.full(len(nodes), -1, dtype=np.int8)
    if not len(at) or not len(nodes):
        return out
    i = np.minimum(np.searchsorted(at, nodes.astype(at.dtype)), len(at) - 1)
    found = (at[i] == nodes) & (nodes >= 0)
    out[found] = hops[i[found]]
    return out


def _downstream(rows: CSR, depth: np.ndarray, seeds: np.ndarray, hops: int) -> np.ndarray:
    """Return the nodes that ``seeds`` reach along shortest paths from the start (each
    step from hops ``d`` to ``d + 1`` over ``rows``; ``depth`` is each node's hops, -1
    outside the zone), seeds included, each once."""
    seed_hops = depth[seeds]
    found: list[np.ndarray] = []
    below = np.zeros(0, dtype=np.int64)
    for d in range(hops + 1):
        level = np.unique(np.concatenate((seeds[seed_hops == d], below)))
        found.append(level)
        if d == hops or not len(level):
            below = np.zeros(0, dtype=np.int64)
            continue
        frontier = level.astype(np.int32)
        nb, _ = gather(frontier, rows.indptr, rows.indices, rows.degree[frontier])
        below = nb[depth[nb] == d + 1].astype(np.int64)
    return np.concatenate(found)


def watches_key(selection: Selection | None, start: str | None, hops: int,
                via: tuple[str, ...] | None) -> tuple[Selection | None, str | None, int,
                                                      tuple[str, ...]]:
    """Return the :attr:`StoryWatch.key` a watch of these arguments has."""
    return (selection if selection is not None and not selection.empty else None, start,
            hops, check_via(via))
