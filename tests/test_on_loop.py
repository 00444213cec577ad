"""A query whose document is known to take under INLINE_CPU_S of CPU runs on the event
loop, without an operation thread (schema/http.py ``_on_loop``); one that takes longer
there is stopped at its next look at the deadline and run again in a thread, on a budget
of its own, its answer and cost those of a run in a thread from the start.

Behaviour only: which thread ran what, and what was answered; no timing is asserted."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

import graph
import graph.walk
import schema.http
from schema.app import create_app
from schema.settings import Settings
from schema.threads import OperationThreads

WITHIN = """query W($id: ID!) { article(id: $id) { within(hops: 2, first: 5) {
  totalCount edges { hops node { id } } } } }"""


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load("tests/fixtures/corpus")


@pytest.fixture()
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads the view started operations in, one per operation."""
    names: list[str] = []
    original = OperationThreads.start

    def start(self: OperationThreads, fn: Any, unknown: bool = False) -> Any:
        names.append(threading.current_thread().name)
        return original(self, fn, unknown)

    monkeypatch.setattr(OperationThreads, "start", start)
    return names


@pytest.fixture()
def walked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that walked, one per walk."""
    names: list[str] = []
    original = graph.walk.levels

    def levels(*args: Any, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(graph.walk, "levels", levels)
    return names


def _articles(kg: graph.KnowledgeGraph) -> list[str]:
    return sorted(n for n, d in kg.nx.nodes(data=True)
                  if d["kind"] == "article" and not d.get("is_stub"))[:7]


def _post(client: TestClient, start: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": WITHIN, "variables": {"id": start}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body


def _warm(client: TestClient, kg: graph.KnowledgeGraph, started: list[str]) -> str:
    """Send the query until its document is known to be that quick (its first run also
    parses, validates and plans it); return the event loop's thread's name. (Each start
    is sent once to a server: a repeated request is answered from the stored answers.)"""
    for start in _articles(kg)[:2]:
        _post(client, start)
    assert started, "the first ran in an operation thread"
    return started[0]


def test_a_document_known_to_be_quick_runs_on_the_event_loop(kg, started, walked):
    with TestClient(create_app(kg, Settings())) as client:
        loop_thread = _warm(client, kg, started)
        started.clear()
        walked.clear()
        for start in _articles(kg)[2:5]:
            _post(client, start)
    assert started == [], "known to be quick, they ran without an operation thread"
    assert walked == [loop_thread] * 3


def test_one_that_takes_longer_on_the_loop_is_run_again_in_a_thread(kg, started, walked,
                                                                    monkeypatch):
    with TestClient(create_app(kg, Settings())) as client:
        _warm(client, kg, started)
        plain = [_post(client, s) for s in _articles(kg)[2:4]]
    started.clear()
    walked.clear()
    with TestClient(create_app(kg, Settings())) as client:
        loop_thread = _warm(client, kg, started)
        started.clear()
        walked.clear()
        # Every look at the deadline on the loop is now past the limit: moved at its first.
        monkeypatch.setattr(schema.http, "INLINE_CPU_S", -1.0)
        moved = _post(client, _articles(kg)[2])
        assert len(started) == 1, "stopped on the loop, it ran again in a thread"
        assert walked and loop_thread not in walked  # stopped before or in its walk
        assert moved == plain[0], "its answer and its cost are a thread's from the start"
        _post(client, _articles(kg)[3])
        assert len(started) == 2, "known to take longer, the next runs in a thread at once"
        assert walked and loop_thread not in walked


def test_a_mutation_never_runs_on_the_event_loop(kg, started):
    mutation = 'mutation { retract(ids: ["article:none"]) { articleId } }'
    with TestClient(create_app(kg, Settings())) as client:
        for _ in range(3):
            client.post("/graphql", json={"query": mutation})
    assert len(started) == 3


def test_a_websocket_query_known_to_be_quick_runs_on_the_event_loop(kg, started, walked):
    starts = _articles(kg)
    with TestClient(create_app(kg, Settings())) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init"})
            assert ws.receive_json()["type"] == "connection_ack"

            def ask(i: int) -> dict[str, Any]:
                ws.send_json({"type": "subscribe", "id": str(i), "payload": {
                    "query": WITHIN, "variables": {"id": starts[i]}}})
                answer = ws.receive_json()
                assert answer["type"] == "next" and "errors" not in answer["payload"], answer
                assert ws.receive_json() == {"type": "complete", "id": str(i)}
                return answer["payload"]

            ask(0)
            ask(1)  # known to be that quick from here on
            loop_thread = started[0]
            started.clear()
            walked.clear()
            over_ws = ask(2)
    assert started == [] and walked == [loop_thread]
    assert over_ws == _post_fresh(kg, starts[2])


def _post_fresh(kg: graph.KnowledgeGraph, start: str) -> dict[str, Any]:
    with TestClient(create_app(kg, Settings())) as client:
        return _post(client, start)
