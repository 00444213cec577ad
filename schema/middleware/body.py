"""Request bodies: read once, bounded, handed on."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.http import error_body, negotiate
from schema.settings import env_name

__all__ = ["BODY", "BodyLimit", "replay"]

# Where the body read by BodyLimit waits in the ASGI scope for what comes after it.
BODY = "newsgraph.body"


class BodyLimit:
    """Read a request's body once: refuse it with 413 past ``limit`` bytes, else hand it on
    in ``scope[BODY]`` and replay it to the app, so nothing after reads it again."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send, int(declared))
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await self._refuse(scope, receive, send, len(body))
        scope[BODY] = bytes(body)
        await self.app(scope, replay(scope[BODY], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int) -> None:
        media = negotiate(Headers(scope=scope).get("accept"))
        body = error_body(
            f"The request body is {size:,} bytes or more (limit maxBodyBytes = {self.limit}, "
            f"set by {env_name('max_body_bytes')})",
            code="LIMIT_EXCEEDED", limit="maxBodyBytes", max=self.limit)
        response = Response(json.dumps(body, separators=(",", ":")), status_code=413,
                            media_type=f"{media}; charset=utf-8",
                            headers={"connection": "close"})
        await response(scope, receive, send)


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
