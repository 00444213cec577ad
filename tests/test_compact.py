"""A loaded graph keeps its edges in arrays: ``kg.nx`` reads them through read-only views
(graph/compact.py), so serving does not hold networkx's per-edge dicts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graph
from bench.generate import generate
from bench.memory import ADJACENCY, EDGE_DATA, components
from graph.build import build_graph
from graph.loader import parse_files
from graph.records import list_files
from graph.report import LoadReport


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compact") / "corpus"
    generate(300, out, seed=3, style="mixed")
    return out


def _built(root: Path) -> nx.MultiDiGraph:
    """The graph build_graph makes of ``root``, in the order a load lists it: nodes in
    id order, each node's in-edges by source id (as a followed version keeps them,
    graph/patch.py), its out-edges as built."""
    files = list_files(root).names
    records = [r for parsed in parse_files(files, workers=1) for r in parsed.records]
    g = build_graph(records, LoadReport())
    g._node = {n: g._node[n] for n in sorted(g._node)}
    g._succ = g._adj = {n: g._succ[n] for n in g._node}
    g._pred = {n: {u: g._pred[n][u] for u in sorted(g._pred[n])} for n in g._node}
    return g


def _in_order(g: nx.MultiDiGraph) -> dict[str, object]:
    return {
        "nodes": list(g.nodes(data=True)),
        "out": {n: list(g.out_edges(n, keys=True, data=True)) for n in g},
        "in": {n: list(g.in_edges(n, keys=True, data=True)) for n in g},
        "degree": dict(g.degree()),
    }


@pytest.mark.parametrize("warm", [False, True])
def test_the_loaded_graph_is_the_built_graph_edge_for_edge(generated: Path, tmp_path: Path,
                                                           warm: bool) -> None:
    built = _built(generated)
    if warm:
        graph.load(generated, cache=tmp_path)
    kg = graph.load(generated, cache=tmp_path) if warm else graph.load(generated)
    assert nx.utils.graphs_equal(kg.nx, built)
    got, want = _in_order(kg.nx), _in_order(built)
    assert got["nodes"] == want["nodes"]  # in id order (see _built)
    assert got["out"] == want["out"] and got["in"] == want["in"]
    assert got["degree"] == want["degree"]
    assert kg.nx.number_of_edges() == built.number_of_edges()
    some, v = next((u, v) for u, v, k in built.edges(keys=True) if k == "RELATED")
    assert kg.nx.has_edge(some, v, "RELATED") and not kg.nx.has_edge(v, some, "TAGGED")
    assert kg.nx.edges[some, v, "RELATED"] == built.edges[some, v, "RELATED"]
    assert kg.nx[some][v] == built[some][v]
    with pytest.raises(KeyError):
        kg.nx.succ["article:https://nowhere.example/x"]


def test_the_loaded_graph_is_read_only_and_copies_into_a_mutable_one(generated: Path) -> None:
    kg = graph.load(generated)
    assert nx.is_frozen(kg.nx)
    node = next(iter(kg.nx))
    with pytest.raises(nx.NetworkXError, match="Frozen graph can't be modified"):
        kg.nx.add_edge(node, "topic:new", key="TAGGED", kind="TAGGED")
    copy = kg.nx.copy()
    assert nx.utils.graphs_equal(copy, kg.nx)
    copy.add_edge(node, "topic:new", key="TAGGED", kind="TAGGED")
    assert copy.has_edge(node, "topic:new") and not kg.nx.has_edge(node, "topic:new")


@pytest.mark.parametrize("warm", [False, True])
def test_the_adjacency_costs_bytes_per_edge_not_dicts(generated: Path, tmp_path: Path,
                                                      warm: bool) -> None:
    if warm:
        graph.load(generated, cache=tmp_path)
    kg = graph.load(generated, cache=tmp_path) if warm else graph.load(generated)
    edges = kg.nx.number_of_edges()
    per_edge = components(kg)[ADJACENCY] / edges
    # networkx's dicts hold ~480 bytes an edge here; arrays (both directions) ~30.
    assert per_edge < 64, per_edge



@pytest.mark.parametrize("warm", [False, True])
def test_related_evidence_costs_bytes_per_edge_not_dicts(generated: Path, tmp_path: Path,
                                                         warm: bool) -> None:
    """A RELATED edge's data (its evidence, the records that listed it) is made when read;
    held, it is numbers into the records' sources, which the articles hold anyway."""
    if warm:
        graph.load(generated, cache=tmp_path)
    kg = graph.load(generated, cache=tmp_path) if warm else graph.load(generated)
    per_edge = components(kg)[EDGE_DATA] / kg.counts["edges"]
    # A dict, a list and a string an edge: ~140 here. Warm, the articles' sources are in
    # a column (graph/columns.py), so the evidence's text is counted here, as UTF-8.
    assert per_edge < (32 if warm else 24), per_edge
    built = _built(generated)
    related = [(u, v) for u, v, k in built.edges(keys=True) if k == "RELATED"]
    assert related
    for u, v in related:
        assert kg.nx.edges[u, v, "RELATED"] == built.edges[u, v, "RELATED"]


