"""A request's work runs off the event loop: it is answered by its deadline whatever it
does, and a client that goes away ends its work at the next check."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from explore_corpus import EXPLORE
from servers import run_in_own_loop

import graph
from graph import select
from schema.app import create_app
from schema.settings import Settings

HANG_GUARD = 60
QUERY = '{ search(text: "alpha") { totalCount } }'


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


def _call(app, query: str, *, leave_after: float | None = None) -> list[dict]:
    """POST ``query`` to the ASGI app; the client goes away after ``leave_after`` s."""
    body = json.dumps({"query": query}).encode()
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if pending:
            return pending.pop()
        if leave_after is None:
            await asyncio.sleep(HANG_GUARD)
        await asyncio.sleep(leave_after)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "app": app}
    run_in_own_loop(asyncio.wait_for(app(scope, receive, send), HANG_GUARD))
    return sent


def test_a_client_that_goes_away_ends_the_work_of_its_request(kg, monkeypatch):
    stopped = threading.Event()
    rounds = []

    def endless(kg, text, check=None):
        try:
            while True:
                check(1)
                rounds.append(1)
                time.sleep(0.001)
        finally:
            stopped.set()

    monkeypatch.setattr(select, "search", endless)
    app = create_app(kg, Settings(timeout=HANG_GUARD, max_visits=10**9))
    _call(app, QUERY, leave_after=0.2)
    assert stopped.wait(HANG_GUARD)  # ended by the departure, long before its deadline
    assert 0 < len(rounds) < 10**9


def test_a_request_is_answered_at_its_deadline_even_if_its_work_never_checks(kg, monkeypatch):
    release = threading.Event()

    def deaf(kg, text, check=None):
        release.wait(HANG_GUARD)  # work that never looks at the clock
        return []

    monkeypatch.setattr(select, "search", deaf)
    app = create_app(kg, Settings(timeout=0.2))
    try:
        sent = _call(app, QUERY)
    finally:
        release.set()
    body = json.loads(b"".join(m.get("body", b"") for m in sent
                               if m["type"] == "http.response.body"))
    [error] = body["errors"]
    assert "ran past its time limit of 0.2 s" in error["message"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
