"""The HTTP/1.1 protocol `newsgraph serve` runs: uvicorn's httptools one, whose refusals are
GraphQL errors.

uvicorn answers a request its parser cannot read with a plain-text 400, ``Invalid HTTP
request received.``, before any ASGI app sees it. The commonest such request a GraphQL
user sends is a GET whose URL holds a long document (Apollo's ``useGETForQueries``, urql's
``preferGetMethod``): the C parser keeps a URL's parts in 16-bit offsets, so a URL past
65,535 bytes is refused. A client reading ``errors`` got nothing it could show; here the
answer is ``{"errors": [...]}`` saying what was wrong and what to send instead (414 URI Too
Long for the URL, 400 otherwise), and the connection is closed as uvicorn closes it.

A browser app reads that answer only when it carries CORS headers for its origin, which
the app's CORS middleware never adds (no ASGI app sees the request): the protocol adds
them itself for an origin ``--cors-origin`` lists, as Starlette's CORSMiddleware answers
a simple request. The URL is parsed once the headers are read, so they are known then.

uvicorn gives a request's head (its request line and headers) no time limit: a client
sending a header line now and then (slowloris) kept its connection, and a file
descriptor, for as long as it liked, and so did one that connected and sent nothing. Here
a request's head must arrive whole within ``head_timeout`` seconds (the request timeout,
``--timeout``) of its first byte, else it is answered 408, as a body that does not arrive
in time is (schema/middleware/body.py), and the connection closed; a connection that
sends nothing for that long after it opens is closed. Between requests uvicorn's own
keep-alive timeout (5 s) closes an idle connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from schema.codes import BAD_REQUEST
from schema.settings import env_name

__all__ = ["GraphQLHttpToolsProtocol", "MAX_URL_BYTES"]

# http_parser_parse_url's offsets are uint16_t: the longest URL httptools parses.
MAX_URL_BYTES = 65_535


class GraphQLHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering what its parser refuses as a GraphQL error.

    ``cors_origins`` are the origins the app's CORS middleware allows (``*`` any): the
    refusal carries ``access-control-allow-origin`` for a request from one of them, so a
    browser app can read it. uvicorn makes one protocol a connection with its keyword
    arguments; ``functools.partial`` passes these.
    """

    def __init__(self, *args: Any, cors_origins: Iterable[str] = (),
                 head_timeout: float | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cors_origins = frozenset(cors_origins)
        self.head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        # When the head being read began (the connection's opening before its first
        # request), None while none is being read; ``_in_head``: a request's has begun.
        self._head_since: float | None = None
        self._in_head = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.head_timeout is not None:
            self._head_since = self.loop.time()
            self._head_timer = self.loop.call_later(self.head_timeout, self._check_head)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timing_heads()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        self._stop_timing_heads()  # the connection is the WebSocket protocol's now
        super().handle_websocket_upgrade()

    def _stop_timing_heads(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    # One timer a connection, set again when it finds time left, rather than one a request:
    # a libuv timer set and cancelled costs ~8 µs, a request's CPU ~500 (c20k, lead36).
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_since = self.loop.time()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_since = None
        super().on_headers_complete()

    def _check_head(self) -> None:
        """Answer a head that is late, or look again when the one being read would be."""
        self._head_timer = None
        if self.transport.is_closing() or self.head_timeout is None:
            return
        left = self.head_timeout
        if self._head_since is not None:
            left = self._head_since + self.head_timeout - self.loop.time()
            if left <= 0:
                self._head_too_slow()
                return
        self._head_timer = self.loop.call_later(left, self._check_head)

    def _head_too_slow(self) -> None:
        """The head did not arrive in time: 408 if it had begun, and close either way."""
        if not self._in_head:  # nothing sent since the connection opened
            self.transport.close()
            return
        seconds = f"{self.head_timeout:g}"
        self._answer_and_close(
            b"HTTP/1.1 408 Request Timeout\r\n",
            f"the request's head (its request line and headers) did not arrive within "
            f"{seconds} s (limit timeout = {seconds}, set by {env_name('timeout')}): send it "
            "whole, at once", "REQUEST_TIMEOUT", limit="timeout", max=self.head_timeout)

    def send_400_response(self, msg: str) -> None:
        """Write a GraphQL-shaped error for a request the parser refused, and close."""
        url_bytes = len(getattr(self, "url", b""))
        if url_bytes > MAX_URL_BYTES:
            status = b"HTTP/1.1 414 URI Too Long\r\n"
            message = (f"the request URL is {url_bytes:,} bytes, past the {MAX_URL_BYTES:,} "
                       "this server reads: send the query in a POST body "
                       '(JSON: {"query": ..., "variables": ...}), as every GraphQL client can')
            code = "URL_TOO_LONG"
        else:
            status = b"HTTP/1.1 400 Bad Request\r\n"
            message = ("not a valid HTTP/1.1 request: its request line or a header could not "
                       "be read")
            code = BAD_REQUEST
        self._answer_and_close(status, message, code)

    def _answer_and_close(self, status: bytes, message: str, code: str,
                          **extensions: Any) -> None:
        """Write a GraphQL-shaped error as the whole response, and close the connection."""
        body = json.dumps({"errors": [{"message": message,
                                       "extensions": {"code": code, **extensions}}]})
        content = [status]
        for name, value in [*self.server_state.default_headers, *self._cors_headers()]:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-type: application/json; charset=utf-8\r\n",
                        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n", b"\r\n", body.encode("ascii")])
        self.transport.write(b"".join(content))
        self.transport.close()

    def _cors_headers(self) -> list[tuple[bytes, bytes]]:
        """The CORS headers CORSMiddleware would add for the request's origin, if any."""
        if not self.cors_origins:
            return []
        origin = next((v for k, v in getattr(self, "headers", ()) if k == b"origin"), None)
        if origin is None:
            return []
        if "*" in self.cors_origins:
            return [(b"access-control-allow-origin", b"*")]
        if origin.decode("latin-1") in self.cors_origins:
            return [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        return []
