"""A loaded graph's edges as arrays, and ``kg.nx`` as read-only views over them.

networkx keeps a ``MultiDiGraph``'s edges in dicts: per node a successor and a
predecessor dict, per edge an entry in each and a key dict, ~480 bytes an edge, the
largest part of a served graph (docs/performance.md). Once loaded the graph does not
change, so :class:`EdgeArrays` holds the same edges as integer arrays (each node's
out-edges and in-edges in the order networkx held them, and each edge's data dict),
~30 bytes an edge, and :func:`frozen_graph` makes a networkx graph whose ``_succ`` and
``_pred`` are :class:`collections.abc.Mapping` views over them: every networkx read
(``g[u][v]``, ``g.edges(keys=True, data=True)``, ``in_edges``, ``has_edge``,
``degree``, the algorithms) answers as on the dicts, in the same order. The graph is
frozen (``nx.freeze``): ``kg.nx.copy()`` is an ordinary graph to change.
"""

from __future__ import annotations

import threading
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    ValuesView,
)
from functools import partial
from operator import itemgetter
from typing import Any

import networkx as nx
import numpy as np

from graph.columns import Text

__all__ = ["EdgeArrays", "frozen_graph", "compact", "edge_arrays", "degree", "sources",
           "edges_keyed"]


class EdgeArrays:
    """The edges of a ``MultiDiGraph`` over nodes numbered by ``pos``.

    Out-edge ``p`` of node ``i`` (``out_indptr[i] <= p < out_indptr[i + 1]``) goes to
    node ``out_target[p]``, with key ``keys[out_key[p]]`` and data dict ``data[p]``;
    in-edge ``q`` of node ``i`` comes from ``in_source[q]`` and is out-edge
    ``in_edge[q]``. Both rows keep networkx's order.
    """

    __slots__ = ("ids", "pos", "keys", "out_indptr", "out_target", "out_key", "in_indptr",
                 "in_source", "in_edge", "_data", "_make_data")

    def __init__(self, ids: Sequence[str], pos: Mapping[str, int], keys: list[Any],
                 out_indptr: np.ndarray, out_target: np.ndarray, out_key: np.ndarray,
                 in_indptr: np.ndarray, in_source: np.ndarray, in_edge: np.ndarray,
                 data: EdgeData | Callable[[], EdgeData]):
        """``data``: the edges' data, or what makes it when first read (:attr:`data`)."""
        self.ids, self.pos, self.keys = ids, pos, keys
        self.out_indptr, self.out_target, self.out_key = out_indptr, out_target, out_key
        self.in_indptr, self.in_source, self.in_edge = in_indptr, in_source, in_edge
        self._data: EdgeData | None = data if isinstance(data, EdgeData) else None
        self._make_data: Callable[[], EdgeData] | None = \
            None if isinstance(data, EdgeData) else data

    @property
    def data(self) -> EdgeData:
        """The edges' data dicts (:class:`EdgeData`); a cold load's is made on first
        read, after the first answer (no walk reads it; the snapshot and edge views do)."""
        made = self._data
        if made is None:
            with _MAKING:
                made = self._data
                if made is None:
                    assert self._make_data is not None
                    made = self._data = self._make_data()
                    self._make_data = None
        return made

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self.__slots__ if name[0] != "_"}
        state["_data"] = self.data
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._make_data = None
        for name, value in state.items():
            setattr(self, name, value)

    @classmethod
    def of(cls, g: nx.MultiDiGraph, ids: Sequence[str],
           pos: Mapping[str, int]) -> EdgeArrays:
        """Return the edges of ``g`` (whose nodes are ``ids``, numbered by ``pos``)."""
        n = len(ids)
        succ, pred = g._succ, g._pred
        code: dict[Any, int] = {}
        out_count = [0] * n
        target: list[int] = []
        key_of: list[int] = []
        data: list[dict[str, Any]] = []
        for i, u in enumerate(ids):
            before = len(target)
            for v, keydict in succ[u].items():
                j = pos[v]
                for k, d in keydict.items():
                    target.append(j)
                    key_of.append(code.setdefault(k, len(code)))
                    data.append(d)
            out_count[i] = len(target) - before
        in_count = [0] * n
        source: list[int] = []
        in_code: list[int] = []
        for i, v in enumerate(ids):
            before = len(source)
            for u, keydict in pred[v].items():
                j = pos[u]
                for k in keydict:
                    source.append(j)
                    in_code.append(code[k])
            in_count[i] = len(source) - before
        out_target = np.array(target, dtype=np.int32)
        out_key = np.array(key_of, dtype=np.int8 if len(code) < 128 else np.int32)
        in_source = np.array(source, dtype=np.int32)
        out_indptr, in_indptr = _indptr(out_count), _indptr(in_count)
        # Which out-edge each in-edge is: match (source, target, key) of both lists.
        k = max(len(code), 1)
        out_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(out_indptr))
        out_sig = (out_rows * n + out_target) * k + out_key.astype(np.int64)
        in_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(in_indptr))
        in_sig = (in_source.astype(np.int64) * n + in_rows) * k + np.array(in_code, np.int64)
        order = np.argsort(out_sig, kind="stable")
        in_edge = order[np.searchsorted(out_sig[order], in_sig)].astype(np.int32)
        if len(in_edge) and not np.array_equal(out_sig[in_edge], in_sig):
            raise ValueError("the graph's predecessor and successor dicts disagree")
        keys = list(code)
        known = (t for d in g._node.values() for t in d.get("sources") or ())
        return cls(ids, pos, keys, out_indptr, out_target, out_key, in_indptr,
                   in_source, in_edge, EdgeData.of(data, keys, out_key, known))

    @classmethod
    def of_log(cls, g: nx.MultiDiGraph, ids: Sequence[str], pos: Mapping[str, int],
               log: Sequence[tuple[str, str, Any, dict[str, Any]]]) -> EdgeArrays:
        """Return what :meth:`of` returns, from ``log``: every edge of ``g`` once, as
        ``(source, target, key, data)``, in the order networkx's dicts received them
        (:func:`graph.build.build_graph`'s ``edge_log``; one key per node pair). A node's
        out-edges are then its edges as source in log order, its in-edges its edges as
        target by source (``pos`` in id order: by source id): two sorts, no walk over the
        dicts. ``g``'s dicts hold these edges, or none (a
        build that kept them in the log alone)."""
        n, m = len(ids), len(log)
        held = sum(len(nbrs) for nbrs in g._succ.values())
        if held and held != m:  # none held: a build that kept its edges in the log alone
            raise ValueError("the edge log does not hold the graph's edges")
        # (map and itemgetter: the passes over every edge run in C, not a generator's frame)
        at_pos = pos.__getitem__
        source = np.fromiter(map(at_pos, map(itemgetter(0), log)), np.int64, m)
        target = np.fromiter(map(at_pos, map(itemgetter(1), log)), np.int64, m)
        # Keys numbered by their first edge in the log.
        made = {k: c for c, k in enumerate(dict.fromkeys(map(itemgetter(2), log)))}
        kind = np.fromiter(map(made.__getitem__, map(itemgetter(2), log)), np.int64, m)
        out_order = np.argsort(source, kind="stable")
        # Keys numbered as of() numbers them: by their first out-edge in index order.
        out_kind = kind[out_order]
        # (a few keys: one pass each, where np.unique would hash every edge)
        first = [int(np.argmax(out_kind == c)) for c in range(len(made))]
        ordered = np.array(sorted(range(len(made)), key=first.__getitem__), dtype=np.int64)
        recode = np.zeros(max(len(made), 1), dtype=np.int64)
        recode[ordered] = np.arange(len(ordered))
        by_code = list(made)
        keys = [by_code[c] for c in ordered.tolist()]
        out_key = recode[out_kind].astype(np.int8 if len(keys) < 128 else np.int32)
        out_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(source, minlength=n), out=out_indptr[1:])
        # In-edges by source, as a followed version keeps them (graph/patch.py): ``pos``
        # numbers the nodes in id order, so by source position is by source id.
        in_order = np.lexsort((source, target))
        in_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(target, minlength=n), out=in_indptr[1:])
        at = np.empty(m, dtype=np.int64)
        at[out_order] = np.arange(m)
        # The data is made when first read: the read index and the walks read none of it.
        # Taken off the log in its order here (the log is let go after this), put in
        # out-edge order then.
        logged = list(map(itemgetter(3), log))
        return cls(ids, pos, keys, out_indptr, target[out_order].astype(np.int32), out_key,
                   in_indptr, source[in_order].astype(np.int32), at[in_order].astype(np.int32),
                   partial(_edge_data, logged, out_order, keys, out_key, g._node))

    def __len__(self) -> int:
        return len(self.out_target)

    def state(self) -> tuple[list[Any], dict[str, tuple[str, Any]], tuple[Any, ...]]:
        """Return the edges as plain data (for a snapshot): keys, arrays, data. An array
        is given as itself, contiguous: marshal writes any buffer as bytes, and no copy
        of it is made while the graph is held (a snapshot reads it back as bytes)."""
        raw = {name: (a.dtype.str, np.ascontiguousarray(a))
               for name, a in ((name, getattr(self, name)) for name in _ARRAYS)}
        return self.keys, raw, self.data.state()

    @classmethod
    def from_state(cls, ids: Sequence[str], pos: Mapping[str, int],
                   state: tuple[list[Any], dict[str, Any], tuple[Any, ...]]) -> EdgeArrays:
        """Rebuild what :meth:`state` returned."""
        keys, raw, data = state
        out_indptr, out_target, out_key, in_indptr, in_source, in_edge = (
            _array(raw[name]) for name in _ARRAYS)
        return cls(ids, pos, list(keys), out_indptr, out_target, out_key, in_indptr,
                   in_source, in_edge, EdgeData.from_state(list(keys), out_key, data))


