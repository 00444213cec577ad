"""A query over a long-lived WebSocket is a request of its own, on the current graph.

Found by trial33: explorer clients keep one WebSocket open and send every operation on it
(graphql-ws's client with all operations, gql's websockets transport). The connection's
context is made once, when it opens, with one request budget and the graph version of
that moment, and every query and mutation on it shared both:

- a query sent more than ``timeout`` (10 s) after the connection opened was past the
  budget's deadline before it began: graphql-transport-ws answered only ``complete``
  (no data, no error), the legacy protocol nothing at all, and the server logged a
  traceback (``LimitExceeded`` raised in validation);
- the objects and visits of all of a connection's queries added up, so past 20,000
  objects in all every further query was refused;
- a query read the graph as it was when the connection opened, never a later version
  of a followed folder (a subscription's events moved it, only while one ran).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app
from schema.settings import Settings
from tests.conftest import SAMPLE_CORPUS, record, write_record
from tests.live_helpers import wait_for

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
STATS = "{ stats { articles } }"


def _answer(ws: Any, protocol: str, operation_id: str, query: str) -> dict[str, Any]:
    """Send one operation and return its result payload (``next`` / ``data``); a
    ``complete`` with nothing before it fails. A probe sent after it runs beside it (a
    connection runs two of its operations at once, so either may end first): both
    completes are waited for, so that nothing of this call is left for the next."""
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    ws.send_json({"type": kind, "id": operation_id, "payload": {"query": query}})
    ws.send_json({"type": kind, "id": operation_id + "-probe",
                  "payload": {"query": "{ __typename }"}})
    found: dict[str, Any] | None = None
    done: set[str] = set()
    while done != {operation_id, operation_id + "-probe"}:
        message = ws.receive_json()
        if message.get("id") == operation_id and message["type"] in ("next", "data"):
            found = message["payload"]
        elif message.get("id") == operation_id and message["type"] == "error":
            raise AssertionError(f"error for {query!r}: {message}")
        elif message["type"] == "complete" and message.get("id") in (
                operation_id, operation_id + "-probe"):
            if message["id"] == operation_id:
                assert found is not None, f"no answer to {query!r}, only its complete"
            done.add(message["id"])
    assert found is not None
    return found


@pytest.fixture(scope="module")
def quick_timeout() -> Iterator[TestClient]:
    with TestClient(create_app(SAMPLE_CORPUS, Settings(timeout=1.0, max_objects=30))) as c:
        yield c


def _opened(client: TestClient, protocol: str) -> Any:
    ws = client.websocket_connect("/graphql", subprotocols=[protocol])
    ws.__enter__()
    ws.send_json({"type": "connection_init"})
    assert ws.receive_json()["type"] == "connection_ack"
    return ws


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_query_sent_after_the_timeout_since_the_connection_opened_is_answered(
        quick_timeout: TestClient, protocol: str) -> None:
    ws = _opened(quick_timeout, protocol)
    try:
        assert _answer(ws, protocol, "1", STATS)["data"] == {"stats": {"articles": 9}}
        time.sleep(1.3)  # past the 1 s timeout since the connection opened
        answer = _answer(ws, protocol, "2", STATS)
        assert answer.get("errors") is None and answer["data"] == {"stats": {"articles": 9}}
    finally:
        ws.__exit__(None, None, None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_query_on_a_connection_has_its_own_object_budget(
        quick_timeout: TestClient, protocol: str) -> None:
    query = "{ articles(first: 10) { edges { node { title } } } }"  # 19 objects of 30
    ws = _opened(quick_timeout, protocol)
    try:
        for i in range(4):
            answer = _answer(ws, protocol, str(i), query)
            assert answer.get("errors") is None, answer
            assert len(answer["data"]["articles"]["edges"]) == 9
    finally:
        ws.__exit__(None, None, None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_query_on_a_connection_opened_before_a_change_reads_the_new_version(
        tmp_path: Path, protocol: str) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    with TestClient(create_app(live, Settings())) as client:
        ws = _opened(client, protocol)
        try:
            assert _answer(ws, protocol, "1", STATS)["data"]["stats"]["articles"] == 1
            live.apply([write_record(tmp_path, "b.md", record("b"))])
            wait_for(lambda: client.post("/graphql", json={"query": STATS}).json()[
                "data"]["stats"]["articles"] == 2, "the new version served over HTTP")
            answer = _answer(ws, protocol, "2", STATS)
            assert answer["data"]["stats"]["articles"] == 2, answer
            assert answer["extensions"]["graphVersion"] == live.version
        finally:
            ws.__exit__(None, None, None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_websocket_query_runs_in_an_operation_thread_not_on_the_event_loop(
        protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Strawberry runs a WebSocket's query or mutation on the event loop, where it held
    every other request while it ran (trial33: 3,000 cheap queries sent at once on one
    socket held an HTTP `stats` for 2.5-2.9 s). It runs in the threads HTTP's do."""
    import threading

    import schema.query as query_module

    ran: list[str] = []
    kg_of = query_module.kg_of

    def recorded(info: Any) -> Any:
        ran.append(threading.current_thread().name)
        return kg_of(info)

    monkeypatch.setattr(query_module, "kg_of", recorded)
    with TestClient(create_app(SAMPLE_CORPUS, Settings())) as client, \
            client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ran.clear()
        assert _answer(ws, protocol, "1", STATS)["data"] == \
            client.post("/graphql", json={"query": STATS}).json()["data"]
        ran.pop()  # the HTTP request's
    assert ran and all(name.startswith("newsgraph-graphql") for name in ran), ran


