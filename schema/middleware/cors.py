"""CORS off: every preflight refused with the answer Starlette gives an unlisted origin."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["NoCORS"]


class NoCORS:
    """With no CORS origin listed, refuse every preflight with 400, as Starlette's
    CORSMiddleware refuses an unlisted origin: one answer for "not allowed", whether
    CORS is off or the origin is not listed, and a message saying how to allow one."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                response = PlainTextResponse(
                    "Disallowed CORS origin: CORS is off (start the server with "
                    "--cors-origin ORIGIN or NEWSGRAPH_CORS_ORIGINS to allow one)",
                    status_code=400)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)