# Held while an EdgeArrays's data is made (by whichever thread reads it first).
_MAKING = threading.Lock()


def _edge_data(logged: list[dict[str, Any]], order: np.ndarray, keys: list[Any],
               key_of: np.ndarray, nodes: Mapping[str, Mapping[str, Any]]) -> EdgeData:
    """:meth:`EdgeData.of` for :meth:`EdgeArrays.of_log` (``logged``: the data in log
    order, ``order``: the log's place of each out-edge), the evidence sharing the
    strings of the nodes' ``sources``."""
    data = list(map(logged.__getitem__, order.tolist()))
    known = (t for d in nodes.values() for t in d.get("sources") or ())
    return EdgeData.of(data, keys, key_of, known)


class EdgeData:
    """``data[p]``: out-edge ``p``'s data dict, made when read.

    Most edges' data is ``{"kind": key}`` (one dict per key, shared); a ``RELATED``
    edge's is ``{"kind": key, "evidence": [...]}``, the record sources that listed it,
    held as numbers into ``strings`` (when built, the same string objects as the
    articles' ``sources``; read from a snapshot, one UTF-8 text column); any other shape
    is kept as it is, in ``other``.
    """

    PLAIN, EVIDENCE, OTHER = 0, 1, 2

    def __init__(self, keys: list[Any], key_of: np.ndarray, shape: np.ndarray,
                 plain: dict[Any, dict[str, Any]], evidence_indptr: np.ndarray,
                 evidence: np.ndarray, strings: Sequence[str], other: dict[int, dict[str, Any]]):
        self.keys, self.key_of, self.shape, self.plain = keys, key_of, shape, plain
        self.evidence_indptr, self.evidence, self.strings = evidence_indptr, evidence, strings
        self.other = other

    @classmethod
    def of(cls, data: list[dict[str, Any]], keys: list[Any], key_of: np.ndarray,
           known: Iterable[str] = ()) -> EdgeData:
        """Return the data dicts ``data`` of edges keyed ``keys[key_of[p]]``;
        ``known``: strings to share evidence with."""
        shape = bytearray(len(data))
        plain: dict[Any, dict[str, Any]] = {}
        number: dict[str, int] = {}
        strings: list[str] = []
        for text in known:
            if isinstance(text, str) and text not in number:
                number[text] = len(strings)
                strings.append(text)
        counts, numbers, other = [0] * len(data), [], {}
        for p, (d, c) in enumerate(zip(data, key_of.tolist(), strict=True)):
            k = keys[c]
            if len(d) == 1 and d.get("kind") == k:
                plain.setdefault(k, d)
                shape[p] = cls.PLAIN
                continue
            evidence = d.get("evidence")
            if list(d) == ["kind", "evidence"] and d["kind"] == k and type(evidence) is list \
                    and all(type(t) is str for t in evidence):
                shape[p] = cls.EVIDENCE
                for t in evidence:
                    at = number.get(t)
                    if at is None:
                        at = number[t] = len(strings)
                        strings.append(t)
                    numbers.append(at)
                counts[p] = len(evidence)
            else:
                shape[p] = cls.OTHER
                other[p] = d
        return cls(keys, key_of, np.frombuffer(shape, np.int8), plain, _indptr(counts),
                   np.array(numbers, dtype=np.int32), strings, other)

    def __getitem__(self, p: int) -> dict[str, Any]:
        shape = self.shape[p]
        key = self.keys[self.key_of[p]]
        if shape == self.PLAIN:
            return self.plain[key]
        if shape == self.EVIDENCE:
            a, b = self.evidence_indptr[p], self.evidence_indptr[p + 1]
            strings = self.strings
            return {"kind": key, "evidence": [strings[t] for t in self.evidence[a:b].tolist()]}
        return self.other[p]

    def many(self, at: slice | np.ndarray) -> list[dict[str, Any]]:
        """Return the data dicts of out-edges ``at`` (a slice or an array of positions),
        in order: a few numpy passes, not one per edge."""
        keys, plain = self.keys, self.plain
        codes = self.key_of[at].tolist()
        shapes = self.shape[at]
        if not shapes.any():  # the common row: TAGGED and PUBLISHED_BY edges only
            return [plain[keys[c]] for c in codes]
        positions = (range(*at.indices(len(self.shape))) if isinstance(at, slice)
                     else at.tolist())
        strings, evidence, indptr = self.strings, self.evidence, self.evidence_indptr
        out = []
        for p, c, s in zip(positions, codes, shapes.tolist(), strict=True):
            if s == self.PLAIN:
                out.append(plain[keys[c]])
            elif s == self.EVIDENCE:
                out.append({"kind": keys[c], "evidence": [
                    strings[t] for t in evidence[indptr[p] : indptr[p + 1]].tolist()]})
            else:
                out.append(self.other[p])
        return out

    def state(self) -> tuple[Any, ...]:
        """The data as plain data; the evidence's strings as one UTF-8 text (they are
        read back as a text column, :class:`graph.columns.Text`, not a string each)."""
        arrays = (self.shape, self.evidence_indptr, self.evidence)
        strings = self.strings if isinstance(self.strings, Text) else Text.of(self.strings)
        assert strings is not None
        _, (data, ends, *none) = strings.state()
        return (tuple((a.dtype.str, np.ascontiguousarray(a)) for a in arrays),
                list(self.plain.items()),
                (data, ends.dtype.str, np.ascontiguousarray(ends)), self.other)

    @classmethod
    def from_state(cls, keys: list[Any], key_of: np.ndarray, state: tuple[Any, ...],
                   ) -> EdgeData:
        raw, plain, (data, ends_dtype, ends), other = state
        shape, indptr, evidence = (_array(r) for r in raw)
        strings: Sequence[str] = Text(data, _array((ends_dtype, ends)), None)  # type: ignore[assignment]
        return cls(keys, key_of, shape, dict(plain), indptr, evidence, strings, other)


