"""The HTTP/1.1 protocol `newsgraph serve` runs: uvicorn's httptools one, whose refusals are
GraphQL errors.

uvicorn answers a request its parser cannot read with a plain-text 400, ``Invalid HTTP
request received.``, before any ASGI app sees it. The commonest such request a GraphQL
user sends is a GET whose URL holds a long document (Apollo's ``useGETForQueries``, urql's
``preferGetMethod``): the C parser keeps a URL's parts in 16-bit offsets, so a URL past
65,535 bytes is refused. A client reading ``errors`` got nothing it could show; here the
answer is ``{"errors": [...]}`` saying what was wrong and what to send instead (414 URI Too
Long for the URL, 400 otherwise), and the connection is closed as uvicorn closes it.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GraphQLHttpToolsProtocol", "MAX_URL_BYTES"]

# http_parser_parse_url's offsets are uint16_t: the longest URL httptools parses.
MAX_URL_BYTES = 65_535


class GraphQLHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering what its parser refuses as a GraphQL error."""

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
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-type: application/json; charset=utf-8\r\n",
                        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n", b"\r\n", body.encode("ascii")])
        self.transport.write(b"".join(content))
        self.transport.close()