def test_one_websocket_runs_a_few_of_its_operations_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket's operations take turns, WS_RUNNING at a time, as one HTTP/1.1
    connection's requests do: one socket cannot queue hundreds ahead of every other
    request in the operation threads. Each is still answered."""
    import threading

    import schema.query as query_module
    from schema.http import WS_RUNNING

    lock = threading.Lock()
    now, most = [0], [0]
    kg_of = query_module.kg_of

    def counted(info: Any) -> Any:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.02)
        with lock:
            now[0] -= 1
        return kg_of(info)

    monkeypatch.setattr(query_module, "kg_of", counted)
    with TestClient(create_app(SAMPLE_CORPUS, Settings())) as client, \
            client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        for i in range(20):
            ws.send_json({"type": "subscribe", "id": str(i), "payload": {"query": STATS}})
        answered = set()
        while len(answered) < 20:
            message = ws.receive_json()
            if message["type"] == "next":
                assert message["payload"]["data"]["stats"]["articles"] > 0
                answered.add(message["id"])
    assert 1 <= most[0] <= WS_RUNNING


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_websocket_query_is_answered_at_its_deadline_as_over_http(
        protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query whose work does not end by its deadline (here a resolver stuck past it,
    as a part that does not look at the budget would be) is answered at the deadline
    with the timeout error an HTTP request gets, not once its work ends."""
    import threading

    import schema.query as query_module

    kg_of = query_module.kg_of
    released, returned = threading.Event(), threading.Event()

    def stuck(info: Any) -> Any:
        released.wait(15)  # until the test has its answer (15 s: a hang guard)
        returned.set()
        return kg_of(info)

    monkeypatch.setattr(query_module, "kg_of", stuck)
    with TestClient(create_app(SAMPLE_CORPUS, Settings(timeout=0.5))) as client, \
            client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
        ws.send_json({"type": kind, "id": "1", "payload": {"query": STATS}})
        answers = []
        while (message := ws.receive_json())["type"] != "complete":
            answers.append(message)
        answered_while_stuck = not returned.is_set()
        released.set()
    assert answered_while_stuck  # not once its work ended
    [message] = answers
    assert message["type"] in ("next", "data"), message
    answer = message["payload"]
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"]["limit"] == "timeout", error