_ARRAYS = ("out_indptr", "out_target", "out_key", "in_indptr", "in_source", "in_edge")


def _array(raw: tuple[str, Any]) -> np.ndarray:
    dtype, body = raw
    return np.frombuffer(body, dtype=np.dtype(dtype))


def _indptr(counts: list[int]) -> np.ndarray:
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


def frozen_graph(nodes: Mapping[str, Mapping[str, Any]], edges: EdgeArrays,
                 graph_attrs: dict[str, Any] | None = None) -> nx.MultiDiGraph:
    """Return a frozen ``MultiDiGraph`` with these node dicts, reading ``edges``."""
    g = nx.MultiDiGraph()
    if graph_attrs:
        g.graph.update(graph_attrs)
    g._node = nodes
    g._succ = g._adj = Adjacency(nodes, edges, out=True)
    g._pred = Adjacency(nodes, edges, out=False)
    g.edge_arrays = edges
    # networkx counts a multigraph's edges (``size``, ``number_of_edges()``) by summing
    # every node's degree, which here makes every edge's data dict: 3.3 s of CPU at
    # 100k records to find the arrays' length. Set on the instance, as ``nx.freeze``
    # sets its methods: ``g.copy()`` and subgraph views count their own edges.
    g.size = partial(_size, g)
    # So do its degree views (each neighbour's key dict made to take its length): these
    # count off the arrays when unweighted.
    g.degree = _ArrayDegreeView(g)
    g.in_degree = _ArrayInDegreeView(g)
    g.out_degree = _ArrayOutDegreeView(g)
    return nx.freeze(g)


