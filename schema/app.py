"""The Starlette app: GraphQL at /graphql (POST and GET, GraphiQL for browsers),
/healthz and /readyz. The graph is loaded once, at startup, in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

import graph
from graph.watch import watch as follow_folder
from schema.browser import browser_routes, playground_page
from schema.exports import export_endpoint
from schema.http import GraphQLOverHTTP
from schema.live import graph_of
from schema.middleware import middleware
from schema.middleware.cache import ResponseCache
from schema.query import schema
from schema.settings import Settings
from schema.subscriptions import ChangeFeed

logger = logging.getLogger("newsgraph")


class GraphQLView(GraphQLOverHTTP):
    """The GraphQL-over-HTTP view (schema/http.py), with the loaded graph and the server's
    settings in every request's context."""

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        kg = graph_of(request.scope)  # the one version this request runs on
        if kg is None:  # only reachable before the lifespan ran
            raise RuntimeError("the graph is not loaded yet")
        return {"kg": kg, "request": request, "response": response, "settings": self.settings,
                "feed": request.app.state.feed}

    async def render_graphql_ide(self, request: Any) -> Response:
        """GraphiQL from newsgraph's own assets (schema/browser.py), not from a CDN."""
        return playground_page(request)


async def healthz(request: Request) -> Response:
    """Alive: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready: the graph is loaded; with its counts."""
    kg: graph.KnowledgeGraph | None = request.app.state.kg
    if kg is None:
        return JSONResponse({"status": "loading"}, status_code=503)
    r = kg.report
    return JSONResponse({
        "status": "ready", "records": r.records, "articles": r.articles, "stubs": r.stubs,
        "providers": r.providers, "topics": r.topics, "edges": r.edges,
        "errors": len(r.errors), "warnings": len(r.warnings),
        "graphVersion": kg.version,
        "subscriptions": request.app.state.feed.open if request.app.state.feed else 0,
        "versionMadeAt": kg.made_at.isoformat() if kg.made_at is not None else None,
    })


async def home(request: Request) -> Response:
    return RedirectResponse("/graphql")


def create_app(source: graph.KnowledgeGraph | graph.LiveGraph | str | os.PathLike[str]
               | None = None, settings: Settings | None = None, *, watch: bool = False,
               poll: bool = False, ingest_token: str | None = None,
               **load_options: Any) -> Starlette:
    """Return the newsgraph ASGI app.

    ``source`` is a loaded KnowledgeGraph, a followed corpus (:func:`graph.follow`), or
    a path to load at startup (the bundled ``data/`` when None); ``settings`` are the
    limits and mode (from the ``NEWSGRAPH_*`` environment when None); ``load_options``
    go to :func:`graph.load`. With a followed corpus, ``watch`` applies the folder's
    changes as they happen (``poll``: by polling), each a new version; the ingest
    mutations accept requests bearing ``ingest_token`` (refused without one).
    """
    settings = settings if settings is not None else Settings.from_env()
    live = source if isinstance(source, graph.LiveGraph) else None

    path = Path(source) if isinstance(source, str | os.PathLike) else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if app.state.kg is None:
            kg = graph.load(path, **load_options)
            logger.info("loaded: %s", kg.report.summary())
            if kg.report.records == 0 and not settings.allow_empty:
                raise graph.NewsgraphError(
                    f"no record found in {str(path or graph.default_data_path())!r}: "
                    "refusing to serve an empty graph (allow_empty / "
                    "NEWSGRAPH_ALLOW_EMPTY=1 serves it)")
            app.state.kg = kg
        # The graph lives as long as the server: keep the collector from rescanning it,
        # which otherwise shows as pauses of tens of milliseconds in request latency.
        gc.freeze()
        if live is None:
            yield
            return
        stop_following = live.on_change(lambda change: _publish(app, live))
        feed = app.state.feed = ChangeFeed(live, max_subscriptions=settings.max_subscriptions,
                                           max_seconds=settings.max_subscription_seconds)
        feed.start()
        stop = asyncio.Event()
        task = asyncio.create_task(follow_folder(live, poll=poll, stop=stop)) if watch else None
        try:
            yield
        finally:
            feed.close()
            stop_following()
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=5)

    view = GraphQLView(schema, settings, max_subscriptions_per_connection=20)
    app = Starlette(
        routes=[
            Route("/", home),
            # Repeated requests are answered from stored responses: the graph is immutable.
            Route("/graphql", ResponseCache(view, graph_of), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),  # subscriptions: graphql-transport-ws
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/export/graph.{ext}", export_endpoint),
            *browser_routes(),
        ],
        lifespan=lifespan,
        middleware=middleware(settings),
    )
    app.state.settings = settings
    app.state.kg = (live.current() if live is not None
                    else source if isinstance(source, graph.KnowledgeGraph) else None)
    app.state.live = live
    app.state.feed = None
    app.state.ingest_token = ingest_token
    return app


def _publish(app: Starlette, live: graph.LiveGraph) -> None:
    """Make the newest version the one new requests take (requests under way keep theirs)."""
    app.state.kg = live.current()
