"""The read index a load builds is the one built the slow way: its adjacency from the
edge arrays equals the one from networkx's dicts, and its text, folded a batch of
articles at a time, equals each article's text folded alone (graph/index.py)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import graph
from bench.generate import generate
from graph.build import build_graph
from graph.compact import compact
from graph.index import FIELD_SEP, ReadIndex
from graph.loader import parse_files
from graph.records import list_files
from graph.report import LoadReport
from tests.conftest import record, write_record


def _built(root: Path) -> nx.MultiDiGraph:
    files = list_files(root).names
    records = [r for parsed in parse_files(files, workers=1) for r in parsed.records]
    return build_graph(records, LoadReport())


def _same_index(fast: ReadIndex, slow: ReadIndex) -> None:
    assert fast.ids == slow.ids and dict(fast.pos) == dict(slow.pos)
    assert fast.kind == slow.kind
    assert np.array_equal(fast.kind_code, slow.kind_code)
    assert set(fast.csr) == set(slow.csr)
    for kind, csr in slow.csr.items():
        assert np.array_equal(fast.csr[kind].indptr, csr.indptr), kind
        assert np.array_equal(fast.csr[kind].indices, csr.indices), kind
        assert fast.csr[kind].indices.dtype == csr.indices.dtype
    assert np.array_equal(fast.article_rows, slow.article_rows)
    assert fast.text == slow.text
    assert np.array_equal(fast.text_starts, slow.text_starts)
    assert fast.text_starts.dtype == slow.text_starts.dtype
    assert dict(fast.aliases) == dict(slow.aliases)
    assert np.array_equal(fast.rank, slow.rank)


def _slow_text(index: ReadIndex) -> tuple[bytes, list[int]]:
    """The text index as it was built: each article's blob, one after the other."""
    blobs = [index.blob(i) for i in index.article_rows.tolist()]
    starts, at = [], 0
    for blob in blobs:
        starts.append(at)
        at += len(blob) + 1
    return FIELD_SEP.join(blobs), starts


@pytest.mark.parametrize("style", ["mixed", "seed", "safe_dump", "json"])
def test_the_index_off_the_edge_arrays_is_the_index_off_the_dicts(tmp_path: Path,
                                                                   style: str) -> None:
    out = tmp_path / "corpus"
    generate(400, out, seed=5, style=style)
    built = _built(out)
    slow = ReadIndex(built)  # networkx's dicts
    ids = sorted(built)
    fast = ReadIndex(compact(built, ids, {n: i for i, n in enumerate(ids)}))
    assert fast.pos is fast.g.edge_arrays.pos  # numbered alike: shared
    _same_index(fast, slow)
    text, starts = _slow_text(slow)
    assert fast.text == text and fast.text_starts.tolist() == starts
    kg = graph.load(out)
    _same_index(kg.index, slow)


@pytest.mark.parametrize("batch", [1, 2, 3, 512])
def test_texts_folded_by_batch_equal_texts_folded_alone(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        batch: int) -> None:
    # What folding texts joined could change: a final sigma at a field's end (its context
    # stops at the NUL between texts), a combining mark beginning a field (it composes
    # with nothing across the NUL), a NUL inside a text (made a space; its batch is
    # folded a text at a time), capitals whose small letters compose (Greek Ϊ + U+0301),
    # and texts in and out of ASCII in one batch.
    from graph import index as index_module

    monkeypatch.setattr(index_module, "_FOLD_BATCH", batch)
    root = tmp_path / "corpus"
    titles = ["ΟΔΥΣΣΕΥΣ", "\u0301Accent first", "Null\x00inside", "Ϊ\u0301 ΣΑΣ",
              "plain ASCII", "Café CAFE\u0301", "ǅemal ﬁne", "Σ"]
    for k, title in enumerate(titles):
        write_record(root, f"r{k}.json",
                     record(f"r{k}", title=title, excerpt="ΤΈΛΟΣ" if k % 2 else "end Σ",
                            topics=["ΣΟΦΊΑ", "Privacy"]), form="json")
    built = _built(root)
    slow = ReadIndex(built)
    ids = sorted(built)
    fast = ReadIndex(compact(built, ids, {n: i for i, n in enumerate(ids)}))
    text, starts = _slow_text(slow)
    assert fast.text == text and slow.text == text
    assert fast.text_starts.tolist() == starts
    assert fast.mentioning(("σας",)) == slow.mentioning(("σας",))


