"""GraphQL over HTTP: media types, status codes, malformed requests; production mode, CORS,
security headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

import graph
from schema import cost
from schema.app import create_app
from schema.http import GRAPHQL_RESPONSE, negotiate
from schema.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"
JSON_CT = "application/json"


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(CORPUS)


@pytest.fixture(scope="module")
def client(kg):
    with TestClient(create_app(kg, Settings())) as c:
        yield c


@pytest.fixture(scope="module")
def production(kg):
    settings = Settings(production=True, cors_origins=("https://explorer.example",))
    with TestClient(create_app(kg, settings)) as c:
        yield c


@pytest.mark.parametrize(("accept", "expected"), [
    (None, JSON_CT), ("*/*", JSON_CT), ("application/*", JSON_CT), ("text/html", JSON_CT),
    (JSON_CT, JSON_CT), (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
    (f"{GRAPHQL_RESPONSE}, {JSON_CT};q=0.9", GRAPHQL_RESPONSE),
    (f"{JSON_CT}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
    (f"{GRAPHQL_RESPONSE};q=0.2, {JSON_CT}", JSON_CT),
    (f"{GRAPHQL_RESPONSE};q=0, */*", JSON_CT),
    (f"*/*;q=0.8, {GRAPHQL_RESPONSE}; charset=utf-8", GRAPHQL_RESPONSE),
])
def test_accept_negotiates_the_media_type(accept, expected):
    assert negotiate(accept) == expected


REQUEST_ERRORS = {
    "parse": {"query": "{ stats { records "},
    "validation": {"query": "{ stats { nope } }"},
    "variable coercion": {"query": "query($n: Int) { articles(first: $n) { totalCount } }",
                          "variables": {"n": "ten"}},
    "missing variable": {"query": "query($id: ID!) { node(id: $id) { id } }"},
    "operation not found": {"query": "query A { stats { records } }", "operationName": "B"},
}


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
def test_request_errors_are_400_without_data_under_graphql_response_json(client, kind):
    r = client.post("/graphql", json=REQUEST_ERRORS[kind], headers={"accept": GRAPHQL_RESPONSE})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = r.json()
    assert "data" not in body and body["errors"]


@pytest.mark.parametrize("kind", [k for k in REQUEST_ERRORS if k != "operation not found"])
def test_request_errors_are_200_with_null_data_under_application_json(client, kind):
    r = client.post("/graphql", json=REQUEST_ERRORS[kind], headers={"accept": JSON_CT})
    assert r.status_code == 200 and r.headers["content-type"].startswith(JSON_CT)
    assert r.json()["data"] is None and r.json()["errors"]


def test_a_field_error_keeps_data_and_200_in_both_media_types(client):
    query = '{ stats { records } node(id: "nonsense") { id } }'
    for accept in (GRAPHQL_RESPONSE, JSON_CT):
        r = client.post("/graphql", json={"query": query}, headers={"accept": accept})
        assert r.status_code == 200
        assert r.json()["data"] == {"stats": {"records": 6}, "node": None}
        assert r.json()["errors"][0]["path"] == ["node"]


def test_get_answers_graphql_response_json_too(client):
    r = client.get("/graphql", params={"query": "{ stats { records } }"},
                   headers={"accept": GRAPHQL_RESPONSE})
    assert r.status_code == 200 and r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert r.json()["data"] == {"stats": {"records": 6}}


@pytest.mark.parametrize("body", [b'"a string"', b"null", b"42", b"[" * 50_000 + b"]" * 50_000,
                                  b'{"query": "{ stats { records } }", "variables": '
                                  + b"[" * 30_000 + b"]" * 30_000 + b"}",
                                  b"\xff\xfe{}", b'{"query": '])
def test_malformed_bodies_are_400_with_a_json_error(kg, body):
    with TestClient(create_app(kg, Settings(max_body_bytes=200_000))) as c:
        r = c.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"]


def test_unexpected_errors_before_execution_are_masked_too(client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError(f"failure in {cost.__file__}")

    monkeypatch.setattr(cost, "requested_objects", boom)
    r = client.post("/graphql", json={"query": "{ stats { records } }"})
    assert r.json()["errors"][0]["message"] == "Unexpected error."
    assert cost.__file__ not in r.text and "Traceback" not in r.text


def test_responses_say_how_long_they_took(client):
    r = client.post("/graphql", json={"query": "{ stats { records } }"})
    assert r.headers["server-timing"].startswith("graphql;dur=")


# -- development and production ----------------------------------------------------------


def test_development_keeps_the_playground_introspection_and_suggestions(client):
    assert client.get("/graphql", headers={"accept": "text/html"}).status_code == 200
    r = client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert r.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    r = client.post("/graphql", json={"query": "{ stats { recrds } }"})
    assert "Did you mean 'records'?" in r.json()["errors"][0]["message"]


def test_production_turns_off_introspection_the_playground_and_suggestions(production):
    r = production.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert "introspection has been disabled" in r.json()["errors"][0]["message"]
    assert production.post("/graphql", json={"query": "{ __typename }"}).json()["data"] == {
        "__typename": "Query"}
    r = production.post("/graphql", json={"query": "{ stats { recrds } }"})
    assert r.json()["errors"][0]["message"] == "Cannot query field 'recrds' on type 'Stats'."
    assert production.get("/graphql", headers={"accept": "text/html"}).status_code == 404


def test_production_can_enable_introspection_and_the_playground(kg):
    settings = Settings(production=True, introspection=True, graphiql=True)
    with TestClient(create_app(kg, settings)) as c:
        r = c.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
        assert r.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
        assert c.get("/graphql", headers={"accept": "text/html"}).status_code == 200


def test_unexpected_errors_are_masked_in_production(production, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError(f"failure in {graph.__file__}")

    monkeypatch.setattr(graph.KnowledgeGraph, "within_lazy_paths", boom)
    r = production.post("/graphql", json={"query": f'{{ within(from: "{S}") {{ totalCount }} }}'})
    assert r.json()["errors"][0]["message"] == "Unexpected error."
    assert graph.__file__ not in r.text


def test_cors_answers_only_the_allowed_origins(production, client):
    ok = production.post("/graphql", json={"query": "{ __typename }"},
                         headers={"origin": "https://explorer.example"})
    assert ok.headers["access-control-allow-origin"] == "https://explorer.example"
    other = production.post("/graphql", json={"query": "{ __typename }"},
                            headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = production.options("/graphql", headers={
        "origin": "https://explorer.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    refused = production.options("/graphql", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert refused.status_code == 400
    # no allow-list, no cross-origin access
    dev = client.post("/graphql", json={"query": "{ __typename }"},
                      headers={"origin": "https://explorer.example"})
    assert "access-control-allow-origin" not in dev.headers


@pytest.mark.parametrize("header", ["authorization", "content-encoding"])
def test_a_listed_origin_may_send_a_token_and_a_compressed_body(production, header):
    # ingest needs its bearer token; a body may be gzipped (both served to the same
    # origin): the preflight refused them, so a listed origin's page could do neither
    preflight = production.options("/graphql", headers={
        "origin": "https://explorer.example", "access-control-request-method": "POST",
        "access-control-request-headers": f"content-type, {header}"})
    assert preflight.status_code == 200, preflight.text
    assert header in preflight.headers["access-control-allow-headers"].lower()
    refused = production.options("/graphql", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST",
        "access-control-request-headers": header})
    assert refused.status_code == 400


def test_security_headers_on_every_response(production, client):
    for c, hsts in ((production, True), (client, False)):
        for r in (c.post("/graphql", json={"query": "{ __typename }"}), c.get("/healthz")):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["content-security-policy"] == \
                "default-src 'none'; frame-ancestors 'none'"
            assert ("strict-transport-security" in r.headers) is hsts


def test_the_playground_never_shows_where_the_server_lives(client, tmp_path, monkeypatch):
    # with its npm assets missing, the page says how to install them, not where it runs
    monkeypatch.setenv("NEWSGRAPH_NODE_MODULES", str(tmp_path / "nowhere"))
    r = client.get("/graphql", headers={"accept": "text/html"})
    assert "newsgraph-assets-missing" in r.text
    assert str(tmp_path) not in r.text and str(Path(__file__).parent.parent) not in r.text


@pytest.mark.parametrize(("name", "value", "said"), [
    ("variables", "x", "the 'variables' parameter is not JSON"),
    ("variables", "[1]", "`variables` must be an object or null"),
    ("extensions", "{", "the 'extensions' parameter is not JSON"),
])
def test_a_get_parameter_that_is_not_a_json_object_is_named(client, name, value, said):
    """GET ?variables=x said "Unable to parse request body as JSON": a GET has no body."""
    r = client.get("/graphql", params={"query": "{ stats { records } }", name: value})
    assert r.status_code == 400
    message = r.json()["errors"][0]["message"]
    assert said in message and "body" not in message


@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/html"])
def test_a_get_whose_operation_is_in_a_body_is_told_where_it_goes(client, accept):
    # gql's RequestsHTTPTransport(method="GET") sends a GET with a JSON body: it got the
    # playground's HTML (or "No GraphQL query found"), its query never read.
    r = client.request("GET", "/graphql", content=b'{"query": "{ stats { records } }"}',
                       headers={"content-type": "application/json", "accept": accept})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/")
    message = r.json()["errors"][0]["message"]
    assert "send it as a POST" in message and "?query=" in message, message


def test_a_get_with_a_query_and_an_empty_body_still_answers(client):
    r = client.request("GET", "/graphql", params={"query": "{ stats { records } }"},
                       headers={"content-length": "0"})
    assert r.status_code == 200 and r.json()["data"]["stats"]["records"] > 0


@pytest.mark.parametrize(("body", "said"), [
    # A number past Python's 4,300 digits: the body is UTF-8 and flat, which it was said
    # not to be ("it is not UTF-8 or nests too deeply").
    (b'{"query": "{ stats { records } }", "variables": {"n": ' + b"9" * 5000 + b"}}",
     "it holds a number of 5,000 digits: at most 4,300 are read"),
    (b'{"query": "{ stats { records } }", "variables": {"n": "caf\xe9"}}',
     "it is not UTF-8 (byte 0xe9 at offset 58): send JSON as UTF-8"),
    (b'{"query": "{ stats { records } }", "variables": ' + b"[" * 30_000 + b"]" * 30_000
     + b"}", "it nests too deeply to be read"),
])
def test_a_json_body_that_cannot_be_decoded_says_which_way(client, body, said):
    r = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == f"Unable to parse request body as JSON: {said}"


@pytest.mark.parametrize(("query_string", "said"), [
    # A lone surrogate percent-encoded as its three bytes (what CESU-8 and some
    # hand-rolled encoders write), and a Latin-1 byte: both were read as U+FFFD, and the
    # answer was "Syntax Error: Unexpected character: U+FFFD", a character never sent.
    ("query=%7B%20stats%20%7B%20records%20%7D%20%7D%ED%A0%80",
     "the 'query' parameter is not UTF-8 (byte 0xed at offset 21 of its bytes)"),
    ("query=%7B%20stats%20%7B%20records%20%7D%20%7D&variables=%7B%22x%22%3A%22caf%E9%22%7D",
     "the 'variables' parameter is not UTF-8 (byte 0xe9 at offset 9 of its bytes)"),
])
def test_a_get_parameter_that_is_not_utf8_is_named(client, query_string, said):
    r = client.get(f"/graphql?{query_string}", headers={"accept": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == (
        f"{said}: percent-encode the UTF-8 bytes of the text, as encodeURIComponent does")


@pytest.mark.parametrize(("member", "value", "said"), [
    # A number as operationName reached execution and was answered 'Unknown operation
    # named "123"'; variables as a string holding JSON (as some older clients send them)
    # and the rest got Strawberry's words with no code a client could match on.
    ("operationName", 123, "'operationName' must be text or null, not a number"),
    ("variables", '{"n": 1}', "'variables' must be an object or null, not text holding "
                              "JSON: send the object itself"),
    ("variables", [1], "'variables' must be an object or null, not a list"),
    ("extensions", "x", "'extensions' must be an object or null, not text"),
    ("query", 5, "'query' must be text (a GraphQL document), not a number"),
])
@pytest.mark.parametrize("batched", [False, True], ids=["one", "batch"])
def test_a_posted_operation_member_of_the_wrong_type_is_named_with_a_code(
        kg, member, value, said, batched):
    operation = {"query": "{ stats { records } }", member: value}
    with TestClient(create_app(kg, Settings(max_batch=4))) as c:
        r = c.post("/graphql", json=[operation] if batched else operation)
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert said in error["message"], error
    assert error["extensions"]["code"] == "BAD_REQUEST"
