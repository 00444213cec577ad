"""The GraphQL-over-HTTP audit suite (the npm package graphql-http, its ``auditServer``)
against a real ``newsgraph serve``: all 61 audits ok in development mode and in production
mode with introspection enabled. With production's default (introspection off), exactly
the four audits whose request is an introspection query (``__type(name: $name)``) fail,
as they must.

The package is installed with npm into a cache folder (``$NEWSGRAPH_NPM_CACHE``, else
``~/.cache/newsgraph/npm``) once per version; the test skips only when node or npm is
missing, and fails when the install fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import running_server

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
PACKAGES = ("graphql-http@1.23.1", "graphql@16.15.0")
AUDITS = 61
# The audits whose request body is `query Type($name: String!) { __type(name: $name) ... }`.
INTROSPECTING = {"2EA1", "28B9", "D6D5", "6A70"}

AUDIT_SCRIPT = """
const { auditServer } = require("graphql-http");
auditServer({ url: process.argv[2] }).then((results) => {
  process.stdout.write(JSON.stringify(results.map((r) => ({
    id: r.id, name: r.name, status: r.status, reason: r.reason || null }))));
}).catch((e) => { console.error(e); process.exit(3); });
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                       reason="node and npm are needed to run the graphql-http audit suite"),
]


@pytest.fixture(scope="module")
def graphql_http() -> Path:
    """The node_modules folder holding graphql-http, installed once into the cache."""
    root = Path(os.environ.get("NEWSGRAPH_NPM_CACHE") or Path.home() / ".cache/newsgraph/npm")
    prefix = root / "-".join(p.replace("@", "").replace("/", "_") for p in PACKAGES)
    modules = prefix / "node_modules"
    if not (modules / "graphql-http" / "package.json").is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(prefix),
             *PACKAGES], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm install {' '.join(PACKAGES)} failed:\n{done.stderr}"
    return modules


MODES = {"development": [], "production": ["--production"],
         "production+introspection": ["--production", "--introspection"]}


@pytest.fixture(params=list(MODES))
def server(request) -> Iterator[tuple[str, str]]:
    with running_server(str(CORPUS), *MODES[request.param], ready_within=30) as base:
        yield request.param, f"{base}/graphql"


def test_every_graphql_over_http_audit_passes(graphql_http, server, tmp_path):
    mode, url = server
    script = tmp_path / "audit.cjs"
    script.write_text(AUDIT_SCRIPT, encoding="utf-8")
    done = subprocess.run(["node", str(script), url], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NODE_PATH": str(graphql_http)})
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == AUDITS
    expected_to_fail = INTROSPECTING if mode == "production" else set()
    failing = [f"{r['id']} {r['status']}: {r['name']} ({r['reason']})"
               for r in results if r["status"] != "ok" and r["id"] not in expected_to_fail]
    assert not failing, "\n".join(failing)
    refused = {r["id"] for r in results if r["status"] != "ok"}
    assert refused == expected_to_fail


def test_production_does_not_name_the_server_software(server):
    mode, url = server
    with urllib.request.urlopen(url.replace("/graphql", "/healthz"), timeout=5) as r:
        assert (r.headers.get("server") is None) == mode.startswith("production")
        assert r.headers["x-content-type-options"] == "nosniff"
