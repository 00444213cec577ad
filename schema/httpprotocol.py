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
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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

    def __init__(self, *args: Any, cors_origins: Iterable[str] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cors_origins = frozenset(cors_origins)

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
            code = "BAD_REQUEST"
        body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
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
