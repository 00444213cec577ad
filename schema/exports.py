"""Whole-graph and selected-subgraph exports for Gephi, Cytoscape and notebooks:
``newsgraph export`` and ``GET /export/graph.{graphml,gexf,cyjs,json}``.

Both take the same selection: nothing (the whole graph); ``from`` seeds with ``hops``
(the explorer's walk, unlimited); and/or a ``where`` made of ``mentions``, ``topic``,
``provider``, ``after`` and ``before`` (the articles it keeps with their topics and
providers, or, with seeds, a filter on the walk's articles). ``via`` picks edge kinds
(``SAME_STORY`` included when named), ``layout=force`` adds coordinates.

Over HTTP an export is bounded like any request: off in production unless enabled
(``--exports``); at most ``max_exports`` at once (more answer 429); at most
``max_export_nodes`` nodes and ``max_export_edges`` edges (refused with 413 before
anything is written, the whole graph from its counts without building it); JSON files
streamed a chunk at a time, never whole in memory (GraphML and GEXF too, in a forked
child), and ended at the request's deadline; a client that goes away stops it. The CLI has no caps.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import select
import signal
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

import graph
from graph import explore, export
from graph.analytics import SAME_STORY
from graph.budget import Budget
from graph.errors import shown
from graph.normalize import parse_datetime
from graph.select import Selection
from graph.walk import check_via
from schema.settings import CEILINGS, Settings, env_name

__all__ = ["ExportRequest", "export_bytes", "select_export", "write_export",
           "export_endpoint", "ExportCut", "QuietCuts", "MAX_LAYOUT_NODES", "MAX_HTTP_HOPS",
           "MEDIA_TYPES"]

logger = logging.getLogger("newsgraph")

MAX_LAYOUT_NODES = CEILINGS["max_layout_nodes"]
MAX_HTTP_HOPS = CEILINGS["max_hops"]
MEDIA_TYPES = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml",
               "node-link": "application/json", "cytoscape": "application/json",
               "cyjs": "application/json", "graphology": "application/json"}
_SUFFIXES = {"graphml": "graphml", "gexf": "gexf", "node-link": "json", "cytoscape": "json",
             "cyjs": "cyjs", "graphology": "json"}


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to export: a format and a selection (see the module docstring)."""

    format: str
    seeds: tuple[str, ...] = ()
    hops: int = 1
    via: tuple[str, ...] | None = None
    selection: Selection | None = None
    layout: str | None = None


def export_bytes(kg: graph.KnowledgeGraph, req: ExportRequest) -> bytes:
    """Return the selected subgraph written in ``req.format``."""
    out = io.BytesIO()
    write_export(kg, req, select_export(kg, req), out)
    return out.getvalue()


def select_export(kg: graph.KnowledgeGraph, req: ExportRequest) -> graph.Subgraph:
    """Return what ``req`` selects (laid out with ``layout``), uncapped: the CLI's."""
    if req.format not in export.FORMATS:
        raise graph.InvalidArgument(
            f"unknown format {shown(req.format)}: expected one of {', '.join(export.FORMATS)}")
    if req.layout is not None and req.layout.upper() not in explore.LAYOUTS:
        raise graph.InvalidArgument(f"unknown layout {shown(req.layout)}: expected force")
    sub = explore.select_subgraph(kg, req.seeds, req.hops, req.via, req.selection)
    if req.layout is not None:
        if len(sub.nodes) > MAX_LAYOUT_NODES:
            raise graph.InvalidArgument(
                f"a layout is computed for at most {MAX_LAYOUT_NODES} nodes; this selection "
                f"has {len(sub.nodes)}: narrow it with from/hops or where")
        sub.positions = explore.force_layout(sub)
    return sub


def write_export(kg: graph.KnowledgeGraph, req: ExportRequest, sub: graph.Subgraph,
                 stream: BinaryIO) -> None:
    """Write ``sub`` in ``req.format`` to ``stream``, a chunk at a time."""
    # Only a walk from seeds gives distances; the whole graph or a `where` alone has none.
    export.write(kg, sub, req.format, stream, walked=bool(req.seeds))


def _whole(kg: graph.KnowledgeGraph, sub: graph.Subgraph, req: ExportRequest) -> bytes:
    out = io.BytesIO()
    export.write(kg, sub, req.format, out, walked=bool(req.seeds))
    return out.getvalue()


