"""Which operations start at once (schema/admission.py): a document not yet known to be
quick takes one of a few running places, and a big one is parsed, validated and costed
in the lane (schema/lanes.py), as long work, not beside it.

Behaviour only: who waits, who is answered while whom waits. Threads meet on events, so
nothing depends on how fast the machine is (HANG_GUARD only bounds a broken test)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

import graph
import schema.cache
from graph.budget import Budget
from schema.admission import PACED_NAMES, QuickDocuments, document_key, names_in
from schema.app import create_app
from schema.cost import RequestBudget
from schema.http import GraphQLOverHTTP
from schema.settings import Settings
from schema.threads import OperationThreads, Ticket
from tests.conftest import until

HANG_GUARD = 60
CHEAP = "{ stats { articles } }"


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load("tests/fixtures/corpus")


def _view(app: Any) -> GraphQLOverHTTP:
    view = next(r.app for r in app.routes if getattr(r, "path", "") == "/graphql")
    while not isinstance(view, GraphQLOverHTTP):  # under its middleware
        view = view.app
    return view




def _hold_lane(view: GraphQLOverHTTP) -> Budget:
    """Take the view's one lane place for the test (a long operation computing)."""
    lane = view.lane
    assert lane is not None
    holder = Budget(seconds=600)
    holder.started -= 1  # long already: it takes the free place at its look
    lane.pace(holder)
    assert lane.holders() == 1
    return holder


def _big(tag: str) -> str:
    """A document of 20 aliases, past PACED_NAMES names: valid, and cheap to answer."""
    return "{ " + " ".join(f"s{i}: stats {{ articles edges nodes }}" for i in range(20)) \
        + f" }} # {tag}"


class Validations:
    """Records each document validated (by its text), as it is validated."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, block: str | None = None):
        self.texts: list[str] = []
        self.blocked = 0
        self.go = threading.Event()
        self.lock = threading.Lock()
        original = schema.cache.validate

        def validate(schema_: Any, document: Any, rules: Any) -> Any:
            text = document.loc.source.body if document.loc is not None else ""
            with self.lock:
                self.texts.append(text)
                held = block is not None and block in text
                if held:
                    self.blocked += 1
            if held:
                assert self.go.wait(HANG_GUARD)
            return original(schema_, document, rules)

        monkeypatch.setattr(schema.cache, "validate", validate)

    def saw(self, tag: str) -> bool:
        with self.lock:
            return any(tag in t for t in self.texts)


# -- the admission's parts ---------------------------------------------------------------

def test_a_document_key_drops_comments_but_not_a_hash_in_a_string() -> None:
    assert document_key("{ stats { articles } } # 123") == document_key("{ stats { articles } }")
    assert document_key('{ search(text: "#1") { totalCount } }') \
        != document_key('{ search(text: "#2") { totalCount } }')
    block = '{ search(text: """a "#" b""") { totalCount } } # x'
    assert document_key(block) == document_key('{ search(text: """a "#" b""") { totalCount } }')


def test_names_are_counted_outside_strings_and_comments() -> None:
    assert names_in("query Cheap { stats { articles } } # one two three") == 4
    assert names_in('{ search(text: "a b c d e f") { totalCount } }') == 3
    assert names_in(_big("x")) > PACED_NAMES >= names_in(CHEAP)


def test_a_document_is_known_quick_until_it_runs_long() -> None:
    quick = QuickDocuments(maxsize=2)
    key = document_key(CHEAP)
    assert not quick.known(key)
    quick.ran(key, quick=True)
    assert quick.known(key)
    quick.ran(key, quick=False)  # the same text with other variables went long
    assert not quick.known(key)
    for n in range(3):  # the oldest is forgotten past maxsize
        quick.ran(f"k{n}", quick=True)
    assert not quick.known("k0") and quick.known("k1") and quick.known("k2")


# -- a big document waits for its turn before it is parsed and validated ----------------

def test_a_big_new_document_is_validated_in_its_turn_while_a_cheap_query_is_answered(
        kg: graph.KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long operation holds the lane: a big document never seen before waits asleep for
    the lane, unvalidated, its thread given back, and a cheap query is answered
    meanwhile; once the lane is free the big one is validated and answered in full.
    (Before: it was parsed and validated at once, beside the long one, on the GIL.)"""
    validations = Validations(monkeypatch)
    app = create_app(kg, Settings().replace(timeout=60.0))
    with TestClient(app) as client:
        view = _view(app)
        lane = view.lane
        assert lane is not None
        holder = _hold_lane(view)
        answers: list[Any] = []
        big = threading.Thread(target=lambda: answers.append(
            client.post("/graphql", json={"query": _big("first")})))
        try:
            big.start()
            assert until(lambda: lane.waiting() == 1 or validations.saw("first"))
            assert not validations.saw("first"), "validated beside the long operation"
            assert until(lambda: view.threads.in_use() == (0, 1))  # parked: no running place
            cheap = client.post("/graphql", json={"query": CHEAP})
            assert cheap.json()["data"]["stats"]["articles"] > 0
            assert lane.waiting() == 1 and not answers and not validations.saw("first")
        finally:
            lane.leave(holder)
            big.join(HANG_GUARD)
        data = answers[0].json()["data"]
        articles = cheap.json()["data"]["stats"]["articles"]
        assert [data[f"s{i}"]["articles"] for i in range(20)] == [articles] * 20
        assert validations.saw("first")


