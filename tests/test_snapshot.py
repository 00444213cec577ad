"""The snapshot cache: a warm start gives the same graph, any change to the corpus
rebuilds it, and a corrupt or foreign snapshot is never unpickled."""

from __future__ import annotations

import marshal
import os
import pickle
import threading
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graph
from graph import snapshot
from tests.conftest import record, write_record


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write_record(root, "a.md", record("a", topics=["Facial Recognition"],
                                      related=[{"title": "B", "webUrl": "https://news.example/b"}]))
    write_record(root, "b.yaml", record("b", title="Facial recognition at the gates",
                                        topics=["Privacy", "Facial Recognition"]),
                 form="yaml")
    write_record(root, "c.json", [record("c"), record("d")], form="json")
    return root


def _same(a: graph.KnowledgeGraph, b: graph.KnowledgeGraph) -> None:
    assert nx.utils.graphs_equal(a.nx, b.nx)
    assert a.report == b.report
    start = "article:https://news.example/a"
    assert a.within(start, 2, mentions="facial recognition") == \
        b.within(start, 2, mentions="facial recognition")


def _written(kg: graph.KnowledgeGraph) -> graph.KnowledgeGraph:
    """``kg`` once the snapshot its cold load writes after returning is written (or not:
    graph.loader.SnapshotWrite)."""
    write = getattr(kg, "snapshot_write", None)
    if write is not None:
        assert write.wait(60)
    return kg


def _cold_then_warm_the_same(corpus: Path, cache: Path) -> None:
    """A load that writes the snapshot, one from it and one without it: one graph."""
    cold = graph.load(corpus, cache=cache)
    warm = graph.load(corpus, cache=cache)
    assert not cold.from_snapshot and warm.from_snapshot
    _same(cold, warm)
    _same(graph.load(corpus), warm)


def test_warm_start_gives_the_same_graph(corpus: Path, tmp_path: Path) -> None:
    _cold_then_warm_the_same(corpus, tmp_path / "cache")


def test_a_first_load_takes_its_fingerprint_from_the_files_as_read(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With no snapshot to read, the corpus is not stat'ed before it is parsed (a serial
    # pass over every file, ~0.4 s of CPU at 100k): the snapshot's fingerprint is made of
    # each file's stat as it was read, and the next load finds it.
    (corpus / "notes.txt").write_text("not a record\n")  # skipped: stat'ed, not opened
    calls: list[int] = []
    real = snapshot.fingerprint
    loading = threading.get_ident()

    def counted(*args: Any, **kwargs: Any) -> str:
        if threading.get_ident() == loading:  # (the write's thread checks the corpus
            calls.append(1)                   # again once the load returned)
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshot, "fingerprint", counted)
    cold = graph.load(corpus, cache=tmp_path / "cache")
    assert calls == []
    _written(cold)
    warm = graph.load(corpus, cache=tmp_path / "cache")
    assert not cold.from_snapshot and warm.from_snapshot
    _same(cold, warm)
    assert len(warm.report.skipped) == 1


