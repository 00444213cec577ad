"""Pages for browsers: the offline GraphiQL playground and the graph explorer at /explore.

The third-party assets (GraphiQL, React; sigma.js, graphology and graphology-library for the
explorer, whose ForceAtlas2 runs in a web worker) come from npm, pinned by
``schema/static/package.json`` and its lockfile, and are installed next to them with
``npm ci --prefix schema/static``; newsgraph serves them itself so that the pages work
without internet access. Only the files listed in :data:`VENDOR_FILES` are served from
``node_modules``. When they are missing, the playground falls back to Strawberry's CDN page
and both pages say how to install them.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry.http.ides import get_graphql_ide_html

STATIC = Path(__file__).parent / "static"
INSTALL_COMMAND = "npm ci --prefix schema/static"
NODE_MODULES_ENV = "NEWSGRAPH_NODE_MODULES"

# URL name -> path inside node_modules. Pinned versions live in static/package.json.
VENDOR_FILES = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "graphology.umd.min.js": "graphology/dist/graphology.umd.min.js",
    "graphology-library.min.js": "graphology-library/dist/graphology-library.min.js",
    "sigma.min.js": "sigma/dist/sigma.min.js",
}
PLAYGROUND_ASSETS = ("react.production.min.js", "react-dom.production.min.js",
                     "graphiql.min.js", "graphiql.min.css")
EXPLORER_ASSETS = ("graphology.umd.min.js", "graphology-library.min.js", "sigma.min.js")
# newsgraph's own page files, served from static/ by name.
OWN_FILES = ("playground.js", "explore.js", "explore-api.js", "explore-dom.js",
             "explore-overview.js", "explore-filters.js", "explore-drag.js", "explore-live.js",
             "explore-ws.js", "explore-fold.js", "explore.css")
# The explorer's fallback when they are missing: the same pinned versions from a public CDN.
CDN_EXPLORER = {
    "graphology.umd.min.js": "https://unpkg.com/graphology@0.26.0/dist/graphology.umd.min.js",
    "graphology-library.min.js":
        "https://unpkg.com/graphology-library@0.8.0/dist/graphology-library.min.js",
    "sigma.min.js": "https://unpkg.com/sigma@3.0.2/dist/sigma.min.js",
}

_CACHE = {"cache-control": "public, max-age=3600"}


def node_modules() -> Path:
    """Return the folder the npm assets are read from (``$NEWSGRAPH_NODE_MODULES`` if set)."""
    configured = os.environ.get(NODE_MODULES_ENV)
    return Path(configured) if configured else STATIC / "node_modules"


def missing_assets(names: tuple[str, ...]) -> list[str]:
    """Return the vendor files among ``names`` that are not installed."""
    root = node_modules()
    return [n for n in names if not (root / VENDOR_FILES[n]).is_file()]


def _shown(folder: Path) -> str:
    """The folder as the page may show it: never the server's absolute layout."""
    if os.environ.get(NODE_MODULES_ENV):
        return f"${NODE_MODULES_ENV}"
    return str(folder.relative_to(STATIC.parent.parent)) if folder.is_relative_to(
        STATIC.parent.parent) else folder.name


def _notice(missing: list[str], fallback: str) -> str:
    return (
        '<div id="newsgraph-assets-missing" role="alert" style="font:14px/1.4 sans-serif;'
        'background:#fff3cd;color:#533f03;padding:8px 12px;border-bottom:1px solid #e0c36c">'
        f"newsgraph's browser assets are not installed ({html.escape(', '.join(missing))} "
        f"missing under {html.escape(_shown(node_modules()))}). Install them with "
        f"<code>{INSTALL_COMMAND}</code> from the repository root and reload; "
        f"{html.escape(fallback)}</div>")


def playground_page(request: Request) -> Response:
    """GraphiQL from newsgraph's own assets; Strawberry's CDN page when they are missing."""
    missing = missing_assets(PLAYGROUND_ASSETS)
    if missing:
        page = get_graphql_ide_html("graphiql")
        banner = _notice(missing, "meanwhile this page loads GraphiQL from a public CDN, "
                                  "which works only with internet access.")
        page = page.replace('<div id="graphiql"', banner + '<div id="graphiql"', 1)
        return HTMLResponse(page, headers={"x-newsgraph-assets": "cdn"})
    page = (STATIC / "playground.html").read_text(encoding="utf-8")
    return HTMLResponse(page, headers={"x-newsgraph-assets": "local"})


async def explore(request: Request) -> Response:
    """The graph explorer: sigma.js on graphology over newsgraph's own /graphql."""
    page = (STATIC / "explore.html").read_text(encoding="utf-8")
    missing = missing_assets(EXPLORER_ASSETS)
    if missing:
        banner = _notice(missing, "meanwhile this page loads sigma.js and graphology from a "
                                  "public CDN.")
        body = page.index(">", page.index("<body")) + 1
        page = page[:body] + banner + page[body:]
        for name, url in CDN_EXPLORER.items():
            page = page.replace(f"static/vendor/{name}", url)
    return HTMLResponse(page, headers={"x-newsgraph-assets": "cdn" if missing else "local"})


async def vendor_file(request: Request) -> Response:
    """One of the whitelisted npm files, from node_modules."""
    name = request.path_params["name"]
    if name not in VENDOR_FILES:
        return PlainTextResponse("Not Found", status_code=404)
    path = node_modules() / VENDOR_FILES[name]
    if not path.is_file():
        return PlainTextResponse(
            f"{name} is not installed: run `{INSTALL_COMMAND}`", status_code=404)
    return FileResponse(path, headers=_CACHE)


async def own_file(request: Request) -> Response:
    """A script or stylesheet of newsgraph's own pages."""
    name = request.path_params["name"]
    if name not in OWN_FILES:
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(STATIC / name, headers={"cache-control": "no-cache"})


def browser_routes() -> list[BaseRoute]:
    """Return the routes of the explorer and of the pages' static files."""
    return [
        Route("/explore", explore),
        Route("/static/vendor/{name}", vendor_file),
        Route("/static/{name}", own_file),
    ]
