"""A followed graph's build state packed by a forked child (graph/packchild.py): the
same packing as in the server, thrown away when a change overtook it, done in the
server when the child fails or does not answer."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import rule

import graph
from graph import packchild
from graph.storedmap import StoredMap
from tests.conftest import record, write_record
from tests.live_helpers import follow_with_held_entries, wait_for
from tests.test_live import FollowedFolder, assert_same

pytestmark = pytest.mark.skipif(not packchild.available(), reason="no fork here")


def _started(root: Path, cache: Path) -> graph.LiveGraph:
    """A follow from its snapshot, after changes that left entries of its state held."""
    live: graph.LiveGraph = follow_with_held_entries(root, cache, changes=2)
    assert live.pack_in_child
    return live


def _in_child(hook: Any) -> Any:
    """A dump that runs ``hook()`` first when called in a child of this process."""
    parent = os.getpid()

    def wrap(dump: Any) -> Any:
        def dumped(value: Any) -> bytes:
            if os.getpid() != parent:
                hook()
            return dump(value)
        return dumped
    return wrap


def _hook_dumps(live: graph.LiveGraph, wrap: Any) -> None:
    for mapping in live._stored_maps():
        if mapping.held:
            mapping.dump = wrap(mapping.dump)  # type: ignore[method-assign]


def test_the_child_packs_the_state_as_the_server_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child's delta of each stored map is the server's own packing of it, and a
    compaction installs it: nothing held after, the graph a cold load's, and changes go
    on from the packed state."""
    root = tmp_path / "c"
    live = _started(root, tmp_path / "cache")
    maps = live._stored_maps()
    child = packchild.start(maps)
    assert child is not None
    assert child.result() == [m.packing() for m in maps]
    packed_here: list[StoredMap] = []
    packed = StoredMap.packed

    def counted(self: StoredMap) -> Any:
        packed_here.append(self)
        return packed(self)
    monkeypatch.setattr(StoredMap, "packed", counted)
    assert live.compact() and live._held() == 0
    assert not packed_here  # all of it in the child
    assert_same(live, root)
    live.apply([write_record(root, "e.md", record("e", related=[
        {"webUrl": "https://news.example/a"}, {"webUrl": "https://news.example/d"}],
        topics=["Facial Recognition"]))])
    live.apply([write_record(root, "a.md", record("a", topics=["Privacy"]))])
    assert_same(live, root)
    assert live.compact() and live._held() == 0
    (root / "b.md").unlink()
    live.apply([root / "b.md"])
    assert_same(live, root)


def _entries(live: graph.LiveGraph) -> list[dict[str, bytes]]:
    """What each stored map holds, key -> pickled value, whatever layer holds it."""
    return [dict(m.stored_items()) for m in live._stored_maps()]


def test_changes_applied_while_the_child_packs_keep_what_they_used_held(
        tmp_path: Path) -> None:
    """The child packs the state as it was when forked; changes applied before its answer
    (an edit, a new story relating an old one, a deletion, a rename) do not throw the
    packing away: the entries they used stay held as they now are, the rest are taken
    from the packing. The maps hold the same entries after as before, the graph is a
    cold load's, and changes after it build on the adopted state."""
    root = tmp_path / "c"
    live = _started(root, tmp_path / "cache")
    # Entries held that the changes below do not use: another provider's, topic's.
    live.apply([write_record(root, f"q{n}.md", record(f"q{n}", host="other.example", related=[
        {"webUrl": f"https://other.example/q{n + 1}"}], topics=["Quantum"])) for n in range(3)])
    began, release = tmp_path / "began", tmp_path / "release"

    def held_up() -> None:
        began.touch()
        while not release.exists():
            time.sleep(0.01)
    _hook_dumps(live, _in_child(held_up))
    compaction = threading.Thread(target=live.compact, daemon=True)
    compaction.start()
    try:
        wait_for(began.exists, "the child began packing")
        live.apply([write_record(root, "c.md", record("c", topics=["Privacy"]))])
        live.apply([write_record(root, "f.md", record("f", related=[
            {"webUrl": "https://news.example/a"}, {"webUrl": "https://news.example/x"}],
            topics=["AI"]))])
        (root / "b.md").unlink()
        live.apply([root / "b.md"])
        (root / "d.md").rename(root / "d2.md")
        live.apply([root / "d.md", root / "d2.md"])
        before = _entries(live)
        held = live._held()
    finally:
        release.touch()
    compaction.join(30)
    assert not compaction.is_alive()
    assert _entries(live) == before
    assert 0 < live._held() < held  # what the changes used, no more
    assert all(m._since is None for m in live._stored_maps())
    assert_same(live, root)
    write_record(root, "b.md", record("b", related=[{"webUrl": "https://news.example/f"}],
                                      topics=["ai"]))
    live.apply([root / "b.md", write_record(root, "a.md", record("a", topics=["AI"]))])
    assert_same(live, root)
    assert live.compact() and live._held() == 0
    (root / "f.md").unlink()
    live.apply([root / "f.md"])
    assert_same(live, root)


