"""The load test, small: a real ``newsgraph serve``, 64 concurrent clients, the query mix.

The full run is ``python -m schema.loadtest`` (3,000 requests on 5,000 stories); see
docs/security.md for what it measured.
"""

from __future__ import annotations

import sys

import pytest

import graph
from schema import loadtest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="RSS is read from /proc")]


def test_the_query_mix_holds_hub_traversals_and_every_kind(tmp_path):
    kg = graph.load(loadtest.write_corpus(tmp_path / "corpus", 300))
    mix = loadtest.query_mix(kg, 2000)
    kinds = {kind for kind, _ in mix}
    assert {"within 2 hops from a hub", "neighborhood of a hub", "pathTo", "syntax error",
            "over the object limit"} <= kinds
    hub = next(body["query"] for kind, body in mix if kind == "within 2 hops from a hub")
    start = hub.split('"')[1]
    assert not start.startswith("article:") and kg.nx.degree(start) >= 30


def test_64_clients_get_no_5xx_and_server_memory_holds_steady(tmp_path):
    data = loadtest.write_corpus(tmp_path / "corpus", 1000)
    bodies = loadtest.query_mix(graph.load(data), 2000)
    report = loadtest.run(data, bodies, concurrency=64)
    summary = report.as_dict()
    assert report.requests == 2000 and report.server_errors == 0, summary
    assert report.unexpected == 0, summary
    assert set(report.statuses) == {200}, summary
    assert report.limit_errors > 0  # the over-limit share was refused, cleanly
    assert report.percentile(99) > 0
    assert report.rss_growth < 15, summary
    print(summary)
