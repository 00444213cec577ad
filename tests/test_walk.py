"""The one walk (graph.walk) under every traversal, and the budget it is handed.

Random graphs: within, neighborhood, shortest_path, k_shortest_paths and the export
selection each agree with plain networkx on the same graph (SAME_STORY included when
named). A tiny budget stops a walk over a big hub midway, paths included; a deadline
stops a walk that would run longer (a fake clock: no timing here).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from unittest import mock

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graph
from graph import explore, paths, walk
from graph.select import Selection

HEADLINES = ["City bans face scanners", "Council debates scanner ban", "Rain floods farms",
             "Weather"]
TOPICS = ["privacy", "cameras", "weather"]
PROVIDERS = ["p1.example", "p2.example", "p3.example"]
ALL_VIA = ("RELATED", "TAGGED", "PUBLISHED_BY", "SAME_STORY")


def _article(i: int) -> str:
    return f"article:https://x.example/{i}"


@st.composite
def graphs(draw) -> graph.KnowledgeGraph:
    """Articles with providers, topics and related links; equal headlines from different
    providers are SAME_STORY copies."""
    n = draw(st.integers(2, 12))
    g = nx.MultiDiGraph()
    for slug in TOPICS:
        g.add_node(f"topic:{slug}", kind="topic", slug=slug, name=slug.title())
    for domain in PROVIDERS:
        g.add_node(f"provider:{domain}", kind="provider", domain=domain, name=domain)
    for i in range(n):
        topics = draw(st.lists(st.sampled_from(TOPICS), unique=True, max_size=2))
        provider = draw(st.sampled_from(PROVIDERS))
        day = draw(st.none() | st.integers(1, 5))
        g.add_node(_article(i), kind="article", url=f"https://x.example/{i}",
                   title=draw(st.sampled_from(HEADLINES)), provider=provider, topics=topics,
                   published_at=datetime(2022, 2, day, tzinfo=UTC) if day else None,
                   sources=[f"r{i}.md:2"])
        g.add_edge(_article(i), f"provider:{provider}", key="PUBLISHED_BY", kind="PUBLISHED_BY")
        for slug in topics:
            g.add_edge(_article(i), f"topic:{slug}", key="TAGGED", kind="TAGGED")
    for i, j in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              max_size=2 * n)):
        if i != j:
            g.add_edge(_article(i), _article(j), key="RELATED", kind="RELATED",
                       evidence=[f"r{i}.md:2"])
    return graph.KnowledgeGraph(g)


def plain(kg: graph.KnowledgeGraph, via: tuple[str, ...]) -> nx.Graph:
    """The undirected simple graph of ``via``, from networkx and the copies alone."""
    view = nx.Graph()
    view.add_nodes_from(kg.nx.nodes)
    view.add_edges_from((u, v) for u, v, k in kg.nx.edges(keys=True) if k in via)
    if "SAME_STORY" in via:
        for a, b in itertools.combinations(sorted(kg.nx.nodes), 2):
            da, db = kg.nx.nodes[a], kg.nx.nodes[b]
            if (da["kind"] == db["kind"] == "article" and da["title"] == db["title"]
                    and da["provider"] != db["provider"] and da["title"] != "Weather"):
                view.add_edge(a, b)
    return view


def walk_args(data: st.DataObject, kg: graph.KnowledgeGraph):
    nodes = sorted(kg.nx.nodes)
    start = data.draw(st.sampled_from(nodes))
    via = data.draw(st.sets(st.sampled_from(ALL_VIA), min_size=1))
    return nodes, start, walk.check_via(via)


@settings(max_examples=80, deadline=None)
@given(graphs(), st.data())
def test_within_and_neighborhood_agree_with_networkx(kg, data):
    nodes, start, via = walk_args(data, kg)
    view = plain(kg, via)
    hops = data.draw(st.integers(1, 4))
    lengths = nx.single_source_shortest_path_length(view, start, cutoff=hops)
    found = kg.within(start, hops, via, kinds=None)
    assert dict(found) == {n: d for n, d in lengths.items() if n != start}
    assert [d for _, d in found] == sorted(d for _, d in found)
    for _, d, path in kg.within_paths(start, hops, via, kinds=None):
        assert len(path) == d + 1 and all(view.has_edge(u, v) for u, v in itertools.pairwise(path))

    seeds = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3, unique=True))
    exclude = data.draw(st.lists(st.sampled_from(nodes), max_size=3))
    sub = kg.neighborhood(seeds, hops, via, exclude=exclude)
    full = nx.multi_source_dijkstra_path_length(view, set(seeds), cutoff=hops)
    assert sub.nodes == {n: d for n, d in full.items() if n not in exclude}
    assert list(sub.nodes)[:len(set(seeds) - set(exclude))] == [s for s in seeds
                                                               if s not in exclude]
    # every edge of via with both ends known (returned, or excluded and reached), once,
    # and at least one end returned
    have = set(sub.nodes) | set(exclude)
    expected = {frozenset((u, v)) for u, v in view.edges if u in have and v in have
                and (u in sub.nodes or v in sub.nodes)}
    assert {frozenset((e.source, e.target)) for e in sub.edges} == expected
    limit = data.draw(st.integers(1, 5))
    page = kg.neighborhood(seeds, hops, via, limit=limit)
    everything = kg.neighborhood(seeds, hops, via)
    assert list(page.nodes.items()) == list(everything.nodes.items())[:limit]
    assert page.truncated == (len(everything.nodes) > limit)


@settings(max_examples=40, deadline=None)
@given(graphs(), st.data())
def test_a_combined_row_is_each_kinds_row_in_walk_order(kg, data):
    _, _, via = walk_args(data, kg)
    rows = walk.adjacency(kg, via)
    for i in range(len(kg.index.ids)):
        assert rows.row(i) == [j for kind in via for j in kg.index.csr[kind].row(i)]


@settings(max_examples=80, deadline=None)
@given(graphs(), st.data())
def test_path_to_and_k_paths_agree_with_networkx(kg, data):
    nodes, start, via = walk_args(data, kg)
    view = plain(kg, via)
    end = data.draw(st.sampled_from(nodes))
    max_hops = data.draw(st.integers(1, 5))
    try:
        distance = nx.shortest_path_length(view, start, end)
    except nx.NetworkXNoPath:
        distance = None
    path = kg.shortest_path(start, end, via, max_hops)
    if distance is None or distance > max_hops:
        assert path is None
    else:
        assert path[0] == start and path[-1] == end and len(path) == distance + 1
        assert all(view.has_edge(u, v) for u, v in itertools.pairwise(path))

    k = data.draw(st.integers(1, 6))
    found = [p.nodes for p in paths.k_shortest_paths(kg, start, end, k, max_hops, via)]
    if start == end:
        assert found == [(start,)]
        return
    expected = []
    if distance is not None:
        for p in nx.shortest_simple_paths(view, start, end):
            if len(p) - 1 > max_hops or len(expected) == k:
                break
            expected.append(tuple(p))
    # Same lengths in the same order; among paths of one length the order may differ,
    # but every path shorter than the longest returned is there.
    assert [len(p) for p in found] == [len(p) for p in expected]
    assert len(set(found)) == len(found)
    for p in found:
        assert len(set(p)) == len(p) and all(view.has_edge(u, v) for u, v in itertools.pairwise(p))
    if found:
        longest = len(found[-1])
        assert {p for p in found if len(p) < longest} == {p for p in expected
                                                          if len(p) < longest}


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_the_export_selection_agrees_with_networkx(kg, data):
    nodes, start, via = walk_args(data, kg)
    view = plain(kg, via)
    hops = data.draw(st.integers(0, 3))
    seeded = explore.select_subgraph(kg, [start], hops, via)
    assert seeded.nodes == nx.single_source_shortest_path_length(view, start, cutoff=hops)
    provider = data.draw(st.sampled_from(PROVIDERS))
    chosen = explore.select_subgraph(kg, (), 1, via, Selection(providers=(provider,)))
    articles = {n for n, d in kg.nx.nodes(data=True)
                if d["kind"] == "article" and d["provider"] == provider}
    expected = dict.fromkeys(articles, 0)
    for a in articles:
        for _, v, kind in kg.nx.out_edges(a, keys=True):
            if kind in via and kind in ("TAGGED", "PUBLISHED_BY"):
                expected.setdefault(v, 1)
    assert chosen.nodes == expected
    among = {frozenset((u, v)) for u, v in view.edges if u in expected and v in expected}
    assert {frozenset((e.source, e.target)) for e in chosen.edges} == among


# -- budgets ------------------------------------------------------------------------------

HUB_ARTICLES = 3000


@pytest.fixture(scope="module")
def hub() -> graph.KnowledgeGraph:
    """A topic of 3,000 articles, each also published by one of two providers; a chain of
    related stories leads off the first one."""
    g = nx.MultiDiGraph()
    g.add_node("topic:hub", kind="topic", slug="hub", name="Hub")
    for domain in ("a.example", "b.example"):
        g.add_node(f"provider:{domain}", kind="provider", domain=domain, name=domain)
    for i in range(HUB_ARTICLES + 5):
        domain = "a.example" if i % 2 else "b.example"
        g.add_node(_article(i), kind="article", url=f"https://x.example/{i}", title=f"Story {i}",
                   provider=domain, topics=["hub"] if i < HUB_ARTICLES else [],
                   sources=[f"r{i}.md:2"])
        g.add_edge(_article(i), f"provider:{domain}", key="PUBLISHED_BY", kind="PUBLISHED_BY")
        if i < HUB_ARTICLES:
            g.add_edge(_article(i), "topic:hub", key="TAGGED", kind="TAGGED")
    for i in range(HUB_ARTICLES, HUB_ARTICLES + 4):
        g.add_edge(_article(i), _article(i + 1), key="RELATED", kind="RELATED", evidence=[])
    g.add_edge(_article(0), _article(HUB_ARTICLES), key="RELATED", kind="RELATED", evidence=[])
    return graph.KnowledgeGraph(g)


LIMIT = 50
# Each call walks from an article whose first levels cost a few visits, then meets the hub.
WALKS = {
    "within": lambda kg, b: kg.within(_article(1), 3, kinds=None, budget=b),
    "neighborhood": lambda kg, b: kg.neighborhood(_article(1), 3, budget=b),
    "expand": lambda kg, b: explore.expand(kg, _article(1), 3, kinds=["article", "topic"],
                                           budget=b),
    "pathTo": lambda kg, b: kg.shortest_path(_article(1), _article(HUB_ARTICLES + 4),
                                             budget=b),
    "paths": lambda kg, b: paths.k_shortest_paths(kg, _article(1), _article(2), k=10,
                                                  max_hops=4, budget=b),
    "export": lambda kg, b: explore.select_subgraph(kg, [_article(1)], 3, budget=b),
}


@pytest.mark.parametrize("name", list(WALKS))
def test_a_tiny_budget_stops_a_walk_over_a_hub_midway(hub, name):
    free = graph.Budget()
    WALKS[name](hub, free)
    assert free.visits > 2 * HUB_ARTICLES  # the walk does cross the hub
    budget = graph.Budget(visits=LIMIT)
    with pytest.raises(graph.BudgetExceeded, match=f"budget of {LIMIT} visits") as e:
        WALKS[name](hub, budget)
    assert (e.value.limit, e.value.value) == ("visits", LIMIT)
    assert 0 < budget.visits <= LIMIT  # it walked, and stopped before the hub's row
    # what it asked for past that is one frontier: the level refused, here the rows of the
    # hub and of a provider
    assert budget.asked - budget.visits <= 2 * HUB_ARTICLES


def test_one_budget_adds_up_over_several_walks(hub):
    one = graph.Budget()
    hub.within(_article(1), 2, budget=one)
    both = graph.Budget(visits=2 * one.visits)
    hub.within(_article(1), 2, budget=both)
    hub.within(_article(1), 2, budget=both)
    assert both.visits == 2 * one.visits
    with pytest.raises(graph.BudgetExceeded):
        hub.within(_article(1), 2, budget=both)


class FakeClock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float):
        self.now, self.step, self.reads = 0.0, step, 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


@pytest.mark.parametrize("name", list(WALKS))
def test_a_deadline_stops_a_walk_that_would_take_longer(hub, name):
    # Ten seconds allowed, each read of the clock four seconds later: the third check
    # finds the deadline passed, whichever level it falls in.
    clock = FakeClock(4.0)
    budget = graph.Budget(seconds=10, clock=clock)
    with pytest.raises(graph.BudgetExceeded, match="ran past its deadline of 10 s") as e:
        WALKS[name](hub, budget)
    assert e.value.limit == "seconds"
    assert clock.reads == 4  # created at 4 (deadline 14), checked at 8 and 12, stopped at 16
    free = graph.Budget()
    WALKS[name](hub, free)
    assert budget.visits < free.visits


def test_the_deadline_is_checked_inside_a_long_level(hub, monkeypatch):
    # The level of the hub's 3,000 articles (6,000 entries) read in chunks of about 64
    # entries: the clock is read between chunks, and the chunked walk finds exactly what
    # the whole one finds.
    whole = hub.neighborhood("topic:hub", 2)
    found = hub.within_paths("topic:hub", 2, kinds=None)
    monkeypatch.setattr(walk, "CHUNK", 64)
    assert list(hub.neighborhood("topic:hub", 2).nodes.items()) == list(whole.nodes.items())
    assert hub.within_paths("topic:hub", 2, kinds=None) == found
    clock = FakeClock(1.0)
    budget = graph.Budget(seconds=5, clock=clock)
    with pytest.raises(graph.BudgetExceeded, match="deadline"):
        hub.neighborhood("topic:hub", 2, budget=budget)
    # created at 1 (deadline 6), levels charged at 2 and 3, chunks checked at 4 to 7
    assert clock.reads == 7
    # both levels charged (the hub's row; its articles' two rows and the one related link)
    assert budget.visits == HUB_ARTICLES + 2 * HUB_ARTICLES + 1


def test_a_phrase_walks_last_level_read_in_chunks_keeps_each_nodes_first_parent(hub,
                                                                              monkeypatch):
    # From an article, the hub topic and its provider are one hop away; the phrase's rows
    # of both hold the provider's hub articles (each reached twice): the topic, walked
    # first (TAGGED before PUBLISHED_BY), is their parent; the articles outside the hub
    # come through the provider. In chunks of about 64 entries, the same paths.
    start, provider = _article(1), "provider:a.example"
    expected = []
    for i in range(HUB_ARTICLES + 5):
        if _article(i) == start or (i >= HUB_ARTICLES and i % 2 == 0):
            continue
        via = "topic:hub" if i < HUB_ARTICLES else provider
        expected.append((_article(i), 2, [start, via, _article(i)]))
    expected.sort(key=lambda x: hub.index.order_key(hub.index.pos[x[0]]))
    assert hub.within_paths(start, 2, mentions="story") == expected
    monkeypatch.setattr(walk, "CHUNK", 64)
    assert hub.within_paths(start, 2, mentions="story") == expected
    assert hub.within(start, 2, mentions="story") == [(n, d) for n, d, _ in expected]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=60), st.sampled_from([1, 16, 10**9]))
def test_firsts_finds_each_values_first_occurrence_by_sort_or_by_table(values, sparse):
    # sparse 1 sorts (a short list), 10**9 uses the table: both the same positions.
    expected = [i for i, v in enumerate(values) if v not in values[:i]]

    with mock.patch.object(walk, "SPARSE", sparse):
        got = walk.firsts(np.array(values, dtype=np.int32), 31)
    assert got.tolist() == expected
