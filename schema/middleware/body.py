"""Request bodies: read once, bounded, handed on."""

from __future__ import annotations

import asyncio
import hmac
import json
import zlib

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
        # A transfer coding (past the chunks the server took off) was applied last.
        for field in ("transfer-encoding", "content-encoding"):
            coding = headers.get(field)
            if coding is None or (field == "transfer-encoding"
                                  and coding.strip().lower() in ("chunked", "identity")):
                continue
            decoded = _decoded(bytes(body), coding, limit, field)
            if isinstance(decoded, _Refusal):
                return await self._refuse_coding(scope, receive, send, decoded, limit, name)
            body = bytearray(decoded)
            scope = _without_coding(scope, len(body), field)
        scope[BODY] = bytes(body)
        await self.app(scope, replay(scope[BODY], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int,
                      limit: int, name: str, decoded: str = "") -> None:
        media = negotiate(Headers(scope=scope).get("accept"))
        shown = "".join(w.capitalize() if i else w for i, w in enumerate(name.split("_")))
        body = error_body(
            f"The request body is {size:,} bytes or more{decoded} (limit {shown} = {limit}, "
            f"set by {env_name(name)})",
            code="LIMIT_EXCEEDED", limit=shown, max=limit)
        response = Response(json.dumps(body, separators=(",", ":")), status_code=413,
                            media_type=f"{media}; charset=utf-8",
                            headers={"connection": "close"})
        await response(scope, receive, send)

    async def _refuse_coding(self, scope: Scope, receive: Receive, send: Send,
                             refusal: _Refusal, limit: int, name: str) -> None:
        if refusal.status == 413:
            return await self._refuse(scope, receive, send, limit + 1, limit, name,
                                      f" once decoded from {refusal.coding}")
        media = negotiate(Headers(scope=scope).get("accept"))
        body = error_body(refusal.reason, code="BAD_REQUEST")
        extra = {"accept-encoding": _READ} if refusal.status == 415 else {}
        response = Response(json.dumps(body, separators=(",", ":")),
                            status_code=refusal.status, media_type=f"{media}; charset=utf-8",
                            headers=extra)
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


# Content codings read (RFC 9110 8.4.1), each with zlib's window bits: gzip's header,
# zlib's. Anything else is refused 415 naming these (RFC 9110 15.5.16).
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
            "deflate": zlib.MAX_WBITS}
_READ = "gzip, deflate"


class _Refusal:
    """Why a body's content coding cannot be read: the status and what to say."""

    __slots__ = ("status", "coding", "reason")

    def __init__(self, status: int, coding: str, reason: str = ""):
        self.status, self.coding, self.reason = status, coding, reason


def _decoded(body: bytes, header: str, limit: int,
             field: str = "content-encoding") -> bytes | _Refusal:
    """The body decoded by the codings its ``content-encoding`` (or ``transfer-encoding``,
    whose chunks are already off) names, last applied first, never more than ``limit`` + 1
    bytes of it inflated: a few KB of gzip may hold gigabytes."""
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c not in ("identity", "chunked")]
    unread = [c for c in codings if c not in _CODINGS]
    if unread:
        # RFC 9110 15.5.16 for a content coding; RFC 9112 6.1 for a transfer coding.
        return _Refusal(415 if field == "content-encoding" else 501, header, (
            f"the request body is sent with {field} {header!r}, which this server "
            "does not decode: send it as it is, or compressed with gzip or deflate"))
    for coding in reversed(codings):
        inflated = _inflate(body, coding, _CODINGS[coding], limit)
        if isinstance(inflated, _Refusal):
            return inflated
        body = inflated
    return body


def _inflate(body: bytes, coding: str, wbits: int, limit: int) -> bytes | _Refusal:
    try:
        try:
            inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            if coding != "deflate":
                raise
            # 'deflate' as some clients send it: raw DEFLATE, without zlib's header.
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            out = inflater.decompress(body, limit + 1)
    except zlib.error as e:
        return _Refusal(400, coding, (
            f"the request body is not {coding} data, though content-encoding says it is: "
            f"{e}; send the body compressed as it says, or without content-encoding"))
    if len(out) > limit:
        return _Refusal(413, coding)
    if not inflater.eof:
        return _Refusal(400, coding, (
            f"the request body is not {coding} data, though content-encoding says it is: "
            f"it ends before the compressed data does ({len(body):,} bytes sent); send "
            "the whole body"))
    return out


def _without_coding(scope: Scope, length: int, field: str = "content-encoding") -> Scope:
    """The scope of a body handed on decoded: without the coding's header, its length."""
    gone = (field.encode(), b"content-length")
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in gone]
    headers.append((b"content-length", str(length).encode()))
    return {**scope, "headers": headers}


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
