"""A GET's operation parameters given twice (trial37).

``?query=A&query=B`` ran B alone, without a word: a proxy, a log or a filter that reads the
first (as PHP's and Express's readers do, or Go's ``Query().Get``) sees A while the server
runs B. Each of the four parameters the specification names is read once, or refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema.app import create_app

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS)) as c:
        yield c


@pytest.mark.parametrize(("query_string", "name", "times"), [
    ("query={stats{articles}}&query={stats{topics}}", "query", 2),
    ("query={stats{articles}}&variables={}&variables={}", "variables", 2),
    ("query=query+A{stats{articles}}&operationName=A&operationName=B&operationName=A",
     "operationName", 3),
    ("query={stats{articles}}&extensions={}&extensions={}", "extensions", 2),
])
def test_an_operation_parameter_given_twice_is_refused_naming_it(client, query_string, name,
                                                                   times):
    r = client.get(f"/graphql?{query_string}", headers={"accept": "application/json"})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["message"] == (
        f"the {name!r} parameter is given {times} times: give it once (which one is run "
        "would depend on who reads the URL)")
    assert error["extensions"]["code"] == "BAD_REQUEST"


def test_other_parameters_repeated_are_no_concern(client):
    r = client.get("/graphql?query={stats{articles}}&utm=a&utm=b",
                   headers={"accept": "application/json"})
    assert r.status_code == 200
    assert r.json()["data"] == {"stats": {"articles": 9}}


# The export's parameters: 'hops=1&hops=3' walked 3 hops without a word. Those that take
# several values (from, via, topic, provider) still do.
@pytest.mark.parametrize(("query_string", "name"), [
    ("from=topic:ai&hops=1&hops=3", "hops"),
    ("format=node-link&format=cytoscape", "format"),
    ("mentions=a&mentions=b", "mentions"),
    ("after=2022-01-01&after=2023-01-01", "after"),
])
def test_an_export_parameter_of_one_value_given_twice_is_refused(client, query_string, name):
    r = client.get(f"/export/graph.json?{query_string}")
    assert r.status_code == 400
    assert r.json()["error"] == (
        f"the {name!r} parameter is given 2 times: give it once (from, via, topic and "
        "provider take several)")


def test_an_export_parameter_of_several_values_may_repeat(client):
    r = client.get("/export/graph.json?from=topic:ai&from=topic:policing&hops=1")
    assert r.status_code == 200
