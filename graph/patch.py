"""The next version of a networkx graph, sharing with the previous one what it does not
touch: the copy graph/incremental.py makes per change.

The graph's top-level mappings (``_node``, ``_succ``, ``_pred``) are persistent maps
(``immutables.Map``, a hash array mapped trie): the next version's is the previous one
with the touched entries set, which makes a few new trie nodes per entry and shares the
rest. Copying them as dicts cost three corpus-sized containers per version — made
(~12 ms each at 100k nodes), walked by the young collector and freed again — whatever
the change's size. A lookup costs about twice a dict's (still C).

A graph read from a snapshot holds its nodes in columns and its edges in arrays
(:mod:`graph.nodeattrs`, :mod:`graph.compact`): read-only views, never copied. Its next
versions are an :class:`Overlay` of each view: the view as an immutable base, and a
persistent map of the entries set or deleted since (the changed nodes' attributes and
adjacency), so a followed graph started from a snapshot costs the snapshot plus what
changed, not a graph of dicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import immutables
import networkx as nx

__all__ = ["GraphPatch", "Overlay"]

_GONE = object()  # an overlay's mark for an entry of its base that was deleted


class GraphPatch:
    """The next version of a networkx MultiDiGraph, sharing what it does not touch.

    The top-level mappings (``_node``, ``_succ``, ``_pred``) are persistent maps whose
    mutations share every untouched entry; the adjacency dict of a node is copied the
    first time it changes; an edge's key dict is replaced, never changed. The graph it
    was made from stays as it was.
    """

    def __init__(self, g: nx.MultiDiGraph):
        self.base = g
        self.node: Any = _persistent(g._node).mutate()
        self.succ: Any = _persistent(g._succ).mutate()
        self.pred: Any = _persistent(g._pred).mutate()
        self._own_succ: set[str] = set()
        self._own_pred: set[str] = set()
        self.edge_delta: Counter[str] = Counter()

    def _succ_of(self, u: str) -> dict[str, dict[str, Any]]:
        if u not in self._own_succ:
            self.succ[u] = dict(self.succ[u])
            self._own_succ.add(u)
        return self.succ[u]

    def _pred_of(self, v: str) -> dict[str, dict[str, Any]]:
        if v not in self._own_pred:
            self.pred[v] = dict(self.pred[v])
            self._own_pred.add(v)
        return self.pred[v]

    def set_node(self, u: str, attrs: dict[str, Any]) -> None:
        if u not in self.node:
            self.succ[u] = {}
            self.pred[u] = {}
            self._own_succ.add(u)
            self._own_pred.add(u)
        self.node[u] = attrs

    def detach(self, u: str) -> None:
        """Remove every edge at ``u``, keeping the node."""
        for v, keys in self.succ[u].items():
            self.edge_delta.subtract(list(keys))
            if v != u:
                del self._pred_of(v)[u]
        for w, keys in self.pred[u].items():
            if w != u:
                self.edge_delta.subtract(list(keys))
                del self._succ_of(w)[u]
        self.succ[u] = {}
        self.pred[u] = {}
        self._own_succ.add(u)
        self._own_pred.add(u)

    def remove_node(self, u: str) -> None:
        self.detach(u)
        del self.node[u], self.succ[u], self.pred[u]
        self._own_succ.discard(u)
        self._own_pred.discard(u)

    def add_edge(self, u: str, v: str, kind: str, attrs: dict[str, Any],
                 shared: dict[str, dict[str, Any]] | None = None) -> None:
        """Add (or replace) the edge ``u -> v`` of ``kind``; ``shared`` is a read-only key
        dict ``{kind: attrs}`` to use when it is the pair's only edge (as graph.load
        shares them)."""
        if v not in self.node:
            self.set_node(v, {})  # a provider or topic, named afterwards
        out = self._succ_of(u)
        found = out.get(v)
        if kind not in (found or ()):
            self.edge_delta[kind] += 1
        if not found and shared is not None:
            out[v] = shared
            self._pred_of(v)[u] = shared
            return
        keys = dict(found or {})  # never changed in place: it may be shared
        keys[kind] = attrs
        out[v] = keys
        self._pred_of(v)[u] = keys

    def graph(self) -> nx.MultiDiGraph:
        """The next version; the patch is spent."""
        g = nx.MultiDiGraph()
        g.graph = self.base.graph
        g._node = self.node.finish()
        g._succ = g._adj = self.succ.finish()
        g._pred = self.pred.finish()
        return g


def _persistent(mapping: Any) -> immutables.Map | Overlay:
    """``mapping`` as a persistent map (the first version's dicts are made one, once); a
    read-only view over columns or arrays (a snapshot's) as an :class:`Overlay` of it."""
    if isinstance(mapping, immutables.Map | Overlay):
        return mapping
    if isinstance(mapping, dict):
        return immutables.Map(mapping)
    return Overlay(mapping, immutables.Map(), len(mapping))


class _Layered:
    """The reads of a ``base`` with ``delta``'s entries set over it (an entry set to the
    deleted mark is gone): :class:`Overlay` and the mutation that makes the next one."""

    __slots__ = ()
    base: Mapping[str, Any]
    delta: Any  # an immutables.Map, or its mutation

    def __getitem__(self, key: str) -> Any:
        found = self.delta.get(key, _GONE)
        if found is _GONE:
            if key in self.delta:
                raise KeyError(key)
            return self.base[key]
        return found

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        found = self.delta.get(key, None)
        if found is not None:
            return found is not _GONE
        return key in self.delta or key in self.base


class Overlay(_Layered, Mapping[str, Any]):
    """A read-only mapping: ``base`` (never changed) with the entries of ``delta`` set
    over it (an entry set to the deleted mark is gone). Iterates the base's keys not
    changed, then the keys added, in ``delta``'s order."""

    __slots__ = ("base", "delta", "_len")

    def __init__(self, base: Mapping[str, Any], delta: immutables.Map, length: int):
        self.base, self.delta, self._len = base, delta, length

    def __iter__(self) -> Iterator[str]:
        delta = self.delta
        for key in self.base:
            if key not in delta:
                yield key
        for key, value in delta.items():
            if value is not _GONE:
                yield key

    def __len__(self) -> int:
        return self._len

    def mutate(self) -> _OverlayMutation:
        """A mutable copy, sharing the base and the delta's untouched trie nodes."""
        return _OverlayMutation(self)


class _OverlayMutation(_Layered):
    """What :meth:`Overlay.mutate` gives: set and delete entries, then :meth:`finish`."""

    __slots__ = ("base", "delta", "_len")

    def __init__(self, overlay: Overlay):
        self.base, self.delta, self._len = overlay.base, overlay.delta.mutate(), len(overlay)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self:
            self._len += 1
        self.delta[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._len -= 1
        if key in self.base:
            self.delta[key] = _GONE
        else:
            del self.delta[key]

    def finish(self) -> Overlay:
        return Overlay(self.base, self.delta.finish(), self._len)