def _size(g: nx.MultiDiGraph, weight: str | None = None) -> int | float:
    """``g.size(weight)`` of a graph from :func:`frozen_graph`: its edge count off the
    arrays, or networkx's weighted sum."""
    if weight is None:
        return len(g.edge_arrays)
    return nx.MultiDiGraph.size(g, weight=weight)


class _ArrayDegrees:
    """Unweighted degrees of a graph from :func:`frozen_graph`, off its arrays' rows
    (``_rows``: the index pointers whose spans are counted); weighted, networkx's."""

    _rows: tuple[str, ...] = ()
    _graph: nx.MultiDiGraph
    _nodes: Iterable[str]
    _weight: str | None

    def _degree_of(self, node: str) -> int:
        e = self._graph.edge_arrays
        i = e.pos[node]
        return sum(int(getattr(e, row)[i + 1] - getattr(e, row)[i]) for row in self._rows)

    def __getitem__(self, node: str) -> Any:
        if self._weight is not None:
            return super().__getitem__(node)  # type: ignore[misc]
        return self._degree_of(node)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        if self._weight is not None:
            return super().__iter__()  # type: ignore[misc]
        return self._counted()

    def _counted(self) -> Iterator[tuple[str, int]]:
        e = self._graph.edge_arrays
        counts = sum(np.diff(getattr(e, row)) for row in self._rows)
        per_node, pos = counts.tolist(), e.pos
        for node in self._nodes:
            yield node, per_node[pos[node]]


