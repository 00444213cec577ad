"""Caches that are safe because a loaded graph never changes.

* :class:`ParsedDocuments` — a schema extension reusing the parse of a document text
  seen before (explorers send the same few documents with new variables);
* :class:`ResponseCache` — an ASGI wrapper around the GraphQL endpoint that answers a
  request byte-for-byte like an earlier one from the stored response, keyed by the
  graph (its identity: a new load is a new graph), the request body (query, variables,
  operation name) and the headers the answer depends on. Only complete, error-free
  200 answers are kept; the cache is bounded in entries and bytes.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

__all__ = ["ParsedDocuments", "ResponseCache"]


@lru_cache(maxsize=256)
def _parse(query: str, **options: Any) -> Any:
    return parse(query, **options)


class ParsedDocuments(SchemaExtension):
    """Reuse the parsed document of a query text (and parse options) seen before.

    A text that does not parse is left to the normal path, which reports the error
    as it always does.
    """

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None and ec.graphql_document is None:
            try:
                ec.graphql_document = _parse(ec.query, **ec.parse_options)
            except (GraphQLError, TypeError):
                pass
        yield


# Request headers a GraphQL answer may depend on (content negotiation, CORS).
_VARY = (b"accept", b"origin", b"content-type")


class ResponseCache:
    """Serve repeated GraphQL POST requests from stored responses.

    ``graph_of(scope)`` returns the graph the request would run against (``None``
    turns caching off for it); the stored answers belong to that object and are
    dropped when another one takes its place.
    """

    def __init__(self, app: ASGIApp, graph_of: Callable[[Scope], Any], *,
                 max_entries: int = 4096, max_bytes: int = 64 * 2**20,
                 max_body: int = 64 * 1024):
        self.app = app
        self.graph_of = graph_of
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_body = max_body
        self._graph: Any = None
        self._entries: OrderedDict[tuple[bytes, ...], tuple[list[Message], int]] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def _for(self, kg: Any) -> None:
        current = self._graph() if self._graph is not None else None
        if current is not kg:
            self._entries.clear()
            self._bytes = 0
            self._graph = weakref.ref(kg)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        kg = self.graph_of(scope)
        if kg is None:
            return await self.app(scope, receive, send)
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_body:
                break
        body = b"".join(chunks)
        if more:  # too big to be worth a key: replay what was read, then the rest
            return await self.app(scope, _replay(body, receive, more=True), send)
        headers = dict(scope.get("headers") or ())
        if b"authorization" in headers or b"mutation" in body:
            # A mutation changes the corpus and answers for its caller: never replayed.
            return await self.app(scope, _replay(body, receive, more=False), send)
        self._for(kg)
        key = (scope.get("path", "").encode(), body,
               *(headers.get(name, b"") for name in _VARY))
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            for message in found[0]:
                await send(message)
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

        await self.app(scope, _replay(body, receive, more=False), capture)
        if cacheable and sent and not sent[-1].get("more_body", False):
            payload = b"".join(m.get("body", b"") for m in sent
                               if m["type"] == "http.response.body")
            if b'"errors"' not in payload:
                self._store(key, sent, len(payload) + len(body))

    def _store(self, key: tuple[bytes, ...], sent: list[Message], size: int) -> None:
        start = dict(sent[0])
        # A stored answer is not timed again: drop the per-request timing header.
        start["headers"] = [(k, v) for k, v in start.get("headers", ())
                            if k.lower() != b"server-timing"]
        self._entries[key] = ([start, *sent[1:]], size)
        self._bytes += size
        while self._entries and (len(self._entries) > self.max_entries
                                 or self._bytes > self.max_bytes):
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped


def _replay(body: bytes, receive: Receive, *, more: bool) -> Receive:
    """Return a ``receive`` that gives ``body`` first, then defers to ``receive``."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
