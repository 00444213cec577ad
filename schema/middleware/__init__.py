"""The app's ASGI middleware, one per module: security headers (security.py), preflights
refused when CORS is off (cors.py), the body read once and bounded (body.py), the response
cache around the GraphQL view (cache.py)."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from schema.middleware.body import BodyLimit
from schema.middleware.cors import NoCORS
from schema.middleware.security import SecurityHeaders
from schema.settings import Settings

__all__ = ["MIN_BODY_SECONDS", "middleware"]

# A body is given the request's timeout to arrive, and never less than this: a timeout
# set for the work (tests set 1e-9 s) is no bound on a network read.
MIN_BODY_SECONDS = 1.0


def middleware(settings: Settings) -> list[Middleware]:
    """Return the app's middleware for ``settings``, outermost first; the body limit
    innermost, so the body it reads is the one the endpoints get."""
    stack = [Middleware(SecurityHeaders, production=settings.production)]
    if settings.cors_origins:
        stack.append(Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            # authorization: ingest's bearer token; content-encoding: a gzipped body
            allow_methods=["GET", "POST"],
            allow_headers=["accept", "content-type", "authorization", "content-encoding"],
            max_age=600))
    else:
        stack.append(Middleware(NoCORS))
    stack.append(Middleware(BodyLimit, limit=settings.max_body_bytes,
                            ingest_limit=settings.max_ingest_bytes,
                            seconds=max(settings.timeout, MIN_BODY_SECONDS)))
    return stack