class _ArrayDegreeView(_ArrayDegrees, nx.reportviews.DiMultiDegreeView):
    _rows = ("out_indptr", "in_indptr")


class _ArrayInDegreeView(_ArrayDegrees, nx.reportviews.InMultiDegreeView):
    _rows = ("in_indptr",)


class _ArrayOutDegreeView(_ArrayDegrees, nx.reportviews.OutMultiDegreeView):
    _rows = ("out_indptr",)


def edge_arrays(g: nx.MultiDiGraph) -> EdgeArrays | None:
    """Return the arrays a graph from :func:`frozen_graph` reads, else None."""
    found = getattr(g, "edge_arrays", None)
    return found if isinstance(found, EdgeArrays) else None


class Adjacency(Mapping[str, "Neighbours"]):
    """``g._succ`` (or ``g._pred``): node → its neighbours, in the node dict's order."""

    __slots__ = ("_nodes", "_edges", "_out")

    def __init__(self, nodes: Mapping[str, Mapping[str, Any]], edges: EdgeArrays, *,
                 out: bool):
        self._nodes, self._edges, self._out = nodes, edges, out

    def __getitem__(self, node: str) -> Neighbours:
        return Neighbours(self._edges, self._edges.pos[node], self._out)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


class Neighbours(Mapping[str, dict[Any, dict[str, Any]]]):
    """One node's successors (or predecessors): neighbour → ``{key: data}``."""

    __slots__ = ("_edges", "_i", "_out")

    def __init__(self, edges: EdgeArrays, i: int, out: bool):
        self._edges, self._i, self._out = edges, i, out

    def _span(self) -> tuple[list[int], slice | np.ndarray]:
        """Return the neighbours' numbers and their out-edges' positions."""
        e, i = self._edges, self._i
        if self._out:
            a, b = int(e.out_indptr[i]), int(e.out_indptr[i + 1])
            return e.out_target[a:b].tolist(), slice(a, b)
        a, b = int(e.in_indptr[i]), int(e.in_indptr[i + 1])
        return e.in_source[a:b].tolist(), e.in_edge[a:b]

    def _row(self) -> np.ndarray:
        e, i = self._edges, self._i
        indptr, row = (e.out_indptr, e.out_target) if self._out else (e.in_indptr, e.in_source)
        return row[int(indptr[i]) : int(indptr[i + 1])]

    def items(self) -> _Items:
        """``(neighbour, {key: data})`` in order, sized and searchable as a dict's are."""
        return _Items(self)

    def values(self) -> _Values:
        return _Values(self)

    def copy(self) -> dict[str, dict[Any, dict[str, Any]]]:
        """A plain dict, as networkx's ``G.adj[n].copy()`` gives (``nx.to_dict_of_dicts``)."""
        return dict(self._pairs())

    def _pairs(self) -> Iterator[tuple[str, dict[Any, dict[str, Any]]]]:
        """``(neighbour, {key: data})`` in order, without a lookup per neighbour."""
        e = self._edges
        ids, keys = e.ids, e.keys
        nbrs, at = self._span()
        last = -1
        keydict: dict[Any, dict[str, Any]] = {}
        for j, c, d in zip(nbrs, e.out_key[at].tolist(), e.data.many(at), strict=True):
            if j != last:
                if last >= 0:
                    yield ids[last], keydict
                last, keydict = j, {}
            keydict[keys[c]] = d
        if last >= 0:
            yield ids[last], keydict

    def __iter__(self) -> Iterator[str]:
        ids, last = self._edges.ids, -1
        for j in self._row().tolist():
            if j != last:
                last = j
                yield ids[j]

    def __len__(self) -> int:
        row = self._row()
        return int(len(row) - np.count_nonzero(row[1:] == row[:-1]))

    def __getitem__(self, node: str) -> dict[Any, dict[str, Any]]:
        e = self._edges
        j = e.pos.get(node) if isinstance(node, str) else None
        if j is None:
            raise KeyError(node)
        found = np.flatnonzero(self._row() == j).tolist()
        if not found:
            raise KeyError(node)
        a = int((e.out_indptr if self._out else e.in_indptr)[self._i])
        edges = [a + at for at in found] if self._out else e.in_edge[a:][found].tolist()
        return {e.keys[e.out_key[p]]: e.data[p] for p in edges}

    def __contains__(self, node: object) -> bool:
        j = self._edges.pos.get(node) if isinstance(node, str) else None
        return j is not None and bool(np.any(self._row() == j))


