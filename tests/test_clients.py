"""The real client libraries against a real `newsgraph serve` on the bundled data/.

tests/clients/ pins graphql-js, Apollo Client, relay-compiler and relay-runtime, urql
with graphcache, Cytoscape.js, graphology and d3-force (package-lock.json;
`npm ci --prefix tests/clients`); each ``*.mjs`` there runs one library as a new user
would and prints what it found as one JSON line, with every console warning the library
printed. Python's ``gql`` runs here.
Without node_modules the suite installs them when npm is there, else skips (fails in CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from servers import unavailable

from tests.servers import running_server

pytestmark = [pytest.mark.slow, pytest.mark.clients]

ROOT = Path(__file__).parent.parent
CLIENTS = Path(__file__).parent / "clients"
NODE = shutil.which("node")
PROVIDER = "provider:sixthtone.com"
SCHOOL = ("article:https://www.sixthtone.com/news/1009712/"
          "chinese-school-faces-backlash-over-use-of-facial-recognition-scanners")


def _unavailable(reason: str) -> None:
    unavailable("the client suite", reason)


@pytest.fixture(scope="module")
def server() -> str:
    if NODE is None:
        _unavailable("node is not installed")
    if not (CLIENTS / "node_modules").is_dir():
        if shutil.which("npm") is None:
            _unavailable("the client libraries are missing: run `npm ci --prefix tests/clients`")
        subprocess.run(["npm", "ci", "--prefix", str(CLIENTS), "--no-audit", "--no-fund"],
                       check=True, stdout=subprocess.DEVNULL, timeout=900)
    with running_server() as base:
        yield base


_REPORTS: dict[tuple[str, ...], dict] = {}


def run_client(server: str, script: str, *args: str, node_options: tuple[str, ...] = ()
               ) -> dict:
    """Run ``tests/clients/SCRIPT`` against ``server``; return the JSON it reports (once
    per server and arguments: several tests read one run)."""
    key = (server, script, *args, *node_options)
    if key not in _REPORTS:
        _REPORTS[key] = _run(server, script, *args, node_options=node_options)
    return _REPORTS[key]


def _run(server: str, script: str, *args: str, node_options: tuple[str, ...]) -> dict:
    proc = subprocess.run([str(NODE), *node_options, script, *args], cwd=CLIENTS,
                          env={**os.environ, "NEWSGRAPH_URL": server},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- every query the docs show ---------------------------------------------------------

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
_CLI_QUERY = re.compile(r"newsgraph query '([^']+)'")
_CURL_BODY = re.compile(r"-d '(\{.*?\})'", re.S)


def documented_queries() -> list[dict[str, str]]:
    """Every GraphQL document of README.md and docs/*.md: graphql fences, `newsgraph
    query '...'` commands and curl bodies."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            lang, body = match.group(1), match.group(2)
            line = text.count("\n", 0, match.start()) + 2
            where = f"{path.relative_to(ROOT)}:{line}"
            if lang == "graphql":
                found.append({"where": where, "query": body})
            elif lang in ("sh", ""):
                found += [{"where": where, "query": q} for q in _CLI_QUERY.findall(body)]
                for raw in _CURL_BODY.findall(body):
                    query = json.loads(raw).get("query")
                    if isinstance(query, str):
                        found.append({"where": where, "query": query})
    return found


def test_graphql_js_builds_and_validates_the_schema_and_every_documented_query(server,
                                                                              tmp_path):
    queries = documented_queries()
    assert len(queries) >= 10  # the README and docs/ show at least this many
    listing = tmp_path / "queries.json"
    listing.write_text(json.dumps(queries))
    got = run_client(server, "schema.mjs", str(listing))
    assert got["schemaErrors"] == []
    assert got["invalid"] == []
    assert got["validated"] == len(queries)
    assert got["warnings"] == []


def test_relay_node_is_exactly_id_and_every_id_is_a_node(server, tmp_path):
    listing = tmp_path / "queries.json"
    listing.write_text("[]")
    got = run_client(server, "schema.mjs", str(listing))
    assert got["nodeFields"] == ["id"]
    assert got["withIdNotNode"] == []


def test_the_committed_sdl_is_what_the_server_serves(server, tmp_path):
    # relay-compiler reads schema/schema.graphql: it must be the server's schema.
    from graphql import build_schema
    from graphql.utilities import find_breaking_changes, find_dangerous_changes

    listing = tmp_path / "queries.json"
    listing.write_text("[]")
    served = build_schema(run_client(server, "schema.mjs", str(listing))["sdl"])
    committed = build_schema((ROOT / "schema" / "schema.graphql").read_text())
    assert find_breaking_changes(committed, served) == []
    assert find_dangerous_changes(committed, served) == []


# -- Apollo Client ---------------------------------------------------------------------


def test_apollo_pages_both_ways_and_reads_back_from_the_cache(server):
    got = run_client(server, "apollo.mjs", node_options=("--conditions=development",))
    assert "pagingError" not in got, got.get("pagingError")
    from tests.clients_truth import all_ids

    articles = all_ids(server, "articles")
    topics = all_ids(server, "topics")
    assert got["forward"] == articles[:6]
    assert got["forwardPageInfo"]["hasNextPage"] is True
    assert got["backward"] == topics[-6:]
    assert got["backwardPageInfo"]["hasPreviousPage"] is True
    assert got["warnings"] == []


def test_apollo_keeps_each_neighborhood_as_the_server_answered_it(server):
    got = run_client(server, "apollo.mjs", node_options=("--conditions=development",))
    assert got["providerHopsAnswered"] == 0
    assert got["providerHopsReadBack"] == 0  # not the 1 of the second neighborhood
    assert got["schoolHopsReadBack"] == 1
    assert got["warnings"] == []


# -- urql + graphcache -----------------------------------------------------------------

SEED_URL = SCHOOL.removeprefix("article:")
# What tests/clients/urql.mjs asks, in one page: the server's own answer to compare with.
WITHIN = """query ($url: String!, $first: Int, $hops: Int!) { article(url: $url) {
  within(hops: $hops, where: {mentions: "facial recognition"}, first: $first) {
    totalCount pageInfo { hasNextPage }
    edges { hops node { __typename id ... on Article { title } } path { __typename id } }
  } } }"""
REFETCH = "query ($id: ID!) { node(id: $id) { __typename id ... on Article { title url } } }"


@pytest.fixture(scope="module")
def in_process():
    """Run a query on the bundled data/ in-process, as the served graph answers it."""
    import graph
    from schema.query import execute

    kg = graph.load()
    return lambda query, variables: execute(kg, query, variables)


def run_urql(server: str) -> dict:
    return run_client(server, "urql.mjs", SEED_URL, "4")


def test_urql_pages_the_question_by_cursor_and_merges_what_the_server_answers(server,
                                                                           in_process):
    got = run_urql(server)
    assert got["errors"] == []
    whole = in_process(WITHIN, {"url": SEED_URL, "first": 100, "hops": 2})
    assert "errors" not in whole
    truth = whole["data"]["article"]["within"]
    total = truth["totalCount"]
    assert total > 4  # more than one page of 4
    assert got["merged"] == truth
    assert got["pages"] == [*range(4, total, 4), total]  # each page merged onto the last
    assert got["cachedOnly"] == truth  # the first page's variables, from the cache alone
    assert got["warnings"] == []


def test_urql_refetches_by_node_id_into_the_one_record_graphcache_keeps(server, in_process):
    got = run_urql(server)
    assert got["twice"] is not None  # a hop-1 story on the path to a hop-2 one
    assert got["refetched"] == in_process(REFETCH, {"id": got["twice"]})["data"]
    truth = in_process(WITHIN, {"url": SEED_URL, "first": 100, "hops": 2})
    edges = truth["data"]["article"]["within"]["edges"]
    reached = {n["id"]: n for e in edges for n in [e["node"], *e["path"]]}
    # One record per object, keyed by its type and global id, whichever way it was reached.
    assert sorted(got["records"]) == sorted(f"{n['__typename']}:{i}" for i, n in reached.items())
    titles = {e["node"]["id"]: e["node"]["title"] for e in edges}
    for key, record in got["records"].items():
        assert key == f"{record['__typename']}:{record['id']}"
        if record["id"] in titles:
            assert record["title"] == titles[record["id"]]
    twice = got["records"][f"Article:{got['twice']}"]
    assert twice["url"] == got["refetched"]["node"]["url"]  # the refetch filled the same one
    assert got["warnings"] == []


def test_urql_hands_over_a_bad_argument_as_the_servers_graphql_error(server, in_process):
    got = run_urql(server)["badHops"]
    truth = in_process(WITHIN, {"url": SEED_URL, "first": 4, "hops": 9})
    assert got["networkError"] is False
    assert got["graphQLErrors"] == [e["message"] for e in truth["errors"]]
    assert got["data"] == truth["data"]


# -- Relay ------------------------------------------------------------------------------


def test_relay_compiles_fragments_and_normalizes_neighborhoods_and_nodes(server):
    compiler = CLIENTS / "node_modules" / ".bin" / "relay-compiler"
    (CLIENTS / "relay" / "__generated__").mkdir(exist_ok=True)
    proc = subprocess.run([str(compiler)], cwd=CLIENTS, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = run_client(server, "relay.mjs")
    assert got["errors"] == []
    assert got["providerType"] == "Provider"
    assert got["schoolType"] == "Article"
    assert got["missing"] is False
    assert got["drawn"] > 1
    from tests.clients_truth import all_ids

    assert got["forward"] == all_ids(server, "articles")[:3]
    assert got["backward"] == all_ids(server, "topics")[-3:]
    assert got["warnings"] == []


# -- Python gql -------------------------------------------------------------------------


def test_python_gql_fetches_the_schema_and_validates_before_sending(server):
    from gql import Client, gql
    from gql.transport.requests import RequestsHTTPTransport
    from graphql import GraphQLError

    transport = RequestsHTTPTransport(url=f"{server}/graphql", timeout=30)
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        request = gql("query ($id: ID!) { node(id: $id) { id ... on Provider { domain } } }")
        request.variable_values = {"id": PROVIDER}
        data = session.execute(request)
        assert data == {"node": {"id": PROVIDER, "domain": "sixthtone.com"}}
        assert session.client.schema is not None
        with pytest.raises(GraphQLError, match="Cannot query field 'nope'"):
            session.execute(gql("{ nope }"))
        for q in documented_queries():
            session.client.validate(gql(q["query"]))


def test_python_gql_get_transport_is_told_to_post(server):
    # gql's RequestsHTTPTransport(method="GET") sends the operation as a JSON body on a
    # GET, which a GET's is not read from; with no ?query= the server answered the
    # playground's HTML, and gql said only "Not a JSON answer: <!doctype html>".
    from gql import Client, gql
    from gql.transport.exceptions import TransportQueryError
    from gql.transport.requests import RequestsHTTPTransport

    transport = RequestsHTTPTransport(url=f"{server}/graphql", method="GET", timeout=30)
    with Client(transport=transport) as session:
        with pytest.raises(TransportQueryError, match="send it as a POST"):
            session.execute(gql("{ stats { articles } }"))


# -- graph libraries ---------------------------------------------------------------------


def test_graph_libraries_load_every_export_as_is(server):
    got = run_client(server, "graphs.mjs")
    sub = got["graphql"]
    for library in ("cytoscape", "graphology", "d3"):
        assert {k: sub[library].get(k) for k in ("nodes", "edges")} == sub["expected"], library
    files = got["files"]
    for library in ("d3", "cytoscape", "cyjs", "graphology", "graphml", "gexf"):
        assert {k: files[library].get(k) for k in ("nodes", "edges")} == files["expected"], \
            library
    # A whole-graph export walked nowhere: no node has a distance.
    assert files["nodeLinkHops"] == 0
    assert [files[k]["withHops"] for k in ("graphology", "graphml", "gexf")] == [0, 0, 0]
    # A walk's export keeps them.
    assert sub["graphology"]["withHops"] == sub["expected"]["nodes"]
    assert got["warnings"] == []


def test_graphml_gives_each_edge_its_id_once(server):
    import urllib.request

    with urllib.request.urlopen(f"{server}/export/graph.graphml", timeout=30) as r:
        root = ET.fromstring(r.read())
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    edge_keys = [k.get("attr.name") for k in root.findall("g:key", ns)
                 if k.get("for") == "edge"]
    assert "id" not in edge_keys  # igraph: "there is already an 'id' edge attribute"
    ids = [e.get("id") for e in root.iter("{http://graphml.graphdrawing.org/xmlns}edge")]
    assert all(ids) and len(ids) == len(set(ids))


@pytest.mark.parametrize("method", ["post", "get"])
def test_apollo_with_persisted_queries_falls_back_to_sending_the_query(server, method):
    """Apollo's persisted-query link sends the query's hash alone first, and the whole
    query when the server says it keeps none (PERSISTED_QUERY_NOT_SUPPORTED): the
    server answered 'No GraphQL query found in the request', which the link does not
    read, so every query of such a client failed."""
    got = run_client(server, "apollo_apq.mjs", method)
    assert got.get("error") is None, got
    assert got["first"] == got["truth"]["articles"]
    assert got["second"] == got["truth"]["topics"]
    # one hashed request, refused; the query sent; from then on the query alone
    assert [r["query"] for r in got["requests"]] == [False, True, True], got["requests"]
    assert got["requests"][0]["hashed"] and not got["requests"][2]["hashed"]
    assert got["warnings"] == []
