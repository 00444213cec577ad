"""HEAD on /graphql, and what a 405 says (trial37).

Every 405 of /graphql said `allow: POST, GET, HEAD` (Starlette's route adds HEAD to GET),
and HEAD itself was then refused 405, without an `Allow` header: a monitor or link
checker probing the endpoint with HEAD saw it as broken. HEAD is now answered as GET is,
without the body.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema.app import create_app

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
QUERY = "/graphql?query=%7Bstats%7Barticles%7D%7D"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS)) as c:
        yield c


@pytest.mark.parametrize(("url", "accept", "media"), [
    ("/graphql", "text/html", "text/html"),
    (QUERY, "application/json", "application/json"),
    (QUERY, "application/graphql-response+json", "application/graphql-response+json"),
])
def test_head_answers_as_get_without_the_body(client, url, accept, media):
    got = client.get(url, headers={"accept": accept})
    head = client.head(url, headers={"accept": accept})
    assert head.status_code == got.status_code == 200
    assert head.headers["content-type"].startswith(media)
    assert head.content == b""


def test_a_mutation_by_head_is_refused_as_by_get(client):
    url = "/graphql?query=mutation%7Bingest(records:[])%7Bcreated%7D%7D"
    refused = client.get(url).status_code
    assert refused >= 400
    assert client.head(url).status_code == refused


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_every_405_names_the_methods_that_are_answered(client, method):
    r = client.request(method, "/graphql", json={"query": "{ stats { articles } }"})
    assert r.status_code == 405
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed == {"GET", "HEAD", "POST"}
    for m in allowed - {"POST"}:
        assert client.request(m, QUERY).status_code == 200, m
