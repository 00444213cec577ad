"""The Starlette app: GraphQL at /graphql (POST and GET, GraphiQL for browsers),
/healthz and /readyz. The graph is loaded once, at startup, in the lifespan."""

from __future__ import annotations

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
from starlette.routing import Route

import graph
from schema.browser import browser_routes, playground_page
from schema.exports import export_endpoint
from schema.http import GraphQLOverHTTP
from schema.middleware import middleware
from schema.middleware.cache import ResponseCache
from schema.query import schema
from schema.settings import Settings

logger = logging.getLogger("newsgraph")


class GraphQLView(GraphQLOverHTTP):
    """The GraphQL-over-HTTP view (schema/http.py), with the loaded graph and the server's
    settings in every request's context."""

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        kg = request.app.state.kg
        if kg is None:  # only reachable before the lifespan ran
            raise RuntimeError("the graph is not loaded yet")
        return {"kg": kg, "request": request, "response": response, "settings": self.settings}

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
    })


async def home(request: Request) -> Response:
    return RedirectResponse("/graphql")


def _graph_of(scope: Any) -> graph.KnowledgeGraph | None:
    return scope["app"].state.kg


def create_app(source: graph.KnowledgeGraph | str | os.PathLike[str] | None = None,
               settings: Settings | None = None, **load_options: Any) -> Starlette:
    """Return the newsgraph ASGI app.

    ``source`` is a loaded KnowledgeGraph, or a path to load at startup (the
    bundled ``data/`` when None); ``settings`` are the limits and mode (from the
    ``NEWSGRAPH_*`` environment when None); ``load_options`` go to :func:`graph.load`.
    """
    settings = settings if settings is not None else Settings.from_env()

    path = None if source is None or isinstance(source, graph.KnowledgeGraph) else Path(source)

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
        yield

    app = Starlette(
        routes=[
            Route("/", home),
            # Repeated requests are answered from stored responses: the graph is immutable.
            Route("/graphql", ResponseCache(GraphQLView(schema, settings), _graph_of),
                  methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/export/graph.{ext}", export_endpoint),
            *browser_routes(),
        ],
        lifespan=lifespan,
        middleware=middleware(settings),
    )
    app.state.settings = settings
    app.state.kg = source if isinstance(source, graph.KnowledgeGraph) else None
    return app
