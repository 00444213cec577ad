"""The Starlette app: GraphQL at /graphql (POST and GET, GraphiQL for browsers),
/healthz and /readyz. The graph is loaded once, at startup, in the lifespan.

With ``background=True`` (what ``newsgraph serve`` uses) the app starts like a server:
it answers at once while a thread loads the graph (``/healthz`` ok, ``/readyz`` 503
"loading" with how many files are read, ``/graphql`` 503 with the same), and after the
load the whole-graph analytics are computed by a forked process
(:mod:`graph.background`); until they are installed, the fields that need them answer
at once with a ``NOT_READY`` error, and ``/readyz`` says how far they are.

With ``follow=True`` (``newsgraph serve`` without ``--no-watch --cache``) the path is a
followed corpus (:func:`graph.follow`): each change makes a new graph version, which new
requests take while those under way finish on theirs (:mod:`schema.live`); ``watch``
applies the folder's changes as they happen, subscriptions hear of each version
(:mod:`schema.subscriptions`) and the ingest mutations write into it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

import graph
from graph.background import BackgroundAnalytics, warm
from graph.progress import Step
from graph.watch import watch as follow_folder
from schema.browser import browser_routes, playground_page
from schema.cost import RequestBudget
from schema.exports import export_endpoint, quiet_cuts
from schema.http import WS_RUNNING, GraphQLOverHTTP, error_body, negotiate
from schema.live import graph_of
from schema.middleware import middleware
from schema.middleware.cache import MAX_ENTRIES, ResponseCache
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
        # One budget per HTTP request (batched operations share it); the view ends the
        # work through it when the client goes away or the deadline passes.
        context = {"kg": kg, "request": request, "response": response,
                   "settings": self.settings, "budget": RequestBudget(self.settings),
                   "turn": asyncio.Lock(), "feed": request.app.state.feed}
        if isinstance(request, WebSocket):
            # Its queries and mutations run in operation threads, a few at a time
            # (GraphQLOverHTTP.off_loop; NewsgraphSchema.stream).
            context.update(off_loop=self.off_loop, ws_turns=asyncio.Semaphore(WS_RUNNING))
        return context

    async def render_graphql_ide(self, request: Any) -> Response:
        """GraphiQL from newsgraph's own assets (schema/browser.py), not from a CDN."""
        return playground_page(request)


async def healthz(request: Request) -> Response:
    """Alive: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready: the graph is loaded; with its counts and how far the analytics are."""
    kg: graph.KnowledgeGraph | None = request.app.state.kg
    live: graph.LiveGraph | None = getattr(request.app.state, "live", None)
    if kg is None:
        return JSONResponse(request.app.state.loading.status(), status_code=503,
                            headers={"retry-after": "1"})
    r = kg.report
    job: BackgroundAnalytics | None = request.app.state.analytics
    return JSONResponse({
        "status": "ready", "records": r.records, "articles": r.articles, "stubs": r.stubs,
        "providers": r.providers, "topics": r.topics, "edges": r.edges,
        "errors": len(r.errors), "warnings": len(r.warnings),
        "analytics": job.status() if job is not None else {"status": "on first use"},
        "graphVersion": kg.version,
        "versionMadeAt": kg.made_at.isoformat() if kg.made_at is not None else None,
        "subscriptions": request.app.state.feed.open if request.app.state.feed else 0,
        **({"following": "reading the files" if not live.resumed else "ready"}
           if live is not None else {}),
        **({"worker": request.app.state.worker} if request.app.state.worker else {}),
    })


def _resume(live: graph.LiveGraph) -> None:
    """Read the files of a follow started from its snapshot (logged if it fails: the
    next apply tries again)."""
    try:
        live.resume()
    except Exception:  # noqa: BLE001 - the server goes on serving the snapshot's version
        logger.exception("could not read the files of %s", live.root)


class Loading:
    """How far the load of a server that started before its graph is."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.step = Step("starting", 0, 0)
        self.error: str | None = None

    def progress(self, step: Step) -> None:
        self.step = step

    def status(self) -> dict[str, Any]:
        step = self.step
        out: dict[str, Any] = {"status": "failed" if self.error else "loading",
                               "seconds": round(time.monotonic() - self.started, 1),
                               "phase": step.phase, "done": step.done, "total": step.total,
                               "records": step.records}
        if self.error:
            out["error"] = self.error
        return out

    def message(self) -> str:
        if self.error:
            return f"the graph could not be loaded: {self.error}"
        step = self.step
        where = step.phase
        if step.phase == "parse":
            where = f"{step.done:,} of {step.total:,} files read, {step.records:,} records"
        return f"the graph is still loading ({where}): ask again when /readyz says ready"


class WhileLoading:
    """Answer 503 with how far the load is, at once, until the graph is there (a WebSocket:
    close it with 1013, try again later, and the same words)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        if scope["type"] == "websocket" and state.kg is None:
            return await _come_back_later(scope, receive, send, state.loading.message())
        if scope["type"] != "http" or state.kg is not None:
            return await self.app(scope, receive, send)
        accept = dict(scope.get("headers") or ()).get(b"accept", b"").decode("latin-1")
        body = error_body(state.loading.message(), code="NOT_READY",
                          **state.loading.status())
        response = Response(json.dumps(body), status_code=503, headers={"retry-after": "1"},
                            media_type=f"{negotiate(accept)}; charset=utf-8")
        await response(scope, receive, send)


