"""A file that cannot be read for want of a resource of the process (file descriptors,
memory), or a change whose apply fails, is a passing state, not the folder's: it is read
again, and no snapshot keeps it.

Found by opening 400 idle connections to a server started with ``ulimit -n 200``: a file
dropped meanwhile was kept as "cannot read file: Too many open files" (and the apply of its
change failed, importing a module), and stayed missing once the connections closed, until
the file was touched; a load with ``--cache`` that met it wrote it into the snapshot, so
every later start served the article missing.
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import graph
from graph import watch as watch_module
from graph.incremental import BuildState
from tests.conftest import record, write_record
from tests.live_helpers import fail_one_apply
from tests.test_live import assert_same

STARVED = "starved.md"
URL = "https://news.example/starved"


@pytest.fixture
def starved(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """While the event is set, opening a file named STARVED fails as it does when the
    process has no file descriptor left (EMFILE)."""
    short = threading.Event()
    real_open = os.open

    def open_(path: str | os.PathLike[str], flags: int, *args: object, **kwargs: object) -> int:
        if short.is_set() and os.fspath(path).endswith(STARVED):
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_)
    short.set()
    yield short
    short.clear()


def test_a_load_that_could_not_open_a_file_for_want_of_descriptors_writes_no_snapshot(
        tmp_path: Path, starved: threading.Event) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    write_record(corpus, "a.md", record("a"))
    write_record(corpus, STARVED, record("starved"))
    kg = graph.load(corpus, cache=cache, workers=1)
    [error] = kg.report.errors
    assert error.path.endswith(STARVED) and "Too many open files" in error.reason
    writing = getattr(kg, "snapshot_write", None)
    if writing is not None:
        writing.wait()
    starved.clear()
    again = graph.load(corpus, cache=cache, workers=1)
    assert again.report.errors == []
    assert again.article(URL) is not None  # a snapshot kept the failure: every start lost it


async def _watch_until(live: graph.LiveGraph, done: object, within: float = 15) -> bool:
    """Run the watcher on ``live`` until ``done()`` holds (True) or ``within`` seconds pass."""
    stop = asyncio.Event()
    task = asyncio.create_task(watch_module.watch(live, stop=stop, poll=True))
    try:
        for _ in range(int(within / 0.02)):
            if done():  # type: ignore[operator]
                return True
            await asyncio.sleep(0.02)
        return False
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


def test_a_followed_file_that_could_not_be_opened_is_read_again_once_it_can(
        tmp_path: Path, starved: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_module, "RETRY_FIRST_S", 0.2)
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    write_record(tmp_path, STARVED, record("starved"))

    def failed() -> bool:
        return any(e.path.endswith(STARVED) for e in live.current().report.errors)

    async def run() -> tuple[bool, bool]:
        seen_failing = await _watch_until(live, failed)
        starved.clear()  # descriptors free again; the file itself never changes
        return seen_failing, await _watch_until(
            live, lambda: live.current().article(URL) is not None)

    seen_failing, read_again = asyncio.run(run())
    assert seen_failing, "the file was read before the descriptors ran out"
    assert read_again, "the file stayed 'cannot read file: Too many open files'"
    assert live.current().report.errors == []
    assert_same(live, tmp_path)


def test_a_change_whose_apply_failed_is_applied_again_without_another_event(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_module, "RETRY_FIRST_S", 0.2)
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    node = BuildState._node
    failures: list[int] = []

    def fails_once(self: BuildState, *args: object) -> object:
        if not failures:
            failures.append(1)  # as an import or an allocation fails under a flood
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return node(self, *args)

    monkeypatch.setattr(BuildState, "_node", fails_once)
    write_record(tmp_path, "new.md", record("new"))
    visible = asyncio.run(_watch_until(
        live, lambda: live.current().article("https://news.example/new") is not None))
    assert failures, "the apply never failed"
    assert visible, "the change stayed unapplied until some other file changed"
    assert_same(live, tmp_path)


@pytest.fixture
def all_starved(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """While the event is set, opening any record file fails for want of descriptors."""
    short = threading.Event()
    real_open = os.open

    def open_(path: str | os.PathLike[str], flags: int, *args: object, **kwargs: object) -> int:
        if short.is_set() and os.fspath(path).endswith(".md"):
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_)
    yield short
    short.clear()


def test_a_follow_from_a_snapshot_short_of_descriptors_keeps_serving_its_articles(
        tmp_path: Path, all_starved: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first change after a start from a snapshot whose build state is not read (kept
    for another path to the folder, or unreadable) reads every file once: each one that
    could not be opened was taken as changed into an error, and the version made then
    served none of the corpus's articles (50 removed, in the trial's server)."""
    from graph.followcache import FollowCache

    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    for name in ("a", "b", "c"):
        write_record(corpus, f"{name}.md", record(name))
    graph.follow(corpus, cache=cache)
    monkeypatch.setattr(FollowCache, "state", staticmethod(lambda *args: None))
    live = graph.follow(corpus, cache=cache)
    assert not live.resumed  # from the snapshot: its files not read yet
    new = write_record(corpus, "new.md", record("new"))
    _refused_then_applied(live, new, all_starved, corpus)


def test_a_followed_file_changed_while_short_of_descriptors_keeps_its_last_reading(
        tmp_path: Path, all_starved: threading.Event) -> None:
    for name in ("a", "b"):
        write_record(tmp_path, f"{name}.md", record(name))
    live = graph.follow(tmp_path)
    edited = write_record(tmp_path, "a.md", record("a", title="Edited"))
    all_starved.set()
    live.apply([edited])
    assert live.current().article("https://news.example/a") is not None  # not gone
    assert live.current().report.errors == []
    assert live.unread() == [str(edited)]
    all_starved.clear()
    live.apply(live.unread())
    assert live.unread() == []
    assert live.current().nx.nodes["article:https://news.example/a"]["title"] == "Edited"
    assert_same(live, tmp_path)


def test_a_rebuild_after_a_failed_apply_short_of_descriptors_keeps_serving_its_articles(
        tmp_path: Path, all_starved: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a failed apply the next builds the version from every file, reading again
    those whose records were let go: each that could not be opened was taken as an error
    (the trial's server: a version of 0 articles, served for 3 s of a flood)."""
    for name in ("a", "b", "c"):
        write_record(tmp_path, f"{name}.md", record(name))
    live = graph.follow(tmp_path)
    new = write_record(tmp_path, "new.md", record("new"))
    fail_one_apply(live, new, OSError(errno.EMFILE, os.strerror(errno.EMFILE)), monkeypatch)
    _refused_then_applied(live, new, all_starved, tmp_path)


def _refused_then_applied(live: graph.LiveGraph, new: Path, all_starved: threading.Event,
                          folder: Path) -> None:
    """``new``'s apply, short of descriptors, fails and changes nothing (the three
    articles served, no error); with them back it applies, as a load reads the folder."""
    all_starved.set()
    with pytest.raises(OSError, match="for want of a resource"):
        live.apply([new])
    assert live.current().report.articles == 3 and live.current().report.errors == []
    all_starved.clear()
    live.apply([new])
    assert live.current().article("https://news.example/new") is not None
    assert_same(live, folder)
