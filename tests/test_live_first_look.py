"""A rescan (the watcher's first look at a folder, ``live.apply(None)``) compares every
file's signature without holding the folder: a change sent meanwhile does not wait."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import graph
from graph import live as live_module
from tests.conftest import record, write_record
from tests.test_live import assert_same


def _held_up_look(live: graph.LiveGraph, monkeypatch: pytest.MonkeyPatch,
                  ) -> tuple[threading.Thread, threading.Event, threading.Event]:
    """Start ``live.apply(None)`` in a thread whose look at the files' signatures stops
    before it stats them until the second event is set; return the thread and events."""
    looking, go_on = threading.Event(), threading.Event()
    signatures = live_module._signatures

    def held_up(names: list[str]) -> object:
        if threading.current_thread().name == "rescan" and not looking.is_set():
            looking.set()
            go_on.wait(20)
        return signatures(names)

    monkeypatch.setattr(live_module, "_signatures", held_up)
    rescan = threading.Thread(target=live.apply, args=(None,), name="rescan")
    rescan.start()
    assert looking.wait(10)
    return rescan, looking, go_on



class _Counting(dict):  # type: ignore[type-arg]
    """The table of kept files, counting how often it is gone through."""

    iterated = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.iterated += 1
        return super().__iter__()

def test_a_change_is_applied_while_a_rescan_looks_at_every_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 100k a look at every file's signature took ~9 s from a snapshot, holding the
    folder: a file dropped or a batch ingested then waited for all of it."""
    for i in range(5):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    write_record(tmp_path, "s1.md", record("s1", title="Edited while no one watched"))
    rescan, _, go_on = _held_up_look(live, monkeypatch)
    done = threading.Event()

    def drop() -> None:
        live.apply([write_record(tmp_path, "new.md", record("new"))])
        done.set()

    dropper = threading.Thread(target=drop)
    dropper.start()
    try:
        assert done.wait(10), "the change waited for the rescan's look at every file"
        assert live.current().article("https://news.example/new") is not None
    finally:
        go_on.set()
        rescan.join()
        dropper.join()
    # and the rescan found the edit made before it
    kg = live.current()
    assert kg.nx.nodes[kg.article("https://news.example/s1")]["title"] == \
        "Edited while no one watched"
    assert_same(live, tmp_path)


def test_a_file_deleted_or_added_during_a_rescans_look_is_as_the_folder_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the look saw may be out of date by the time the change is applied: a file
    it listed is deleted, one it did not list is added (and applied) meanwhile."""
    for i in range(4):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    (tmp_path / "s2.md").unlink()  # gone before the look: found gone by it
    rescan, _, go_on = _held_up_look(live, monkeypatch)
    (tmp_path / "s3.md").unlink()  # listed by the look, gone when applied
    added = write_record(tmp_path, "late.md", record("late"))  # not listed by the look
    live.apply([added, tmp_path / "s3.md"])
    go_on.set()
    rescan.join()
    kg = live.current()
    assert kg.article("https://news.example/late") is not None
    assert kg.article("https://news.example/s2") is None
    assert kg.article("https://news.example/s3") is None
    assert_same(live, tmp_path)


def test_a_rescans_look_stats_the_files_in_one_pass_and_iterates_no_table_when_none_went(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The look stats every listed file in one pass (graph.snapshot.file_stats: in C,
    the interpreter let go once), not with os.stat a file — each of which let the
    interpreter go and waited to have it back behind busy query threads: at 100k under
    the ingest bench the first look after a start ran through the whole measurement
    (ing37). And when every kept file is listed, none is gone: the table of kept files
    (from a snapshot, a stored map whose keys are read entry by entry) is not iterated."""
    from graph import snapshot

    for i in range(6):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    write_record(tmp_path, "s1.md", record("s1", title="Edited while no one watched"))

    live._files = files = _Counting(live._files)
    passes: list[int] = []
    each: list[str] = []
    stats, signature = snapshot.file_stats, live_module.file_signature

    def counted_stats(names: list[str]) -> object:
        passes.append(len(names))
        return stats(names)

    def counted_signature(name: str) -> object:
        each.append(name)
        return signature(name)

    monkeypatch.setattr(snapshot, "file_stats", counted_stats)
    monkeypatch.setattr(live_module, "file_signature", counted_signature)
    change = live.apply(None)
    assert change is not None and change.files == (str(tmp_path / "s1.md"),)
    assert passes == [6]
    assert len(each) <= 1  # the edited file read again, nothing else looked at alone
    assert files.iterated == 0
    (tmp_path / "s4.md").unlink()
    change = live.apply(None)
    assert change is not None and change.removed == ("article:https://news.example/s4",)
    assert_same(live, tmp_path)