@pytest.fixture(params=["compiled", "python"])
def stat_pass(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The corpus stat'ed for its fingerprint by graph/_native/filestats.c, then by the
    Python pass an install without a C compiler uses."""
    if request.param == "compiled":
        assert snapshot._filestats() is not None, \
            "graph._native.filestats is not built: run pip install -e . again"
    else:
        monkeypatch.setenv("NEWSGRAPH_PURE_STATS", "1")
        assert snapshot._filestats() is None
    return str(request.param)


def test_the_fingerprint_of_the_stats_read_is_the_corpus_fingerprint(
        corpus: Path, stat_pass: str) -> None:
    from graph.loader import parse_files
    from graph.records import list_files

    (corpus / "notes.txt").write_text("not a record\n")
    (corpus / "sub").mkdir()
    for i in range(12):  # more files than one thread stats: chunks joined in order
        (corpus / "sub" / f"n{i:02}.txt").write_text("x" * i)
    (corpus / "sub" / "ünïcode.txt").write_text("é")
    os.symlink(corpus / "a.md", corpus / "sub" / "link.md")
    names = list_files(corpus).names
    options = {"max_file_bytes": 1000}
    stats = [parsed.stat for parsed in parse_files(names, workers=1)]
    assert snapshot.fingerprint_of(corpus, names, stats, options) == \
        snapshot.fingerprint(corpus, names, options)
    assert snapshot.fingerprint_of(corpus, names, [*stats[:-1], None], options) is None
    assert snapshot.fingerprint_of(corpus, names, stats[:-1], options) is None


@pytest.mark.parametrize("change", ["edit", "add", "remove", "touch", "rename"])
def test_any_change_to_the_corpus_rebuilds(corpus: Path, tmp_path: Path, change: str,
                                           stat_pass: str) -> None:
    cache = tmp_path / "cache"
    _written(graph.load(corpus, cache=cache))
    target = corpus / "b.yaml"
    if change == "edit":  # same size, same mtime: only the content and change time differ
        st = target.stat()
        text = target.read_text().replace("gates", "GATES")
        target.write_text(text)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif change == "add":
        write_record(corpus, "e.md", record("e"))
    elif change == "remove":
        target.unlink()
    elif change == "touch":
        st = target.stat()
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    else:
        target.rename(corpus / "b2.yaml")
    again = graph.load(corpus, cache=cache)
    assert not again.from_snapshot
    _same(graph.load(corpus), again)
    assert graph.load(corpus, cache=cache).from_snapshot


def test_the_compiled_stat_pass_gives_what_os_stat_gives(tmp_path: Path) -> None:
    # graph/_native/filestats.c stats a warm start's files without a Python object a
    # file (os.stat's stat_result cost half of each stat's CPU): the same four numbers
    # as os.stat, packed, following symlinks, for str, bytes and path-like names.
    native = snapshot._filestats()
    assert native is not None, "graph._native.filestats is not built: pip install -e ."
    (tmp_path / "a.md").write_text("abc")
    (tmp_path / "ünï côde.yaml").write_text("x" * 5000)
    os.utime(tmp_path / "a.md", ns=(1, -1_500_000_001))  # before 1970
    os.symlink(tmp_path / "a.md", tmp_path / "link.md")
    undecodable = os.fsencode(tmp_path) + b"/bad\xff.md"
    with open(undecodable, "w") as f:
        f.write("zz")
    names: list[Any] = [str(tmp_path / "a.md"), tmp_path / "ünï côde.yaml",
                        str(tmp_path / "link.md"), os.fsdecode(undecodable), undecodable]
    want = b"".join(snapshot._STAT.pack(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
                    for st in map(os.stat, names))
    assert native.stats(names, 0, len(names)) == want
    assert native.stats(names, 1, 3) == want[32:96]
    assert native.stats(names, 2, 2) == b""
    assert snapshot._stat_chunk_in_python(names, 0, len(names)) == want
    missing = str(tmp_path / "gone.md")
    with pytest.raises(FileNotFoundError) as raised:
        native.stats([names[0], missing], 0, 2)
    assert raised.value.filename == missing and raised.value.errno == 2
    with pytest.raises(ValueError, match="no range"):
        native.stats(names, 0, 9)
    with pytest.raises(TypeError):
        native.stats([1], 0, 1)


def test_a_corrupt_snapshot_is_ignored(corpus: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _written(graph.load(corpus, cache=cache))
    path = snapshot.snapshot_path(cache, corpus)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    again = _written(graph.load(corpus, cache=cache))
    assert not again.from_snapshot
    _same(graph.load(corpus), again)
    path.write_bytes(b"garbage")
    assert not graph.load(corpus, cache=cache).from_snapshot


def test_a_foreign_snapshot_is_never_unpickled(corpus: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    _written(graph.load(corpus, cache=cache))
    path = snapshot.snapshot_path(cache, corpus)
    # Someone else writes a well-formed snapshot with the right fingerprint but signs it
    # with another key: it could as well hold a pickle that runs code when loaded.
    (cache / "snapshot.key").rename(cache / "mine.key")
    files = graph.records.list_files(corpus).names
    options = {"max_file_bytes": graph.records.DEFAULT_MAX_FILE_BYTES}
    digest = snapshot.fingerprint(corpus, files, options)
    other = graph.load(corpus)
    snapshot.write_snapshot(cache, corpus, digest, (other.nx, other.report, other.index))
    forged = path.read_bytes()
    (cache / "mine.key").replace(cache / "snapshot.key")
    path.write_bytes(forged)

    # The load then writes its own snapshot and reads its graph back from those bytes
    # (what it made itself): only decoding before that write would be the forged file.
    written: list[Path] = []
    write_packed = snapshot.write_packed

    def write(*args: Any, **kwargs: Any) -> Path:
        written.append(write_packed(*args, **kwargs))
        return written[-1]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unsigned snapshot was unpickled")

    loads = {pickle: pickle.loads, marshal: marshal.loads}
    for module, real in loads.items():
        monkeypatch.setattr(module, "loads", lambda *a, real=real, **k: (
            real(*a, **k) if written else refuse()))
    monkeypatch.setattr(snapshot, "write_packed", write)
    assert not _written(graph.load(corpus, cache=cache)).from_snapshot
    assert written == [path]


def test_an_untrusted_key_file_is_replaced(corpus: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _written(graph.load(corpus, cache=cache))
    key = cache / "snapshot.key"
    key.chmod(0o644)  # readable by others: anyone could sign with it
    assert not graph.load(corpus, cache=cache).from_snapshot
    assert key.stat().st_mode & 0o077 == 0
    assert graph.load(corpus, cache=cache).from_snapshot


def test_a_date_in_an_extra_field_is_stored_as_its_iso_text(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write_record(root, "a.md", record("a", embargo=date(2024, 5, 1)))
    cache = tmp_path / "cache"
    cold = graph.load(root, cache=cache)
    warm = graph.load(root, cache=cache)
    assert warm.from_snapshot
    assert warm["article:https://news.example/a"]["extra"] == {"embargo": "2024-05-01"}
    _same(cold, warm)


def test_the_cli_loads_from_the_cache_it_wrote(corpus: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from schema.cli import main

    cache = tmp_path / "cache"
    assert main(["load", str(corpus), "--json", "--cache", str(cache)]) == 0
    cold = capsys.readouterr().out
    assert snapshot.snapshot_path(cache, corpus).exists()
    assert main(["load", str(corpus), "--json", "--cache", str(cache)]) == 0
    assert capsys.readouterr().out == cold


# -- hostile snapshot and key files, and every fallback said -----------------------------------


def _load_within(corpus: Path, cache: Path, seconds: float = 10) -> graph.KnowledgeGraph:
    import threading

    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.update(kg=graph.load(corpus, cache=cache)),
                              daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the load hung"
    return box["kg"]  # type: ignore[return-value]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize("which", ["snapshot", "key"])
def test_a_pipe_at_the_snapshot_or_key_path_never_hangs(corpus: Path, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture,
                                                         which: str) -> None:
    cache = tmp_path / "cache"
    _written(graph.load(corpus, cache=cache))
    path = snapshot.snapshot_path(cache, corpus) if which == "snapshot" else \
        cache / "snapshot.key"
    path.unlink()
    os.mkfifo(path)
    with caplog.at_level("INFO", logger="newsgraph"):
        kg = _load_within(corpus, cache)
    assert not kg.from_snapshot and kg.report.records == 4
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "not a regular file" in said, said


def test_a_snapshot_truncated_while_verified_is_an_error_not_a_signal(corpus: Path,
                                                                     tmp_path: Path) -> None:
    import subprocess
    import sys

    cache = tmp_path / "cache"
    _written(graph.load(corpus, cache=cache))
    script = f"""
import logging, os, threading
from pathlib import Path
import graph
from graph import snapshot
from graph.records import list_files, DEFAULT_MAX_FILE_BYTES
logging.basicConfig(level=logging.INFO, format="%(message)s")
corpus, cache = Path({str(corpus)!r}), Path({str(cache)!r})
path = snapshot.snapshot_path(cache, corpus)
size = path.stat().st_size
def truncating(real):  # the body's reads: each part in one pread, or preadv past 2 GiB
    def read(fd, what, offset):
        if threading.current_thread().name == "snapshot-read":
            os.truncate(path, 0)
        return real(fd, what, offset)
    return read
os.preadv, os.pread = truncating(os.preadv), truncating(os.pread)
files = list_files(corpus).names
digest = snapshot.fingerprint(corpus, files, {{"max_file_bytes": DEFAULT_MAX_FILE_BYTES}})
pending = snapshot.open_snapshot(cache, corpus)
os.truncate(path, 0)
payload = pending.result(digest)
print("result:", payload is None, pending.reason)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "result: True truncated while read" in done.stdout, done.stdout


def test_every_fallback_is_logged_with_its_reason(corpus: Path, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    with caplog.at_level("INFO", logger="newsgraph"):
        _written(graph.load(corpus, cache=cache))  # none yet
        path = snapshot.snapshot_path(cache, corpus)
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))  # its signature no longer verifies
        assert not graph.load(corpus, cache=cache).from_snapshot
        write_record(corpus, "new.md", record("new"))
        assert not graph.load(corpus, cache=cache).from_snapshot  # stale
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert any("no snapshot" in m for _, m in said), said
    assert ("WARNING", next(m for _, m in said if "signature" in m)) in said
    assert any("corpus changed" in m or "stale" in m for _, m in said), said