def selection_of(mentions: str | None = None, topics: Sequence[str] = (),
                 providers: Sequence[str] = (), after: str | None = None,
                 before: str | None = None) -> Selection | None:
    """Return the ``where`` of an export, or None when it sets nothing."""
    selection = Selection(mentions=mentions, topics=tuple(topics) or None,
                          providers=tuple(providers) or None,
                          published_after=_date(after, "after"),
                          published_before=_date(before, "before"))
    return None if selection.empty else selection


def _date(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as e:
        raise graph.InvalidArgument(f"{name}: {e}") from e


# What each parameter of several values names, for the error of one given empty.
_NAMES = {"from": "a node id or an article URL", "topic": "a topic", "provider": "a provider",
          "via": "an edge kind"}


def _many(request: Request, name: str) -> list[str]:
    given = request.query_params.getlist(name)
    values = [v for raw in given for v in raw.split(",") if v]
    if given and not values:  # `?from=$ID` with $ID unset exported the whole graph
        raise graph.InvalidArgument(f"{name} is empty: give {_NAMES[name]}, or leave {name} "
                                    "out")
    return values


def hops_without_from(hops: int, name: str, example: str) -> str:
    """What is wrong with a walk's length given without a place to start it."""
    return (f"hops says how far to walk from the {name} nodes, and no {name} was given: add "
            f"{example} (a node id or an article URL) to export what lies within {hops} "
            "hop(s) of it, or leave hops out to export the whole graph (or the articles the "
            "selection keeps)")


_SHAPES = {"graphml": "GraphML", "gexf": "GEXF", "cyjs": "Cytoscape desktop's .cyjs"}
# The export's parameters of one value; from, via, topic and provider take several.
_ONE_VALUE = ("format", "hops", "mentions", "after", "before", "layout")


def _request_of(request: Request) -> ExportRequest:
    q = request.query_params
    for name in _ONE_VALUE:
        times = len(q.getlist(name))
        if times > 1:  # else the last was read, unsaid
            raise graph.InvalidArgument(
                f"the {name!r} parameter is given {times} times: give it once (from, via, "
                "topic and provider take several)")
    ext = request.path_params["ext"]
    if ext == "json":
        fmt = q.get("format", "node-link")
        if fmt not in export.JSON_FORMATS:
            raise graph.InvalidArgument(f"unknown format {shown(fmt)} for graph.json: expected one "
                                        f"of {', '.join(export.JSON_FORMATS)}")
    elif ext in ("graphml", "gexf", "cyjs"):
        fmt = ext
        asked = q.get("format")
        if asked is not None and asked != ext:  # it was ignored: the file was the ext's
            raise graph.InvalidArgument(
                f"format chooses among graph.json's formats ({', '.join(export.JSON_FORMATS)}): "
                f"graph.{ext} is {_SHAPES[ext]}; leave format out, or ask for "
                f"graph.json?format={shown(asked, text=True)}")
    else:
        raise graph.NodeNotFound(f"no export graph.{ext}: use graph.graphml, graph.gexf, "
                                 "graph.cyjs or graph.json")
    hops_raw = q.get("hops", "1")
    try:
        hops = int(hops_raw)
    except ValueError:
        raise graph.InvalidArgument(f"hops must be an integer, got {shown(hops_raw)}") from None
    graph.traverse.check_hops(hops, low=0, high=MAX_HTTP_HOPS)
    seeds = tuple(_many(request, "from"))
    if "hops" in q and not seeds:
        raise graph.InvalidArgument(hops_without_from(hops, "'from'", "?from=ID"))
    via = _many(request, "via")
    return ExportRequest(
        format=fmt, seeds=seeds, hops=hops,
        via=tuple(via) if via else None,
        selection=selection_of(q.get("mentions"), _many(request, "topic"),
                               _many(request, "provider"), q.get("after"), q.get("before")),
        layout=q.get("layout"))


class TooLarge(graph.NewsgraphError):
    """An export past its node or edge cap."""


class ExportCaps:
    """The caps of one HTTP export: nodes, edges, and a deadline checked while writing."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.deadline = time.monotonic() + settings.timeout
        self.layout_iterations = 0  # of a FORCE layout, reported with the cost

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.late()

    def late(self) -> graph.InvalidArgument:
        """The error of an export past its deadline, saying what to do instead."""
        return graph.InvalidArgument(
            f"the export ran past its time limit of {self.settings.timeout:g} s "
            f"(set by {env_name('timeout')}): narrow it with from/hops or where, or write "
            "it with `newsgraph export`")

    def walks(self) -> Budget:
        """A walk's budget ending at this export's deadline (its visits are not capped:
        the node and edge caps bound what it returns)."""
        return Budget(seconds=max(0.0, self.deadline - time.monotonic()))

    def check_size(self, nodes: int, edges: int) -> None:
        s = self.settings
        for what, n, cap, name in (("nodes", nodes, s.max_export_nodes, "max_export_nodes"),
                                   ("edges", edges, s.max_export_edges, "max_export_edges")):
            if n > cap:
                raise TooLarge(
                    f"this export holds {n:,} {what} or more; at most {cap:,} are served "
                    f"over HTTP (set by {env_name(name)}): narrow it with from/hops or "
                    "where, or write it with `newsgraph export`")


def capped_subgraph(kg: graph.KnowledgeGraph, req: ExportRequest, caps: ExportCaps
                    ) -> graph.Subgraph:
    """Return what ``req`` selects, refusing it past the caps before building it where
    its size is known first (the whole graph, a walk)."""
    s = caps.settings
    if req.seeds:
        sub = explore.expand(kg, req.seeds, req.hops, req.via, selection=req.selection,
                             limit=s.max_export_nodes + 1, budget=caps.walks())
        caps.check_size(len(sub.nodes), len(sub.edges))
        return sub
    if req.selection is None or req.selection.empty:
        walk = check_via(req.via)
        edges = sum(n for kind, n in kg.report.edges.items() if kind in walk)
        if SAME_STORY in walk:
            edges += len(kg.analytics.same_story_edges())
        caps.check_size(kg.counts["nodes"], edges)
    caps.check_time()
    sub = explore.select_subgraph(kg, req.seeds, req.hops, req.via, req.selection,
                                  budget=caps.walks())
    caps.check_size(len(sub.nodes), len(sub.edges))
    return sub


def _prepare(kg: graph.KnowledgeGraph, req: ExportRequest, caps: ExportCaps
             ) -> graph.Subgraph:
    """Select and lay out (in a worker thread), within the caps."""
    if req.layout is not None and req.layout.upper() not in explore.LAYOUTS:
        raise graph.InvalidArgument(f"unknown layout {shown(req.layout)}: expected force")
    try:  # the walks' budgets have no visit cap: only the deadline ends them
        sub = capped_subgraph(kg, req, caps)
    except graph.BudgetExceeded as e:
        raise caps.late() from e
    if req.layout is not None:
        layout = caps.walks()  # the layout stops at the export's deadline too
        try:
            sub.positions = explore.force_layout(sub, budget=layout)
        except graph.BudgetExceeded as e:
            raise caps.late() from e
        caps.layout_iterations = layout.work.get("layoutIterations", 0)
    caps.check_time()
    return sub


class ExportCut(Exception):
    """An export ended after its 200 was sent (its deadline, its writer failing).

    Raised out of the app so that the server closes the connection without the chunked
    body's last chunk, which is how a client tells a cut file from a whole one (curl exits
    18, http.client raises IncompleteRead, httpx RemoteProtocolError). The app has logged
    it in one line; :class:`QuietCuts` keeps the server from logging its traceback too.
    """


class QuietCuts(logging.Filter):
    """Drop the server's "Exception in ASGI application" record of an :class:`ExportCut`:
    the export said what happened in one line of its own; any other exception is logged as
    the server logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ExportCut)