class _Items(ItemsView[str, dict[Any, dict[str, Any]]]):
    """A neighbours view's items, iterated in one pass over the arrays."""

    _mapping: Neighbours

    def __iter__(self) -> Iterator[tuple[str, dict[Any, dict[str, Any]]]]:
        return self._mapping._pairs()


class _Values(ValuesView[dict[Any, dict[str, Any]]]):
    """A neighbours view's values, iterated in one pass over the arrays."""

    _mapping: Neighbours

    def __iter__(self) -> Iterator[dict[Any, dict[str, Any]]]:
        return (keydict for _, keydict in self._mapping._pairs())


def compact(g: nx.MultiDiGraph, ids: Sequence[str], pos: Mapping[str, int],
            edge_log: Sequence[tuple[str, str, Any, dict[str, Any]]] | None = None,
            ) -> nx.MultiDiGraph:
    """Return ``g`` frozen with its edges moved into arrays, sharing its node dicts
    (``ids``/``pos``: every node, numbered, as the read index numbers them;
    ``edge_log``: its edges in the order they were made, see :meth:`EdgeArrays.of_log`)."""
    edges = EdgeArrays.of_log(g, ids, pos, edge_log) if edge_log \
        else EdgeArrays.of(g, ids, pos)
    return frozen_graph(g._node, edges, g.graph)


def degree(g: nx.MultiDiGraph, node: str) -> int:
    """Return ``g.degree(node)`` (edges at ``node``, either direction), off the arrays
    when ``g`` has them rather than through a dict per neighbour."""
    e = edge_arrays(g)
    if e is None:
        return int(g.degree(node))
    i = e.pos[node]
    return int(e.out_indptr[i + 1] - e.out_indptr[i] + e.in_indptr[i + 1] - e.in_indptr[i])


def sources(g: nx.MultiDiGraph, node: str, key: Any) -> list[str]:
    """Return the sources of ``node``'s in-edges keyed ``key``, in ``g.in_edges`` order."""
    e = edge_arrays(g)
    if e is None:
        return [u for u, _, k in g.in_edges(node, keys=True) if k == key]
    if key not in e.keys:
        return []
    i = e.pos[node]
    a, b = int(e.in_indptr[i]), int(e.in_indptr[i + 1])
    wanted = e.out_key[e.in_edge[a:b]] == e.keys.index(key)
    ids = e.ids
    return [ids[j] for j in e.in_source[a:b][wanted].tolist()]


def edges_keyed(g: nx.MultiDiGraph, key: Any) -> list[tuple[str, str]]:
    """Return ``(u, v)`` for every edge of ``g`` keyed ``key``, off the arrays when ``g``
    has them (by source in index order then, else in ``g.edges`` order)."""
    e = edge_arrays(g)
    if e is None:
        return [(u, v) for u, v, k in g.edges(keys=True) if k == key]
    if key not in e.keys:
        return []
    at = np.flatnonzero(e.out_key == e.keys.index(key))
    rows = np.searchsorted(e.out_indptr, at, side="right") - 1
    ids = e.ids
    return [(ids[u], ids[v]) for u, v in zip(rows.tolist(), e.out_target[at].tolist(),
                                             strict=True)]