def test_a_big_document_known_to_be_quick_is_not_held_back(
        kg: graph.KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """An explorer sends its big documents again and again: once one ran quick, the
    same document (another comment, other variables) starts at once, lane or not."""
    app = create_app(kg, Settings().replace(timeout=60.0))
    # Quick is under QUICK_CPU_S (20 ms) of CPU; this document, parsed, validated and
    # planned afresh, takes 16-29 ms on CI's machine: the test is about what happens
    # once it is known quick, not about the machine's speed (it failed on both sides).
    import schema.http

    monkeypatch.setattr(schema.http, "QUICK_CPU_S", 1.0)
    with TestClient(app) as client:
        view = _view(app)
        lane = view.lane
        assert lane is not None
        for n in range(3):  # its first run (with the lane free) shows it quick
            client.post("/graphql", json={"query": _big(f"warm {n}")})
            if view.quick.known(document_key(_big(""))):
                break
        assert view.quick.known(document_key(_big("")))
        holder = _hold_lane(view)
        try:
            answer = client.post("/graphql", json={"query": _big("again")})
            assert answer.json()["data"]["s19"]["articles"] > 0
            assert lane.holders() == 1 and lane.waiting() == 0
        finally:
            lane.leave(holder)


def test_a_big_document_waiting_for_its_turn_ends_by_its_deadline(
        kg: graph.KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lane stays held past the big document's deadline: it is answered with the
    timeout error, never validated, and holds no place afterwards."""
    validations = Validations(monkeypatch)
    app = create_app(kg, Settings().replace(timeout=1.0))
    with TestClient(app) as client:
        view = _view(app)
        lane = view.lane
        assert lane is not None
        holder = _hold_lane(view)
        try:
            answer = client.post("/graphql", json={"query": _big("late")}).json()
        finally:
            lane.leave(holder)
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["limit"] == "timeout"
        assert not validations.saw("late")
        assert until(lambda: lane.waiting() == 0 and view.threads.in_use() == (0, 0))


# -- a smaller quota of running places for documents not known to be quick -------------

def test_new_documents_take_a_few_running_places_and_a_known_one_is_answered(
        kg: graph.KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 2 places for documents not yet known to be quick, 3 such requests stuck in
    their validation hold 2 threads and the third waits for a place (without a thread);
    a query known to be quick is answered meanwhile, and then all three are.
    (Before: all three ran, and 16 such held every thread a cheap query could have.)"""
    validations = Validations(monkeypatch, block="stuck")
    app = create_app(kg, Settings().replace(timeout=60.0, max_unknown_running=2))
    with TestClient(app) as client:
        view = _view(app)
        threads = view.threads
        for n in range(3):  # the cheap query, quick once seen
            client.post("/graphql", json={"query": f"{CHEAP} # {n}"})
            if view.quick.known(document_key(CHEAP)):
                break
        assert view.quick.known(document_key(CHEAP))
        answers: list[Any] = []
        stuck = [threading.Thread(target=lambda n=n: answers.append(client.post(
            "/graphql", json={"query": f"{{ stuck{n}: stats {{ edges }} }}"})))
            for n in range(3)]
        try:
            for t in stuck:
                t.start()
            assert until(lambda: validations.blocked == 3 or (
                validations.blocked == 2 and threads.queued() == 1))
            assert validations.blocked == 2 and threads.in_use() == (2, 0)
            cheap = client.post("/graphql", json={"query": f"{CHEAP} # known"})
            assert cheap.json()["data"]["stats"]["articles"] > 0
            assert validations.blocked == 2 and not answers
        finally:
            validations.go.set()
            for t in stuck:
                t.join(HANG_GUARD)
        assert len(answers) == 3 and all("errors" not in a.json() for a in answers)


def test_the_unknown_quota_is_given_back_by_a_parked_operation() -> None:
    """An operation of an unknown document that parks (asleep in the lane) gives back its
    place in the quota too: the next unknown one runs."""
    async def main() -> None:
        threads = OperationThreads(running=4, parked=2, unknown=1)
        started, go = threading.Event(), threading.Event()

        def sleeper(ticket: Ticket) -> str:
            ticket.park()
            started.set()
            assert go.wait(HANG_GUARD)
            return "slept"

        first = asyncio.ensure_future(threads.run(sleeper, unknown=True))
        await asyncio.to_thread(started.wait, HANG_GUARD)
        assert await asyncio.wait_for(threads.run(lambda t: "next", unknown=True),
                                      HANG_GUARD) == "next"
        go.set()
        assert await asyncio.wait_for(first, HANG_GUARD) == "slept"
        assert threads.in_use() == (0, 0) and threads.queued() == 0

    asyncio.run(main())


# -- the lane's 20 ms are the operation's own -------------------------------------------

class Clock:
    """A clock set by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_spent_waiting_for_a_thread_does_not_make_an_operation_long(
        kg: graph.KnowledgeGraph) -> None:
    """A request that waited a second for a running place (a busy server) is not long
    at its first look: the lane's 20 ms count from when it starts computing."""
    app = create_app(kg, Settings())
    view = _view(app)
    lane = view.lane
    assert lane is not None
    clock = Clock()
    lane.clock = clock
    budget = RequestBudget(Settings(), clock=clock)  # the request arrived at 0
    clock.now = 1.0  # and got its thread a second later
    loop = asyncio.new_event_loop()
    try:
        view._in_lane(budget.walks.check_time, {"budget": budget}, Ticket(view.threads, loop))
    finally:
        loop.close()
    assert lane.turns == 0 and lane.holders() == 0
