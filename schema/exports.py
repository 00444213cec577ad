"""Whole-graph and selected-subgraph exports for Gephi, Cytoscape and notebooks:
``newsgraph export`` and ``GET /export/graph.{graphml,gexf,cyjs,json}``.

Both take the same selection: nothing (the whole graph); ``from`` seeds with ``hops``
(the explorer's walk, unlimited); and/or a ``where`` made of ``mentions``, ``topic``,
``provider``, ``after`` and ``before`` (the articles it keeps with their topics and
providers, or, with seeds, a filter on the walk's articles). ``via`` picks edge kinds
(``SAME_STORY`` included when named), ``layout=force`` adds coordinates.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import graph
from graph import explore, export
from graph.normalize import parse_datetime
from graph.select import Selection
from schema.settings import CEILINGS

__all__ = ["ExportRequest", "export_bytes", "export_endpoint", "MAX_LAYOUT_NODES",
           "MAX_HTTP_HOPS", "MEDIA_TYPES"]

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
    if req.format not in export.FORMATS:
        raise graph.InvalidArgument(
            f"unknown format {req.format!r}: expected one of {', '.join(export.FORMATS)}")
    if req.layout is not None and req.layout.upper() not in explore.LAYOUTS:
        raise graph.InvalidArgument(f"unknown layout {req.layout!r}: expected force")
    sub = explore.select_subgraph(kg, req.seeds, req.hops, req.via, req.selection)
    if req.layout is not None:
        if len(sub.nodes) > MAX_LAYOUT_NODES:
            raise graph.InvalidArgument(
                f"a layout is computed for at most {MAX_LAYOUT_NODES} nodes; this selection "
                f"has {len(sub.nodes)}: narrow it with from/hops or where")
        sub.positions = explore.force_layout(sub)
    out = io.BytesIO()
    # Only a walk from seeds gives distances; the whole graph or a `where` alone has none.
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


def _many(request: Request, name: str) -> list[str]:
    return [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v]


def _request_of(request: Request) -> ExportRequest:
    q = request.query_params
    ext = request.path_params["ext"]
    if ext == "json":
        fmt = q.get("format", "node-link")
        if fmt not in export.JSON_FORMATS:
            raise graph.InvalidArgument(f"unknown format {fmt!r} for graph.json: expected one "
                                        f"of {', '.join(export.JSON_FORMATS)}")
    elif ext in ("graphml", "gexf", "cyjs"):
        fmt = ext
    else:
        raise graph.NodeNotFound(f"no export graph.{ext}: use graph.graphml, graph.gexf, "
                                 "graph.cyjs or graph.json")
    hops_raw = q.get("hops", "1")
    try:
        hops = int(hops_raw)
    except ValueError:
        raise graph.InvalidArgument(f"hops must be an integer, got {hops_raw!r}") from None
    graph.traverse.check_hops(hops, low=0, high=MAX_HTTP_HOPS)
    via = _many(request, "via")
    return ExportRequest(
        format=fmt, seeds=tuple(_many(request, "from")), hops=hops,
        via=tuple(via) if via else None,
        selection=selection_of(q.get("mentions"), _many(request, "topic"),
                               _many(request, "provider"), q.get("after"), q.get("before")),
        layout=q.get("layout"))


async def export_endpoint(request: Request) -> Response:
    """``GET /export/graph.{graphml,gexf,cyjs,json}``: the graph, or a selection of it, as a
    file."""
    kg: graph.KnowledgeGraph | None = request.app.state.kg
    if kg is None:
        return JSONResponse({"error": "the graph is not loaded yet"}, status_code=503)
    try:
        req = _request_of(request)
        body = await run_in_threadpool(export_bytes, kg, req)
    except graph.NodeNotFound as e:
        return JSONResponse({"error": str(e)}, status_code=404)
    except graph.NewsgraphError as e:
        return JSONResponse({"error": str(e)}, status_code=400)
    name = f"newsgraph.{_SUFFIXES[req.format]}"
    return Response(body, media_type=MEDIA_TYPES[req.format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
