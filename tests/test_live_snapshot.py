"""graph.follow(path, cache=...): a followed folder started from its snapshot equals a
cold load after any changes, and a stale or corrupt snapshot is never served."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

import graph
from graph import snapshot
from graph.patch import Overlay
from graph.storedmap import StoredMap
from tests.conftest import record, write_record
from tests.test_live import FILES, FollowedFolder, assert_same, fields_strategy


def _corpus(root: Path) -> Path:
    write_record(root, "a.md", record("a", related=[{"webUrl": "https://news.example/b"}],
                                      topics=["AI"]))
    write_record(root, "sub/b.md", record("b", topics=["ai", "Facial Recognition"]))
    write_record(root, "c.md", record("c", related=[{"webUrl": "https://news.example/x"}]))
    return root


def _started(root: Path, cache: Path) -> graph.LiveGraph:
    """A follow of ``root`` that started from its snapshot (written by a first follow)."""
    graph.follow(root, cache=cache)
    live = graph.follow(root, cache=cache)
    assert live.current().from_snapshot and not live.resumed
    return live


def test_a_follow_writes_its_snapshot_and_the_next_starts_from_it(tmp_path: Path) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    first = graph.follow(root, cache=cache)
    assert not first.current().from_snapshot
    second = graph.follow(root, cache=cache)
    assert second.current().from_snapshot and not second.resumed
    assert second.version == first.version == graph.follow(root).version
    assert_same(second, root)  # served at once, before any file is read again


def test_a_first_follow_goes_on_from_the_state_it_wrote(tmp_path: Path) -> None:
    """A follow that wrote its snapshot lets the state it built go: its large maps and
    the table of files are read from the snapshot file when a change uses them."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = graph.follow(root, cache=cache)
    assert not live.current().from_snapshot
    assert isinstance(live._state.sources, StoredMap) and live._state.sources.base is not None
    assert isinstance(live._files, StoredMap) and live._files.base is not None
    added = write_record(root, "d.md", record("d", related=[{"webUrl": "https://news.example/c"}],
                                              topics=["AI"]))
    live.apply([added])
    (root / "a.md").unlink()
    live.apply([root / "a.md"])
    live.apply(None)
    assert_same(live, root)


def test_a_first_follow_lets_what_it_built_go_before_it_reads_its_snapshot_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What is read back is laid out as a warm start's only when the graph built and its
    build state are gone by then (else it fills the holes they leave among the parse's)."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    built: list[weakref.ref[Any]] = []
    assemble, unpack = graph.LiveGraph._assemble, snapshot.unpack
    alive_at_read: list[bool] = []

    def assembled(self: graph.LiveGraph) -> graph.KnowledgeGraph:
        kg = assemble(self)
        built.extend([weakref.ref(kg.nx), weakref.ref(self._state)])
        return kg

    def read_back(*args: Any, **kwargs: Any) -> Any:
        alive_at_read.append(any(ref() is not None for ref in built))
        return unpack(*args, **kwargs)

    monkeypatch.setattr(graph.LiveGraph, "_assemble", assembled)
    monkeypatch.setattr(snapshot, "unpack", read_back)
    live = graph.follow(root, cache=cache)
    assert alive_at_read == [False]
    assert isinstance(live._files, StoredMap) and live._files.base is not None
    assert_same(live, root)


@pytest.mark.parametrize("fails", ["read back", "state"])
def test_a_first_follow_whose_snapshot_is_not_read_back_builds_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str) -> None:
    """The graph built was let go before the read: when the read fails (or its state
    cannot be gone on from), the follow builds it again from the files."""
    from graph.followcache import FollowCache

    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    if fails == "read back":
        def unreadable(*args: Any, **kwargs: Any) -> Any:
            raise OSError(5, "Input/output error")
        monkeypatch.setattr(snapshot, "unpack", unreadable)
    else:
        monkeypatch.setattr(FollowCache, "state", staticmethod(lambda *args: None))
    live = graph.follow(root, cache=cache)
    assert not live.current().from_snapshot
    assert_same(live, root)
    added = write_record(root, "d.md", record("d", topics=["AI"]))
    live.apply([added])
    assert_same(live, root)


