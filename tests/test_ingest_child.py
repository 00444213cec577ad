"""Ingest's records checked in a child process (graph/recordcheck.py): the same answers as
checked in the server, the same files and graph, and a child that dies with the server."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import graph
from graph import ingest as files
from graph import recordcheck
from tests.conftest import record, write_record
from tests.test_live import assert_same

CONTEXT = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _batch() -> list[Any]:
    """Records of every kind of answer: accepted, accepted with warnings, refused."""
    out: list[Any] = [record(f"c{i}", topics=["AI"], publishedDateTime=date(2024, 1, 1 + i))
                      for i in range(recordcheck.CHILD_MIN_RECORDS)]
    out += [
        record("w", quality=500, related=[{"title": "no url"}]),  # warnings
        {"title": "T"},  # no URL
        {"title": "T", "webUrl": "not a url"},
        "just text",
        record("c0", title="The same article again"),  # the same file, updated
    ]
    return out


def test_a_batch_checked_in_a_child_answers_as_one_checked_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each record's file bytes, URL, parse and warnings, or its refusal, are the ones
    the server's own check gives; the batch was checked in another process."""
    context = multiprocessing.get_context(CONTEXT)
    monkeypatch.setattr(recordcheck, "pool_context", lambda: context)
    checker = recordcheck.Checker()
    try:
        batch = _batch()
        there = checker.submit(batch).result(timeout=120)
        assert checker._pool is not None  # a child was started, and answered
        [pid] = checker._pool._processes
        assert pid != os.getpid()
    finally:
        checker.close()
    here = recordcheck.check_batch(batch)
    assert there == here
    assert [isinstance(c, str) for c in here].count(True) == 3


def test_ingest_through_the_child_writes_and_serves_what_a_cold_load_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context = multiprocessing.get_context(CONTEXT)
    monkeypatch.setattr(recordcheck, "pool_context", lambda: context)
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    try:
        outcomes = files.ingest(live, _batch())
        assert live.checker._pool is not None
        statuses = [o.status for o in outcomes]
        assert statuses == ["CREATED"] * (recordcheck.CHILD_MIN_RECORDS + 1) + [
            "REJECTED"] * 3 + ["UPDATED"]
        assert outcomes[recordcheck.CHILD_MIN_RECORDS].warnings  # said, as a load says
        assert live.current()["article:https://news.example/c0"]["title"] == (
            "The same article again")
        assert_same(live, tmp_path)
        again = files.ingest(live, _batch())
        assert [o.status for o in again][:recordcheck.CHILD_MIN_RECORDS] == (
            ["UPDATED"] + ["UNCHANGED"] * (recordcheck.CHILD_MIN_RECORDS - 1))
        assert_same(live, tmp_path)
    finally:
        live.checker.close()


def test_a_child_that_died_is_replaced_by_checking_in_the_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child killed (out of memory, say) costs no answer: the batch is checked in the
    server, and so are the next ones."""
    context = multiprocessing.get_context(CONTEXT)
    monkeypatch.setattr(recordcheck, "pool_context", lambda: context)
    checker = recordcheck.Checker()
    try:
        batch = _batch()
        checker.submit(batch).result(timeout=120)
        assert checker._pool is not None
        for pid in checker._pool._processes:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        assert checker.submit(batch).result(timeout=120) == recordcheck.check_batch(batch)
        assert checker.submit(batch).result(timeout=120) == recordcheck.check_batch(batch)
        assert checker._pool is None
    finally:
        checker.close()


_SERVER = """
import multiprocessing, sys, threading, time
from graph import recordcheck
from tests.conftest import record
if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    # A server runs threads: its child is started by the method chosen, not forked.
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    checker = recordcheck.Checker()
    checker.submit([record(f"k{i}") for i in range(recordcheck.CHILD_MIN_RECORDS)]).result()
    print(*checker._pool._processes, flush=True)
    time.sleep(600)
"""


def test_the_child_dies_with_the_server(tmp_path: Path) -> None:
    """``kill -9`` of the process that started the child leaves no child running."""
    script = tmp_path / "server.py"
    script.write_text(_SERVER)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, str(script), CONTEXT], stdout=subprocess.PIPE,
                            text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and all(_running(pid) for pid in pids)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in pids)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, ended but not reaped, is not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