def test_a_rescan_holding_the_folder_iterates_no_table_when_none_went(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rescan the look left to the apply (it saw a change under way, or the listing's
    problems changed) goes through the kept table for files gone only when some kept
    file was not listed: at 100k from a snapshot, every entry read again holding the
    folder (ing37, a run whose first look met a batch's apply: 224k reads)."""
    for i in range(5):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    write_record(tmp_path, "s1.md", record("s1", title="Edited while no one watched"))

    live._files = files = _Counting(live._files)
    monkeypatch.setattr(live, "_look", lambda: None)  # the rescan holds the folder
    change = live.apply(None)
    assert change is not None and change.files == (str(tmp_path / "s1.md"),)
    assert files.iterated == 0
    (tmp_path / "s3.md").unlink()
    change = live.apply(None)
    assert change is not None and change.removed == ("article:https://news.example/s3",)
    assert_same(live, tmp_path)


def test_a_file_that_goes_during_the_looks_stat_pass_is_looked_at_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stat pass refuses a file it cannot stat (gone since listed): then each file is
    stat'ed alone, and the gone one is found gone."""
    from graph import snapshot

    for i in range(4):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    stats = snapshot.file_stats

    def going(names: list[str]) -> object:
        (tmp_path / "s2.md").unlink(missing_ok=True)
        return stats(names)

    monkeypatch.setattr(snapshot, "file_stats", going)
    live.apply(None)
    assert live.current().article("https://news.example/s2") is None
    assert_same(live, tmp_path)


def _first_look_held(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Hold the watcher's first look (a rescan: ``_looked`` at every listed file) once it
    starts: ``looking`` is set then, and it goes on when ``go_on`` is (or after 20 s)."""
    looking, go_on = threading.Event(), threading.Event()
    looked = graph.LiveGraph._looked

    def held_up(self: graph.LiveGraph, names: list[str]) -> tuple[set[str], int]:
        if not looking.is_set():
            looking.set()
            go_on.wait(20)
        return looked(self, names)

    monkeypatch.setattr(graph.LiveGraph, "_looked", held_up)
    return looking, go_on


@contextlib.asynccontextmanager
async def _watching(live: graph.LiveGraph, go_on: threading.Event,
                    poll: bool) -> AsyncIterator[None]:
    """Run the watcher on ``live``; on leaving, let a held first look go on and stop it."""
    from graph.watch import watch

    stop = asyncio.Event()
    task = asyncio.create_task(watch(live, stop=stop, poll=poll))
    try:
        yield
    finally:
        go_on.set()
        stop.set()
        await asyncio.wait_for(task, 20)


async def _visible(live: graph.LiveGraph, url: str) -> bool:
    """Whether the article at ``url`` is in the current version within 10 s."""
    for _ in range(1000):
        if live.current().article(url) is not None:
            return True
        await asyncio.sleep(0.01)
    return False


def test_a_file_dropped_during_the_watchers_first_look_is_applied_before_it_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher awaited its first look (live.apply(None): ~45 s at 100k from a
    snapshot on a loaded machine) before it applied any event: a file dropped as the
    server said it was ready waited for all of it, even once the look no longer held
    the folder. The look now runs beside the events."""
    for i in range(3):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    looking, go_on = _first_look_held(monkeypatch)

    async def drop_during_the_look() -> bool:
        async with _watching(live, go_on, poll=True):
            while not looking.is_set():
                await asyncio.sleep(0.01)
            write_record(tmp_path, "new.md", record("new"))
            return await _visible(live, "https://news.example/new")

    assert asyncio.run(drop_during_the_look()), "the dropped file waited for the first look"
    assert_same(live, tmp_path)


def test_a_file_dropped_before_the_watchers_first_batch_is_applied_before_the_look_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the operating system's notifications (the default), the watcher's first batch
    says it is running and starts the look; at 100k from a snapshot that first batch came
    ~0.3 s after the start, and a file dropped before it was in it. The watcher handed
    that batch's files to the look alone: the file was visible only as the look ended
    (10-13 s at 100k). Its files are now applied as any batch's, beside the look."""
    from graph import watch as watch_module

    for i in range(3):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    looking, go_on = _first_look_held(monkeypatch)
    # The first batch waits for an event (up to 10 s) instead of 200 ms: the file below is
    # dropped once the operating system's watch is set up, before that batch.
    monkeypatch.setattr(watch_module, "FIRST_LOOK_AFTER_MS", 10_000)

    async def drop_before_the_first_batch() -> bool:
        async with _watching(live, go_on, poll=False):
            await asyncio.sleep(0.5)  # the watch on a folder of three files: milliseconds
            assert not looking.is_set()
            write_record(tmp_path, "new.md", record("new"))
            if not await _visible(live, "https://news.example/new"):
                return False
            # The look is held until go_on: the file did not wait for it. The batch runs
            # beside the look, so it may be applied before the look's thread reaches its
            # hold (CI, session 30): wait for the look to start rather than expect it to
            # have started already.
            held = not go_on.is_set()
            return held and await asyncio.to_thread(looking.wait, 10)

    assert asyncio.run(drop_before_the_first_batch()), \
        "a file in the watcher's first batch waited for the first look"
    assert_same(live, tmp_path)


def test_a_rescan_begun_while_an_apply_is_under_way_still_looks_without_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An apply marks the state stale until its version is made. The look read that mark
    without waiting for the apply, and a look begun meanwhile (the watcher's first look,
    beside its first batch's apply) gave up and rescanned holding the folder: at 100k
    from a snapshot the next file dropped waited ~2.6 s for it."""
    for i in range(4):
        write_record(tmp_path, f"s{i}.md", record(f"s{i}"))
    live = graph.follow(tmp_path)
    advancing, go_on = threading.Event(), threading.Event()
    advance = graph.LiveGraph._advance

    def held_up(self: graph.LiveGraph, *args: object) -> object:
        if threading.current_thread().name == "dropper":
            advancing.set()
            go_on.wait(20)
        return advance(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(graph.LiveGraph, "_advance", held_up)
    looked: list[object] = []
    look = graph.LiveGraph._look

    def seen(self: graph.LiveGraph) -> object:
        looked.append(look(self))
        return looked[-1]

    monkeypatch.setattr(graph.LiveGraph, "_look", seen)
    dropper = threading.Thread(target=live.apply, name="dropper",
                               args=([write_record(tmp_path, "new.md", record("new"))],))
    dropper.start()
    assert advancing.wait(10)
    rescan = threading.Thread(target=live.apply, args=(None,))
    rescan.start()
    rescan.join(0.3)
    go_on.set()
    dropper.join()
    rescan.join()
    assert looked and looked[0] is not None, "the look gave up: an apply was under way"
    assert live.current().article("https://news.example/new") is not None
    assert_same(live, tmp_path)
