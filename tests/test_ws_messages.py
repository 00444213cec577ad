"""A WebSocket message that is not what its protocol allows ends with a clear reason.

graphql-transport-ws says a message it cannot read closes the socket with 4400 and a
reason; the legacy graphql-ws protocol answers an operation's bad ``start`` with an
``error`` for its id. A ``subscribe`` whose payload was not an object, a list for a
message, a ``query`` that is not text or an ``operationName`` that is a number reached
Strawberry's handler as they were: the socket dropped with no close code and a
traceback in the server's log, or the operation completed with nothing said, or it
answered "Unexpected error.".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from schema.app import create_app
from schema.settings import Settings
from tests.conftest import SAMPLE_CORPUS

SUB = "subscription { graphChanged { version } }"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(SAMPLE_CORPUS, Settings())
    with TestClient(app) as c:
        yield c


def _closed_by(client: TestClient, message: Any, protocol: str = "graphql-transport-ws"
               ) -> WebSocketDisconnect:
    with client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return closed.value


@pytest.mark.parametrize(("message", "says"), [
    ({"type": "subscribe", "id": "1", "payload": [1]}, "'payload' must be an object"),
    ({"type": "subscribe", "id": "1", "payload": "{ stats { articles } }"},
     "'payload' must be an object"),
    ([1, 2], "a message must be a JSON object"),
    ("subscribe", "a message must be a JSON object"),
    ({"type": "subscribe", "id": "1", "payload": {"query": 5}}, "'query' must be text"),
    ({"type": "subscribe", "id": "1", "payload": {"query": SUB, "operationName": 5}},
     "'operationName' must be text"),
    ({"type": "subscribe", "id": "1", "payload": {"query": SUB, "variables": "x"}},
     "'variables' must be an object"),
    ({"type": "subscribe", "id": "1", "payload": {"query": SUB, "variables": [1]}},
     "'variables' must be an object"),
    ({"type": "subscribe", "id": "1", "payload": {"query": SUB, "extensions": "x"}},
     "'extensions' must be an object"),
    ({"type": "subscribe", "id": 5, "payload": {"query": SUB}}, "'id' must be text"),
    ({"type": "subscribe", "id": "x" * 10_000, "payload": {"query": SUB}},
     "'id' must be text of at most"),
])
def test_a_malformed_subscribe_closes_with_4400_saying_what_is_wrong(
        client: TestClient, message: Any, says: str) -> None:
    closed = _closed_by(client, message)
    assert closed.code == 4400, (closed.code, closed.reason)
    assert says in closed.reason
    assert len(closed.reason.encode()) <= 123  # a close frame's reason holds 123 bytes


def test_a_well_formed_subscribe_still_runs_after_the_checks(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"type": "subscribe", "id": "q", "payload": {
            "query": "{ stats { articles } }", "variables": None, "operationName": None,
            "extensions": {}}})
        answer = ws.receive_json()
        assert answer["type"] == "next", answer
        assert answer["payload"]["data"] == {"stats": {"articles": 9}}
        assert ws.receive_json() == {"id": "q", "type": "complete"}


@pytest.mark.parametrize(("payload", "says"), [
    ([1], "'payload' must be an object"),
    ({}, "'query' must be text"),
    ({"query": "{ stats { articles } }", "variables": "x"}, "'variables' must be an object"),
    ({"query": "{ stats { articles } }", "operationName": 5}, "'operationName' must be text"),
])
def test_a_malformed_start_of_the_legacy_protocol_is_answered_with_an_error(
        client: TestClient, payload: Any, says: str) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"type": "start", "id": "1", "payload": payload})
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["id"] == "1", answer
        assert says in answer["payload"]["message"]
        # the connection goes on: a good operation after it is answered
        ws.send_json({"type": "start", "id": "2", "payload": {"query": "{ stats { topics } }"}})
        answer = ws.receive_json()
        assert answer["type"] == "data", answer
        assert answer["payload"]["data"] == {"stats": {"topics": 7}}


def test_a_message_nested_too_deeply_to_decode_closes_as_one_that_is_not_json(
        client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_text("[" * 100_000 + "]" * 100_000)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (
        4400, "WebSocket message must be valid JSON")


def test_a_legacy_message_that_is_no_object_is_answered_with_an_error(
        client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json([1, 2])
        answer = ws.receive_json()
        assert answer["type"] == "error"
        assert "a message must be a JSON object" in answer["payload"]["message"]
