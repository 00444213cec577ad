"""Request bodies: read once, bounded, handed on."""

from __future__ import annotations

import asyncio
import hmac
import json

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.http import BODY, error_body, negotiate
from schema.settings import env_name

__all__ = ["BODY", "BodyLimit", "replay"]


class BodyLimit:
    """Read a request's body once: refuse it with 413 past ``limit`` bytes, else hand it on
    in ``scope[BODY]`` and replay it to the app, so nothing after reads it again.

    A request bearing the server's ingest token (``app.state.ingest_token``) may carry
    ``ingest_limit`` bytes instead: an ingest batch holds records as long as the files a
    load reads (10 MB), and a long read of 200 KB was refused at 64 KB, though the same
    record as a file loads. Anyone without the token keeps ``limit``.

    Without the token, the body must arrive whole within ``seconds`` (the request's
    timeout) of the first read, else the request is answered 408 and its connection
    closed: a client that declared a body and stopped sending it (slowloris) held its
    connection for as long as it liked. 64 KB in 10 s is 6.4 KB/s; a batch bearing the
    token, up to ``ingest_limit`` from ``newsgraph push`` on a slow link, is not timed.
    """

    def __init__(self, app: ASGIApp, limit: int, ingest_limit: int | None = None,
                 seconds: float | None = None):
        self.app = app
        self.limit = limit
        self.ingest_limit = ingest_limit
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        limit, name = self.limit, "max_body_bytes"
        seconds = self.seconds
        if self.ingest_limit is not None and self.ingest_limit > limit \
                and _bears_ingest_token(scope, headers):
            limit, name, seconds = self.ingest_limit, "max_ingest_bytes", None
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._refuse(scope, receive, send, int(declared), limit, name)
        body = bytearray()
        more = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds if seconds is not None else None
        while more:
            if deadline is None:
                message = await receive()
            else:
                try:  # (a timeout, not wait_for: no task a read; 6.5 against 17.8 µs)
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    return await self._too_slow(scope, receive, send, len(body), seconds)
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await self._refuse(scope, receive, send, len(body), limit, name)
        scope[BODY] = bytes(body)
        await self.app(scope, replay(scope[BODY], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int,
                      limit: int, name: str) -> None:
        media = negotiate(Headers(scope=scope).get("accept"))
        shown = "".join(w.capitalize() if i else w for i, w in enumerate(name.split("_")))
        body = error_body(
            f"The request body is {size:,} bytes or more (limit {shown} = {limit}, "
            f"set by {env_name(name)})",
            code="LIMIT_EXCEEDED", limit=shown, max=limit)
        response = Response(json.dumps(body, separators=(",", ":")), status_code=413,
                            media_type=f"{media}; charset=utf-8",
                            headers={"connection": "close"})
        await response(scope, receive, send)

    async def _too_slow(self, scope: Scope, receive: Receive, send: Send, size: int,
                        seconds: float | None) -> None:
        media = negotiate(Headers(scope=scope).get("accept"))
        body = error_body(
            f"the request body did not arrive within {seconds:g} s ({size:,} bytes of it "
            f"did; limit timeout = {seconds:g}, set by {env_name('timeout')}): send the "
            "body whole, at once", code="REQUEST_TIMEOUT", limit="timeout", max=seconds)
        response = Response(json.dumps(body, separators=(",", ":")), status_code=408,
                            media_type=f"{media}; charset=utf-8",
                            headers={"connection": "close"})
        await response(scope, receive, send)


def _bears_ingest_token(scope: Scope, headers: Headers) -> bool:
    """Whether the request's ``Authorization: Bearer`` is the app's ingest token (compared
    in constant time, as the mutation compares it)."""
    app = scope.get("app")
    token = getattr(getattr(app, "state", None), "ingest_token", None)
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), str(token).encode())


def replay(body: bytes, receive: Receive) -> Receive:
    """Return a ``receive`` that gives ``body`` whole first, then defers to ``receive``."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
