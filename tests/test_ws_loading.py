"""A WebSocket that comes while the server loads (a restarted server, its explorer pages and
subscribers reconnecting) is told to come back, as an HTTP request is told so with a 503."""

from __future__ import annotations

import pytest
from explore_corpus import EXPLORE
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from schema.app import create_app
from tests.servers import hold_load

HANG_GUARD = 60  # seconds: a hang guard for a busy CI machine, not a timing assertion


def test_a_websocket_while_the_graph_loads_is_closed_with_try_again_later(monkeypatch):
    # It reached the GraphQL view, which raised "the graph is not loaded yet": a traceback
    # in the server's log for every attempt of every reconnecting client, and a connection
    # reset without a close frame (1006).
    release = hold_load(monkeypatch, HANG_GUARD)
    with TestClient(create_app(EXPLORE, background=True)) as c:
        with pytest.raises(WebSocketDisconnect) as closed, \
                c.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            ws.receive_json()
        assert closed.value.code == 1013  # try again later
        assert "still loading" in closed.value.reason
        assert len(closed.value.reason.encode()) <= 123  # what a close frame holds
        release.set()