async def _come_back_later(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    """Close a WebSocket that came while the graph loads with 1013 (try again later) and
    why: accepted first (with the client's protocol), since a refusal before that reaches
    the client as a failed handshake without its reason."""
    if (await receive())["type"] != "websocket.connect":
        return
    offered = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": offered[0] if offered else None})
    reason = message.encode()[:123].decode("utf-8", "ignore")  # what a close frame holds
    await send({"type": "websocket.close", "code": 1013, "reason": reason})


async def home(request: Request) -> Response:
    return RedirectResponse("/graphql")


def _graph_of(scope: Any) -> graph.KnowledgeGraph | None:
    state = scope["app"].state
    job: BackgroundAnalytics | None = state.analytics
    if job is not None and not job.ready:
        # An answer given before the analytics are in (a null storyline, say) must not
        # be served again after them: no caching until then.
        return None
    return graph_of(scope)


def create_app(source: graph.KnowledgeGraph | graph.LiveGraph | str | os.PathLike[str]
               | None = None, settings: Settings | None = None, *, background: bool = False,
               on_loaded: Callable[[graph.KnowledgeGraph | None, Exception | None], None]
               | None = None, follow: bool = False, watch: bool = False, poll: bool = False,
               ingest_token: str | None = None,
               analytics: Callable[[graph.KnowledgeGraph], Any] | None = None,
               cache_share: int = 1, **load_options: Any) -> Starlette:
    """Return the newsgraph ASGI app.

    ``source`` is a loaded KnowledgeGraph, or a path to load at startup (the
    bundled ``data/`` when None); ``settings`` are the limits and mode (from the
    ``NEWSGRAPH_*`` environment when None); ``load_options`` go to :func:`graph.load`.
    With ``background``, the app serves while a thread loads the graph and a forked
    process computes its analytics (see the module docstring); ``on_loaded(kg, error)``
    is then called from the loading thread when the load ended. ``source`` may be a
    followed corpus (:func:`graph.follow`), or, with ``follow``, a path to follow;
    ``watch`` then applies the folder's changes as they happen (``poll``: by polling),
    and the ingest mutations accept requests bearing ``ingest_token``. ``analytics(kg)``
    starts the loaded graph's analytics job and returns it (by default a
    :class:`BackgroundAnalytics` of this process; a worker of ``serve --workers`` takes
    its supervisor's, :mod:`schema.workers`). The stored answers take at most
    ``1 / cache_share`` of one server's budget (``settings.response_cache_mb`` and
    :data:`~schema.middleware.cache.MAX_ENTRIES`): a worker of ``serve --workers N``
    keeps its own, and N of them together stay within one server's.
    """
    if cache_share < 1:
        raise ValueError(f"cache_share is a count of processes, at least 1, got {cache_share!r}")
    settings = settings if settings is not None else Settings.from_env()
    quiet_cuts()  # an export cut after its 200 is logged in one line, not a traceback

    def settle(app: Starlette, kg: graph.KnowledgeGraph) -> None:
        warm(kg)
        # The graph lives as long as the server: keep the collector from rescanning it,
        # which otherwise shows as pauses of tens of milliseconds in request latency
        # (and, frozen before the fork, from touching every page of the analytics child).
        gc.freeze()
        # The job first: a server whose graph is there has its analytics job too.
        app.state.analytics = (analytics(kg) if analytics is not None
                               else BackgroundAnalytics(kg).start())
        app.state.kg = kg

    path = Path(source) if isinstance(source, str | os.PathLike) else None
    loop: asyncio.AbstractEventLoop | None = None
    following: list[Callable[[], Any]] = []  # what stops the feed and the watcher

    def load(progress: Any = None) -> graph.KnowledgeGraph:
        if follow:
            options = {k: v for k, v in load_options.items()
                       if k in ("max_file_bytes", "include", "follow_symlinks", "cache")}
            live = graph.follow(path if path is not None else graph.default_data_path(),
                                progress=progress, **options)
            app.state.live = live
            kg = live.current()
        else:
            kg = graph.load(path, **({"progress": progress} if progress else {}),
                            **load_options)
        logger.info("loaded: %s", kg.report.summary())
        if kg.report.records == 0 and not settings.allow_empty:
            raise graph.NewsgraphError(
                f"no record found in {str(path or graph.default_data_path())!r}: "
                "refusing to serve an empty graph (allow_empty / "
                "NEWSGRAPH_ALLOW_EMPTY=1 serves it)")
        return kg

    def start_following(app: Starlette) -> None:
        """Hear of each new version (the event loop's side): publish it, tell the
        subscribers, and with ``watch``, apply the folder's changes."""
        live: graph.LiveGraph = app.state.live
        following.append(live.on_change(lambda change: _publish(app, live)))
        if not live.resumed:
            # Started from the snapshot: read the files now, so that the first change is
            # applied at once; the snapshot's version is served meanwhile.
            threading.Thread(target=_resume, args=(live,), name="newsgraph-resume",
                             daemon=True).start()
        feed = app.state.feed = ChangeFeed(live, max_subscriptions=settings.max_subscriptions,
                                           max_seconds=settings.max_subscription_seconds)
        feed.start()
        following.append(feed.close)
        if watch:
            stop = asyncio.Event()
            task = asyncio.create_task(follow_folder(live, poll=poll, stop=stop))
            following.append(stop.set)
            following.append(task.cancel)

    def load_in_background(app: Starlette) -> None:
        kg = error = None
        try:
            kg = load(app.state.loading.progress)
            settle(app, kg)
            if app.state.live is not None and loop is not None:
                loop.call_soon_threadsafe(start_following, app)
        except Exception as e:  # the server stays up to say what went wrong
            app.state.loading.error = str(e)
            error = e
        if on_loaded is not None:
            on_loaded(kg, error)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal loop
        loop = asyncio.get_running_loop()
        # The whole process's: how long a computing thread keeps the GIL from the event
        # loop and from cheap operations, each of which takes it many times.
        sys.setswitchinterval(settings.switch_interval_ms / 1000)
        loader = None
        if background and app.state.kg is None:
            loader = threading.Thread(target=load_in_background, args=(app,),
                                      name="newsgraph-load", daemon=True)
            loader.start()
        elif background:
            kg, app.state.kg = app.state.kg, None
            settle(app, kg)
        else:
            if app.state.kg is None:
                app.state.kg = load()
            gc.freeze()
        if app.state.live is not None and app.state.kg is not None:
            start_following(app)
        try:
            yield
        finally:
            for stop in reversed(following):
                stop()
            if app.state.analytics is not None:
                app.state.analytics.stop()

    # None: schema.subscriptions counts a connection's subscriptions, with a clear error.
    view = GraphQLView(schema, settings, max_subscriptions_per_connection=None)
    stored = ResponseCache(view, _graph_of, max_entries=MAX_ENTRIES // cache_share,
                           max_bytes=int(settings.response_cache_mb * 2**20) // cache_share)
    app = Starlette(
        routes=[
            Route("/", home),
            # Repeated requests are answered from stored responses: a version is immutable.
            Route("/graphql", WhileLoading(stored),
                  methods=["GET", "POST"]),
            # subscriptions: graphql-transport-ws (closed with 1013 while the graph loads)
            WebSocketRoute("/graphql", WhileLoading(view)),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/export/graph.{ext}", export_endpoint),
            *browser_routes(),
        ],
        lifespan=lifespan,
        middleware=middleware(settings),
    )
    app.state.settings = settings
    app.state.response_cache = stored
    live = source if isinstance(source, graph.LiveGraph) else None
    app.state.live = live
    app.state.kg = (live.current() if live is not None
                    else source if isinstance(source, graph.KnowledgeGraph) else None)
    app.state.loading = Loading()
    app.state.analytics = None
    app.state.published_at = None  # time.monotonic() of the last version published
    app.state.feed = None
    app.state.worker = None  # {"pid", "workers"} in a worker of serve --workers
    app.state.ingest_token = ingest_token
    return app


# A new version's whole-graph analytics start once no newer one came for this long:
# under sustained ingest (versions many times a second) each job would be ended by the
# next, after a fork of the server, which the applying thread pays.
_SETTLE_S = 1.0
# Versions closer together than this are a stream (sustained ingest, a busy folder).
_STREAM_S = 10.0


def settle_delay(since_previous: float | None) -> float:
    """How long a new version's analytics job waits for the graph to stop changing: 1 s,
    or, in a stream of versions (this one within 10 s of the previous), twice the gap
    between them — so that a job is not forked, taking a core from the requests for
    seconds, only for the stream's next version to end it."""
    if since_previous is None or since_previous > _STREAM_S:
        return _SETTLE_S
    return max(_SETTLE_S, 2 * since_previous)


def _publish(app: Starlette, live: graph.LiveGraph) -> None:
    """Make the newest version the one new requests take (requests under way keep theirs);
    a server computing analytics in the background starts on the new version's."""
    kg = live.current()
    warm(kg)
    now = time.monotonic()
    previous, app.state.published_at = app.state.published_at, now
    job: BackgroundAnalytics | None = app.state.analytics
    if job is not None:
        delay = settle_delay(None if previous is None else now - previous)
        app.state.analytics = BackgroundAnalytics(kg).start(delay=delay)
        job.stop(wait=False)
    app.state.kg = kg
