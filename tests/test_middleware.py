"""The ASGI middleware, one per file (schema/middleware/): the body read once, by BodyLimit,
and handed on; the response cache keyed on it without reading it again."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema.app import create_app
from schema.middleware.body import BODY, BodyLimit
from schema.middleware.cache import MAX_ENTRIES, ResponseCache
from schema.settings import Settings

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
    cache = ResponseCache(answer, lambda scope: graph_object, max_bytes=2**20)
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


@pytest.mark.parametrize(("megabytes", "stored"), [(0, 0), (0.5, 1)])
def test_the_response_cache_takes_its_megabytes_from_the_settings(megabytes, stored):
    # `serve --response-cache-mb 0` keeps no answers: the repeat is computed again.
    app = create_app(CORPUS, Settings().replace(response_cache_mb=megabytes))
    cache = app.state.response_cache
    assert cache.max_bytes == int(megabytes * 2**20)
    with TestClient(app) as client:
        body = json.dumps({"query": "{ stats { articles } }"})
        for _ in range(2):
            client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert (cache.hits, len(cache._entries)) == (stored, stored)


def test_the_response_cache_counts_what_it_holds_headers_included():
    # Its budget is the server's memory: a stored answer's headers and the objects around
    # it count, not only the answer's bytes (a dozen headers, ~1.5 KB beside 10 KB).
    import sys

    class Graph:
        pass

    headers = [(b"x-header-%d" % i, b"v" * 40) for i in range(12)]

    async def answer(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"x" * 10_000})

    graph_object = Graph()
    cache = ResponseCache(answer, lambda scope: graph_object, max_bytes=60_000)
    for i in range(10):
        _call(cache, {**SCOPE, BODY: b'{"query": "{ a%d }"}' % i}, [])
    held = sum(sys.getsizeof(payload) + sum(sys.getsizeof(k) + sys.getsizeof(v)
                                            for k, v in stored_headers)
               for _, stored_headers, payload, _ in cache._entries.values())
    assert held <= cache._bytes <= 60_000 and len(cache._entries) == 4


def _trickle(chunks, then_wait: float):
    """A client that sends ``chunks``, then waits ``then_wait`` s before the next one."""
    async def receive():
        if chunks:
            return chunks.pop(0)
        await asyncio.sleep(then_wait)
        return {"type": "http.request", "body": b"}", "more_body": False}
    return receive


def _run(app, scope, receive):
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    worker = threading.Thread(target=asyncio.run, args=(app(scope, receive, send),))
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    return sent


def test_a_body_that_does_not_arrive_by_the_deadline_is_answered_408():
    # A client that declares a body and stops sending it (slowloris) held its connection
    # open for as long as it liked: no deadline ran before the body was whole.
    called = []

    async def app(scope, receive, send):
        called.append(scope)

    first = [{"type": "http.request", "body": b'{"query": "{ stats', "more_body": True}]
    sent = _run(BodyLimit(app, limit=1000, seconds=0.3), dict(SCOPE), _trickle(first, 5))
    assert called == []
    start, body = sent[0], sent[-1]
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    error = json.loads(body["body"])["errors"][0]
    assert error == {
        "message": "the request body did not arrive within 0.3 s (18 bytes of it did; limit "
                   "timeout = 0.3, set by NEWSGRAPH_TIMEOUT): send the body whole, at once",
        "extensions": {"code": "REQUEST_TIMEOUT", "limit": "timeout", "max": 0.3}}


def test_a_body_arriving_in_time_in_pieces_is_read_whole():
    seen = {}

    async def app(scope, receive, send):
        seen["body"] = scope[BODY]
        await _echo(scope, receive, send)

    first = [{"type": "http.request", "body": b"{", "more_body": True}]
    sent = _run(BodyLimit(app, limit=1000, seconds=2), dict(SCOPE), _trickle(first, 0.1))
    assert seen["body"] == b"{}" and sent[0]["status"] == 200


@pytest.mark.parametrize(("timeout", "seconds"), [(2.5, 2.5), (1e-9, 1.0)])
def test_the_app_times_the_body_by_its_timeout_setting(timeout, seconds):
    # A timeout set below a second for the work is no bound on a network read: a body
    # then has a second (test_limits sets 1e-9 s, and its body was refused as too slow).
    from schema.settings import Settings

    app = create_app(CORPUS, Settings().replace(timeout=timeout))
    limit = next(m for m in app.user_middleware if m.cls is BodyLimit)
    assert limit.kwargs["seconds"] == seconds


@pytest.mark.parametrize("share", [1, 2, 3])
def test_an_apps_response_cache_holds_its_share_of_one_servers_budget(share):
    # A worker of `serve --workers N` keeps its own cache: N of them together stay
    # within what one server may hold, in bytes and in answers.
    budget = int(Settings().response_cache_mb * 2**20)
    cache = create_app(CORPUS, cache_share=share).state.response_cache
    assert cache.max_bytes * share <= budget and cache.max_bytes > budget // (share + 1)
    assert cache.max_entries * share <= MAX_ENTRIES


def test_a_stored_answer_is_nothing_the_cyclic_collector_scans():
    # A full collection holds the interpreter from every request while it scans the
    # objects it tracks: thousands of stored answers made each one longer (serve34).
    import gc

    class Graph:
        """Stands for a loaded graph."""

    async def answer(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"data": ', "more_body": True})
        await send({"type": "http.response.body", "body": b"1}"})

    graph_object = Graph()
    cache = ResponseCache(answer, lambda scope: graph_object, max_bytes=2**20)
    scope = {**SCOPE, BODY: b'{"query": "{ a }"}'}
    first, _ = _call(cache, dict(scope), [])
    for _ in range(3):  # each scan untracks a tuple of untracked items, innermost first
        gc.collect()
    assert [gc.is_tracked(entry) for entry in cache._entries.values()] == [False]
    again, _ = _call(cache, dict(scope), [])
    assert again[0]["status"] == 200 and again[0]["headers"] == first[0]["headers"]
    assert b"".join(m.get("body", b"") for m in again[1:]) == b'{"data": 1}'
    assert cache.hits == 1