@pytest.mark.parametrize("how", ["exits", "hangs"])
def test_a_child_that_fails_leaves_the_packing_to_the_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A child that dies, or does not answer in time (killed then), costs nothing but
    the wait: the server packs the state itself, and no child is left behind."""
    root = tmp_path / "c"
    live = _started(root, tmp_path / "cache")
    forked: list[int] = []
    start = packchild.start

    def started(maps: Any) -> Any:
        child = start(maps)
        if child is not None:
            forked.append(child.pid)
        return child
    monkeypatch.setattr(packchild, "start", started)
    monkeypatch.setattr(packchild, "WAIT_S", 1.0)
    _hook_dumps(live, _in_child(lambda: os._exit(3) if how == "exits" else time.sleep(600)))
    assert live.compact() and live._held() == 0
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(forked[0], os.WNOHANG)
    assert_same(live, root)
    live.apply([write_record(root, "g.md", record("g", topics=["AI"]))])
    assert_same(live, root)


class FollowedFromSnapshot(FollowedFolder):
    """The file operations of tests/test_live.py on a follow started from its snapshot
    (its state in stored maps), with a packing in a child begun between any two of
    them and taken after any later one: after each, the live graph equals a cold load."""

    def __init__(self) -> None:
        super().__init__()
        self.cache = Path(tempfile.mkdtemp(prefix="newsgraph-packchild-"))
        write_record(self.root, "other.md", record(
            "o", host="other.example", related=[{"webUrl": "https://news.example/a"}],
            topics=["AI"]))
        graph.follow(self.root, cache=self.cache)
        self.live = graph.follow(self.root, cache=self.cache)
        self.live.on_change(self.changes.append)
        self.previous = self.live.current()
        self.specs["other.md"] = {}
        self.pending: Any = None

    def teardown(self) -> None:
        if self.pending is not None and self.pending.child is not None:
            self.pending.child.result()
        super().teardown()
        shutil.rmtree(self.cache, ignore_errors=True)

    @rule()
    def begin_packing(self) -> None:
        if self.pending is None:
            self.pending = self.live._begin_packing()

    @rule()
    def finish_packing(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            before = [dict(m.stored_items()) for m in pending.maps]
            self.live._finish_packing(pending)
            assert [dict(m.stored_items()) for m in pending.maps] == before
            # An apply starts a compaction in a thread when enough is held (every apply
            # here: EDGES_HELD is 0), which marks the maps while its own child packs:
            # ours are left unmarked once that one, begun meanwhile, is taken too.
            waited = time.monotonic() + 60
            while self.live._compacting and time.monotonic() < waited:
                time.sleep(0.01)
            assert not self.live._compacting
            assert not any(m.marked for m in pending.maps)


TestFollowedFromSnapshot = FollowedFromSnapshot.TestCase
TestFollowedFromSnapshot.settings = settings(
    max_examples=25, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
