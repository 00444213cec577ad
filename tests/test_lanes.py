"""Long operations take turns in one lane (schema/lanes.py); short ones never wait.

Behaviour only: who holds a place, who waits, who is refused at its deadline. Threads
meet on events, so nothing depends on how fast the machine is (HANG_GUARD only bounds a
broken test)."""

from __future__ import annotations

import contextvars
import gc
import sys
import threading
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

import graph
from graph.budget import Budget
from graph.errors import BudgetExceeded
from schema.app import create_app
from schema.http import GraphQLOverHTTP
from schema.lanes import Lane
from schema.settings import Settings
from tests.conftest import until

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


# -- a thread for a cheap query, however many long ones wait ---------------------------

HEAVY: contextvars.ContextVar[bool] = contextvars.ContextVar("heavy", default=False)


class MarkHeavy:
    """Marks a request sent with ``x-heavy`` as heavy for the lane's clock below: such a
    request is long from its first look at the deadline, any other is short."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (b"x-heavy", b"1") in scope.get("headers", []):
            HEAVY.set(True)
        await self.app(scope, receive, send)


def _view(app: Any) -> GraphQLOverHTTP:
    view = next(r.app for r in app.routes if getattr(r, "path", "") == "/graphql")
    while not isinstance(view, GraphQLOverHTTP):  # under its middleware
        view = view.app
    return view


def _heavy_lane(view: GraphQLOverHTTP) -> tuple[Lane, Budget]:
    """The view's lane, long only for marked requests, its one place held by the test."""
    lane = view.lane
    assert lane is not None
    lane.clock = lambda: time.monotonic() + (1e6 if HEAVY.get() else 0.0)
    holder = Budget(seconds=600)
    marked = contextvars.copy_context()
    marked.run(HEAVY.set, True)
    marked.run(lane.pace, holder)  # free: it takes the place at once
    assert lane.holders() == 1
    return lane, holder




def _post(client: TestClient, n: int, heavy: bool) -> Any:
    if not heavy:
        return client.post("/graphql", json={"query": f"{{ stats {{ articles }} }} # {n}"})
    return client.post("/graphql", headers={"x-heavy": "1"}, json={
        "query": f'{{ within(from: "topic:facial-recognition", hops: 2) {{ totalCount }} }} # {n}'})


def test_a_cheap_query_gets_a_thread_while_twenty_long_ones_wait_their_turn() -> None:
    """20 long operations waiting in the lane (more than the 16 threads that compute) do
    not hold the threads: a short query is answered while they all still wait."""
    kg = graph.load("tests/fixtures/corpus")
    app = create_app(kg, Settings().replace(timeout=60.0))
    with TestClient(MarkHeavy(app)) as client:
        lane, holder = _heavy_lane(_view(app))
        answers: list[Any] = []
        heavy = [threading.Thread(target=lambda n=n: answers.append(_post(client, n, True)))
                 for n in range(20)]
        try:
            for t in heavy:
                t.start()
            # every one of them asleep in the lane (before: 16, each holding a thread)
            assert until(lambda: lane.waiting() == 20), f"{lane.waiting()} wait"
            cheap: list[Any] = []
            asked = threading.Thread(target=lambda: cheap.append(_post(client, 99, False)))
            asked.start()
            asked.join(HANG_GUARD)
            assert cheap, "the cheap query got no thread while long ones waited"
            assert cheap[0].json()["data"]["stats"]["articles"] > 0
            assert lane.waiting() == 20 and not answers  # answered while they all waited
        finally:
            lane.leave(holder)
            for t in heavy:
                t.join(HANG_GUARD)
        assert len(answers) == 20
        assert all(a.status_code == 200 and "errors" not in a.json() for a in answers)


def test_long_operations_past_the_waiting_limit_are_refused_at_once() -> None:
    """With ``max_long_waiting`` long operations asleep in the lane, one more is stopped
    with a clear error instead of holding a thread; those waiting go on."""
    kg = graph.load("tests/fixtures/corpus")
    app = create_app(kg, Settings().replace(timeout=60.0, max_long_waiting=3))
    with TestClient(MarkHeavy(app)) as client:
        lane, holder = _heavy_lane(_view(app))
        answers: list[Any] = []
        waiting = [threading.Thread(target=lambda n=n: answers.append(_post(client, n, True)))
                   for n in range(3)]
        try:
            for t in waiting:
                t.start()
            assert until(lambda: lane.waiting() == 3)
            refused = _post(client, 50, True).json()
            error = refused["errors"][0]
            assert error["extensions"] == {"code": "LIMIT_EXCEEDED",
                                           "limit": "maxLongWaiting", "max": 3}
            assert "3 long operations wait for their turn" in error["message"]
            assert lane.waiting() == 3 and not answers
        finally:
            lane.leave(holder)
            for t in waiting:
                t.join(HANG_GUARD)
        assert len(answers) == 3 and all("errors" not in a.json() for a in answers)


def test_the_server_sets_the_interpreters_switch_interval() -> None:
    """``switch_interval_ms`` is how long a computing thread may keep the GIL from the
    event loop and cheap operations: the server sets it for its process."""
    kg = graph.load("tests/fixtures/corpus")
    before = sys.getswitchinterval()
    try:
        with TestClient(create_app(kg, Settings().replace(switch_interval_ms=1.0))):
            assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)


def test_the_server_sets_the_collectors_young_threshold_and_gives_it_back() -> None:
    """``gc_young_objects`` is how many objects the process makes between two young
    passes of the cyclic collector: the server sets it while it serves (Python's 700
    made a full pass, every thread stopped ~200 ms at 100k, about once a second beside
    16 querying clients), and puts the process's own back when it stops."""
    kg = graph.load("tests/fixtures/corpus")
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with TestClient(create_app(kg, Settings())):
            assert gc.get_threshold() == (5000, 10, 10)
        with TestClient(create_app(kg, Settings().replace(gc_young_objects=1234))):
            assert gc.get_threshold() == (1234, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