def quiet_cuts(name: str = "uvicorn.error") -> None:
    """Put a :class:`QuietCuts` on the logger ``name`` (uvicorn's), once."""
    server_logger = logging.getLogger(name)
    if not any(isinstance(f, QuietCuts) for f in server_logger.filters):
        server_logger.addFilter(QuietCuts())


_PATIENCE = 0.25  # seconds a reader of a busy ForkedWriter waits before it may stop


class ForkedWriter:
    """A file written by a child process forked for it, read back through a pipe.

    Writing is whole-file CPU work (networkx builds GraphML and GEXF as one tree): in a
    child it neither holds the server's GIL nor its memory, and it can be ended at
    once — at the request's deadline, or when the client goes away.
    """

    def __init__(self, kg: graph.KnowledgeGraph, sub: graph.Subgraph, fmt: str, *,
                 walked: bool = True):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write, and never return into the server
            status = 1
            try:
                os.close(read_fd)
                with os.fdopen(write_fd, "wb", buffering=1 << 16) as out:
                    export.write(kg, sub, fmt, out, walked=walked)
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        self.pid: int | None = pid
        self.fd = read_fd

    def chunks(self, caps: ExportCaps) -> Iterator[bytes]:
        """Yield what the child writes; raise at the deadline (the child is ended).

        While the child is busy an empty piece comes every :data:`_PATIENCE` seconds,
        so whoever reads can stop (a client gone) without waiting for the deadline.
        """
        try:
            while True:
                left = caps.deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [],
                                                  min(left, _PATIENCE))[0]:
                    caps.check_time()
                    yield b""
                    continue
                piece = os.read(self.fd, 1 << 16)
                if not piece:
                    break
                yield piece
            _, code = os.waitpid(self.pid, 0) if self.pid else (0, 0)
            self.pid = None
            if code != 0:
                raise graph.NewsgraphError("the export could not be written")
        finally:
            self.close()

    def close(self) -> None:
        """End the child if it still runs; release the pipe."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


async def export_endpoint(request: Request) -> Response:
    """``GET /export/graph.{graphml,gexf,cyjs,json}``: the graph, or a selection of it, as a
    file."""
    settings: Settings = request.app.state.settings
    if not settings.exports_enabled:
        return JSONResponse({"error": "exports are off in production mode: enable them with "
                                      f"--exports ({env_name('exports')}=1)"}, status_code=404)
    kg: graph.KnowledgeGraph | None = request.app.state.kg
    if kg is None:
        return JSONResponse({"error": "the graph is not loaded yet"}, status_code=503)
    state = request.app.state
    running = getattr(state, "exports_running", 0)
    if running >= settings.max_exports:
        return JSONResponse(
            {"error": f"{running} exports are running, the most at once (limit maxExports = "
                      f"{settings.max_exports}, set by {env_name('max_exports')}): try again "
                      "shortly"}, status_code=429, headers={"retry-after": "2"})
    state.exports_running = running + 1
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            state.exports_running -= 1

    caps = ExportCaps(settings)
    try:
        req = _request_of(request)
        sub = await run_in_threadpool(_prepare, kg, req, caps)
    except graph.NodeNotFound as e:
        release()
        return JSONResponse({"error": str(e)}, status_code=404)
    except TooLarge as e:
        release()
        return JSONResponse({"error": str(e)}, status_code=413)
    except graph.NewsgraphError as e:
        release()
        return JSONResponse({"error": str(e)}, status_code=400)
    except BaseException:
        release()
        raise
    name = f"newsgraph.{_SUFFIXES[req.format]}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "x-newsgraph-cost": f"nodes={len(sub.nodes)}, edges={len(sub.edges)}"
                                   + (f", layoutIterations={caps.layout_iterations}"
                                      if req.layout is not None else "")}
    # Only a walk from seeds gives distances; the whole graph or a `where` alone has none.
    walked = bool(req.seeds)
    if hasattr(os, "fork"):
        writer: ForkedWriter | None = ForkedWriter(kg, sub, req.format, walked=walked)
        pieces: Iterator[bytes] = writer.chunks(caps)  # type: ignore[union-attr]
    else:  # JSON streamed here, chunk by chunk; GraphML and GEXF whole, in a thread
        writer = None
        pieces = (export.iter_json(kg, sub, req.format, check=caps.check_time, walked=walked)
                  if req.format in (*export.JSON_FORMATS, "cyjs")
                  else iter([_whole(kg, sub, req)]))

    async def stream() -> AsyncIterator[bytes]:
        # Each piece is read in a worker thread; a client that goes away cancels this
        # generator (Starlette watches for the disconnect), which ends the writer.
        sent = 0
        try:
            async for piece in iterate_in_threadpool(pieces):
                if piece:
                    sent += len(piece)
                    yield piece
        except graph.NewsgraphError as e:  # past the deadline, or the writer failed
            what = (f"cut at its time limit of {settings.timeout:g} s" if time.monotonic()
                    > caps.deadline else f"cut: {e}")
            logger.warning("%s %s %s after %s bytes of its 200 answer: the client sees the "
                           "body end without its last chunk", request.method,
                           request.url.path, what, f"{sent:,}")
            raise ExportCut(str(e)) from None
        finally:
            if writer is not None:
                await run_in_threadpool(writer.close)
            release()

    return StreamingResponse(stream(), media_type=MEDIA_TYPES[req.format], headers=headers)