def test_changes_after_a_start_from_the_snapshot_equal_a_cold_load(tmp_path: Path) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    added = write_record(root, "d.md", record("d", related=[{"webUrl": "https://news.example/a"}],
                                              topics=["AI"]))
    change = live.apply([added])
    assert change is not None and "article:https://news.example/d" in change.added
    assert live.resumed and isinstance(live.current().nx._node, Overlay)  # columns + delta
    assert_same(live, root)
    (root / "sub" / "b.md").unlink()
    live.apply([root / "sub" / "b.md"])
    assert_same(live, root)
    write_record(root, "c.md", record("c", topics=["Facial Recognition"]))
    live.apply([root / "c.md"])
    assert_same(live, root)
    assert live.version == graph.follow(root).version


def _steps(root: Path, cache: Path) -> tuple[graph.LiveGraph, list[str]]:
    """A follow of ``root`` and the progress phases it told done ("snapshot-read": it
    started from the snapshot; "parse": it read the files)."""
    told: list[str] = []
    live = graph.follow(root, cache=cache, progress=lambda step: told.append(step.phase)
                        if step.done == step.total else None)
    return live, told


def test_files_changed_while_no_follow_ran_are_caught_up_from_the_snapshot(
        tmp_path: Path) -> None:
    """A server restarted after files changed while it was down: the follow starts from
    the snapshot a follow wrote and applies what changed since, reading only those files
    (it read every file before), and is never served stale: follow() returns with the
    folder as it is now."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    first = graph.follow(root, cache=cache)
    write_record(root, "c.md", record("c", title="Changed while down"))
    write_record(root, "e.md", record("e", related=[{"webUrl": "https://news.example/b"}]))
    (root / "a.md").unlink()
    live, told = _steps(root, cache)
    assert told == ["snapshot-read", "catch-up"], told  # read cold before
    assert live.version != first.version
    assert_same(live, root)
    assert live.current()["article:https://news.example/c"]["title"] == "Changed while down"
    assert live.version == graph.follow(root).version
    # and it goes on from there as any follow does
    write_record(root, "f.md", record("f", related=[{"webUrl": "https://news.example/e"}]))
    live.apply([root / "f.md"])
    assert_same(live, root)


def test_a_follow_says_it_started_from_its_cache_a_few_files_behind(tmp_path: Path) -> None:
    """A follow caught up from a snapshot a few files behind said it had not started from
    the snapshot: ``live.current().from_snapshot`` is the version's (the catch-up makes a
    new one), and benchmarks read it as how the follow started (live34's runs counted
    such warm starts as cold). ``live.from_cache`` and ``live.caught_up`` say it."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    first = graph.follow(root, cache=cache)
    assert not first.from_cache and first.caught_up == 0  # read the folder: no snapshot yet
    fresh = graph.follow(root, cache=cache)
    assert fresh.from_cache and fresh.caught_up == 0
    write_record(root, "c.md", record("c", title="Changed while down"))
    write_record(root, "e.md", record("e"))
    (root / "a.md").unlink()
    live, told = _steps(root, cache)
    assert told == ["snapshot-read", "catch-up"], told
    assert live.from_cache and live.caught_up == 3
    assert_same(live, root)
    assert not graph.follow(root, cache=False).from_cache


