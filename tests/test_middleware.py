"""The ASGI middleware, one per file (schema/middleware/): the body read once, by BodyLimit,
and handed on; the response cache keyed on it without reading it again."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

from starlette.testclient import TestClient

from schema.app import create_app
from schema.middleware.body import BODY, BodyLimit
from schema.middleware.cache import ResponseCache

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _call(app, scope, messages):
    sent: list[dict] = []
    received = list(messages)
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        return received.pop(0) if received else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    # A thread of its own: a browser test may leave an event loop running in this one.
    worker = threading.Thread(target=asyncio.run, args=(app(scope, receive, send),))
    worker.start()
    worker.join()
    return sent, reads


async def _echo(scope, receive, send):
    """An app that answers with the body it reads."""
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


SCOPE = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}


def test_body_limit_reads_the_body_once_and_hands_it_on():
    seen = {}

    async def app(scope, receive, send):
        seen["body"] = scope[BODY]
        await _echo(scope, receive, send)

    chunks = [{"type": "http.request", "body": b"ab", "more_body": True},
              {"type": "http.request", "body": b"cd", "more_body": False}]
    sent, reads = _call(BodyLimit(app, limit=10), dict(SCOPE), chunks)
    assert seen["body"] == b"abcd"
    assert sent[-1]["body"] == b"abcd"  # the app still reads it, from the one copy
    assert reads == 2  # each chunk received from the client once


def test_the_response_cache_keys_on_the_body_read_before_and_never_reads_it():
    class Graph:
        """Stands for a loaded graph: the cache holds it weakly."""

    async def answer(scope, receive, send):
        """The endpoint, answering with the body BodyLimit read."""
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope[BODY]})

    graph_object = Graph()
    cache = ResponseCache(answer, lambda scope: graph_object)
    scope = {**SCOPE, BODY: b'{"query": "{ a }"}'}
    first, reads = _call(cache, dict(scope), [])
    again, reads_again = _call(cache, dict(scope), [])
    assert first[-1]["body"] == again[-1]["body"] == b'{"query": "{ a }"}'
    assert (reads, reads_again) == (0, 0)
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_app_answers_repeated_posts_from_the_cache():
    with TestClient(create_app(CORPUS)) as client:
        body = json.dumps({"query": "{ stats { articles } }"})
        answers = [client.post("/graphql", content=body,
                               headers={"content-type": "application/json"}) for _ in range(2)]
    assert answers[0].json() == answers[1].json() == {
        "data": {"stats": {"articles": 9}}, "extensions": answers[0].json()["extensions"]}
