"""A followed folder holding a record that lists tens of thousands of related stories (a feed's
index page, or an attacker's file): the live graph is made as a load makes it, in time
proportional to the links, not to their square."""

from __future__ import annotations

import json
import threading

import pytest

import graph

pytestmark = pytest.mark.slow

LINKS = 50_000


def _follow_within(path, seconds: float) -> graph.LiveGraph:
    """graph.follow(path), failing after ``seconds`` (a hang guard, not a timing assertion:
    the quadratic version took minutes here, the linear one a few seconds; the guard is far
    above the linear time so that a busy machine does not trip it)."""
    done: list[graph.LiveGraph] = []
    worker = threading.Thread(target=lambda: done.append(graph.follow(path)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert done, f"graph.follow did not finish within {seconds} s"
    return done[0]


def test_a_record_listing_fifty_thousand_stories_is_followed_as_it_loads(tmp_path):
    # Each stub the hub lists looked for its entries by scanning all of the hub's links:
    # 50,000 stubs x 50,000 links, so `newsgraph serve` of this folder never became ready
    # (still "starting" after 90 s at 100,000 links; `newsgraph load` took 15 s).
    hub = {"title": "Hub", "webUrl": "https://hub.example/index",
           "related": [{"title": f"Story {i}", "webUrl": f"https://hub.example/s/{i}"}
                       for i in range(LINKS)]}
    (tmp_path / "hub.json").write_text(json.dumps(hub), encoding="utf-8")
    other = {"title": "Other", "webUrl": "https://other.example/a",
             "related": [{"title": "Story 7, as another record names it",
                          "webUrl": "https://hub.example/s/7"}]}
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    live = _follow_within(tmp_path, 600)
    kg, loaded = live.current(), graph.load(tmp_path)
    assert kg.report.articles == loaded.report.articles == LINKS + 2
    assert kg.report.stubs == loaded.report.stubs == LINKS
    for n in range(0, LINKS, 997):
        node = f"article:https://hub.example/s/{n}"
        assert dict(kg.nx.nodes[node]) == dict(loaded.nx.nodes[node])
    seven = "article:https://hub.example/s/7"
    assert dict(kg.nx.nodes[seven]) == dict(loaded.nx.nodes[seven])
    assert sorted(kg.nx.predecessors(seven)) == sorted(loaded.nx.predecessors(seven))
    # A change beside the hub is applied the same way.
    (tmp_path / "other.json").unlink()
    live.apply([tmp_path / "other.json"])
    assert dict(live.current().nx.nodes[seven]) == dict(graph.load(tmp_path).nx.nodes[seven])


def test_a_story_listed_twice_by_a_source_with_many_links_is_the_stub_a_load_makes(tmp_path):
    # Past 16 links a source's links are found by target: the entries of a story it lists
    # twice (and another record lists too) are taken in the same order as by a scan.
    related = [{"title": f"Story {i}", "webUrl": f"https://hub.example/s/{i}"}
               for i in range(20)]
    related += [{"title": "Story 3 again", "webUrl": "https://hub.example/s/3/",
                 "excerpt": "the later listing"}]
    for name, url in (("a", "https://a.example/hub"), ("b", "https://b.example/hub")):
        (tmp_path / f"{name}.json").write_text(json.dumps(
            {"title": name, "webUrl": url, "related": related}), encoding="utf-8")
    kg, loaded = graph.follow(tmp_path).current(), graph.load(tmp_path)
    three = "article:https://hub.example/s/3"
    assert dict(kg.nx.nodes[three]) == dict(loaded.nx.nodes[three])
    assert kg.nx.nodes[three]["title"] == "Story 3 again"