def test_a_snapshot_too_far_behind_its_folder_is_not_caught_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More files changed than a catch-up is worth (past a quarter of the folder's, and
    past CATCH_UP_ALWAYS): the folder is read again, as a first start."""
    from graph import followcache
    monkeypatch.setattr(followcache, "CATCH_UP_ALWAYS", 1)
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.follow(root, cache=cache)
    write_record(root, "c.md", record("c", title="Changed while down"))
    write_record(root, "e.md", record("e"))
    live, told = _steps(root, cache)
    assert "parse" in told and not live.current().from_snapshot
    assert_same(live, root)


def test_a_snapshot_of_other_options_is_not_caught_up(tmp_path: Path) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.follow(root, cache=cache)
    write_record(root, "e.md", record("e"))
    told: list[str] = []
    live = graph.follow(root, cache=cache, max_file_bytes=2**20,
                        progress=lambda step: told.append(step.phase)
                        if step.done == step.total else None)
    assert "parse" in told and "snapshot-read" not in told
    assert_same(live, root)


def test_a_folder_whose_listing_notes_changed_while_down_is_caught_up(tmp_path: Path) -> None:
    """A symlink out of the folder (left out with a note) appeared while no follow ran:
    the catch-up goes by the snapshot's notes, then finds them changed and rescans."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.follow(root, cache=cache)
    outside = write_record(tmp_path / "out", "o.md", record("o"))
    (root / "link.md").symlink_to(outside)
    write_record(root, "e.md", record("e"))
    live, told = _steps(root, cache)
    assert "snapshot-read" in told and "parse" not in told, told
    assert_same(live, root)
    assert live.current().report.as_dict() == graph.load(root).report.as_dict()


def test_a_file_changed_before_the_follow_resumed_is_not_lost(tmp_path: Path) -> None:
    """A file edited after the start from the snapshot, before the follow went on (its
    build state read from the snapshot): the next rescan (the watcher's first) sees it."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    write_record(root, "c.md", record("c", title="Edited before the resume"))
    added = write_record(root, "d.md", record("d"))
    live.apply([added])
    live.apply(None)
    assert_same(live, root)
    assert live.current()["article:https://news.example/c"]["title"] == \
        "Edited before the resume"


def test_a_corrupt_snapshot_is_never_served(tmp_path: Path) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.follow(root, cache=cache)
    path = snapshot.snapshot_path(cache, root)
    data = bytearray(path.read_bytes())
    # A byte of the first part (the graph's and the table of files): its header's line
    # ends the header; then the part's length, 8 bytes.
    data[data.index(b"\n", 40) + 1 + 8 + 10] ^= 0xFF
    path.write_bytes(bytes(data))
    live = graph.follow(root, cache=cache)
    assert not live.current().from_snapshot
    assert_same(live, root)


def _edit_every_file(root: Path) -> list[Path]:
    """Each file's record with another title: a change that reads every URL's entries."""
    paths = [root / "a.md", root / "sub" / "b.md", root / "c.md"]
    for path in paths:
        path.write_text(path.read_text().replace("title: ", "title: Edited "))
    return paths


def test_a_corrupt_build_state_is_found_when_read_and_the_files_read_instead(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The state's stored entries are read from the snapshot when a change uses them,
    each block checked then: a corrupt one makes the change read the folder."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.follow(root, cache=cache)
    path = snapshot.snapshot_path(cache, root)
    data = bytearray(path.read_bytes())
    for at in range(len(data) - 64, len(data)):  # the last entries' blobs
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    live = graph.follow(root, cache=cache)
    assert live.current().from_snapshot  # the graph is verified at start
    live.resume()
    assert live.resumed
    caplog.set_level("INFO", logger="newsgraph")
    live.apply(_edit_every_file(root))
    assert "the snapshot" in caplog.text and "reading the whole folder again" in caplog.text
    assert_same(live, root)


def test_a_snapshot_written_to_after_the_start_is_not_read_from(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    live.resume()
    path = snapshot.snapshot_path(cache, root)
    with path.open("r+b") as f:  # written to: its modification time moves
        f.seek(0, 2)
        f.write(b"")
        os.utime(f.fileno(), ns=(0, 0))
    caplog.set_level("INFO", logger="newsgraph")
    live.apply(_edit_every_file(root))
    assert "the snapshot" in caplog.text and "reading the whole folder again" in caplog.text
    assert_same(live, root)


def test_a_snapshot_a_load_wrote_is_not_a_start_for_a_follow(tmp_path: Path) -> None:
    """A load's snapshot has no table of files (their hashes make the version id)."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    graph.load(root, cache=cache)
    live = graph.follow(root, cache=cache)
    assert not live.current().from_snapshot
    assert_same(live, root)
    # ... and a load starts from the snapshot the follow wrote.
    assert graph.load(root, cache=cache).from_snapshot


