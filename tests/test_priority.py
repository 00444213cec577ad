"""An apply holding the folder goes first (graph/priority.py): queries give way to it.

Behaviour only: who holds the priority when, who waits for it, that every hold is let
go and the switch interval restored however an apply ends. Threads meet on events and
counters (``until`` only bounds a broken test), so nothing depends on the machine's speed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import graph
from graph.budget import Budget
from graph.errors import BudgetExceeded
from graph.ingest import ingest
from graph.priority import Priority
from schema.app import create_app
from schema.http import GraphQLOverHTTP
from schema.lanes import Lane
from schema.settings import Settings
from tests.conftest import record, until, write_record


def _held_while_indexing(live: graph.LiveGraph, monkeypatch: pytest.MonkeyPatch,
                         fail: bool = False) -> list[int]:
    """Record, at each carry of the read index, the priority's holders (optionally failing
    there)."""
    seen: list[int] = []
    real = graph.live.next_index

    def recorded(*args: object) -> object:
        seen.append(live.priority.holders)
        if fail:
            raise RuntimeError("the change failed midway")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(graph.live, "next_index", recorded)
    return seen


def test_an_apply_holds_the_priority_while_it_carries_the_index_and_lets_it_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    seen = _held_while_indexing(live, monkeypatch)
    held_after: list[int] = []
    live.on_change(lambda change: held_after.append(live.priority.holders))
    path = write_record(tmp_path, "b.md", record("b"))
    assert live.apply([path]) is not None
    assert seen == [1]  # held while the index was carried
    assert held_after == [0]  # ... and let go before the version is told about
    assert live.priority.holders == 0


def test_an_apply_that_raises_lets_the_priority_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    seen = _held_while_indexing(live, monkeypatch, fail=True)
    path = write_record(tmp_path, "b.md", record("b"))
    with pytest.raises(RuntimeError, match="midway"):
        live.apply([path])
    assert seen == [1]  # held as the apply ran
    assert live.priority.holders == 0
    with pytest.raises(RuntimeError, match="nobody holds"):
        live.priority.let_go()


def test_an_ingested_batch_holds_the_priority_only_while_its_apply_carries_the_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    seen = _held_while_indexing(live, monkeypatch)
    with live.holding():
        assert live.priority.holders == 0  # holding the folder alone: queries go on
    outcomes = ingest(live, [record("c"), record("d")])
    assert [o.status for o in outcomes] == ["CREATED", "CREATED"]
    assert seen == [1]
    assert until(lambda: live.priority.holders == 0)


def test_a_query_gives_way_while_an_apply_holds_the_priority_and_not_otherwise() -> None:
    first = Priority()
    lane = Lane(width=1, after=600, first=first, give_way=600)
    budget = Budget(seconds=600, pace=lane.pace)
    budget.check_time()  # nobody holds it: no wait
    assert first.gave_way == 0

    first.take()
    done = threading.Event()
    query = threading.Thread(target=lambda: (budget.check_time(), done.set()))
    query.start()
    assert until(lambda: first.waiting == 1)  # it waits at its look at the deadline ...
    assert not done.is_set()
    first.let_go()  # ... until the apply lets go
    query.join(60)
    assert done.is_set() and first.gave_way == 1 and first.waiting == 0


def test_a_query_gives_way_no_longer_than_its_deadline() -> None:
    first = Priority()
    lane = Lane(width=1, after=600, first=first, give_way=600)
    budget = Budget(seconds=0.05, pace=lane.pace)
    first.take()
    try:
        with pytest.raises(BudgetExceeded, match="deadline"):
            budget.check_time()
        assert first.holders == 1  # it came back at its deadline, the apply still going
    finally:
        first.let_go()


def test_a_query_gives_way_for_at_most_its_lanes_bound() -> None:
    first = Priority()
    lane = Lane(width=1, after=600, first=first, give_way=0.01)
    budget = Budget(seconds=600, pace=lane.pace)
    first.take()
    try:
        budget.check_time()  # back after its bound, no error: its deadline is far
        assert first.gave_way == 1 and first.holders == 1
    finally:
        first.let_go()


def test_the_server_gives_way_to_the_followed_folders_applies(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    app = create_app(live, Settings().replace(max_long_operations=1))
    with TestClient(app):
        view = next(r.app for r in app.routes if getattr(r, "path", "") == "/graphql")
        while not isinstance(view, GraphQLOverHTTP):  # under its middleware
            view = view.app
        assert view.lane is not None and view.lane.first is live.priority
