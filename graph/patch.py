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
changed, not a graph of dicts. A graph of dicts (a follow's first build) is the base of
an overlay the same way, made again in id order when its delta outgrows a quarter of it.

**Order.** A version lists what it holds in the order a cold load of the same folder
lists it (tests/test_live.py compares them): nodes in id order (an overlay yields its
base's keys, which are in id order, with the keys added since merged in by id), each
node's predecessors in id order (kept so as edges are added), each node's successors in
the order its record gives them (graph/incremental.py puts an edge added later back in
its place). A hash map's order (``immutables.Map``'s, the delta's) is never seen.
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
        self._unsorted_pred: set[str] = set()  # predecessors added out of id order
        self.edge_delta: Counter[str] = Counter()

    def _succ_of(self, u: str) -> dict[str, dict[str, Any]]:
        if u not in self._own_succ:
            self.succ[u] = _copied(self.succ[u])
            self._own_succ.add(u)
        return self.succ[u]

    def _pred_of(self, v: str) -> dict[str, dict[str, Any]]:
        if v not in self._own_pred:
            self.pred[v] = _copied(self.pred[v])
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
        into = self._pred_of(v)
        if not found and into and u < next(reversed(into)):
            self._unsorted_pred.add(v)  # sorted once the patch is done (graph())
        if not found and shared is not None:
            out[v] = shared
            into[u] = shared
            return
        keys = dict(found or {})  # never changed in place: it may be shared
        keys[kind] = attrs
        out[v] = keys
        into[u] = keys

    def order_out(self, u: str, rank: Mapping[str, int]) -> None:
        """List ``u``'s successors by ``rank`` (the order its record gives them; a
        successor not ranked last, in its place), as a cold load lists them: an edge
        added to a node not made again lands at the end of its dict."""
        out = self._succ_of(u)
        now = list(out)
        last = len(rank)
        wanted = sorted(now, key=lambda v: rank.get(v, last))
        if wanted != now:
            self.succ[u] = {v: out[v] for v in wanted}

    def graph(self) -> nx.MultiDiGraph:
        """The next version; the patch is spent."""
        for v in self._unsorted_pred:
            into = self.pred.get(v)
            if into is not None:  # (not removed since)
                self.pred[v] = {u: into[u] for u in sorted(into)}
        g = nx.MultiDiGraph()
        g.graph = self.base.graph
        g._node = _rebased(self.node.finish())
        g._succ = g._adj = _rebased(self.succ.finish())
        g._pred = _rebased(self.pred.finish())
        return g


def _copied(neighbours: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A node's adjacency as a dict of its own. A graph read from a snapshot holds it as
    a view over edge arrays (graph/compact.py), whose ``copy`` reads the row once:
    ``dict(view)`` looked each neighbour up (a numpy search of the row per neighbour:
    a hub's row read once per neighbour; ~1,600 numpy calls a 100-record batch at 20k,
    each letting the interpreter go; lead31)."""
    if type(neighbours) is dict:
        return neighbours.copy()
    copy = getattr(neighbours, "copy", None)
    return copy() if copy is not None else dict(neighbours)


def _persistent(mapping: Any) -> Overlay:
    """``mapping`` as an :class:`Overlay` of it: a read-only view over columns or arrays
    (a snapshot's), or a dict (a first build's, or a load's), made in id order once."""
    if isinstance(mapping, Overlay):
        return mapping
    if isinstance(mapping, dict) and not _in_id_order(mapping):
        mapping = {key: mapping[key] for key in sorted(mapping)}
    return Overlay(mapping, immutables.Map(), len(mapping))


def _in_id_order(mapping: dict[str, Any]) -> bool:
    keys = iter(mapping)
    last = next(keys, None)
    for key in keys:
        if key < last:  # type: ignore[operator]
            return False
        last = key
    return True


def _rebased(overlay: Overlay) -> Overlay:
    """``overlay``, or when its base is dicts and its delta holds more than a quarter of
    its entries (a follow's first build: all of them), the same entries as a new base in
    id order: iterating an overlay sorts the keys its delta added, once per version."""
    if not isinstance(overlay.base, dict) or len(overlay.delta) <= max(len(overlay) // 4, 64):
        return overlay
    return Overlay({key: overlay[key] for key in overlay}, immutables.Map(), len(overlay))


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
    over it (an entry set to the deleted mark is gone). Iterates in id order: the base's
    keys (in id order: a snapshot's columns and arrays, a dict made so) not deleted, with
    the keys ``delta`` added merged in, sorted once when first iterated."""

    __slots__ = ("base", "delta", "_len", "_added")

    def __init__(self, base: Mapping[str, Any], delta: immutables.Map, length: int):
        self.base, self.delta, self._len = base, delta, length
        self._added: list[str] | None = None

    def _added_keys(self) -> list[str]:
        added = self._added
        if added is None:
            base = self.base
            added = self._added = sorted(key for key, value in self.delta.items()
                                         if value is not _GONE and key not in base)
        return added

    def __iter__(self) -> Iterator[str]:
        delta, added = self.delta, self._added_keys()
        if not delta:
            yield from self.base
            return
        later = iter(added)
        ahead = next(later, None)
        for key in self.base:
            while ahead is not None and ahead < key:
                yield ahead
                ahead = next(later, None)
            if delta.get(key) is not _GONE:
                yield key
        if ahead is not None:
            yield ahead
            yield from later

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