class FollowedFromSnapshot(FollowedFolder):
    """The property of tests/test_live.py on a follow started from its snapshot, with
    restarts (from the snapshot when it is fresh, else by reading the folder)."""

    def __init__(self) -> None:
        super().__init__()
        self.cache = Path(tempfile.mkdtemp(prefix="newsgraph-live-cache-"))
        self._restart()

    def teardown(self) -> None:
        super().teardown()
        shutil.rmtree(self.cache, ignore_errors=True)

    def _restart(self) -> None:
        graph.follow(self.root, cache=self.cache)  # writes the snapshot when there is none
        # From the snapshot, which may be behind the folder (changed while down, or by
        # restarts since it was written: caught up, the changed files applied to it).
        self.live, told = _steps(self.root, self.cache)
        assert "snapshot-read" in told and "parse" not in told, told
        self.live.on_change(self.changes.append)
        self.previous = self.live.current()

    @rule()
    def restart(self) -> None:
        self._restart()

    @rule(name=st.sampled_from(FILES), spec=fields_strategy)
    def change_while_down_then_restart(self, name: str, spec: dict[str, Any]) -> None:
        self._write(name, spec)
        self.live = graph.follow(self.root, cache=self.cache)
        self.live.on_change(self.changes.append)
        self.previous = self.live.current()

    @rule(name=st.sampled_from(FILES))
    def delete_while_down_then_restart(self, name: str) -> None:
        path = self.root / name
        if path.exists():
            path.unlink()
            self.specs.pop(name, None)
        self.live = graph.follow(self.root, cache=self.cache)  # caught up
        self.live.on_change(self.changes.append)
        self.previous = self.live.current()


TestFollowedFromSnapshot = FollowedFromSnapshot.TestCase
TestFollowedFromSnapshot.settings = settings(
    max_examples=25, stateful_step_count=10, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])


def test_a_record_read_again_from_a_file_changed_meanwhile_is_not_used(tmp_path: Path,
                                                                       ) -> None:
    """A followed folder keeps its records by reference and reads a file again when a
    change needs its records; a file whose bytes changed (its change not applied yet) is
    not read as the old one: the folder is read again."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    for live in (graph.follow(root), _started(root, tmp_path / "cache2")):
        live.apply(None)
        write_record(root, "c.md", record("c", title="Edited, not applied yet"))
        dup = write_record(root, "dup.md", record("c", publishedDateTime="2001-01-01T00:00:00Z"))
        live.apply([dup])  # reads c.md again for the duplicate URL: it changed
        assert_same(live, root)
        dup.unlink()
        live.apply([dup])
        write_record(root, "c.md", record("c", related=[{"webUrl": "https://news.example/x"}]))
        live.apply([root / "c.md"])
        assert_same(live, root)
    assert cache


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each version a follow builds from every file (LiveGraph._assemble)."""
    made: list[int] = []
    assemble = graph.LiveGraph._assemble

    def counted(self: graph.LiveGraph) -> graph.KnowledgeGraph:
        made.append(1)
        return assemble(self)

    monkeypatch.setattr(graph.LiveGraph, "_assemble", counted)
    return made


