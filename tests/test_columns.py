"""A graph loaded from a snapshot keeps its node attributes in columns (graph/columns.py,
graph/nodeattrs.py):
``kg.nx._node`` is a read-only mapping whose rows answer exactly as the node dicts did."""

from __future__ import annotations

import copy as copy_module
import gc
import json
import os
import pickle
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest import write_record

import graph
from bench.generate import generate
from graph import snapshot
from graph.nodeattrs import NodeAttrs, NodeColumns, NodeRow, node_columns

ROOT = Path(__file__).resolve().parent.parent


def _exact(a: Any, b: Any, where: str = "") -> None:
    """``a`` and ``b`` equal, with the same types and the same key order throughout."""
    assert type(a) is type(b), (where, a, b)
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _exact(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _exact(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert repr(a) == repr(b), where  # -0.0 is not 0.0, nan is nan
    else:
        assert a == b, where
        if isinstance(a, datetime):
            assert a.tzinfo is b.tzinfo or a.utcoffset() == b.utcoffset(), where


def _rows_equal_dicts(cold: graph.KnowledgeGraph, warm: graph.KnowledgeGraph) -> None:
    assert node_columns(warm.nx) is not None and node_columns(cold.nx) is None
    assert sorted(warm.nx) == sorted(cold.nx)
    for node, want in cold.nx.nodes(data=True):
        row = warm.nx.nodes[node]
        assert isinstance(row, NodeRow)
        assert list(row) == list(want) and len(row) == len(want)
        _exact(row.copy(), want, node)
        _exact({k: row[k] for k in want}, want, node)
        _exact(dict(row.items()), want, node)
        assert row == want and want == row
        assert [row.get(k) for k in want] == list(want.values())
        assert row.get("no such key", 7) == 7 and "no such key" not in row
        with pytest.raises(KeyError):
            row["no such key"]
        assert warm[node] == want
    assert dict(warm.nx.nodes(data="title")) == dict(cold.nx.nodes(data="title"))


def _cold_and_warm(root: Path, cache: Path) -> tuple[graph.KnowledgeGraph, graph.KnowledgeGraph]:
    cold = graph.load(root)
    written = graph.load(root, cache=cache)  # the load that writes reads its graph back
    warm = graph.load(root, cache=cache)
    assert warm.from_snapshot and node_columns(written.nx) is not None
    return cold, warm


def test_rows_equal_the_dicts_on_the_bundled_data(tmp_path: Path) -> None:
    _rows_equal_dicts(*_cold_and_warm(ROOT / "data", tmp_path))


def test_rows_equal_the_dicts_on_the_fixture_corpus_with_the_seed(tmp_path: Path) -> None:
    root = ROOT / "tests" / "fixtures" / "corpus"
    assert any(root.rglob("*sixthtone*")) or any((root / "sixthtone").iterdir())
    _rows_equal_dicts(*_cold_and_warm(root, tmp_path))


@pytest.mark.parametrize("style", ["mixed", "safe_dump", "json"])
def test_rows_equal_the_dicts_on_a_generated_corpus(tmp_path: Path, style: str) -> None:
    out = tmp_path / "corpus"
    generate(400, out, seed=5, style=style)
    _rows_equal_dicts(*_cold_and_warm(out, tmp_path / "cache"))


def test_rows_equal_the_dicts_on_hostile_values(tmp_path: Path) -> None:
    """Values of every type a record can give, and text no column must bend."""
    from test_hostile import HOSTILE_TEXT, HUGE_INTEGERS

    root = tmp_path / "corpus"
    root.mkdir()
    for name, (text, _) in {**HOSTILE_TEXT, **HUGE_INTEGERS}.items():
        (root / name).write_text(text, encoding="utf-8")
    odd = ["", " ", "\x00", "é", "日本語", "😀", "a\u0301", "İ", "ß", "\u2028", "x" * 5000]
    for i, text in enumerate(odd):
        write_record(root, f"odd{i}.md", {
            "title": text or "t", "webUrl": f"https://odd.example/{i}", "excerpt": text,
            "topics": [text] if text.strip() else [], "quality": [0.0, -0.0, 1, 0.5][i % 4],
            "heat": None if i % 2 else i, "published": [True, False, None][i % 3],
            "extra_int": 10**30 if i % 2 else -1, "extra_float": float("inf") if i == 3 else 1.5,
            "extra_list": [i, str(i), None, [True], {"k": i}], "extra_dict": {"z": 1, "a": 2},
        }, body=text)
    (root / "dates.yaml").write_text(
        "title: dated\nwebUrl: https://odd.example/dates\nday: 2020-01-02\n"
        "when: 2020-01-02T03:04:05+02:00\nnaive: 2020-01-02 03:04:05\n"
        "publishedAt: 2021-05-06T07:08:09.123456Z\nnumbers: [1, 1.0, true, -.inf, 0x10]\n",
        encoding="utf-8")
    (root / "many.json").write_text(json.dumps(
        [{"title": 1984, "webUrl": f"https://odd.example/n{i}", "related": [
            {"webUrl": f"https://odd.example/n{(i + 1) % 30}"}]} for i in range(30)]),
        encoding="utf-8")
    cold, warm = _cold_and_warm(root, tmp_path / "cache")
    _rows_equal_dicts(cold, warm)


def test_columns_of_dicts_give_back_every_value_exactly() -> None:
    tz = timezone(timedelta(hours=2))
    attrs: list[dict[str, Any]] = [
        {"kind": "article", "title": "a", "n": 1, "when": datetime(2020, 1, 1, tzinfo=UTC)},
        {"kind": "article", "title": None, "n": 1.0, "when": None},
        {"kind": "topic", "name": "x"},
        {},
        {"title": "b", "kind": "article", "n": True, "when": datetime(2020, 1, 1, tzinfo=tz)},
        {"kind": "article", "title": "\ud800 lone", "n": -0.0, "when": datetime(1, 1, 1)},
        {"kind": "article", "title": "c", "n": [1, {"d": date(2020, 1, 1)}], "when": "t"},
    ]
    ids = [f"n{i}" for i in range(len(attrs))]
    pos = {n: i for i, n in enumerate(ids)}
    columns = NodeColumns.of(ids, pos, attrs)
    small, buffers = columns.state()
    again = NodeColumns.from_state(ids, pos, small, [bytes(memoryview(b).cast("B"))
                                                     if not isinstance(b, bytes) else b
                                                     for b in buffers])
    for made in (columns, again):
        rows = NodeAttrs(made)
        for node, want in zip(ids, attrs, strict=True):
            _exact(rows[node].copy(), want, node)
    assert list(NodeAttrs(again)) == ids and "n3" in NodeAttrs(again)
    assert NodeAttrs(again).get("nowhere") is None


def test_networkx_reads_the_loaded_graph_as_the_built_one(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    generate(300, out, seed=7, style="mixed")
    cold, warm = _cold_and_warm(out, tmp_path / "cache")
    a, b = cold.nx, warm.nx
    assert nx.utils.graphs_equal(a, b)
    assert nx.get_node_attributes(a, "title") == nx.get_node_attributes(b, "title")
    assert nx.pagerank(a) == pytest.approx(nx.pagerank(b))
    start = next(n for n, k in a.nodes(data="kind") if k == "article")
    assert nx.single_source_shortest_path_length(a, start) == \
        nx.single_source_shortest_path_length(b, start)
    assert sorted(map(sorted, nx.weakly_connected_components(a))) == \
        sorted(map(sorted, nx.weakly_connected_components(b)))
    sub_a, sub_b = a.subgraph(list(a)[:50]), b.subgraph(list(a)[:50])
    assert dict(sub_a.nodes(data=True)) == dict(sub_b.nodes(data=True))
    # A copy is an ordinary graph of dicts, to change; the loaded graph is read-only.
    copy = b.copy()
    assert type(copy._node) is dict and all(type(d) is dict for d in copy._node.values())
    assert nx.utils.graphs_equal(copy, a)
    copy.nodes[start]["title"] = "changed"
    assert b.nodes[start]["title"] == a.nodes[start]["title"] != "changed"
    read_only = r"read-only .*kg\.nx\.copy\(\)"  # says why, and what to do instead
    with pytest.raises(TypeError, match=read_only):
        b.nodes[start]["title"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError, match=read_only):
        nx.set_node_attributes(b, nx.pagerank(b), "pagerank")  # the notebook's habit
    with pytest.raises(TypeError, match=read_only):
        del b.nodes[start]["title"]  # type: ignore[attr-defined]
    for method in ("update", "pop", "setdefault", "clear", "popitem"):
        with pytest.raises(TypeError, match=read_only):
            getattr(b.nodes[start], method)()
    assert b.nodes[start]["title"] == a.nodes[start]["title"]
    assert json.loads(json.dumps(nx.node_link_data(copy, edges="links"), default=str))
    row = b.nodes[start]
    assert pickle.loads(pickle.dumps(row)) == a.nodes[start]  # a row pickles as a dict
    assert type(copy_module.deepcopy(row)) is dict


def test_a_loaded_nodes_neighbours_copy_as_a_dict_of_them_does(tmp_path: Path) -> None:
    # A follow's next version copies the adjacency of each node a change touches
    # (graph/patch.py) with the view's copy(), which reads the row once: the same
    # neighbours, in the same order, with the same edges, as dict(view) — which looks
    # each neighbour up — and as the cold load's dicts.
    out = tmp_path / "corpus"
    generate(300, out, seed=7, style="mixed")
    cold, warm = _cold_and_warm(out, tmp_path / "cache")
    hubs = 0
    for node in cold.nx:
        for cold_side, warm_side in ((cold.nx._succ, warm.nx._succ),
                                     (cold.nx._pred, warm.nx._pred)):
            view = warm_side[node]
            copied = view.copy()
            assert type(copied) is dict
            assert list(copied.items()) == list(dict(view).items()) \
                == list(cold_side[node].items())
            hubs += len(copied) > 20
    assert hubs  # topics and providers with long rows are among them


def test_a_snapshot_loaded_graph_pickles_and_deep_copies(tmp_path: Path) -> None:
    # A notebook pickles its graph (joblib, multiprocessing, a saved session) or
    # deep-copies it; a snapshot-loaded kg.nx raised "cannot pickle memoryview objects".
    out = tmp_path / "corpus"
    generate(120, out, seed=5, style="mixed")
    cold, warm = _cold_and_warm(out, tmp_path / "cache")
    for made, source in ((pickle.loads(pickle.dumps(warm.nx)), warm.nx),
                         (copy_module.deepcopy(warm.nx), warm.nx),
                         (pickle.loads(pickle.dumps(cold.nx)), cold.nx)):
        assert nx.is_frozen(made)
        assert nx.utils.graphs_equal(made, cold.nx)
        for node, want in cold.nx.nodes(data=True):
            _exact(dict(made.nodes[node]), want, node)
        assert list(made.edges(keys=True, data=True)) == \
            list(source.edges(keys=True, data=True))
    again = pickle.loads(pickle.dumps(warm))  # the whole KnowledgeGraph, too
    start = warm.index.ids[int(warm.index.article_rows[0])]
    assert again.within(start, hops=2) == warm.within(start, hops=2)
    assert dict(again[start]) == dict(cold[start])


def _parts(raw: bytes | bytearray) -> list[tuple[int, int, bool]]:
    """Each part of a snapshot file: where its bytes begin, how many, and whether it was
    written by blocks (after its table of block digests)."""
    at = len(snapshot._MAGIC) + 32  # then the header's length, the header and a newline
    at += 4 + int.from_bytes(raw[at : at + 4], "big") + 1
    spans = []
    while at < len(raw):
        size = int.from_bytes(raw[at : at + 8], "big")
        by_blocks = bool(size & (1 << 63))
        size &= ~(1 << 63)
        table = 32 * -(-size // snapshot.BLOCK) if by_blocks else 0
        spans.append((at + 8 + table, size, by_blocks))
        at += 8 + table + size
    return spans


def test_a_tampered_column_part_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    generate(100, out, seed=1, style="mixed")
    cache = tmp_path / "cache"
    graph.load(out, cache=cache).snapshot_write.wait()  # type: ignore[attr-defined]
    path = snapshot.snapshot_path(cache, out)
    raw = bytearray(path.read_bytes())
    # Walk the parts (each after its 8-byte length) and flip a byte in the middle of the
    # largest column part read at start (the records' sources here, in marshal form).
    spans = [(offset, size) for offset, size, by_blocks in _parts(raw) if not by_blocks]
    offset, size = max(spans[1:], key=lambda span: span[1])
    assert size > 1000
    raw[offset + size // 2] ^= 0x20
    path.write_bytes(bytes(raw))
    kg = graph.load(out, cache=cache)
    assert not kg.from_snapshot  # refused: loaded from the corpus again
    again = graph.load(out, cache=cache)
    assert again.from_snapshot and node_columns(again.nx) is not None


def test_long_texts_are_not_read_at_start_and_a_tampered_block_is_refused_when_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The long texts' parts (over a third of a snapshot) are signed by a table of their
    # 1 KiB blocks' digests: a warm start reads the table, not the texts, and each read
    # checks the blocks it reads — even a change that kept the file's size and
    # modification time, which the file's own check cannot see.
    from graph.errors import SnapshotChanged

    out = tmp_path / "corpus"
    generate(300, out, seed=3, style="mixed")
    cache = tmp_path / "cache"
    cold, _ = _cold_and_warm(out, cache)
    path = snapshot.snapshot_path(cache, out)
    raw = path.read_bytes()
    blocked = [(offset, size) for offset, size, by_blocks in _parts(raw) if by_blocks]
    assert len(blocked) >= 2 and sum(size for _, size in blocked) > len(raw) // 4
    read: list[int] = []
    preadv = os.preadv

    def counted(fd: int, buffers: list[Any], offset: int) -> int:
        n = preadv(fd, buffers, offset)
        read.append(n)
        return n

    monkeypatch.setattr(os, "preadv", counted)
    warm = graph.load(out, cache=cache)
    assert warm.from_snapshot
    assert sum(read) <= len(raw) - sum(size for _, size in blocked)
    monkeypatch.undo()
    bodies = {n: cold.nx.nodes[n].get("body") for n in cold.nx}
    assert all(warm.nx.nodes[n].get("body") == body for n, body in bodies.items())
    # Change one byte of the bodies' part in place, keeping the file's times and size.
    columns = node_columns(warm.nx)
    assert columns is not None
    body = columns.columns["body"]
    part = body.data.file  # the part, left in the file (a _Blocked)
    st = path.stat()
    node = next(n for n in warm.nx if bodies[n] and len(bodies[n]) > 20
                and int(body.ends[warm.index.pos[n]]) >= snapshot.BLOCK)
    at = part.offset + int(body.ends[warm.index.pos[node]]) + 5
    with open(path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0x01]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size
    with pytest.raises(SnapshotChanged, match="does not match its signed digest"):
        warm.nx.nodes[node]["body"]
    # A body in another block still reads, as verified.
    other = next(n for n in warm.nx if bodies[n]
                 and int(body.ends[warm.index.pos[n]]) // snapshot.BLOCK
                 > (at - part.offset) // snapshot.BLOCK + 1)
    assert warm.nx.nodes[other]["body"] == bodies[other]


def test_a_block_rewritten_with_its_digest_in_the_table_is_refused(tmp_path: Path) -> None:
    # The table of block digests is not held in memory (only a digest of each group of
    # them): a block changed together with its digest in the file's table, size and
    # times kept, is refused by its group's digest, as it was by the table held before.
    import hashlib

    from graph.errors import SnapshotChanged

    out = tmp_path / "corpus"
    generate(300, out, seed=3, style="mixed")
    cache = tmp_path / "cache"
    cold, warm = _cold_and_warm(out, cache)
    path = snapshot.snapshot_path(cache, out)
    columns = node_columns(warm.nx)
    assert columns is not None
    body = columns.columns["body"]
    part = body.data.file  # the part, left in the file (a _Blocked)
    pos = warm.index.pos
    node = next(n for n in warm.nx if (cold.nx.nodes[n].get("body") or "")
                and int(body.ends[pos[n]]) >= 2 * snapshot.BLOCK)
    at = int(body.ends[pos[node]]) - 3  # within the node's body
    k = at // snapshot.BLOCK
    st = path.stat()
    with open(path, "r+b") as f:
        f.seek(part.offset + k * snapshot.BLOCK)
        block = bytearray(f.read(snapshot.BLOCK))
        block[at % snapshot.BLOCK] ^= 0x01
        f.seek(part.offset + k * snapshot.BLOCK)
        f.write(block)
        table = part.offset - 32 * -(-part.size // snapshot.BLOCK)
        f.seek(table + 32 * k)
        f.write(hashlib.sha256(block).digest())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size
    with pytest.raises(SnapshotChanged, match="does not match its signed digest"):
        warm.nx.nodes[node]["body"]


def test_a_new_snapshot_in_the_place_of_the_one_read_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    generate(200, out, seed=2, style="mixed")
    cache = tmp_path / "cache"
    cold, warm = _cold_and_warm(out, cache)
    node = max(cold.nx, key=lambda n: len(cold.nx.nodes[n].get("body") or ""))
    path = snapshot.snapshot_path(cache, out)
    replacement = path.with_name("new")
    replacement.write_bytes(path.read_bytes())
    os.replace(replacement, path)  # as a new load writes one: the old file unlinked
    assert warm[node]["body"] == cold[node]["body"]


@pytest.mark.parametrize("change", ["rewritten in place", "cut short"])
def test_long_texts_are_read_from_the_verified_file_and_a_change_is_refused(
        tmp_path: Path, change: str) -> None:
    from graph.columns import FileText, Same
    from graph.errors import SnapshotChanged

    out = tmp_path / "corpus"
    generate(200, out, seed=2, style="mixed")
    cache = tmp_path / "cache"
    cold, _ = _cold_and_warm(out, cache)
    warm = graph.load(out, cache=cache)
    columns = node_columns(warm.nx)
    assert columns is not None
    assert isinstance(columns.columns["body"], FileText)  # left in the file: not resident
    assert not isinstance(columns.columns["title"], FileText)  # what every answer reads
    assert isinstance(columns.columns["web_url"], Same)  # mostly the url: held once
    node = max(cold.nx, key=lambda n: len(cold.nx.nodes[n].get("body") or ""))
    assert warm[node]["body"] == cold[node]["body"]
    path = snapshot.snapshot_path(cache, out)
    if change == "cut short":
        os.truncate(path, path.stat().st_size // 2)
    else:
        with open(path, "r+b") as f:  # the same bytes, written again: the file changed
            f.seek(path.stat().st_size - 10)
            tail = f.read()
            f.seek(path.stat().st_size - 10)
            f.write(tail)
    with pytest.raises(SnapshotChanged, match="changed after it was verified"):
        warm[node]["body"]
    assert warm[node]["title"] == cold[node]["title"]  # held in memory


def test_a_column_decoded_on_first_read_answers_as_before() -> None:
    """Codes columns are decoded into a tuple on their first read through a row, dates
    when asked (graph/nodeattrs.py): before and after, each row gives what its dict
    held, with its type; values made anew per read (lists) stay so."""
    codes = [1, 1.0, True, -0.0, 0.0, None, "x"]
    attrs: list[dict[str, Any]] = []
    for i in range(70):
        d: dict[str, Any] = {"kind": "article" if i % 3 else "topic", "n": codes[i % 7]}
        if i % 3:
            d["title"] = None if i % 5 == 0 else f"t{i} \ud800 é"
            d["when"] = None if i % 4 == 0 else datetime(2020, 1, 1 + i % 28, tzinfo=UTC)
            d["tags"] = [i, str(i)]
        attrs.append(d)
    ids = [f"n{i}" for i in range(len(attrs))]
    columns = NodeColumns.of(ids, {n: i for i, n in enumerate(ids)}, attrs)
    assert {type(columns.columns[k]).__name__ for k in ("kind", "n", "title", "when")} \
        == {"Codes", "Text", "Dates"}
    rows = NodeAttrs(columns)
    for _ in range(2):  # the first pass decodes, the second reads the tuples
        for node, want in zip(ids, attrs, strict=True):
            row = rows[node]
            _exact({k: row[k] for k in want}, want, node)
            _exact({k: row.get(k) for k in want}, want, node)
            assert row.get("title", "none") == want.get("title", "none")
    _exact(columns.decoded("when"), tuple(d.get("when") for d in attrs))
    _exact(columns.decoded("n"), tuple(d["n"] for d in attrs))
    with pytest.raises(ValueError, match="'tags' is packed"):
        columns.decoded("tags")
    tags = rows["n1"]["tags"]
    tags.append("changed")
    assert rows["n1"]["tags"] == [1, "1"]


def test_a_dates_column_is_read_a_value_at_a_time_never_held_decoded() -> None:
    """Rows read a dates column's values one at a time from its microseconds: decoded
    whole on first read it held a datetime and a slot a node for the graph's life (7 MiB
    at 100k records, 70 at 1M: the serving RSS target's margin), for ~0.2 µs a read."""
    import tracemalloc

    n = 20_000
    attrs = [{"kind": "article", "when": datetime(2020, 1, 1, tzinfo=UTC)
              + timedelta(seconds=37 * i)} for i in range(n)]
    ids = [f"n{i}" for i in range(n)]
    columns = NodeColumns.of(ids, {node: i for i, node in enumerate(ids)}, attrs)
    rows = NodeAttrs(columns)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2):
            assert all(rows[node]["when"] == d["when"] for node, d in zip(ids, attrs, strict=True))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 100_000, held  # decoded whole: ~1.3 MB
    assert type(rows["n1"]["when"]) is datetime


def test_a_packed_value_read_adds_nothing_to_the_interned_strings() -> None:
    """Topic slugs are interned when the graph is built; a packed column (a list per
    article) read by a forked worker made each slug it read an interned string again:
    inserts into the interpreter's one table of them, whose pages the worker then copied,
    and at 20k records a new 1.9 MB table in every worker (serve37). A value read back
    holds strings of its own, equal to the ones packed."""
    slugs = [sys.intern("".join(["serve37-slug-", str(i)])) for i in range(3)]
    attrs: list[dict[str, Any]] = [{"kind": "article", "topics": slugs[:i]} for i in range(4)]
    ids = [f"n{i}" for i in range(len(attrs))]
    columns = NodeColumns.of(ids, {n: i for i, n in enumerate(ids)}, attrs)
    assert type(columns.columns["topics"]).__name__ == "Packed"
    rows = NodeAttrs(columns)
    read = rows["n3"]["topics"]
    assert read == slugs
    for slug in read:
        again = "".join(list(slug))  # an equal string, not interned
        assert sys.intern(again) is not slug, slug


def test_a_decoded_column_is_left_out_of_the_collectors_scans() -> None:
    """A column decoded after the server froze its graph lives as long as the graph: a
    full collection visiting each of its values (one list per column, an item per node)
    held every request for tens of ms at 20k records (serve35). Once a collection has
    seen it, the collector no longer tracks it; its values read as before."""
    attrs: list[dict[str, Any]] = [
        {"kind": "article" if i % 3 else "topic",
         "when": None if i % 4 == 0 else datetime(2020, 1, 1 + i % 28, tzinfo=UTC)}
        for i in range(50)]
    ids = [f"n{i}" for i in range(len(attrs))]
    columns = NodeColumns.of(ids, {n: i for i, n in enumerate(ids)}, attrs)
    rows = NodeAttrs(columns)
    assert [rows[n]["when"] for n in ids] == [d["when"] for d in attrs]
    for key in ("kind", "when"):
        values = columns.decoded(key)
        gc.collect()
        assert not gc.is_tracked(values), key
        assert list(values) == [d.get(key) for d in attrs]
    assert [rows[n]["kind"] for n in ids] == [d["kind"] for d in attrs]


def test_a_kept_group_of_block_digests_let_go_while_another_thread_changes_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The block digests a part keeps are read and let go from several threads (queries
    reading long texts, a change's apply): another thread changing them between the
    oldest's lookup and its removal (RuntimeError from the dict's iterator, as Python
    raises it) loses nothing and raises nothing."""

    class ChangedMeanwhile(dict):  # type: ignore[type-arg]
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("dictionary changed size during iteration")

    out = tmp_path / "corpus"
    generate(300, out, seed=3, style="mixed")
    cold, warm = _cold_and_warm(out, tmp_path / "cache")
    columns = node_columns(warm.nx)
    assert columns is not None
    body = columns.columns["body"]
    part = body.data.file  # the part, left in the file (a _Blocked)
    monkeypatch.setattr(snapshot, "GROUPS_KEPT", 1)
    part._kept = ChangedMeanwhile(part._kept)
    pos, span = warm.index.pos, snapshot.BLOCK * snapshot.GROUP
    by_group = {int(body.ends[pos[n]]) // span: n for n in warm.nx
                if cold.nx.nodes[n].get("body")}
    assert len(by_group) >= 3  # reads in three groups at least: one let go each time
    for node in by_group.values():
        assert warm.nx.nodes[node]["body"] == cold.nx.nodes[node]["body"]
