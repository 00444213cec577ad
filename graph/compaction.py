"""Packing a followed graph's changes back into arrays, off the request path.

A version made by a change (graph/patch.py) is an :class:`~graph.patch.Overlay` of
the previous one's adjacency: the arrays of a snapshot (or of the last compaction) and a
persistent map of the adjacency dicts set since. A change copies the adjacency of each
node it touches into a dict — a hub topic's or provider's too, thousands of edges — so
after many changes the delta is a graph of dicts again, each edge ~20x the bytes of its
place in the arrays. :func:`edges_held` says how many edges the delta holds;
:func:`pack_edges` makes arrays of every edge of a version (the same edges in the same
order, as :meth:`graph.compact.EdgeArrays.of` reads them) and :func:`swap_edges` makes
the version read them instead: the same graph, its storage swapped (a reader under way
keeps the mappings it took; they hold the same edges). graph/live.py runs it in a
thread and swaps only while the version is still the newest, under the apply lock.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from graph.compact import Adjacency, EdgeArrays
from graph.patch import Overlay

__all__ = ["edges_held", "pack_edges", "swap_edges"]

# What networkx caches on a graph that holds its adjacency mappings (views).
_VIEWS = ("adj", "succ", "pred", "edges", "out_edges", "in_edges", "degree", "in_degree",
          "out_degree")


def edges_held(g: nx.MultiDiGraph) -> int:
    """How many edges ``g`` holds in dicts rather than arrays: its adjacency delta's
    (both directions), or all of them when its adjacency is dicts through and through."""
    held = 0
    for adjacency in (g._succ, g._pred):
        if isinstance(adjacency, Overlay):
            delta = adjacency.delta
            held += sum(len(nbrs) for nbrs in delta.values() if isinstance(nbrs, Mapping))
            if not isinstance(adjacency.base, Adjacency):  # dicts (a first build's) beneath
                held += sum(len(nbrs) for node, nbrs in adjacency.base.items()
                            if node not in delta)
        elif not isinstance(adjacency, Adjacency):
            held += sum(len(nbrs) for nbrs in adjacency.values())
    return held


def pack_edges(g: nx.MultiDiGraph, ids: list[str], pos: Mapping[str, int]) -> EdgeArrays:
    """The edges of ``g`` (nodes ``ids``, numbered by ``pos``: its read index's) in
    arrays. ``g`` is a version: never changed, so this may run beside its readers."""
    return EdgeArrays.of(g, ids, pos)


def swap_edges(g: nx.MultiDiGraph, edges: EdgeArrays) -> None:
    """Make ``g`` read its edges from ``edges`` (:func:`pack_edges` of it)."""
    for name in _VIEWS:
        g.__dict__.pop(name, None)
    succ = Adjacency(g._node, edges, out=True)
    g._succ, g._adj, g._pred = succ, succ, Adjacency(g._node, edges, out=False)
    g.edge_arrays = edges
