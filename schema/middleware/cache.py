"""Repeated GraphQL requests answered from stored responses, safe because a loaded graph
never changes.

:class:`ResponseCache` wraps the GraphQL endpoint: it answers a request byte-for-byte
like an earlier one, keyed by the graph (its identity: a new load is a new graph), the
request body (query, variables, operation name; read once, by BodyLimit) and the headers
the answer depends on. Only complete, error-free 200 answers are kept; the cache is
bounded in entries and bytes.
"""

from __future__ import annotations

import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.middleware.body import BODY

__all__ = ["ResponseCache", "MAX_ENTRIES"]

# The answers one server process may hold; its bytes are a setting (``response_cache_mb``).
# A worker of ``serve --workers N`` keeps a cache of its own, so each holds 1/N of both:
# together they stay within one server's budget.
MAX_ENTRIES = 4096


# A stored answer: status, headers, body, and the bytes it is counted as. Immutable
# values only, so the cyclic collector stops tracking it: each full collection holds
# the interpreter from every request for as long as it scans, and thousands of stored
# answers kept as messages (dicts and lists) made it ~10 ms longer at 3,000 (serve34).
_Stored = tuple[int, tuple[tuple[bytes, bytes], ...], bytes, int]

# Request headers a GraphQL answer may depend on (content negotiation, CORS).
_VARY = (b"accept", b"origin", b"content-type")


class ResponseCache:
    """Serve repeated GraphQL POST requests from stored responses.

    ``graph_of(scope)`` returns the graph the request would run against (``None``
    turns caching off for it); the stored answers belong to that object and are
    dropped when another one takes its place.
    """

    def __init__(self, app: ASGIApp, graph_of: Callable[[Scope], Any], *,
                 max_bytes: int, max_entries: int = MAX_ENTRIES):
        self.app = app
        self.graph_of = graph_of
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._graph: Any = None
        self._entries: OrderedDict[tuple[bytes, ...], _Stored] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def _for(self, kg: Any) -> None:
        current = self._graph() if self._graph is not None else None
        if current is not kg:
            self._entries.clear()
            self._bytes = 0
            self._graph = weakref.ref(kg)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or self.max_bytes <= 0:
            return await self.app(scope, receive, send)
        kg = self.graph_of(scope)
        body = scope.get(BODY)
        if kg is None or body is None:  # no graph, or no body read by BodyLimit: no key
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        if b"authorization" in headers or b"mutation" in body:
            # A mutation changes the corpus and answers for its caller: never replayed.
            return await self.app(scope, receive, send)
        self._for(kg)
        key = (scope.get("path", "").encode(), body,
               *(headers.get(name, b"") for name in _VARY))
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            status, stored_headers, payload, _ = found
            await send({"type": "http.response.start", "status": status,
                        "headers": list(stored_headers)})
            await send({"type": "http.response.body", "body": payload})
            return
        self.misses += 1
        sent: list[Message] = []
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal cacheable
            if cacheable:
                sent.append(message)
                if message["type"] == "http.response.start" and message["status"] != 200:
                    cacheable = False
            await send(message)

        await self.app(scope, receive, capture)
        if cacheable and sent and not sent[-1].get("more_body", False):
            payload = b"".join(m.get("body", b"") for m in sent
                               if m["type"] == "http.response.body")
            if b'"errors"' not in payload:
                self._store(key, sent[0], payload, body)

    def _store(self, key: tuple[bytes, ...], start: Message, payload: bytes,
               body: bytes) -> None:
        # A stored answer is not timed again: drop the per-request timing header.
        headers = tuple((bytes(k), bytes(v)) for k, v in start.get("headers", ())
                        if k.lower() != b"server-timing")
        # What it holds, objects' headers included: a dozen response headers are ~1.5 KB
        # beside a 10 KB answer, and the budget is a server's memory (--response-cache-mb).
        size = (sys.getsizeof(payload) + sys.getsizeof(body) + sys.getsizeof(key)
                + sys.getsizeof(headers) + sum(sys.getsizeof(h) + sys.getsizeof(h[0])
                                               + sys.getsizeof(h[1]) for h in headers))
        self._entries[key] = (start["status"], headers, payload, size)
        self._bytes += size
        while self._entries and (len(self._entries) > self.max_entries
                                 or self._bytes > self.max_bytes):
            _, (*_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
