"""Batches of records sent at once are written and applied together (a group commit):
one version for the group, each batch answered as if the batches had come one after
another, and the live graph equal to a cold load of the folder."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

import graph
from graph import ingest as files
from graph.budget import Budget
from tests.conftest import record, write_record
from tests.live_helpers import ingest_together, wait_for
from tests.test_live import assert_same


def _on_disk(root: Path) -> dict[str, str]:
    """The ingested files' records: URL -> title."""
    folder = root / files.INGEST_FOLDER
    found = {}
    for path in folder.iterdir() if folder.exists() else ():
        fields = json.loads(path.read_text())
        found[fields["webUrl"]] = fields["title"]
    return found


def test_batches_sent_at_once_are_applied_as_one_version(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    changes: list[Any] = []
    live.on_change(changes.append)
    batches = [[record(f"b{b}r{r}") for r in range(3)] for b in range(4)]
    results = ingest_together(live, batches)
    assert [[o.status for o in outcomes] for outcomes in results] == [["CREATED"] * 3] * 4
    assert len(changes) == 1  # one version for the four batches
    assert len(changes[0].files) == 12 and len(changes[0].added) == 12
    assert_same(live, tmp_path)


def test_a_group_answers_each_batch_as_if_they_came_one_after_another(
        tmp_path: Path) -> None:
    """The same URL in several batches of a group: each answer is what the batches, sent
    in the order they were queued, would have had; the file holds the last one."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    first = record("x", title="First")
    second = record("x", title="Second")
    results = ingest_together(live, [[first, record("y")], [second], [second, record("y")]])
    assert [[o.status for o in outcomes] for outcomes in results] == [
        ["CREATED", "CREATED"], ["UPDATED"], ["UNCHANGED", "UNCHANGED"]]
    assert _on_disk(tmp_path)["https://news.example/x"] == "Second"
    assert live.current()["article:https://news.example/x"]["title"] == "Second"
    assert_same(live, tmp_path)


def test_refused_records_are_answered_without_waiting_for_the_folder(
        tmp_path: Path) -> None:
    """Each batch is checked in its own thread before it waits for the folder: a batch
    of refused records is answered while another writer holds it."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    answered: list[Any] = []
    with live.holding():
        t = threading.Thread(target=lambda: answered.append(
            files.ingest(live, [{"title": "no URL"}])))
        t.start()
        wait_for(lambda: answered, "the refused batch answered while the folder is held")
    t.join()
    [[outcome]] = answered
    assert outcome.status == "REJECTED" and "URL" in (outcome.error or "")


def test_a_batch_past_its_deadline_while_its_writes_wait_stops_and_the_others_land(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches sent at once each keep their own deadline: one whose deadline passes while
    the writer threads are busy with another's files has its writes not started dropped
    (NOT_ATTEMPTED, nothing written) and answers then; the other is written and applied."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    busy = threading.Event()
    started: list[Path] = []
    real = files._write_temporary

    def slow(path: Path, data: bytes, *args: Any, **kwargs: Any) -> Any:
        started.append(path)
        busy.wait(30)
        return real(path, data, *args, **kwargs)

    monkeypatch.setattr(files, "_write_temporary", slow)
    late = [False]
    budgets = [Budget(seconds=1.0, clock=lambda: 0.0),
               Budget(seconds=1.0, clock=lambda: 2.0 if late[0] else 0.0)]
    writers = live.stagers._max_workers  # every thread writing ahead busy with batch 0
    batches = [[record(f"w{i}") for i in range(writers)], [record("p0"), record("p1")]]
    results: dict[int, Any] = {}

    def send(b: int) -> None:
        results[b] = files.ingest(live, batches[b], budgets[b])

    threads = [threading.Thread(target=send, args=(0,), daemon=True)]
    threads[0].start()
    wait_for(lambda: len(started) == writers, "the writer threads busy")
    threads.append(threading.Thread(target=send, args=(1,), daemon=True))
    threads[1].start()
    wait_for(lambda: live.stagers._work_queue.qsize() == 2, "batch 1's writes queued")
    late[0] = True
    try:
        wait_for(lambda: 1 in results, "batch 1 answered while its writes wait", within=10)
    finally:
        busy.set()
        for t in threads:
            t.join()
    assert [o.status for o in results[0]] == ["CREATED"] * writers
    assert [o.status for o in results[1]] == ["NOT_ATTEMPTED"] * 2
    assert set(_on_disk(tmp_path)) == {f"https://news.example/w{i}" for i in range(writers)}
    assert_same(live, tmp_path)


def test_a_failed_write_fails_its_own_batch_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails is its batch's answer (an error); the group's other batches are
    acknowledged, and every file written is applied."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    real = files._write_temporary

    def failing(path: Path, data: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"https://news.example/bad" in data:
            raise OSError(28, "No space left on device")
        return real(path, data, *args, **kwargs)

    monkeypatch.setattr(files, "_write_temporary", failing)
    good, bad = ingest_together(live, [[record("g0"), record("g1")],
                                       [record("h0"), record("bad")]])
    assert [o.status for o in good] == ["CREATED", "CREATED"]
    assert isinstance(bad, OSError)
    assert set(_on_disk(tmp_path)) == {"https://news.example/g0", "https://news.example/g1",
                                       "https://news.example/h0"}
    assert_same(live, tmp_path)


def test_a_batch_that_cannot_get_the_folder_by_its_deadline_is_not_attempted(
        tmp_path: Path) -> None:
    """A batch waits for the folder (held by another batch, or an apply) only until its
    deadline: then it answers each accepted record NOT_ATTEMPTED, saying it waited for the
    folder, writes nothing and leaves no batch queued; a refused record stays REJECTED.
    Before, it waited for the folder however long it took, past its deadline."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    batch = [record("late0"), {"title": "no URL"}, record("late1")]
    answered: list[Any] = []
    with live.holding():
        t = threading.Thread(target=lambda: answered.append(
            files.ingest(live, batch, Budget(seconds=0.2))), daemon=True)
        t.start()
        wait_for(lambda: answered, "the batch answered while the folder is still held",
                 within=10)
        assert live.batches.queued == 0
    t.join()
    [outcomes] = answered
    assert [o.status for o in outcomes] == ["NOT_ATTEMPTED", "REJECTED", "NOT_ATTEMPTED"]
    for o in (outcomes[0], outcomes[2]):
        assert o.error is not None and "waiting for the folder" in o.error
        assert "nothing of it was written" in o.error and "send it again" in o.error
    assert [o.id for o in outcomes] == ["article:https://news.example/late0", None,
                                        "article:https://news.example/late1"]
    folder = tmp_path / files.INGEST_FOLDER
    assert not folder.exists() or list(folder.iterdir()) == []  # no temporary file left
    # sent again once the folder is free, the batch lands
    again = files.ingest(live, batch, Budget(seconds=30))
    assert [o.status for o in again] == ["CREATED", "REJECTED", "CREATED"]
    assert_same(live, tmp_path)


def test_a_batch_whose_group_is_done_is_answered_without_waiting_for_the_next_holder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch taken into another batch's group is answered once that group is done,
    even when the folder stays held after it (the next batch, or the watcher's apply,
    taking it at once): it does not wait for that holder too."""
    import contextlib

    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    real = live.holding
    held_on = threading.Event()
    release = threading.Event()

    @contextlib.contextmanager
    def holding(*args: Any, **kwargs: Any) -> Any:
        with real(*args, **kwargs) as apply:
            yield apply
            if not held_on.is_set():  # the first holder keeps the folder after its group
                held_on.set()
                release.wait(30)

    answered: list[Any] = []

    def send(name: str) -> None:
        answered.append((name, files.ingest(live, [record(name)])))

    threads = [threading.Thread(target=send, args=(n,), daemon=True) for n in ("p", "q")]
    monkeypatch.setattr(live, "holding", holding)
    with real():
        for n, t in enumerate(threads, start=1):
            t.start()
            wait_for(lambda n=n: live.batches.queued == n, f"batch {n} queued")
    try:
        wait_for(held_on.is_set, "a group done, the folder still held")
        wait_for(lambda: len(answered) == 1, "the batch not holding the folder answered",
                 within=10)
    finally:
        release.set()
        for t in threads:
            t.join()
    assert sorted((name, [o.status for o in outcomes]) for name, outcomes in answered) == [
        ("p", ["CREATED"]), ("q", ["CREATED"])]
    assert_same(live, tmp_path)


def test_a_batch_whose_apply_runs_past_its_deadline_answers_written_not_yet_visible(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a batch's records are durably written, its answer no longer waits for the
    apply past the batch's deadline: the records are acknowledged (CREATED: written,
    kept across a crash) with ``visible`` false, and the change lands in the served
    graph when the apply ends. Before, the answer waited for the apply however long it
    took."""
    live, in_apply, release = _held_up_apply(tmp_path, monkeypatch)
    answered: list[Any] = []
    t = threading.Thread(target=lambda: answered.append(files.ingest(
        live, [record("slow0"), {"title": "no URL"}, record("slow1")], Budget(seconds=0.3))),
        daemon=True)
    t.start()
    try:
        wait_for(in_apply.is_set, "the batch's apply started")
        wait_for(lambda: answered, "the batch answered while its apply still runs",
                 within=10)
        [outcomes] = answered
        assert [(o.status, o.visible) for o in outcomes] == [
            ("CREATED", False), ("REJECTED", True), ("CREATED", False)]
        assert set(_on_disk(tmp_path)) == {"https://news.example/slow0",
                                           "https://news.example/slow1"}
        assert "article:https://news.example/slow0" not in live.current()
    finally:
        release.set()
        t.join()
    wait_for(lambda: "article:https://news.example/slow1" in live.current(),
             "the change applied once the apply ends")
    assert_same(live, tmp_path)
    # the folder is free again: the next batch is applied before it answers
    again = files.ingest(live, [record("next")], Budget(seconds=30))
    assert [(o.status, o.visible) for o in again] == [("CREATED", True)]
    assert "article:https://news.example/next" in live.current()
    assert_same(live, tmp_path)


def test_the_folder_stays_held_until_an_apply_that_outlived_its_batch_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Applies stay one at a time when one outlives its batch's answer: a batch sent
    meanwhile waits for the folder until that apply ends (here, past its own deadline:
    NOT_ATTEMPTED, nothing written), and the served graph then equals a cold load."""
    live, in_apply, release = _held_up_apply(tmp_path, monkeypatch)
    try:
        first = files.ingest(live, [record("first")], Budget(seconds=0.3))
        assert [(o.status, o.visible) for o in first] == [("CREATED", False)]
        # Handed to the apply thread, which reads the files before it reaches the held
        # apply: on a loaded machine that can be after the batch's deadline.
        wait_for(in_apply.is_set, "the handed-off apply started")
        second = files.ingest(live, [record("second")], Budget(seconds=0.3))
        assert [o.status for o in second] == ["NOT_ATTEMPTED"]
        assert second[0].error is not None and "waiting for the folder" in second[0].error
    finally:
        release.set()
    monkeypatch.undo()  # the follow's own apply again
    wait_for(lambda: "article:https://news.example/first" in live.current(),
             "the handed-off apply ended")
    assert set(_on_disk(tmp_path)) == {"https://news.example/first"}
    assert_same(live, tmp_path)


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a file's bytes by the follow (checked, hashed or parsed), by name."""
    import graph.live as live_module

    seen: list[str] = []
    for fn in ("read_plain", "content_digest", "parse_file"):
        real = getattr(live_module, fn)

        def counted(name: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            seen.append(str(name))
            return _real(name, *args, **kwargs)

        monkeypatch.setattr(live_module, fn, counted)
    return seen


def test_the_watchers_late_event_for_a_batchs_files_reads_none_of_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher names a batch's files after the batch's apply checked them: their
    signatures are still those seen then, so that apply reads none of them again (before,
    it read and hashed each one, holding the folder: at 100k beside 16 clients, 12% of
    the ingest's time). Here every file counts as old enough (RACY_NS 0)."""
    import graph.live as live_module

    monkeypatch.setattr(live_module, "RACY_NS", 0)
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    outcomes = files.ingest(live, [record(f"c{i}") for i in range(20)])
    assert {o.status for o in outcomes} == {"CREATED"}
    reads = _reads(monkeypatch)
    assert live.apply([o.path for o in outcomes]) is None  # nothing changed
    assert reads == []
    assert_same(live, tmp_path)


def test_a_batchs_apply_reads_none_of_the_files_it_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The apply of a batch's files takes their bytes and parses from the batch: a file
    whose signature (size, time, inode) is still the one its temporary file had when it
    was written holds those bytes, so it is not read back (before, each one was opened
    and read again in the writer threads, holding the folder: 7-10% of the apply at
    100k beside 16 clients). Here every file counts as old enough (RACY_NS 0)."""
    import graph.live as live_module

    monkeypatch.setattr(live_module, "RACY_NS", 0)
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    reads = _reads(monkeypatch)
    outcomes = files.ingest(live, [record(f"c{i}") for i in range(20)])
    assert {o.status for o in outcomes} == {"CREATED"}
    assert reads == []
    assert live.apply([o.path for o in outcomes]) is None  # the watcher's late event
    assert reads == []
    assert_same(live, tmp_path)


@pytest.mark.parametrize("racy", [0, 3600 * 10**9])
def test_a_batchs_file_changed_after_its_rename_is_read_by_its_apply(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, racy: int) -> None:
    """A file a batch landed that another writer changes before the apply (its
    signature no longer the written one's) is read, and the version holds what it holds
    now; so is every file written within RACY_NS of the apply (a write in the same clock
    tick may keep the signature)."""
    import graph.live as live_module

    monkeypatch.setattr(live_module, "RACY_NS", racy)
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    changed: list[Path] = []
    real_fsync = files._fsync_folder

    def then_changed(folder: Path) -> None:
        real_fsync(folder)
        path = sorted(folder.glob("*.json"))[0]
        fields = json.loads(path.read_text())
        path.write_text(json.dumps({**fields, "title": "Changed: " + fields["title"]}))
        changed.append(path)

    monkeypatch.setattr(files, "_fsync_folder", then_changed)
    reads = _reads(monkeypatch)
    outcomes = files.ingest(live, [record(f"c{i}") for i in range(5)])
    assert {o.status for o in outcomes} == {"CREATED"}
    assert str(changed[0]) in reads
    if racy:
        assert sorted(set(reads)) == sorted(o.path or "" for o in outcomes)
    titles = [live.current()[o.id]["title"] for o in outcomes if o.path == str(changed[0])]
    assert titles and titles[0].startswith("Changed: ")
    assert_same(live, tmp_path)


def test_a_batchs_file_edited_in_its_racy_window_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file checked within RACY_NS of its last write is not remembered clean: an edit
    of the same size stamped with the same time (a write in the same clock tick) is
    read when the watcher names it."""
    import os

    import graph.live as live_module

    monkeypatch.setattr(live_module, "RACY_NS", 3600 * 10**9)  # every check is racy
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    [outcome] = files.ingest(live, [record("e", title="Before")])
    path = Path(outcome.path or "")
    st = path.stat()
    text = path.read_text()
    path.write_text(text.replace('"Before"', '"Behind"'))  # same size, in place
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert live.apply([path]) is not None
    assert live.current()["article:https://news.example/e"]["title"] == "Behind"
    assert_same(live, tmp_path)


def _held_up_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   ) -> tuple[graph.LiveGraph, threading.Event, threading.Event]:
    """A follow of one record whose applies, once started, wait for ``release``
    (``in_apply`` is set when one starts)."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    real = live._advance
    in_apply = threading.Event()
    release = threading.Event()

    def slow_advance(*args: Any, **kwargs: Any) -> Any:
        in_apply.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(live, "_advance", slow_advance)
    return live, in_apply, release


def _fsyncs(monkeypatch: pytest.MonkeyPatch, live: graph.LiveGraph) -> list[tuple[str, bool]]:
    """Every fsync from now on: what it synced, and whether the folder was held then
    (a temporary file written by the compiled ``write_synced`` is fsynced by it)."""
    import os

    real, written = os.fsync, files._write_synced
    seen: list[tuple[str, bool]] = []

    def counted(fd: int) -> None:
        seen.append((os.readlink(f"/proc/self/fd/{fd}"), live._lock.locked()))
        real(fd)

    def counted_write(path: Any, data: bytes) -> tuple[int, int, int]:
        assert written is not None
        got = written(path, data)
        seen.append((os.fspath(path), live._lock.locked()))
        return got

    monkeypatch.setattr(os, "fsync", counted)
    if written is not None:
        monkeypatch.setattr(files, "_write_synced", counted_write)
    return seen


def test_a_batchs_files_are_written_and_fsynced_while_another_holds_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch writes and fsyncs its records' temporary files before it waits for the
    folder (while the previous group's apply holds it); once it has the folder it only
    renames them into place. Before, it wrote nothing until it held the folder, so the
    writes' fsyncs (at 100k alone, 123 of a batch's 464 ms) came after the apply before."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    fsyncs = _fsyncs(monkeypatch, live)
    folder = tmp_path / files.INGEST_FOLDER
    answered: list[Any] = []
    with live.holding():
        t = threading.Thread(target=lambda: answered.append(
            files.ingest(live, [record(f"s{i}") for i in range(3)])), daemon=True)
        t.start()
        wait_for(lambda: folder.exists() and len(list(folder.iterdir())) == 3
                 and len(fsyncs) == 3, "the batch's three files written while the folder is "
                 "held", within=5)
        assert all(p.name.startswith(".") and p.name.endswith(".tmp")
                   for p in folder.iterdir())  # not in place yet: hidden, never loaded
        assert "article:https://news.example/s0" not in live.current()
    t.join()
    [outcomes] = answered
    assert [o.status for o in outcomes] == ["CREATED"] * 3
    assert set(_on_disk(tmp_path)) == {f"https://news.example/s{i}" for i in range(3)}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
    assert_same(live, tmp_path)


def test_holding_the_folder_a_group_fsyncs_only_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the folder a group's records cost a rename each and the folder one fsync:
    every file's own fsync came before (before, all 5 came with the folder held)."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    fsyncs = _fsyncs(monkeypatch, live)
    outcomes = files.ingest(live, [record(f"f{i}") for i in range(4)])
    assert [o.status for o in outcomes] == ["CREATED"] * 4
    folder = str(tmp_path / files.INGEST_FOLDER)
    assert [path for path, held in fsyncs if held] == [folder]
    assert len([path for path, held in fsyncs if not held]) == 4
    assert_same(live, tmp_path)


def test_a_record_whose_file_changed_after_it_was_looked_at_lands_as_sent(
        tmp_path: Path) -> None:
    """A record whose file held its bytes when it was written ahead (nothing to write: no
    temporary file) is written under the folder after all if the file changed before the
    folder was had: it answers UPDATED and the file holds what was sent."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    sent = record("x", title="Sent")
    [first] = files.ingest(live, [sent])
    assert first.status == "CREATED" and first.path is not None
    answered: list[Any] = []
    with live.holding():
        t = threading.Thread(target=lambda: answered.append(files.ingest(live, [sent])),
                             daemon=True)
        t.start()
        wait_for(lambda: live.batches.queued == 1, "the batch written ahead and queued")
        assert [p.name for p in Path(first.path).parent.iterdir()] == [Path(first.path).name]
        # meanwhile another change puts other bytes in the file
        Path(first.path).write_text(json.dumps({**sent, "title": "Other"}))
    t.join()
    [[outcome]] = answered
    assert outcome.status == "UPDATED"
    assert _on_disk(tmp_path)["https://news.example/x"] == "Sent"
    assert_same(live, tmp_path)


def test_a_group_lands_while_the_next_batches_writes_ahead_wait_on_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Holding the folder, a group's renames and its apply's reads never queue behind the
    next batches' writes ahead: with every thread writing ahead stuck on a slow disk, the
    batch holding the folder lands, is applied and answers. Before, both ran in the same
    threads, and the batch waited (holding the folder) for the other batch's writes."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    live.current()
    stuck = threading.Event()
    started: list[Path] = []
    real = files._write_temporary

    def slow(path: Path, data: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"https://news.example/slow" in data:
            started.append(path)
            stuck.wait(30)
        return real(path, data, *args, **kwargs)

    monkeypatch.setattr(files, "_write_temporary", slow)
    answered: dict[str, Any] = {}

    def send(name: str, records: list[Any]) -> None:
        answered[name] = files.ingest(live, records)

    writers = live.stagers._max_workers
    first = threading.Thread(target=send, args=("first", [record(f"f{i}") for i in range(20)]),
                             daemon=True)
    second = threading.Thread(target=send, args=(
        "second", [record(f"slow{i}") for i in range(writers + 2)]), daemon=True)
    try:
        with live.holding():
            first.start()
            wait_for(lambda: live.batches.queued == 1, "the first batch written ahead, queued")
            second.start()
            wait_for(lambda: len(started) == writers, "every thread writing ahead stuck")
        wait_for(lambda: "first" in answered, "the first batch landed beside stuck writes",
                 within=10)
        assert [o.status for o in answered["first"]] == ["CREATED"] * 20
        assert "article:https://news.example/f19" in live.current()
    finally:
        stuck.set()
        first.join()
        second.join()
    assert [o.status for o in answered["second"]] == ["CREATED"] * (writers + 2)
    assert_same(live, tmp_path)