def test_a_file_edited_before_its_change_is_applied_is_applied_with_the_change_reading_it(
        tmp_path: Path, builds: list[int]) -> None:
    """A burst of edits: a change reads again a file edited since it was applied (its
    own change not applied yet). That file is applied in the same version, and only it
    is read — before, the whole folder was read again and the graph built from every
    file (at 20k, ~20 s of the follower's CPU for a `sed` over 600 files)."""
    root = _corpus(tmp_path / "c")
    for n, live in enumerate((graph.follow(root), _started(root, tmp_path / "cache"))):
        live.apply(None)
        builds.clear()
        write_record(root, "c.md", record("c", title=f"Edited {n}, not applied yet",
                                          related=[{"webUrl": "https://news.example/y"}]))
        dup = write_record(root, "dup.md", record("c", publishedDateTime="2001-01-01T00:00:00Z"))
        change = live.apply([dup])  # reads c.md again for the duplicate URL: it changed
        assert builds == []
        assert change is not None and str(root / "c.md") in change.files
        assert_same(live, root)
        assert "article:https://news.example/y" in live.current().nx  # the edit's link
        assert live.apply([root / "c.md"]) is None  # the watcher's event, late: nothing new
        dup.unlink()
        live.apply([dup])
        assert_same(live, root)


@pytest.mark.parametrize("how", ["deleted", "renamed", "another story in its place",
                                 "a folder in its place"])
def test_a_file_gone_or_changed_elsewhere_before_its_change_is_applied_is_applied_with_it(
        tmp_path: Path, builds: list[int], how: str) -> None:
    """A `git checkout` or `rsync --delete` of hundreds of files: a change reads again a
    file that was deleted, renamed or rewritten with another story at its record's place
    since it was applied (its own event still to come). That file is applied by the same
    apply, in the same version — before, the whole folder was read again and the graph
    built from every file (at 20k, a `git checkout` of 1,152 files: 38 s). A folder in
    its place: the same graph, however it is reached."""
    root = _corpus(tmp_path / "c")
    for n, live in enumerate((graph.follow(root), _started(root, tmp_path / "cache"))):
        live.apply(None)
        builds.clear()
        c = root / "c.md"
        if how == "deleted":
            c.unlink()
        elif how == "renamed":
            os.replace(c, root / f"c-{n}.md")
        elif how == "a folder in its place":
            c.unlink()
            write_record(root, "c.md/inner.md", record("q"))
        else:
            write_record(root, "c.md", record("z", title="Another story in its place"))
        dup = write_record(root, "dup.md", record("c", publishedDateTime="2001-01-01T00:00:00Z"))
        change = live.apply([dup])  # reads c.md again for the duplicate URL: it changed
        if how == "renamed":
            live.apply([root / f"c-{n}.md"])  # the new name's event
        if how != "a folder in its place":
            assert builds == []
            assert change is not None and str(c) in change.files
        assert_same(live, root)
        live.apply(None)  # the watcher's late events: nothing new
        assert_same(live, root)
        for path in (c, root / f"c-{n}.md", root / "c.md/inner.md"):
            if path.is_file():
                path.unlink()
        if (root / "c.md").is_dir():
            (root / "c.md").rmdir()
        dup.unlink()
        write_record(root, "c.md", record("c", related=[{"webUrl": "https://news.example/x"}]))
        live.apply(None)
        assert_same(live, root)
        builds.clear()


