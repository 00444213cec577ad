"""Long operations take turns in one lane (schema/lanes.py); short ones never wait.

Behaviour only: who holds a place, who waits, who is refused at its deadline. Threads
meet on events, so nothing depends on how fast the machine is (HANG_GUARD only bounds a
broken test)."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

import graph
from graph.budget import Budget
from graph.errors import BudgetExceeded
from schema.app import create_app
from schema.http import GraphQLOverHTTP
from schema.lanes import Lane
from schema.settings import Settings

HANG_GUARD = 60


class Clock:
    """A clock set by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lane(clock: Clock) -> Lane:
    return Lane(width=1, after=0.02, turn=0.05, clock=clock, poll=0.001)


def test_a_short_operation_never_takes_a_place() -> None:
    clock = Clock()
    lane = _lane(clock)
    budget = Budget(seconds=10, clock=clock, pace=lane.pace)
    clock.now = 0.019
    budget.check_time()
    assert lane.holders() == 0 and lane.waits == 0


def test_a_second_long_operation_waits_for_the_first_to_leave() -> None:
    clock = Clock()
    lane = _lane(clock)
    first = Budget(seconds=10, clock=clock, pace=lane.pace)
    second = Budget(seconds=10, clock=clock, pace=lane.pace)
    clock.now = 0.03  # both past 20 ms; turns are 50 ms, and the clock stays here
    first.check_time()
    assert lane.holders() == 1
    through = threading.Event()

    def run_second() -> None:
        second.check_time()
        through.set()

    waiter = threading.Thread(target=run_second)
    waiter.start()
    assert not through.wait(0.2)  # still waiting: the first holds the one place
    assert lane.waits > 0
    first.check_time()  # the first goes on within its turn
    lane.leave(first)
    assert through.wait(HANG_GUARD)
    waiter.join(HANG_GUARD)
    assert lane.holders() == 1  # the second's now


def test_a_holder_past_its_turn_makes_way_and_queues_behind() -> None:
    clock = Clock()
    lane = _lane(clock)
    first = Budget(seconds=10, clock=clock, pace=lane.pace)
    second = Budget(seconds=10, clock=clock, pace=lane.pace)
    clock.now = 0.03
    first.check_time()
    second_in = threading.Event()
    first_back = threading.Event()

    def run_second() -> None:
        second.check_time()
        second_in.set()

    def run_first() -> None:
        first.check_time()  # its turn is over, and the second waits: it makes way
        first_back.set()

    waiter = threading.Thread(target=run_second)
    waiter.start()
    while lane.waits == 0:  # the second is queued
        threading.Event().wait(0.001)
    clock.now = 0.09  # the first's turn (50 ms from 0.03) is over
    yielding = threading.Thread(target=run_first)
    yielding.start()
    assert second_in.wait(HANG_GUARD)
    assert not first_back.wait(0.2)  # the first now waits behind the second
    lane.leave(second)
    assert first_back.wait(HANG_GUARD)
    for t in (waiter, yielding):
        t.join(HANG_GUARD)


def test_a_waiting_operation_ends_at_its_deadline_and_frees_nothing() -> None:
    clock = Clock()
    lane = _lane(clock)
    first = Budget(seconds=10, clock=clock, pace=lane.pace)
    second = Budget(seconds=1, clock=clock, pace=lane.pace)
    clock.now = 0.03
    first.check_time()
    failed: list[BaseException] = []

    def run_second() -> None:
        try:
            second.check_time()
        except BudgetExceeded as e:
            failed.append(e)

    waiter = threading.Thread(target=run_second)
    waiter.start()
    while lane.waits == 0:
        threading.Event().wait(0.001)
    second.deadline = clock.now  # what the view does when it answers for the request
    clock.now += 0.001
    waiter.join(HANG_GUARD)
    assert failed and failed[0].limit == "seconds"
    assert lane.holders() == 1  # the first still holds its place


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1 wide"):
        Lane(width=0)


@pytest.mark.parametrize(("width", "laned"), [(1, True), (16, False)])
def test_the_server_paces_operations_through_its_lane(width: int, laned: bool) -> None:
    """Each GraphQL operation over HTTP is paced by the process's lane and leaves it
    when it ends; 16 (the worker threads) turns the lane off."""
    kg = graph.load("tests/fixtures/corpus")
    app = create_app(kg, Settings().replace(max_long_operations=width))
    with TestClient(app) as client:
        view = next(r.app for r in app.routes if getattr(r, "path", "") == "/graphql")
        while not isinstance(view, GraphQLOverHTTP):  # under its middleware
            view = view.app
        lane = view.lane
        assert (lane is not None) is laned
        if lane is not None:
            lane.after = 0.0  # every operation is long: each takes the place, then leaves
        answer = client.post("/graphql", json={
            "query": '{ within(from: "topic:facial-recognition", hops: 2) { totalCount } }'})
        assert answer.status_code == 200 and "errors" not in answer.json()
        if lane is not None:
            assert lane.turns >= 1  # it took the place ...
            assert lane.holders() == 0  # ... and left it when it ended
