"""The snapshot cache folder: `newsgraph serve` keeps a snapshot by default (per user,
``$NEWSGRAPH_CACHE`` or ``~/.cache/newsgraph``; ``--no-cache`` keeps none), and the folder
stays under a size cap, the least recently used snapshots removed first, never one a
process is using (graph/cachefolder.py)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import graph
from bench.generate import generate
from graph import cachefolder, snapshot
from tests.conftest import record, write_record
from tests.servers import NEWSGRAPH, running_server, serve_on_any_port

MB = 2**20


def _corpus(root: Path, n: int = 3) -> Path:
    for i in range(n):
        write_record(root, f"s{i}.md", record(f"s{i}", topics=["Facial recognition"]),
                     body=f"Story {i} about facial recognition.")
    return root


def _aged(path: Path, seconds_ago: float) -> None:
    """Mark ``path`` used ``seconds_ago`` (its modification time kept)."""
    st = path.stat()
    os.utime(path, ns=(time.time_ns() - int(seconds_ago * 1e9), st.st_mtime_ns))


def _fake(folder: Path, name: str, size: int, used_ago: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.snapshot"
    path.write_bytes(b"x" * size)
    _aged(path, used_ago)
    return path


def test_the_tests_never_write_into_the_real_home_cache() -> None:
    # tests/conftest.py points NEWSGRAPH_CACHE at a temporary folder for the session.
    folder = snapshot.default_cache_dir()
    assert os.environ.get("NEWSGRAPH_CACHE") and folder == Path(os.environ["NEWSGRAPH_CACHE"])
    assert not folder.resolve().is_relative_to(Path.home().resolve() / ".cache")


def test_serve_keeps_a_snapshot_in_the_cache_folder_by_default_and_says_where(
        tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    cache = tmp_path / "cache"
    env = dict(os.environ, NEWSGRAPH_CACHE=str(cache))
    served = serve_on_any_port(str(corpus), env=env)
    try:
        deadline = time.monotonic() + 60
        while not snapshot.snapshot_path(cache, corpus).exists():
            assert served.proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        served.stop()
    err = served.output()
    assert f"snapshot cache {cache}" in err and "--no-cache" in err
    # The next start serves from it.
    with running_server(str(corpus), env=env, analytics=False) as base:
        import json
        import urllib.request

        with urllib.request.urlopen(f"{base}/readyz") as r:
            assert json.load(r)["articles"] == 3


def test_serve_no_cache_keeps_none(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    cache = tmp_path / "cache"
    env = dict(os.environ, NEWSGRAPH_CACHE=str(cache))
    with running_server(str(corpus), "--no-cache", env=env, analytics=False):
        pass
    assert not snapshot.snapshot_path(cache, corpus).exists()


def test_the_least_recently_used_snapshots_go_first_down_to_the_cap(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    old = _fake(folder, "a" * 32, 3 * MB, used_ago=300)
    mid = _fake(folder, "b" * 32, 3 * MB, used_ago=200)
    new = _fake(folder, "c" * 32, 3 * MB, used_ago=100)
    snapshot.prepare_cache(folder)  # the key: never removed
    removed = cachefolder.evict(folder, max_bytes=7 * MB)
    assert removed == [old]
    assert not old.exists() and mid.exists() and new.exists()
    assert (folder / "snapshot.key").exists()
    assert cachefolder.evict(folder, max_bytes=0, keep=mid) == [new]
    assert mid.exists()  # the one being written or used: kept even past the cap


def test_a_snapshot_in_use_is_never_removed_and_a_use_makes_it_recent(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    a, b = tmp_path / "a", tmp_path / "b"
    generate(120, a, seed=1, style="mixed")
    generate(120, b, seed=2, style="mixed")
    for root in (a, b):
        graph.load(root, cache=folder).snapshot_write.wait()  # type: ignore[attr-defined]
    gc.collect()
    path_a, path_b = (snapshot.snapshot_path(folder, r) for r in (a, b))
    _aged(path_a, 1000)
    _aged(path_b, 500)
    warm = graph.load(a, cache=folder)  # in use now (its long texts read from the file)
    assert warm.from_snapshot
    assert os.stat(path_a).st_atime > os.stat(path_b).st_atime  # used: the most recent
    assert cachefolder.evict(folder, max_bytes=0) == [path_b]
    assert path_a.exists()
    node = next(n for n in warm.nx if warm.nx.nodes[n].get("body"))
    assert warm.nx.nodes[node]["body"]  # still read from it
    del warm, node
    gc.collect()  # let go: no longer in use
    assert cachefolder.evict(folder, max_bytes=0) == [path_a]


def test_a_snapshot_removed_or_being_removed_is_not_claimed(tmp_path: Path) -> None:
    # A reader claims the file it opened (a shared lock, held while any of its
    # descriptors is open); an eviction takes an exclusive one before it removes a
    # file. Opened just before it was removed, or while it is being removed: not used.
    folder = tmp_path / "cache"
    path = _fake(folder, "e" * 32, 10, used_ago=0)
    with open(path, "rb") as evicting:
        cachefolder.hold(evicting.fileno(), exclusive=True)
        with open(path, "rb") as reader:
            assert "being removed" in (cachefolder.claim(reader.fileno()) or "")
    with open(path, "rb") as reader:
        path.unlink()
        assert "removed" in (cachefolder.claim(reader.fileno()) or "")
    path = _fake(folder, "e" * 32, 10, used_ago=0)
    with open(path, "rb") as reader:
        assert cachefolder.claim(reader.fileno()) is None
        assert cachefolder.evict(folder, max_bytes=0) == []  # claimed: in use
    assert cachefolder.evict(folder, max_bytes=0) == [path]


def test_a_snapshot_removed_by_another_process_is_read_cold(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    root = tmp_path / "corpus"
    generate(80, root, seed=4, style="mixed")
    graph.load(root, cache=folder).snapshot_write.wait()  # type: ignore[attr-defined]
    gc.collect()  # the graph read back from it let go: not in use
    assert cachefolder.evict(folder, max_bytes=0) == [snapshot.snapshot_path(folder, root)]
    again = graph.load(root, cache=folder)
    assert not again.from_snapshot
    assert again.report.as_dict() == graph.load(root).report.as_dict()


def test_writing_a_snapshot_keeps_the_folder_under_the_cap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    stale = _fake(folder, "d" * 32, 2 * MB, used_ago=100)
    monkeypatch.setenv("NEWSGRAPH_CACHE_MAX_MB", "1")
    root = _corpus(tmp_path / "corpus")
    kg = graph.load(root, cache=folder)
    kg.snapshot_write.wait()  # type: ignore[attr-defined]
    assert not stale.exists()
    assert snapshot.snapshot_path(folder, root).exists()  # the new one: kept


def test_a_writer_crash_leftover_goes_and_a_write_under_way_stays(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    snapshot.prepare_cache(folder)
    leftover = folder / ".snapshot-crashed"
    leftover.write_bytes(b"x" * 100)
    _aged(leftover, 2 * 86400)
    os.utime(leftover, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    writing = folder / ".snapshot-writing"
    writing.write_bytes(b"x" * 100)
    os.utime(writing, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    with open(writing, "rb") as f:
        cachefolder.hold(f.fileno(), exclusive=True)  # as a writer holds its file
        cachefolder.evict(folder, max_bytes=0)
        assert writing.exists()
    assert not leftover.exists()


def test_a_bad_cap_is_refused_saying_what_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSGRAPH_CACHE_MAX_MB", "lots")
    with pytest.raises(graph.NewsgraphError,
                       match="NEWSGRAPH_CACHE_MAX_MB must be a number.*'lots'"):
        cachefolder.max_bytes()
    monkeypatch.setenv("NEWSGRAPH_CACHE_MAX_MB", "512")
    assert cachefolder.max_bytes() == 512 * MB
    monkeypatch.delenv("NEWSGRAPH_CACHE_MAX_MB")
    assert cachefolder.max_bytes() == cachefolder.DEFAULT_MAX_MB * MB


def test_two_processes_writing_one_snapshot_leave_a_good_one(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    root = tmp_path / "corpus"
    generate(300, root, seed=6, style="mixed")
    env = dict(os.environ, NEWSGRAPH_CACHE=str(folder))
    procs = [subprocess.Popen([str(NEWSGRAPH), "load", str(root), "--cache", "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
             for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
        if p.stderr:
            p.stderr.close()
    warm = graph.load(root, cache=folder)
    assert warm.from_snapshot
    assert warm.report.as_dict() == graph.load(root).report.as_dict()
    assert not [p for p in folder.iterdir() if p.name.startswith(".snapshot-")]


def test_the_serve_cache_options(tmp_path: Path) -> None:
    from schema.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["serve", str(tmp_path)])
    assert args.cache is None  # the default: serve keeps one (cmd_serve)
    assert parser.parse_args(["serve", str(tmp_path), "--no-cache"]).cache is False
    assert parser.parse_args(["serve", "--cache", str(tmp_path)]).cache == str(tmp_path)
    assert parser.parse_args(["serve", "--cache-max-mb", "100"]).cache_max_mb == 100
    done = subprocess.run([sys.executable, "-m", "schema.cli", "serve", str(tmp_path),
                           "--cache-max-mb", "-1"], capture_output=True, text=True)
    assert done.returncode == 2 and "--cache-max-mb must be" in done.stderr
