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
from schema.http import GraphQLOverHTTP
from schema.settings import Settings
from tests.conftest import SAMPLE_CORPUS

SUB = "subscription { graphChanged { version } }"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(SAMPLE_CORPUS, Settings())
    with TestClient(app) as c:
        yield c


def _closed_by(client: TestClient, message: Any, protocol: str = "graphql-transport-ws",
               *, as_text: bool = False) -> WebSocketDisconnect:
    """How the server closes a connection sent ``message`` (a text as it is, ``as_text``)."""
    with client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        if as_text:
            ws.send_text(message)
        else:
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


# JSON the decoder refuses for what it holds, not its syntax, is said as over HTTP: it was
# "WebSocket message must be valid JSON" (graphql-transport-ws) or "not JSON" (graphql-ws),
# though it is valid JSON, which sent the client looking for a syntax error.
_UNREAD = [("[" * 30_000 + "]" * 30_000, "it nests too deeply to be read"),
           ('{"type": "ping", "n": ' + "9" * 5_000 + "}",
            "it holds a number of 5,000 digits: at most 4,300 are read")]


@pytest.mark.parametrize(("sent", "says"), _UNREAD, ids=["nested", "long number"])
def test_a_message_json_cannot_read_closes_saying_why(
        client: TestClient, sent: str, says: str) -> None:
    closed = _closed_by(client, sent, as_text=True)  # within maxBodyBytes: decoded, refused
    assert (closed.code, closed.reason) == (4400, f"Invalid message: {says}")


@pytest.mark.parametrize(("sent", "says"), _UNREAD, ids=["nested", "long number"])
def test_a_legacy_message_json_cannot_read_is_answered_saying_why(
        client: TestClient, sent: str, says: str) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_text(sent)
        answer = ws.receive_json()
    assert answer == {"type": "error", "payload": {"message": f"Invalid message: {says}"}}


def test_a_legacy_message_that_is_no_object_is_answered_with_an_error(
        client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json([1, 2])
        answer = ws.receive_json()
        assert answer["type"] == "error"
        assert "a message must be a JSON object" in answer["payload"]["message"]


def _first_answer(client: TestClient, payload: dict[str, Any],
                  protocol: str = "graphql-transport-ws") -> dict[str, Any] | None:
    """The first message for an operation, or None when none came by the time 100 quick
    operations sent after it, one after another, completed (so that a server saying
    nothing cannot hang). A quick one may be answered first: it runs on the event loop
    while the operation waits for a thread (schema/http.py ``_on_loop``)."""
    with client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
        ws.send_json({"type": kind, "id": "1", "payload": payload})
        probes = 0
        ws.send_json({"type": kind, "id": "probe0", "payload": {"query": "{ __typename }"}})
        while True:
            message = ws.receive_json()
            if message.get("id") == "1":
                return message
            if message.get("id") == f"probe{probes}" and message["type"] == "complete":
                probes += 1
                if probes == 100:
                    return None
                ws.send_json({"type": kind, "id": f"probe{probes}",
                              "payload": {"query": "{ __typename }"}})


LONG_DOCUMENT = "{ stats { articles } # " + "x" * 20_000 + "\n}"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_a_document_over_the_size_limit_is_refused_over_websocket_as_over_http(
        client: TestClient, protocol: str) -> None:
    # Over HTTP the size is checked before Strawberry; over WebSocket the check raised
    # inside Strawberry's parsing hook: graphql-transport-ws completed the operation with
    # nothing said, graphql-ws said nothing at all (a traceback in the server's log).
    answer = _first_answer(client, {"query": LONG_DOCUMENT}, protocol)
    assert answer is not None and answer["type"] == "error", answer
    payload = answer["payload"]
    message = payload[0]["message"] if isinstance(payload, list) else payload["message"]
    assert message.startswith("the document is 20,0")
    assert "limit maxDocumentBytes = 16384, set by NEWSGRAPH_MAX_DOCUMENT_BYTES" in message


@pytest.mark.parametrize(("query", "limit"), [
    ("{ " + " ".join(f"a{i}: stats {{ articles }}" for i in range(30)) + " }", "maxAliases"),
    ("{ article(url: \"https://x.example/a\") { " + "related { edges { node { " * 6 + "id"
     + " } } }" * 6 + " } }", "maxDepth"),
])
def test_a_limit_error_over_websocket_names_its_limit_as_over_http(
        client: TestClient, query: str, limit: str) -> None:
    # "30 aliases found. Allowed: 20": graphql-core's words, which HTTP answers name with
    # the setting; over WebSocket the naming came after the error was sent.
    answer = _first_answer(client, {"query": query})
    assert answer is not None and answer["type"] == "error", answer
    [error] = answer["payload"]
    assert f"(limit {limit} = " in error["message"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    http = client.post("/graphql", json={"query": query}).json()["errors"][0]
    assert error["message"] == http["message"]


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_a_message_past_max_body_bytes_closes_with_1009_before_it_is_decoded(
        client: TestClient, protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A message of up to 16 MB (uvicorn's default) was decoded on the event loop, every
    # other request waiting meanwhile: a subscribe needs no more than an HTTP body may hold.
    decoded: list[int] = []
    real = GraphQLOverHTTP.decode_json

    def counting(self: Any, data: str | bytes) -> object:
        decoded.append(len(data))
        return real(self, data)

    monkeypatch.setattr(GraphQLOverHTTP, "decode_json", counting)
    big = '{"type": "subscribe", "id": "1", "payload": {"query": "' + "x" * 2_000_000 + '"}}'
    closed = _closed_by(client, big, protocol, as_text=True)
    assert closed.code == 1009, (closed.code, closed.reason)
    assert f"{len(big):,} bytes" in closed.reason
    assert "at most 65,536 (maxBodyBytes)" in closed.reason
    assert len(closed.reason.encode()) <= 123
    assert max(decoded) < 65_536  # the big one was never decoded


# (trial33) Over the legacy protocol a message that was not JSON, or of a type it does not
# have, was ignored without a word (graphql-transport-ws closes with 4400 for both; the
# legacy protocol's reference server, subscriptions-transport-ws, answers an error): a
# client that sent `{"type": "subscribe", ...}` (the other protocol's word) waited for ever.
@pytest.mark.parametrize(("sent", "says"), [
    ('{"type": "subscribe", "id": "1", "payload": {"query": "{ stats { topics } }"}}',
     "Invalid message type 'subscribe': the graphql-ws protocol has connection_init, start, "
     "stop and connection_terminate"),
    ('{"type": "ping"}', "Invalid message type 'ping'"),
    ("{nope", "Invalid message: not JSON"),
    ("", "Invalid message: not JSON"),
])
def test_a_legacy_message_not_json_or_of_no_known_type_is_answered_with_an_error(
        client: TestClient, sent: str, says: str) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_text(sent)
        ws.send_json({"type": "start", "id": "2", "payload": {"query": "{ stats { topics } }"}})
        answer = ws.receive_json()
        assert answer["type"] == "error", answer
        assert says in answer["payload"]["message"], answer
        answer = ws.receive_json()  # the connection goes on
        assert answer["type"] == "data" and answer["id"] == "2", answer