def _same_edges(fast, slow) -> None:  # type: ignore[no-untyped-def]
    assert fast.keys == slow.keys
    for name in ("out_indptr", "out_target", "out_key", "in_indptr", "in_source", "in_edge"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert [fast.data[p] for p in range(len(fast))] == [slow.data[p] for p in range(len(slow))]
    assert fast.data.strings == slow.data.strings


@pytest.mark.parametrize("style", ["mixed", "seed", "flow", "block", "jsonl"])
def test_edge_arrays_off_the_build_log_are_those_off_the_dicts(tmp_path: Path,
                                                                style: str) -> None:
    from graph.compact import EdgeArrays

    out = tmp_path / "corpus"
    generate(400, out, seed=7, style=style)
    files = list_files(out).names
    records = [r for parsed in parse_files(files, workers=1) for r in parsed.records]
    log: list = []
    # A build that keeps its edges in the log makes none in networkx's dicts: its arrays
    # are those of a build that makes them there, edge for edge, in the dicts' order.
    built = build_graph(records, LoadReport(), share_links=True, edge_log=log)
    in_dicts = build_graph(records, LoadReport(), share_links=True)
    assert built.number_of_edges() == 0 and len(log) == in_dicts.number_of_edges() > 0
    assert list(built.nodes(data=True)) == list(in_dicts.nodes(data=True))
    ids = sorted(built)
    pos = {n: i for i, n in enumerate(ids)}
    # each node's in-edges by source id, as a load lists them (graph/loader.py)
    in_dicts._pred = {v: {u: into[u] for u in sorted(into)} for v, into in in_dicts._pred.items()}
    _same_edges(EdgeArrays.of_log(built, ids, pos, log), EdgeArrays.of(in_dicts, ids, pos))
    with pytest.raises(ValueError, match="edge log"):
        EdgeArrays.of_log(in_dicts, ids, pos, log[:-1])


def test_a_build_that_removes_a_node_keeps_no_edge_log(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # A record whose article fails once its node and links are in is removed again: the
    # log no longer tells the dicts' order, so it is left empty and the loader walks them.
    from graph import build

    root = tmp_path / "corpus"
    for k in range(4):
        link = {"webUrl": f"https://news.example/r{(k + 1) % 4}"}
        write_record(root, f"r{k}.md", record(f"r{k}", topics=["Privacy", "AI"], related=[link]))
    real = build.Builder.add_article

    def failing(self, entry, **options):  # type: ignore[no-untyped-def]
        real(self, entry, **options)
        if entry.url.endswith("r2"):
            raise RuntimeError("boom")

    monkeypatch.setattr(build.Builder, "add_article", failing)
    # The load below builds with graph.build's Builder too (not the compiled copy the
    # loader uses when the reader is compiled, whose methods are not patched).
    monkeypatch.setattr(graph.loader, "build_graph", build.build_graph)
    files = list_files(root).names
    records = [r for parsed in parse_files(files, workers=1) for r in parsed.records]
    log: list = [("stale",)]
    report = LoadReport()
    built = build_graph(records, report, share_links=True, edge_log=log)
    assert log == [] and "boom" in report.errors[0].reason
    # The edges logged until then were put in the dicts as a build without a log puts them.
    plain = build_graph(records, LoadReport(), share_links=True)
    assert nx.utils.graphs_equal(plain, built)
    for n in sorted(built):
        assert list(built.out_edges(n, keys=True, data=True)) == \
            list(plain.out_edges(n, keys=True, data=True))
        assert list(built.in_edges(n, keys=True, data=True)) == \
            list(plain.in_edges(n, keys=True, data=True))
    kg = graph.load(root)  # the loader's graph is the built one, edge for edge
    assert nx.utils.graphs_equal(kg.nx, built)
    assert [list(kg.nx.out_edges(n, keys=True)) for n in sorted(built)] == \
        [list(built.out_edges(n, keys=True)) for n in sorted(built)]


_GC_SCRIPT = """
import gc, sys
import graph
frozen = sys.argv[2] == "frozen"
if frozen:
    gc.freeze()
kg = graph.load(sys.argv[1])
ids = {id(d) for d in kg.nx._node.values() if gc.is_tracked(d)}
young = sum(id(o) in ids for o in gc.get_objects(0)) + sum(id(o) in ids for o in gc.get_objects(1))
oldest = sum(id(o) in ids for o in gc.get_objects(2))
print(gc.isenabled(), gc.get_freeze_count() > 0, young, oldest, len(ids))
"""


@pytest.mark.parametrize("frozen", [False, True])
def test_a_load_leaves_its_graph_to_the_collectors_oldest_generation(frozen: bool) -> None:
    # Left in the youngest generation, the graph would be scanned whole by the first
    # collection after the load (a pause before the first answer); a program's own
    # freeze (gc.freeze, as the server's) is never undone by it.
    import subprocess
    import sys

    from tests.conftest import SAMPLE_CORPUS

    out = subprocess.run([sys.executable, "-c", _GC_SCRIPT, str(SAMPLE_CORPUS),
                          "frozen" if frozen else "plain"], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent).stdout.split()
    enabled, still_frozen, young, oldest, nodes = out
    assert enabled == "True" and still_frozen == str(frozen) and int(nodes) > 0
    if not frozen:
        assert (int(young), int(oldest)) == (0, int(nodes))


@pytest.mark.parametrize("ids, nodes, expected", [
    (["a", "b", "c"], {"c": {}, "a": {}, "b": {}}, True),
    (["a", "c", "b"], {"a": {}, "b": {}, "c": {}}, False),  # not in order
    (["a", "a", "b"], {"a": {}, "b": {}, "c": {}}, False),  # one twice, one missing
    (["a", "b"], {"a": {}, "b": {}, "c": {}}, False),  # a node without a number
    (["a", "b", "d"], {"a": {}, "b": {}, "c": {}}, False),  # a number without a node
    ([], {}, True),
])
def test_the_index_takes_the_edge_arrays_numbering_only_when_it_is_every_node_sorted(
        ids, nodes, expected):
    from graph.index import _every_node_sorted

    assert _every_node_sorted(ids, nodes) is expected
    assert _every_node_sorted(ids, nodes) is (ids == sorted(nodes))


def test_an_index_of_a_frozen_graph_takes_its_arrays_numbering(tmp_path):
    # The arrays number the nodes sorted (graph.loader, snapshots): the index takes that
    # numbering, one copy of it, without sorting the nodes again.
    write_record(tmp_path, "a.md", record("one", "a.example", topics=["AI"]))
    write_record(tmp_path, "b.md", record("two", "b.example", topics=["AI"]))
    g = _built(tmp_path)
    ids = sorted(g._node)
    frozen = compact(g, ids, {node: i for i, node in enumerate(ids)})
    index = ReadIndex(frozen)
    assert index.ids is frozen.edge_arrays.ids and index.ids == sorted(frozen.nodes)
    assert index.pos is frozen.edge_arrays.pos


def test_a_load_counts_what_others_froze_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # gc.get_freeze_count walks every frozen object (30-70 ms at 3M): a process whose
    # server froze its graph (or a test process after its first app) paid it again at
    # every later load.
    import gc

    from graph import loader
    from tests.conftest import SAMPLE_CORPUS

    counted: list[int] = []
    monkeypatch.setattr(gc, "get_freeze_count", lambda: counted.append(1) or 1_000_000)
    monkeypatch.setattr(loader, "_FROZEN_ELSEWHERE", False)
    for _ in range(3):
        graph.load(SAMPLE_CORPUS, cache=False)
    assert counted == [1]
