"""A follow's first start (no fresh snapshot) read in a child process (graph/firststart.py)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import graph
from graph import firststart
from graph.progress import Step
from tests.conftest import record, write_record
from tests.test_live import assert_same
from tests.test_live_snapshot import _corpus


@pytest.fixture
def in_child(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A first start of any size reads its folder in a forked child; returns the list of
    processes that built a graph from every file (a child's entries stay in the child)."""
    monkeypatch.setattr(firststart, "CHILD_MIN_FILES", 0)
    monkeypatch.setattr(firststart, "pool_context", lambda: multiprocessing.get_context("fork"))
    built: list[int] = []
    assemble = graph.LiveGraph._assemble

    def assembled(self: graph.LiveGraph) -> graph.KnowledgeGraph:
        built.append(os.getpid())
        return assemble(self)

    monkeypatch.setattr(graph.LiveGraph, "_assemble", assembled)
    return built


def test_a_first_start_builds_in_a_child_and_starts_from_its_snapshot(
        tmp_path: Path, in_child: list[int]) -> None:
    """The follower never holds the graph built from every file (its heap's peak, which
    pymalloc keeps in part for good): it starts from the snapshot as a warm start does."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    assert in_child == []  # built in the child only
    assert live.current().from_snapshot and not live.resumed
    assert not live.from_cache  # a first start: the folder read (in the child)
    assert live.version == graph.follow(root).version
    assert_same(live, root)
    added = write_record(root, "d.md", record("d", related=[{"webUrl": "https://news.example/a"}],
                                              topics=["AI"]))
    live.apply([added])
    (root / "sub" / "b.md").unlink()
    live.apply([root / "sub" / "b.md"])
    assert_same(live, root)


def test_the_childs_progress_is_told_as_a_first_load_in_the_follower_is(
        tmp_path: Path, in_child: list[int]) -> None:
    """`newsgraph serve`'s /readyz shows a first start's progress: the child's steps
    reach the follower's callback, in order, and the start from its snapshot ends them."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    steps: list[Step] = []
    live = graph.follow(root, cache=cache, progress=steps.append)
    assert in_child == []
    records = live.current().report.records
    assert [(s.phase, s.done, s.total) for s in steps] == [
        ("parse", 0, 3), ("parse", 1, 3), ("parse", 2, 3), ("parse", 3, 3),
        ("build", 0, 1), ("build", 1, 1), ("snapshot", 0, 1), ("snapshot", 1, 1)]
    assert steps[3].records == steps[-1].records == records


def test_a_child_that_fails_leaves_the_follower_to_read_the_folder(
        tmp_path: Path, in_child: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(firststart, "_read_and_write", fails)
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    assert in_child == [os.getpid()]  # read here after all
    assert not live.current().from_snapshot
    assert_same(live, root)
    live.apply([write_record(root, "d.md", record("d", topics=["AI"]))])
    assert_same(live, root)


@pytest.mark.parametrize("when", ["before the child lists it", "after the child read it"])
def test_a_folder_changed_while_the_child_reads_is_served_as_it_now_is(
        tmp_path: Path, in_child: list[int], monkeypatch: pytest.MonkeyPatch,
        when: str) -> None:
    """The follower lists the folder again once the child is done: the child's snapshot
    is used when it is of the folder as it now is, and caught up (the files changed
    after the child read them applied to it) when it is not; the folder is not read
    here either way."""
    read_and_write = firststart._read_and_write

    def meanwhile(path: str, *args: Any) -> None:
        if when == "before the child lists it":
            write_record(Path(path), "d.md", record("d", topics=["AI"]))
        read_and_write(path, *args)
        if when == "after the child read it":
            write_record(Path(path), "c.md", record("c", topics=["Facial Recognition"]))

    monkeypatch.setattr(firststart, "_read_and_write", meanwhile)
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    assert in_child == []
    assert_same(live, root)
    live.apply([write_record(root, "e.md", record("e", topics=["AI"]))])
    assert_same(live, root)


def test_a_small_folder_or_no_safe_way_to_start_a_child_reads_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    assert not firststart.read_in_child(root, firststart.CHILD_MIN_FILES - 1, cache,
                                        max_file_bytes=2**20, include=(),
                                        follow_symlinks=False)
    monkeypatch.setattr(firststart, "CHILD_MIN_FILES", 0)
    monkeypatch.setattr(firststart, "pool_context", lambda: None)
    assert not firststart.read_in_child(root, 3, cache, max_file_bytes=2**20, include=(),
                                        follow_symlinks=False)
    live = graph.follow(root, cache=cache)
    assert not live.current().from_snapshot
    assert_same(live, root)


_STOPPED_MEANWHILE = """
import multiprocessing, sys, threading, time
import graph
from graph import firststart
from graph.progress import Step
firststart.CHILD_MIN_FILES = 0
firststart.pool_context = lambda: multiprocessing.get_context("fork")
firststart._read_and_write = lambda *args: time.sleep(600)  # a first start of ages
threading.Thread(target=graph.follow, args=(sys.argv[1],), kwargs={"cache": sys.argv[2]},
                 daemon=True).start()
while not multiprocessing.active_children():
    time.sleep(0.01)
print(multiprocessing.active_children()[0].pid, flush=True)
sys.exit(0)  # the server stopped while the child reads
"""


def test_a_follower_that_exits_during_its_first_start_ends_the_child(tmp_path: Path) -> None:
    """A server stopped during its first start stops at once (its child would be waited
    for at exit, being no daemon): the child is ended first."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    done = subprocess.run([sys.executable, "-c", _STOPPED_MEANWHILE, str(root), str(cache)],
                          capture_output=True, text=True, timeout=120)  # a hang guard
    assert done.returncode == 0, done.stderr
    child = int(done.stdout.split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


@pytest.mark.parametrize("cache", [None, False])
def test_a_first_start_without_a_cache_folder_reads_in_a_child_too(
        tmp_path: Path, in_child: list[int], monkeypatch: pytest.MonkeyPatch,
        cache: bool | None) -> None:
    """`--no-cache` (a follow with no cache folder) kept what its first read's peak left:
    at 100k 1,716 MB after 1,000 changes against a cold load's 911. The child writes
    its snapshot into a private temporary folder, the follower starts from it, and the
    folder is gone once it has (the file stays open for what is read from it later)."""
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    root = _corpus(tmp_path / "c")
    live = graph.follow(root, cache=cache)
    assert in_child == []  # built in the child only
    assert live.current().from_snapshot and not live.resumed
    assert list(temp.iterdir()) == []  # no snapshot left behind
    assert_same(live, root)
    added = write_record(root, "d.md", record("d", related=[{"webUrl": "https://news.example/a"}],
                                              topics=["AI"]))
    live.apply([added])  # resumed: the build state read from the file removed
    (root / "sub" / "b.md").unlink()
    live.apply([root / "sub" / "b.md"])
    assert live.resumed and in_child == []
    assert_same(live, root)