def test_a_cache_that_cannot_be_written_is_said(corpus: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    cache.write_text("a file, not a folder", encoding="utf-8")
    with caplog.at_level("INFO", logger="newsgraph"):
        kg = _written(graph.load(corpus, cache=cache))
    assert kg.report.records == 4
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("not written" in m and str(cache) in m for m in warnings), warnings


def test_tagged_and_published_by_edges_share_one_key_dict_cold_and_warm(
        corpus: Path, tmp_path: Path) -> None:
    """Memory: every TAGGED (PUBLISHED_BY) edge holds the same data dict, in both
    adjacencies, after a cold load and after a warm start; the graph is unchanged. (The
    key dicts kg.nx hands out are made on access, graph/compact.py.)"""
    from graph.build import build_graph
    from graph.loader import parse_files
    from graph.records import list_files

    records = [r for p in parse_files(list_files(corpus).names) for r in p.records]
    plain = build_graph(records, graph.LoadReport())
    cache = tmp_path / "cache"
    cold, warm = graph.load(corpus, cache=cache), graph.load(corpus, cache=cache)
    assert not cold.from_snapshot and warm.from_snapshot
    for kg in (cold, warm):
        g = kg.nx
        assert nx.utils.graphs_equal(g, plain)
        for kind in ("TAGGED", "PUBLISHED_BY"):
            keydicts = [(u, v, kd) for u, nbrs in g._succ.items() for v, kd in nbrs.items()
                        if kind in kd]
            assert len(keydicts) > 1
            assert len({id(kd[kind]) for _, _, kd in keydicts}) == 1
            assert all(g._pred[v][u][kind] is kd[kind] for u, v, kd in keydicts)


@pytest.mark.parametrize("after", [True, False], ids=["written-after", "written-before"])
def test_a_load_that_writes_a_snapshot_serves_the_graph_read_back(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: bool) -> None:
    """Memory: the graph built among the parse's freed records is let go once the snapshot
    is written; the graph served is then the one read back from it, equal to a plain
    load's: written after the load returned (the built graph served meanwhile) or, past
    BACKGROUND_MAX_RECORDS, before."""
    import weakref

    from graph import loader

    if not after:
        monkeypatch.setattr(loader, "BACKGROUND_MAX_RECORDS", 0)

    built: list[weakref.ref[nx.MultiDiGraph]] = []
    build = loader.build_graph

    def watched(records, report, **options):
        g = build(records, report, **options)
        built.append(weakref.ref(g))
        return g

    compacted: list[weakref.ref[nx.MultiDiGraph]] = []
    compact = loader.compact

    def watched_compact(g, ids, pos, *more):
        frozen = compact(g, ids, pos, *more)
        compacted.append(weakref.ref(frozen))
        return frozen

    # The write held until the built graph is seen served: on a tiny corpus the thread
    # could otherwise finish before the first check.
    import threading

    from graph import snapshotwrite

    gate = threading.Event()
    write = snapshotwrite.SnapshotWrite._write

    def held_write(self: snapshotwrite.SnapshotWrite) -> None:
        gate.wait(60)
        write(self)

    monkeypatch.setattr(snapshotwrite.SnapshotWrite, "_write", held_write)
    monkeypatch.setattr(loader, "build_graph", watched)
    monkeypatch.setattr(loader, "compact", watched_compact)
    try:
        kg = graph.load(corpus, cache=tmp_path / "cache")
        assert hasattr(kg, "snapshot_write") == after
        if after:
            assert kg.nx is compacted[0]()  # served as built until the snapshot is written
    finally:
        gate.set()
    if after:
        assert kg.snapshot_write.wait(60)  # type: ignore[attr-defined]
        assert kg.nx is not compacted[0]() and kg.index.g is kg.nx
    assert len(built) == 1 and built[0]() is None
    assert len(compacted) == 1 and compacted[0]() is None  # its arrays too
    assert not kg.from_snapshot
    plain = graph.load(corpus)  # no cache: its edges moved into arrays, the built graph goes
    assert len(built) == 2 and built[1]() is None
    _same(kg, plain)


def test_a_snapshot_in_many_parts_reads_back_the_same(corpus: Path, tmp_path: Path) -> None:
    # Written a part at a time (never one buffer of the whole graph): the core, then each
    # buffer of the node columns (graph/columns.py) its own part, cold and warm.
    kg = graph.load(corpus)
    _, parts = snapshot.pack(kg.nx, kg.report, kg.index)
    assert len(parts) > 10
    _cold_then_warm_the_same(corpus, tmp_path / "cache")


def test_a_value_marshal_cannot_hold_is_a_pickle_and_the_graph_is_left_as_it_was(
        corpus: Path) -> None:
    from datetime import UTC, datetime

    kg = graph.load(corpus)
    node = "article:https://news.example/a"
    kg.nx._node[node]["extra"]["seen"] = datetime(2020, 1, 2, tzinfo=UTC)
    before = {n: dict(d) for n, d in kg.nx.nodes(data=True)}
    form, parts = snapshot.pack(kg.nx, kg.report, kg.index)
    assert any(b"\x80\x05" in bytes(p) for p in parts)  # the extra with a date: a pickle
    assert {n: dict(d) for n, d in kg.nx.nodes(data=True)} == before
    g, report, _ = snapshot.unpack(form, parts)
    assert parts == []  # read back a part at a time, each let go
    assert {n: dict(d) for n, d in g.nodes(data=True)} == before and report == kg.report
    assert g.nodes[node]["extra"]["seen"] == datetime(2020, 1, 2, tzinfo=UTC)


def test_packing_to_read_back_takes_the_graph_apart(corpus: Path) -> None:
    # consume: the node dicts leave the graph as their columns are made, so the parts
    # take its place in memory (the loader reads its graph back from them).
    kg = graph.load(corpus)
    before = {n: dict(d) for n, d in kg.nx.nodes(data=True)}
    parts = list(snapshot.pack_parts(kg.nx, kg.report, kg.index, consume=True))
    assert kg.nx._node == {}
    g, _, _ = snapshot.unpack(snapshot.PARTS, parts)
    assert {n: dict(d) for n, d in g.nodes(data=True)} == before


def test_a_snapshot_changed_after_it_was_written_is_not_read_back(
        corpus: Path, tmp_path: Path) -> None:
    # The load reads its graph back from the file it wrote, a part at a time, each
    # checked against what it wrote: a part changed on disk meanwhile is never decoded.
    kg = graph.load(corpus)
    spans: list[tuple[int, int, bytes]] = []
    path = snapshot.write_packed(tmp_path, corpus, "x", snapshot.PARTS,
                                 snapshot.pack_parts(kg.nx, kg.report, kg.index), spans)
    g, _, _ = snapshot.unpack(snapshot.PARTS, snapshot.read_parts(path, spans))
    assert nx.utils.graphs_equal(g, kg.nx)
    offset, size, _ = spans[-1]
    raw = bytearray(path.read_bytes())
    raw[offset + size - 1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="changed after it was written"):
        snapshot.unpack(snapshot.PARTS, snapshot.read_parts(path, spans))


@pytest.mark.parametrize("after", [True, False], ids=["written-after", "written-before"])
def test_a_snapshot_that_fails_while_written_is_said_and_the_graph_served(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, after: bool) -> None:
    # Written after the load returned, the built graph serves on as it was. Written before
    # (past BACKGROUND_MAX_RECORDS), its parts took the built graph's place as they were
    # written: a write that fails midway (a full disk) leaves no graph to serve, so the
    # load reads the corpus again.
    from graph import loader

    if not after:
        monkeypatch.setattr(loader, "BACKGROUND_MAX_RECORDS", 0)
    real = snapshot.write_packed

    def full_disk(cache_dir, root, digest, form, parts, spans=None, by_blocks=frozenset()):
        def failing():
            yield next(iter(parts))
            raise OSError(28, "No space left on device")
        return real(cache_dir, root, digest, form, failing(), spans, by_blocks)

    monkeypatch.setattr(snapshot, "write_packed", full_disk)
    kg = _written(graph.load(corpus, cache=tmp_path / "cache"))
    said = [r.message for r in caplog.records if "No space left" in r.message]
    assert said and all(("again" in m) != after for m in said), said
    _same(kg, graph.load(corpus))
    assert not list((tmp_path / "cache").glob("*.snapshot"))


def test_a_corpus_changed_before_the_snapshot_is_written_after_the_load_is_not_written(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # The load returns before its snapshot is written: the writing thread lists the corpus
    # again first, and a change since the load began (here, as it lists) writes nothing.
    from graph import loader, snapshotwrite

    real = loader.list_files
    calls: list[Path] = []

    def listing(root, **options):
        calls.append(root)
        if len(calls) == 2:  # the writer's listing, after the load returned
            write_record(corpus, "late.md", record("late"))
        return real(root, **options)

    monkeypatch.setattr(loader, "list_files", listing)
    monkeypatch.setattr(snapshotwrite, "list_files", listing)
    cache = tmp_path / "cache"
    with caplog.at_level("INFO", logger="newsgraph"):
        kg = _written(graph.load(corpus, cache=cache))
    assert len(calls) == 2 and kg.report.records == 4
    assert kg.snapshot_write.written is None  # type: ignore[attr-defined]
    assert not snapshot.snapshot_path(cache, corpus).exists()
    assert any("changed while it was loaded" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_waits_for_the_snapshot_written_after_the_load(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A server forks its workers (and its analytics job) after the load: a child forked
    # mid-write would serve the built graph the parent lets go, so a fork waits for it.
    import threading

    real = snapshot.write_packed
    release = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Path:
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshot, "write_packed", slow)
    kg = graph.load(corpus, cache=tmp_path / "cache")
    write = kg.snapshot_write  # type: ignore[attr-defined]
    assert not write.done
    threading.Timer(0.2, release.set).start()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert write.done and write.written is not None


def test_a_fork_does_not_wait_for_a_write_whose_thread_is_gone(
        corpus: Path, tmp_path: Path) -> None:
    # A fork waits for the snapshot being written (above); a write left registered by a
    # thread that no longer runs must not hold every later fork (a test run hung so).
    import threading

    from graph import snapshotwrite

    write = snapshotwrite.SnapshotWrite(graph.load(corpus), tmp_path / "cache", corpus,
                                        "digest", {}, False, None)
    write._thread = threading.Thread(target=lambda: None)
    write._thread.start()
    write._thread.join()
    with snapshotwrite._WRITING_LOCK:
        snapshotwrite._WRITING[write.path] = write
    try:
        waiter = threading.Thread(target=snapshotwrite.wait_for_writes, daemon=True)
        waiter.start()
        waiter.join(10)
        assert not waiter.is_alive()
        assert write.wait(0) and not write.done
    finally:
        with snapshotwrite._WRITING_LOCK:
            snapshotwrite._WRITING.pop(write.path, None)


def test_the_graph_answers_the_same_while_its_snapshot_is_written_and_after(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Served as built while the thread packs and writes it, then read back: one graph.
    import threading

    real = snapshot.write_packed
    writing, release = threading.Event(), threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Path:
        writing.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshot, "write_packed", slow)
    plain = graph.load(corpus)
    kg = graph.load(corpus, cache=tmp_path / "cache")
    assert writing.wait(30)
    built = kg.nx
    _same(kg, plain)  # while the write waits
    release.set()
    start = "article:https://news.example/a"
    answers = []
    while not kg.snapshot_write.done:  # type: ignore[attr-defined]
        answers.append(kg.within(start, 2, mentions="facial recognition"))
    assert kg.snapshot_write.written is not None  # type: ignore[attr-defined]
    assert kg.nx is not built
    _same(kg, plain)
    want = plain.within(start, 2, mentions="facial recognition")
    assert all(a == want for a in answers)


_FORK_SCRIPT = """
import os, sys, time
from graph import loader, snapshot  # the write's fork hook, then the thread pool's

real = snapshot.fingerprint

def late(*args, **kwargs):
    time.sleep(0.5)  # the write reaches its thread pool once the fork began
    return real(*args, **kwargs)

snapshot.fingerprint = late
kg = loader.load(sys.argv[1], cache=sys.argv[2])
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print(kg.snapshot_write.done)
"""


def test_a_fork_waiting_for_the_write_does_not_hold_the_lock_its_thread_pool_needs(
        tmp_path: Path) -> None:
    # A fork waits for the snapshot being written; the thread pool's own fork hook takes
    # a lock every new pool task needs. Run in that order, a fork begun before the write
    # reached its pool (it stats the corpus from one) waited forever (a test run hung).
    import subprocess
    import sys

    from tests.conftest import SAMPLE_CORPUS

    done = subprocess.run([sys.executable, "-c", _FORK_SCRIPT, str(SAMPLE_CORPUS),
                           str(tmp_path / "cache")], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0 and done.stdout.split() == ["True"], done.stderr


@pytest.mark.parametrize("how", ["load", "follow"])
def test_a_folder_holding_no_file_loads_empty_with_a_cache(tmp_path: Path, how: str) -> None:
    # Its fingerprint is of no file (it was an error: a step of zero files a thread).
    empty = tmp_path / "empty"
    empty.mkdir()
    cache = tmp_path / "cache"
    for _ in range(2):
        kg = (graph.load(empty, cache=cache) if how == "load"
              else graph.follow(empty, cache=cache).current())
        assert kg.report.records == 0 and kg.nx.number_of_nodes() == 0


def test_a_warm_index_orders_newest_first_as_the_cold_one(corpus: Path, tmp_path: Path) -> None:
    # Its newest-first list is not kept from the snapshot: made from the array when asked.
    cold = graph.load(corpus)
    graph.load(corpus, cache=tmp_path).snapshot_write.wait()  # type: ignore[attr-defined]
    warm = graph.load(corpus, cache=tmp_path)
    assert warm.from_snapshot and "newest_first" not in vars(warm.index)
    assert warm.index.newest_first == cold.index.newest_first
    assert all(warm.index.order_key(i) == cold.index.order_key(i)
               for i in range(len(cold.index.ids)))


def test_a_warm_read_index_is_the_cold_ones_arrays_and_text_read_only(
        corpus: Path, tmp_path: Path) -> None:
    # Format 9: the read index's arrays and text blob are parts of their own, used where
    # they were read; each is the cold index's, and read-only as it was from marshal.
    cold = _written(graph.load(corpus, cache=tmp_path / "cache"))
    warm = graph.load(corpus, cache=tmp_path / "cache")
    assert warm.from_snapshot
    a, b = cold.index, warm.index
    assert bytes(b.text) == a.text and len(b.text) > 0
    for name in ("kind_code", "article_rows", "text_starts", "newest_key", "rank"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), name
        assert not y.flags.writeable, name
    assert b.csr.keys() == {k: c for k, c in a.csr.items() if k in b.csr}.keys()
    for kind, c in b.csr.items():
        assert (c.indptr == a.csr[kind].indptr).all() and (c.indices == a.csr[kind].indices).all()
        assert not c.indices.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        b.rank[0] = 1


def test_long_texts_read_whole_from_a_snapshot_are_left_in_its_file(
        corpus: Path, tmp_path: Path) -> None:
    # A snapshot written without tables of block digests: its long texts' parts are read
    # (and signed) whole at start, then let go, their texts read from the file when asked
    # as from a part left there.
    from graph.columns import OnDisk, Text
    from graph.nodeattrs import node_columns

    for i in range(40):  # (a few distinct values would be stored as codes, not text)
        write_record(corpus, f"long{i}.md", record(f"long{i}"), body=f"Body {i}. " * 40)
    kg = graph.load(corpus)
    path = snapshot.write_packed(tmp_path, corpus, "x", snapshot.PARTS,
                                 snapshot.pack_parts(kg.nx, kg.report, kg.index))
    pending = snapshot.PendingSnapshot(tmp_path, path)
    g, report, _ = pending.result("x")
    assert nx.utils.graphs_equal(g, kg.nx) and report == kg.report
    columns = node_columns(g)
    assert columns is not None
    held = [c for c in columns.columns.values() if isinstance(c, Text)]
    assert any(c.state()[0] == "long" for c in held)
    assert all(isinstance(c.data, OnDisk) for c in held if c.state()[0] == "long")


def test_a_script_that_exits_right_after_its_load_still_writes_the_snapshot(
        tmp_path: Path) -> None:
    """`python -c "graph.load(C, cache=D)"` and out: the snapshot's thread runs on while
    the interpreter shuts down, when a thread pool takes no more work (its stat pass of
    the corpus used one from 10,000 files: "cannot schedule new futures after
    interpreter shutdown", no snapshot, a traceback, and every run of the script cold)."""
    import subprocess
    import sys

    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    corpus.mkdir()
    for i in range(10_001):
        (corpus / f"{i:05d}.md").write_text(
            f'---\ntitle: "Story {i}"\nwebUrl: "https://example.com/{i}"\n---\n', encoding="utf-8")
    script = (f"import graph; kg = graph.load({str(corpus)!r}, cache={str(cache)!r}); "
              "print(kg.report.records)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["10001"]
    assert "snapshot not written" not in done.stderr and "Traceback" not in done.stderr, \
        done.stderr
    assert snapshot.snapshot_path(cache, corpus).is_file()