def test_a_snapshot_changed_after_the_start_is_not_read_for_the_state(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The build state stays in the snapshot file until the follow goes on: a file
    written to since it was verified is refused, and the follow reads the files."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    path = snapshot.snapshot_path(cache, root)
    with path.open("r+b") as f:  # the state is the last part
        f.seek(-10, 2)
        last = f.read(1)
        f.seek(-10, 2)
        f.write(bytes([last[0] ^ 0xFF]))
    live.resume()
    assert live.resumed and "is not read" in caplog.text
    added = write_record(root, "d.md", record("d", related=[{"webUrl": "https://news.example/c"}]))
    live.apply([added])
    assert_same(live, root)


def test_a_rescan_that_finds_nothing_changed_holds_no_file_entry(tmp_path: Path) -> None:
    """The watcher's first look (``apply(None)``) compares each file with its kept entry
    and reads none again: it neither holds the entries (each decoded and kept in memory)
    nor looks each one up more than the comparison needs. At 100k files the lookups
    were most of the 9 s the first look took after a warm start."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    for k in range(20):
        write_record(root, f"more/{k}.md", record(f"m{k}"))
    live = _started(root, cache)
    live.resume()
    files = live._files
    assert isinstance(files, StoredMap)
    looked: list[str] = []
    stored = files._stored

    def counted(key: str) -> bytes | None:
        looked.append(key)
        return stored(key)

    files._stored = counted  # type: ignore[method-assign]
    assert live.apply(None) is None
    assert files.held == {}
    assert len(looked) == len(set(looked)) == 23  # one look at each file's entry


def _counting_snapshot_calls(monkeypatch: pytest.MonkeyPatch, path: Path,
                             ) -> dict[str, int]:
    """Count reads (``os.pread``, or ``pread_cached`` when it gave the bytes: graph/
    snapshot.py reads from the page cache that way first) and ``os.fstat`` calls on the
    open snapshot file at ``path``."""
    fstat, pread, cached = os.fstat, os.pread, snapshot._pread_cached
    ino = path.stat().st_ino
    calls = {"pread": 0, "fstat": 0}

    def counted_fstat(fd: int) -> os.stat_result:
        st = fstat(fd)
        calls["fstat"] += st.st_ino == ino
        return st

    def counted_pread(fd: int, size: int, offset: int) -> bytes:
        calls["pread"] += fstat(fd).st_ino == ino
        return pread(fd, size, offset)

    def counted_cached(fd: int, size: int, offset: int) -> bytes | None:
        got = cached(fd, size, offset) if cached is not None else None
        if got is not None:
            calls["pread"] += fstat(fd).st_ino == ino
        return got

    monkeypatch.setattr(os, "fstat", counted_fstat)
    monkeypatch.setattr(os, "pread", counted_pread)
    monkeypatch.setattr(snapshot, "_pread_cached", counted_cached)
    return calls


def test_a_change_looks_at_the_snapshots_signature_once_not_per_entry_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change reads the stored entries it uses from the snapshot, each block checked
    against its signed digest; the file's size and modification time (a snapshot
    written to since the start, even with the same bytes, is refused:
    test_a_snapshot_written_to_after_the_start_is_not_read_from) are looked at once
    per change, not beside every read: each look lets the interpreter go, and beside
    busy query threads the apply waited to get it back (ing32)."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    live.resume()
    calls = _counting_snapshot_calls(monkeypatch, snapshot.snapshot_path(cache, root))
    live.apply(_edit_every_file(root))
    assert calls["pread"] >= 6  # every URL's entries, read from the file
    assert calls["fstat"] == 1
    monkeypatch.undo()
    assert_same(live, root)


def test_a_block_read_again_reads_only_the_block_its_digests_are_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part's block digests, once read and checked against their group's signed
    digest, are kept (a bounded number of groups): the same entry read again reads its
    block, not the table beside it again. Outside a change every read still looks at
    the file's signature."""
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    live.resume()
    stored = live._state.records
    assert isinstance(stored, StoredMap) and stored.base is not None
    key = next(iter(stored))
    first = stored.base.find(key)
    calls = _counting_snapshot_calls(monkeypatch, snapshot.snapshot_path(cache, root))
    assert stored.base.find(key) == first is not None
    assert calls == {"pread": 1, "fstat": 1}


def test_a_folder_removed_and_a_file_renamed_while_down_are_caught_up(tmp_path: Path) -> None:
    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    write_record(root, "deep/er/d.md", record("d", related=[{"webUrl": "https://news.example/a"}]))
    first = graph.follow(root, cache=cache)
    shutil.rmtree(root / "sub")  # b.md's folder, gone
    (root / "c.md").rename(root / "deep" / "c-moved.md")
    live, told = _steps(root, cache)
    assert told == ["snapshot-read", "catch-up"], told
    assert live.version != first.version
    assert_same(live, root)
    assert live.version == graph.follow(root).version
    # the watcher's kind of change afterwards: a file into the folder that went
    write_record(root, "sub/b.md", record("b", topics=["AI"]))
    live.apply([root / "sub"])
    assert_same(live, root)


def test_a_new_story_relating_an_existing_one_reads_none_of_its_spellings(
        tmp_path: Path) -> None:
    """A record relating an existing article leaves that article's node as it was (its
    own records unchanged): its provider's and topics' spellings stay as they were, and
    are not read. They were read, taken apart and set back as they were, so each such
    article decoded its provider's and topics' entries — hubs of thousands of articles,
    megabytes pickled at 100k — and held them for the next compaction to pack again
    (a third of an ingest batch's records relate an existing story; ing34)."""
    root, cache = tmp_path / "c", tmp_path / "cache"
    write_record(root, "hub/a.md", record("a", host="hub.example", topics=["AI", "Privacy"]))
    write_record(root, "hub/b.md", record("b", host="hub.example", topics=["AI"]))
    live = _started(root, cache)
    live.resume()
    state = live._state
    assert isinstance(state.providers, StoredMap) and isinstance(state.spellings, StoredMap)
    added = write_record(root, "d.md", record(
        "d", host="other.example", topics=["Elsewhere"],
        related=[{"webUrl": "https://hub.example/a"}]))
    change = live.apply([added])
    assert change is not None and "article:https://hub.example/a" in change.updated
    assert set(state.providers.held) == {"other.example"}
    assert set(state.spellings.held) == {"elsewhere"}
    assert_same(live, root)


def test_a_change_of_many_files_has_the_snapshots_entries_read_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change of many files (a `git checkout`) reads thousands of the build state's
    entries left in the snapshot, scattered over it, each one the kernel let go of a
    wait for the disk: the kernel is asked to read the state's part ahead (at 100k,
    1,450 files made 53,000 reads, 11.5 s of a 40 s apply). A change of a few files
    is not (advising the whole part costs the kernel a walk of it)."""
    from graph import live as live_module

    root, cache = _corpus(tmp_path / "c"), tmp_path / "cache"
    live = _started(root, cache)
    live.resume()
    advised: list[tuple[int, int, int]] = []
    monkeypatch.setattr(os, "posix_fadvise",
                        lambda fd, offset, size, advice: advised.append((offset, size, advice)),
                        raising=False)
    monkeypatch.setattr(live_module, "READ_AHEAD_FILES", 3)
    one = write_record(root, "d.md", record("d", related=[{"webUrl": "https://news.example/c"}]))
    live.apply([one])
    assert advised == []
    size = snapshot.snapshot_path(cache, root).stat().st_size
    live.apply(_edit_every_file(root))
    assert advised and all(advice == os.POSIX_FADV_WILLNEED and 0 < offset < offset + n <= size
                           for offset, n, advice in advised)
    assert_same(live, root)


def test_a_file_edited_unseen_beside_a_change_after_compactions_from_the_snapshot():
    """Found by the property above (session 37): a file holding a URL another file holds
    too, compacted twice, then edited unseen while another file of that URL is applied.
    The change's second round made its next index from a version holding no node, whose
    text rows were all dead (-1), and indexed an empty array with them (IndexError)."""
    state = FollowedFromSnapshot()
    spec = {"slug": "a", "host": "news.example", "topics": [], "related": [], "date": None,
            "tracking": False, "spelled": "title"}
    try:
        state.add_or_edit(name="two.yaml", spec=spec)
        state.equals_a_cold_load()
        state.compact()
        state.compact()
        state.equals_a_cold_load()
        state.edit_unseen_then_change_another(
            also=spec, name="two.yaml", other="one.md", spec={**spec, "host": "other.example"})
        state.each_change_names_every_article_that_differs()
        state.equals_a_cold_load()
    finally:
        state.teardown()