def test_the_array_shortcuts_answer_as_networkx_does(generated: Path) -> None:
    """degree, sources and edges_keyed read the arrays directly; networkx reads the
    built graph's dicts: the same answers (edges_keyed: the same pairs)."""
    from graph import compact

    kg, built = graph.load(generated), _built(generated)
    for kind in ("RELATED", "TAGGED", "PUBLISHED_BY", "NOT_A_KIND"):
        want = [(u, v) for u, v, k in built.edges(keys=True) if k == kind]
        assert sorted(compact.edges_keyed(kg.nx, kind)) == sorted(want)
        assert sorted(compact.edges_keyed(built, kind)) == sorted(want)
        for node in built:
            assert compact.sources(kg.nx, node, kind) == \
                [u for u, _, k in built.in_edges(node, keys=True) if k == kind]
    for node in built:
        assert compact.degree(kg.nx, node) == built.degree(node) == compact.degree(built, node)


def test_the_neighbour_views_behave_as_networkx_dicts_do(generated: Path) -> None:
    """What networkx's converters call on an adjacency (``.copy()``, sized ``.items()``)."""
    kg, built = graph.load(generated), _built(generated)
    assert nx.to_dict_of_dicts(kg.nx) == nx.to_dict_of_dicts(built)
    node = next(n for n in built if built.succ[n] and built.pred[n])
    for view, plain in ((kg.nx.succ[node], built.succ[node]), (kg.nx.pred[node], built.pred[node])):
        assert view.copy() == plain.copy()
        assert len(view.items()) == len(plain.items()) and len(view.values()) == len(plain)
        first = next(iter(plain.items()))
        assert first in view.items() and list(view.items()) == list(plain.items())
    assert kg.nx.adj.copy() == built.adj.copy()


