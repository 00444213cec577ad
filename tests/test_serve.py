"""One real process: `newsgraph serve` on a free port, queried over HTTP, then stopped."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

import graph
from tests.servers import running_server

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
START = "https://www.sixthtone.com/news/1/school-scanners"


@pytest.fixture
def server():
    with running_server(str(CORPUS)) as base:
        yield base


def post(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_serve_answers_the_example_over_http_as_kg_within_does(server):
    base = server
    data = post(base, f'{{ article(url: "{START}") {{ within(hops: 2, where: '
                      '{mentions: "facial recognition"}) '
                      '{ totalCount edges { hops node { id } } } } }')
    got = [(e["node"]["id"], e["hops"]) for e in data["data"]["article"]["within"]["edges"]]
    kg = graph.load(CORPUS)
    assert got == kg.within(START, hops=2, mentions="facial recognition")
    assert len(got) == 2
    ready = json.load(urllib.request.urlopen(f"{base}/readyz", timeout=5))
    assert ready["articles"] == 9

