"""A subscription sent over HTTP (trial37).

Apollo Client's HTTP multipart subscriptions, urql's fetch subscriptions and a plain POST
of a `subscription` document were run as a query: the stream's resolver gave no value, the
client read "Unexpected error." and the server logged a TypeError traceback for each. A
subscription over HTTP is now refused, saying where subscriptions are answered.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema.app import create_app

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SAYS = ("subscriptions are answered over a WebSocket at this same /graphql (the "
        "graphql-transport-ws or graphql-ws protocol), not over {method}: "
        "HTTP answers queries and mutations")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS)) as c:
        yield c


@pytest.mark.parametrize("accept", [
    "application/json", "application/graphql-response+json",
    'multipart/mixed;boundary="graphql";subscriptionSpec=1.0, application/json',
])
def test_a_subscription_posted_is_refused_saying_where_it_is_answered(client, accept,
                                                                       caplog):
    with caplog.at_level(logging.ERROR):
        r = client.post("/graphql", json={"query": "subscription { graphChanged { version } }"},
                        headers={"accept": accept})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["message"] == SAYS.format(method="POST")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert not [rec for rec in caplog.records if "Traceback" in (rec.exc_text or "")
                or rec.exc_info]


def test_a_subscription_by_get_is_refused_the_same_way(client):
    r = client.get("/graphql", params={"query": "subscription { graphChanged { version } }"},
                   headers={"accept": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == SAYS.format(method="GET")


def test_a_mutation_by_get_still_says_what_it_said(client):
    r = client.get("/graphql", params={"query": "mutation { ingest(records: []) { created } }"},
                   headers={"accept": "application/json"})
    assert r.status_code in (400, 405)
    assert "mutations are not allowed when using GET" in r.json()["errors"][0]["message"]


IN_PROCESS = ("a subscription streams from a server: subscribe over a WebSocket to `newsgraph "
              "serve`'s /graphql; run in-process, a document is a query or a mutation")


def test_a_subscription_run_in_process_is_refused_saying_where_it_streams():
    import graph
    from schema.query import execute

    kg = graph.load(CORPUS)
    response = execute(kg, "subscription { graphChanged { version } }")
    assert response == {"errors": [{"message": IN_PROCESS,
                                    "extensions": {"code": "BAD_REQUEST"}}], "data": None}


def test_newsgraph_query_of_a_subscription_says_so_without_a_traceback(capsys):
    from schema.cli import EXIT_REJECTED, main

    status = main(["query", "subscription { graphChanged { version } }",
                   "--data", str(CORPUS)])
    out, err = capsys.readouterr()
    assert status == EXIT_REJECTED
    assert "Traceback" not in err and "Traceback" not in out
    assert IN_PROCESS in out