def test_a_cold_loads_edge_data_made_on_first_read_is_one_and_the_same(generated: Path) -> None:
    # A cold load's edge data is made when first read (not before the first answer):
    # threads reading it at once get one EdgeData, the same data as the built graph's,
    # and a graph pickled before any read carries it.
    import pickle
    import threading

    from graph.compact import edge_arrays

    kg = graph.load(generated)
    edges = edge_arrays(kg.nx)
    assert edges is not None
    copy = pickle.loads(pickle.dumps(kg.nx))
    seen: list[object] = []
    readers = [threading.Thread(target=lambda: seen.append(edges.data)) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(seen) == 4 and all(made is seen[0] for made in seen)
    built = _built(generated)
    assert _in_order(kg.nx) == _in_order(built) == _in_order(copy)


def _counted(generated: Path, tmp_path: Path, warm: bool) -> tuple[Any, Any, Any]:
    """The built graph, a load (cold, or ``warm`` from its snapshot) and its pickled copy."""
    import pickle

    built = _built(generated)
    if warm:
        graph.load(generated, cache=tmp_path)
    kg = graph.load(generated, cache=tmp_path) if warm else graph.load(generated)
    return built, kg, pickle.loads(pickle.dumps(kg.nx))


@contextlib.contextmanager
def _no_walk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within it, counting an edge by walking the adjacency fails the test."""
    from graph.compact import EdgeData, Neighbours

    def walked(*args: object, **kwargs: object) -> None:
        raise AssertionError("counted by walking the adjacency")

    with monkeypatch.context() as m:
        m.setattr(Neighbours, "_pairs", walked)
        m.setattr(EdgeData, "many", walked)
        yield


@pytest.mark.parametrize("warm", [False, True])
def test_counting_the_edges_reads_the_arrays_not_every_adjacency(
        generated: Path, tmp_path: Path, warm: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kg.nx.number_of_edges()`` and ``size()`` are the arrays' length: networkx's own
    count sums every node's degree, making every edge's data dict on the way (3.3 s of
    CPU at 100k records, most of ``bench.load``'s warm run), to find a number it holds."""
    built, kg, pickled = _counted(generated, tmp_path, warm)
    with _no_walk(monkeypatch):
        for g in (kg.nx, pickled):
            assert g.number_of_edges() == built.number_of_edges() > 0
            assert g.size() == built.size() == built.number_of_edges()
    # With arguments, networkx's answer, as on the built graph's dicts.
    u, v = next((u, v) for u, v, k in built.edges(keys=True) if k == "RELATED")
    assert kg.nx.number_of_edges(u, v) == built.number_of_edges(u, v) == 1
    assert kg.nx.number_of_edges(v, u) == built.number_of_edges(v, u)
    assert kg.nx.size(weight="nothing") == built.size(weight="nothing")
    copy = kg.nx.copy()  # an ordinary graph: counts its own (changing) edges
    copy.add_edge(u, v, key="EXTRA")
    assert copy.number_of_edges() == copy.size() == built.number_of_edges() + 1


@pytest.mark.parametrize("warm", [False, True])
def test_degrees_read_the_arrays_and_answer_as_networkx_does(
        generated: Path, tmp_path: Path, warm: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``degree``, ``in_degree`` and ``out_degree`` count a node's edges off the arrays:
    networkx's multigraph views make every neighbour's key dict and every edge's data
    dict to take their lengths (``dict(kg.nx.degree())``: 3.9 s of CPU at 100k)."""
    built, kg, pickled = _counted(generated, tmp_path, warm)
    node = max(built, key=lambda n: (built.in_degree(n), n))
    some = sorted(built)[:7]
    with _no_walk(monkeypatch):
        for g in (kg.nx, pickled):
            for name in ("degree", "in_degree", "out_degree"):
                view, want = getattr(g, name), getattr(built, name)
                # (a warm graph lists its nodes in its own order: the views follow it)
                assert dict(view) == dict(want) and [n for n, _ in view()] == list(g)
                assert view[node] == want[node] == view(node)
                assert list(view(some)) == list(want(some)) and len(view(some)) == 7
            assert g.in_degree[node] > 1
            with pytest.raises(KeyError):
                g.degree["topic:not-in-this-graph"]
    # Weighted, networkx's own sum over the edges' data, as on the built graph.
    for name in ("degree", "in_degree", "out_degree"):
        assert dict(getattr(kg.nx, name)(weight="w")) == dict(getattr(built, name)(weight="w"))
        assert getattr(kg.nx, name)(node, weight="w") == getattr(built, name)(node, weight="w")
    copy = kg.nx.copy()
    copy.add_edge(node, "topic:new", key="TAGGED")
    assert copy.degree(node) == built.degree(node) + 1 and copy.in_degree("topic:new") == 1
