"""A followed folder's snapshot written anew in a child once enough changed
(graph/firststart.py's SnapshotRefresh), so that a restart starts from it, not from a
snapshot that many changes behind."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

import graph
from graph import firststart, snapshot
from tests.conftest import record, write_record
from tests.test_live import assert_same
from tests.test_live_snapshot import _corpus, _steps


@pytest.fixture
def refreshing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refreshes due after 2 changed files, no pause, for a folder of any size, in a
    forked child."""
    monkeypatch.setattr(firststart, "CHILD_MIN_FILES", 0)
    monkeypatch.setattr(firststart, "REFRESH_FILES", 2)
    monkeypatch.setattr(firststart, "REFRESH_PAUSE", 0.0)
    monkeypatch.setattr(firststart, "pool_context", lambda: multiprocessing.get_context("fork"))


def _changes(root: Path, live: graph.LiveGraph) -> None:
    """Three files changed and applied: one edited, one added, one removed."""
    write_record(root, "c.md", record("c", title="Changed while following"))
    write_record(root, "e.md", record("e", related=[{"webUrl": "https://news.example/b"}]))
    (root / "a.md").unlink()
    live.apply([root / "c.md", root / "e.md", root / "a.md"])


def _refreshed(live: graph.LiveGraph, count: int = 1, timeout: float = 60) -> None:
    refresh = live._refresh
    assert refresh is not None
    deadline = time.monotonic() + timeout
    while refresh.refreshes < count and time.monotonic() < deadline:
        refresh.wait(0.1)
        time.sleep(0.05)
    assert refresh.refreshes == count


def test_a_followed_folders_snapshot_is_written_anew_once_enough_changed(
        tmp_path: Path, refreshing: None) -> None:
    """A restart after changes applied while following starts from the snapshot as it
    now is: no catch-up (before, the snapshot stayed as the first start wrote it, and
    each restart applied every change since, until they were too many)."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    _changes(root, live)
    _refreshed(live)
    again, told = _steps(root, cache)
    assert told == ["snapshot-read"], told
    assert again.version == live.version == graph.follow(root).version
    assert_same(again, root)
    # and the restarted follow goes on from the refreshed snapshot's state
    write_record(root, "f.md", record("f", related=[{"webUrl": "https://news.example/e"}]))
    again.apply([root / "f.md"])
    assert_same(again, root)


def test_a_start_caught_up_refreshes_its_snapshot(tmp_path: Path, refreshing: None) -> None:
    """Files changed while no follow ran: the follow that caught them up writes the
    snapshot anew in the background, so the start after needs no catch-up."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.follow(root, cache=cache)
    write_record(root, "c.md", record("c", title="Changed while down"))
    write_record(root, "e.md", record("e"))
    live, told = _steps(root, cache)
    assert told == ["snapshot-read", "catch-up"], told
    _refreshed(live)
    again, told = _steps(root, cache)
    assert told == ["snapshot-read"], told
    assert again.version == live.version
    assert_same(again, root)


def test_a_refresh_waits_for_its_pause(tmp_path: Path, refreshing: None,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Enough changed, but the last refresh (or the follow's start) is more recent than
    REFRESH_PAUSE: the refresh starts once the pause is over, not at once, and not
    never (no further change is needed to start it)."""
    monkeypatch.setattr(firststart, "REFRESH_PAUSE", 3.0)
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    started = time.monotonic()
    live = graph.follow(root, cache=cache)
    _changes(root, live)
    assert live._refresh is not None
    if time.monotonic() - started < 2.5:  # (a machine too slow to tell says nothing)
        assert live._refresh.refreshes == 0 and live._refresh.wait(0)
    _refreshed(live)
    assert time.monotonic() - started >= 3.0
    assert _steps(root, cache)[1] == ["snapshot-read"]


def test_a_refresh_already_under_way_is_not_run_twice(tmp_path: Path, refreshing: None) -> None:
    """The workers of `newsgraph serve --workers N` each follow the folder: a refresh
    that finds another one running (its lock held) does nothing and ends."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    held = Path(str(snapshot.snapshot_path(cache, root)) + ".lock")
    with open(held, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _changes(root, live)
        _refreshed(live)  # the child ended...
        assert _steps(root, cache)[1] == ["snapshot-read", "catch-up"]  # ...writing nothing


def test_no_refresh_without_a_cache_folder_or_for_a_small_folder(
        tmp_path: Path, refreshing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _corpus(tmp_path / "c")
    assert graph.follow(root)._refresh is None
    monkeypatch.setattr(firststart, "CHILD_MIN_FILES", 4)
    assert graph.follow(root, cache=tmp_path / "cache")._refresh is None


def test_a_folder_of_the_size_is_refreshed_however_its_follow_started(
        tmp_path: Path, refreshing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of CHILD_MIN_FILES files or more gets its refresh when its follow
    started from the snapshot — a first start's child's or a restart's — as
    `newsgraph serve` always does there. Before, the size was the count of files held
    before the state was read back from the snapshot (none): at 20k, 4,000 files changed
    by git and rsync in 10 minutes, and nothing was refreshed."""
    root = _corpus(tmp_path / "c")
    write_record(root, "d.md", record("d"))
    monkeypatch.setattr(firststart, "CHILD_MIN_FILES", 4)
    cache = tmp_path / "cache"
    first = graph.follow(root, cache=cache)  # read in a child, started from its snapshot
    assert first.current().from_snapshot and first._refresh is not None
    again = graph.follow(root, cache=cache)  # a restart
    assert again.current().from_snapshot and again._refresh is not None
    _changes(root, again)
    _refreshed(again)


def test_a_worker_forked_while_a_refresh_ran_refreshes_on_its_own(
        tmp_path: Path, refreshing: None) -> None:
    """`newsgraph serve --workers N` forks its workers from the supervisor's follow: a
    worker forked while another thread held the refresh's lock, and a refresh's child
    ran, neither hangs on that lock nor waits for that child (not its own)."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    refresh = live._refresh
    assert refresh is not None
    with refresh._lock:
        refresh._child = multiprocessing.get_context("fork").Process(target=time.sleep,
                                                                     args=(0,))
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                signal.alarm(60)  # a hang ends the worker, failing the test
                _changes(root, live)
                _refreshed(live)
                code = 0 if _steps(root, cache)[1] == ["snapshot-read"] else 2
            finally:
                os._exit(code)
    refresh._child = None
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_refresh_leaves_a_snapshot_written_within_its_pause(
        tmp_path: Path, refreshing: None) -> None:
    """Another worker's follow refreshed the snapshot a moment ago: a refresh due by this
    one's count leaves it (each worker counts the same changes)."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    written = snapshot.snapshot_path(cache, root).stat().st_mtime_ns
    write_record(root, "e.md", record("e"))  # behind it: a refresh would write it
    firststart._refresh(str(root), str(cache), live.max_file_bytes, (), False, 3600.0)
    assert snapshot.snapshot_path(cache, root).stat().st_mtime_ns == written
