"""The Starlette app through TestClient, so the lifespan (and the load in it) runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS)) as c:
        yield c


def test_the_lifespan_loads_the_graph_and_readyz_reports_counts(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert (body["records"], body["articles"], body["providers"], body["topics"]) == (6, 9, 6, 7)
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_503_before_the_load():
    app = create_app(CORPUS)
    client = TestClient(app)  # no `with`: the lifespan has not run
    assert client.get("/readyz").status_code == 503


def test_post_and_get_answer_the_same(client):
    query = f'{{ within(from: "{S}", hops: 2, where: {{mentions: "facial recognition"}}) ' \
            '{ totalCount edges { hops node { id } } } }'
    posted = client.post("/graphql", json={"query": query})
    got = client.get("/graphql", params={"query": query})
    assert posted.status_code == got.status_code == 200
    assert posted.json() == got.json()
    assert posted.json()["data"]["within"]["totalCount"] == 2


def test_variables_over_post(client):
    r = client.post("/graphql", json={"query": "query($u: String) { article(url: $u) { id } }",
                                      "variables": {"u": "https://www.sixthtone.com/news/1/school-scanners"}})
    assert r.json()["data"] == {"article": {"id": S}}


def test_browsers_get_the_playground(client):
    r = client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()
    assert client.get("/", follow_redirects=False).headers["location"] == "/graphql"


def test_errors_carry_no_traceback_or_internal_path(client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError(f"failure in {graph.__file__}")

    monkeypatch.setattr(graph.KnowledgeGraph, "within_lazy_paths", boom)
    r = client.post("/graphql", json={"query": f'{{ within(from: "{S}") {{ totalCount }} }}'})
    text = r.text
    assert "Unexpected error." in text
    assert "Traceback" not in text and graph.__file__ not in text and "/graph/" not in text


def test_a_syntax_error_says_where(client):
    r = client.post("/graphql", json={"query": "{ stats { articles "})
    assert r.status_code == 200
    assert r.json()["errors"][0]["message"].startswith("Syntax Error")


def test_a_loaded_graph_can_be_passed_in():
    kg = graph.load(CORPUS)
    with TestClient(create_app(kg)) as c:
        assert c.post("/graphql", json={"query": "{ stats { records } }"}).json()["data"] == {
            "stats": {"records": 6}}


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_several_operations_without_an_operation_name_is_an_error(client, accept):
    # GraphQL spec, GetOperation: with more than one operation in the document and no
    # operationName, the request is an error; found trying it: the first one ran.
    two = "query A { stats { articles } } query B { stats { nodes } }"
    r = client.post("/graphql", json={"query": two}, headers={"accept": accept})
    body = r.json()
    assert "data" not in body or body["data"] is None
    assert body["errors"][0]["message"] == (
        "Must provide operation name if query contains multiple operations.")
    # Naming one still runs it; one operation needs no name.
    named = client.post("/graphql", json={"query": two, "operationName": "B"}).json()
    assert set(named["data"]["stats"]) == {"nodes"}
    one = client.post("/graphql", json={"query": "query A { stats { articles } }"}).json()
    assert set(one["data"]["stats"]) == {"articles"}


def test_a_query_over_http_goes_through_the_pipeline_and_answers_as_the_extensions_do(
        client, monkeypatch):
    """schema/pipeline.py answers ordinary queries of the HTTP view (GET and POST) as
    Strawberry's extensions answer them: data, errors and extensions.cost."""
    from schema.pipeline import QueryPipeline

    query = ("query W($s: ID!) { within(from: $s, hops: 2) { totalCount "
             "edges { hops node { id ... on Article { title provider { name } } } } } }")
    ran = []
    execute = QueryPipeline.execute
    monkeypatch.setattr(QueryPipeline, "execute",
                        lambda self, *args: ran.append(1) or execute(self, *args))
    answers = [client.post("/graphql", json={"query": query, "variables": {"s": S}}).json(),
               client.get("/graphql", params={"query": query,
                                              "variables": f'{{"s": "{S}"}}'}).json()]
    assert len(ran) == 2
    declined = []
    monkeypatch.setattr(QueryPipeline, "run",  # the extensions instead
                        lambda *_: declined.append(1))
    # (a new text, a comment added, so that no stored response answers it)
    answers.append(client.post("/graphql", json={"query": query + " # again",
                                                 "variables": {"s": S}}).json())
    assert len(ran) == 2 and declined
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["data"]["within"]["totalCount"] and "cost" in answers[0]["extensions"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/xml"])
def test_an_unsupported_content_type_says_what_is_allowed(client, content_type):
    r = client.post("/graphql", content='{"query": "{ stats { records } }"}',
                    headers={"content-type": content_type})
    assert r.status_code == 400
    message = r.json()["errors"][0]["message"]
    assert message == (f"Unsupported content type {content_type!r}: send the operation as JSON "
                       "with 'content-type: application/json', or as a GET with ?query=")


APQ = {"persistedQuery": {"version": 1, "sha256Hash": "ecf4edb46db40b5132295c0291d62fb65d6759a9"
                                                      "eedfa4d5d612dd5ec54a6b38"}}


def test_a_persisted_query_s_hash_alone_is_refused_with_the_code_clients_read(client):
    """Apollo's and urql's persisted-query links send the hash alone first and the query
    when told PersistedQueryNotSupported (it was 'No GraphQL query found')."""
    for r in (client.post("/graphql", json={"extensions": APQ}),
              client.get("/graphql", params={"extensions": json.dumps(APQ)},
                         headers={"accept": "application/json"})):
        assert r.status_code == 400
        [error] = r.json()["errors"]
        assert error["message"] == "PersistedQueryNotSupported"  # urql matches it
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"  # Apollo
        assert "send the query's text in 'query'" in error["extensions"]["reason"]
    # with the query, as the link sends it next, the hash is no matter
    r = client.post("/graphql", json={"query": "{ stats { articles } }", "extensions": APQ})
    assert r.json()["data"] == {"stats": {"articles": 9}}
