"""Waiting for a live server to catch up, with a hang guard instead of a timing assertion."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], Any], what: str, within: float = 30) -> Any:
    """Return check()'s first truthy value; fail after ``within`` seconds (a hang guard,
    not a timing assertion)."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def write_whole(root: Path, relpath: str, fields: Any) -> Path:
    """Write a record file the way an editor or a copy that renames does: whole, at once
    (a watcher may otherwise catch it empty, which is a state of the folder too)."""
    from tests.conftest import write_record

    final = root / relpath
    tmp = write_record(root, str(Path(relpath).with_name(f".{final.name}.tmp")), fields)
    os.replace(tmp, final)
    return final


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` builds on a fresh event loop in its own thread, so a
    loop another test left running here (Playwright's sync API does) does not matter."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def ingest_together(live: Any, batches: list[list[Any]], **budgets: Any) -> list[Any]:
    """Send ``batches`` to :func:`graph.ingest.ingest` from one thread each while the
    folder is held, each queued after the one before, then let go: batches sent at once,
    as several clients send them. Returns each batch's outcomes, or the exception it
    raised. ``budgets``: a batch's budget by its place, as ``b1=Budget(...)``."""
    import threading

    from graph import ingest as files

    results: list[Any] = [None] * len(batches)

    def send(i: int, records: list[Any]) -> None:
        try:
            results[i] = files.ingest(live, records, budget=budgets.get(f"b{i}"))
        except Exception as e:  # noqa: BLE001 - handed to the test to look at
            results[i] = e

    threads = []
    queued = 0
    with live.holding():
        for i, records in enumerate(batches):
            t = threading.Thread(target=send, args=(i, records))
            t.start()
            threads.append(t)
            # queued, or ended without queueing (a batch of refused records only)
            wait_for(lambda t=t, q=queued: live.batches.queued == q + 1 or not t.is_alive(),
                     f"batch {i} queued")
            if live.batches.queued == queued + 1:
                queued += 1
    for t in threads:
        t.join()
    return results


def fail_one_apply(live: Any, path: Path, error: BaseException, monkeypatch: Any) -> None:
    """Apply ``path`` with its build failing midway (the records taken in, the nodes not
    yet) with ``error``, which the apply raises; the build works again after."""
    import pytest

    from graph.incremental import BuildState

    node = BuildState._node

    def broken(self: BuildState, *args: Any) -> Any:
        raise error

    monkeypatch.setattr(BuildState, "_node", broken)
    with pytest.raises(type(error)):
        live.apply([path])
    monkeypatch.setattr(BuildState, "_node", node)


def follow_with_held_entries(root: Path, cache: Path, changes: int = 1) -> Any:
    """A follow of ``root`` started from its snapshot in ``cache``, after ``changes``
    changes (1 or 2) that left entries of its build state held as objects."""
    import graph
    from tests.conftest import record, write_record

    write_record(root, "a.md", record("a", related=[{"webUrl": "https://news.example/b"}],
                                      topics=["AI"]))
    write_record(root, "b.md", record("b", topics=["ai", "Facial Recognition"]))
    graph.follow(root, cache=cache)
    live = graph.follow(root, cache=cache)
    live.apply([write_record(root, "c.md", record(
        "c", related=[{"webUrl": "https://news.example/a"}], topics=["AI"]))])
    if changes > 1:
        live.apply([write_record(root, "d.md", record(
            "d", related=[{"webUrl": "https://news.example/x"}], topics=["Privacy"]))])
    assert live._held() > 0
    return live
