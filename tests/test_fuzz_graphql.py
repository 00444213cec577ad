"""A schema-driven fuzzer: hypothesis-graphql writes queries from newsgraph's own schema
(valid ones, and ones with a schema violation), Hypothesis writes HTTP requests, and the
app answers them in-process (TestClient, the lifespan run).

Whatever comes in: no 5xx, no traceback, no path of the server's code in any response,
and no masked "Unexpected error." (it means an exception nobody expected: a bug).

CI runs a short budget; ``NEWSGRAPH_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_graphql.py``
runs a long one (see docs/security.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

import graphql
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode
from starlette.testclient import TestClient

import graph
from schema.app import create_app
from schema.query import execute, schema
from schema.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
EXAMPLES = int(os.environ.get("NEWSGRAPH_FUZZ_EXAMPLES", "150"))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Where the server's code lives: none of it may show in a response.
INTERNAL = sorted({str(Path(graph.__file__).resolve().parent.parent),
                   sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"],
                   sys.prefix}, key=len, reverse=True)
MARKERS = ("Traceback (most recent call last)", 'File "', "Unexpected error.")


@pytest.fixture(scope="module")
def kg(tmp_path_factory) -> graph.KnowledgeGraph:
    # Outside the project folder, so that the corpus paths the API shows (sources,
    # loadReport) are not mistaken for the code's.
    corpus = tmp_path_factory.mktemp("fuzz") / "corpus"
    shutil.copytree(CORPUS, corpus)
    return graph.load(corpus)


@pytest.fixture(scope="module")
def client(kg):
    with TestClient(create_app(kg, Settings()), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def production(kg):
    with TestClient(create_app(kg, Settings(production=True)), raise_server_exceptions=False) as c:
        yield c


def check(response, *, graphql_body: bool = True) -> None:
    """Assert the response is a clean answer: below 500, no traceback, no code path."""
    text = response.text
    assert response.status_code < 500, (response.status_code, text[:2000])
    for marker in MARKERS:
        assert marker not in text, (marker, text[:2000])
    for path in INTERNAL:
        assert path not in text, (path, text[:2000])
    if graphql_body and response.headers.get("content-type", "").startswith("application/"):
        body = response.json()
        assert isinstance(body, dict | list)


def _string_values(kg: graph.KnowledgeGraph) -> st.SearchStrategy[str]:
    """Strings that hit the graph (ids, URLs, slugs, domains, phrases) beside any text."""
    known = sorted(kg.nx.nodes)
    known += [d["url"] for _, d in kg.nx.nodes(data=True) if d.get("url")]
    known += ["facial recognition", "privacy", "sixthtone.com", "www.sixthtone.com",
              "2022-02-21T03:37:00Z", "", " ", "article:", "topic:x", "Y3Vyc29yOi0x"]
    page = execute(kg, "{ articles(first: 4) { edges { cursor } } }")
    known += [e["cursor"] for e in page["data"]["articles"]["edges"]]
    return st.one_of(st.sampled_from(known), st.text(max_size=40))


def _scalars(kg: graph.KnowledgeGraph) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    strings = _string_values(kg).map(lambda s: graphql.StringValueNode(value=s))
    ints = st.one_of(st.integers(-3, 6), st.integers(-2**31, 2**31 - 1), st.sampled_from(
        [20, 99, 100, 101, 200, 2000, 2001])).map(lambda i: graphql.IntValueNode(value=str(i)))
    dates = st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                         "2022-02-30", "not a date", ""])).map(
        lambda s: graphql.StringValueNode(value=s))
    return {"ID": strings, "String": strings, "Int": ints, "DateTime": dates,
            "JSON": strings}


SDL = schema.as_str()


ROOT_FIELDS = graphql.build_schema(SDL).query_type.fields
# A query can break the schema only where a root field takes arguments.
FIELDS = {Mode.POSITIVE: sorted(ROOT_FIELDS),
          Mode.NEGATIVE: sorted(name for name, f in ROOT_FIELDS.items() if f.args)}


@pytest.fixture(scope="module")
def queries(kg):
    """Per mode, a strategy that picks a root field evenly, then writes a query under it."""
    scalars = _scalars(kg)
    return {mode: st.one_of([hypothesis_graphql.queries(SDL, fields=[name],
                                                        custom_scalars=scalars, mode=mode)
                             for name in FIELDS[mode]])
            for mode in (Mode.POSITIVE, Mode.NEGATIVE)}


@fuzz
@given(data=st.data())
def test_valid_queries_from_the_schema_never_fail_the_server(client, queries, data):
    query = data.draw(queries[Mode.POSITIVE])
    check(client.post("/graphql", json={"query": query}))


@fuzz
@given(data=st.data())
def test_invalid_queries_from_the_schema_are_refused_cleanly(client, queries, data):
    query = data.draw(queries[Mode.NEGATIVE])
    accept = data.draw(st.sampled_from(["application/json", "application/graphql-response+json"]))
    response = client.post("/graphql", json={"query": query}, headers={"accept": accept})
    check(response)
    if accept != "application/json" and "data" not in response.json():
        assert response.status_code == 400


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_production_answers_as_cleanly(production, queries, data):
    query = data.draw(st.one_of(queries[Mode.POSITIVE], queries[Mode.NEGATIVE]))
    check(production.post("/graphql", json={"query": query}))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12)
OPERATIONS = st.fixed_dictionaries({}, optional={
    "query": st.one_of(st.sampled_from(["{ stats { records } }", "{ __typename }", "{",
                                        "query($n: Int) { articles(first: $n) { totalCount } }",
                                        "mutation { x }", "subscription { x }"]), JSON_VALUES),
    "variables": JSON_VALUES, "operationName": JSON_VALUES, "extensions": JSON_VALUES})
BODIES = st.one_of(
    OPERATIONS.map(lambda o: json.dumps(o).encode()),
    st.lists(OPERATIONS, max_size=12).map(lambda o: json.dumps(o).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300))
# Repeats weigh the draw toward what reaches the GraphQL layer: a JSON POST.
HEADERS = st.fixed_dictionaries({"content-type": st.sampled_from(
    ["application/json"] * 6 + ["application/json; charset=utf-8", "text/plain",
                                "application/graphql",
                                "multipart/form-data; boundary=x",
                                "application/x-www-form-urlencoded", "", "*/*"])}, optional={
    "accept": st.sampled_from(["application/json", "application/graphql-response+json",
                               "*/*", "text/html", "application/graphql-response+json;q=0",
                               "application/json;q=abc", "", "text/event-stream",
                               "multipart/mixed"]),
    "origin": st.sampled_from(["https://evil.example", "null"])})


@fuzz
@given(method=st.sampled_from(["POST"] * 6 + ["GET"] * 2 + ["PUT", "OPTIONS", "HEAD", "DELETE"]),
       body=BODIES, headers=HEADERS,
       params=st.dictionaries(st.sampled_from(["query", "variables", "operationName",
                                               "extensions"]),
                              st.text(max_size=30), max_size=3))
def test_any_http_request_gets_a_clean_answer(client, method, body, headers, params):
    response = client.request(method, "/graphql", content=body if method != "GET" else None,
                              headers=headers, params=params)
    check(response, graphql_body=False)
