"""Traversal: within (and its paths), neighborhood, shortest_path; checked against networkx."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from unittest import mock

import networkx as nx
import pytest
from conftest import record, write_record
from hypothesis import given, settings
from hypothesis import strategies as st

import graph
from graph import walk
from graph.build import build_graph
from graph.normalize import phrase_tokens
from graph.records import Record
from graph.traverse import Found

SEED = "article:https://a.example/seed"
ONE = "article:https://b.example/one"
STUB = "article:https://g.example/stub"
TWO = "article:https://c.example/two"
THREE = "article:https://d.example/three"
NEAR = "article:https://e.example/near"
SIBLING = "article:https://a.example/sibling"
TOPICMATCH = "article:https://f.example/topicmatch"
ISLAND = "article:https://z.example/island"

# -- within --------------------------------------------------------------------


def test_within_two_hops_orders_by_hops_then_newest_then_id(corpus):
    # Hop 1: one (Feb 20), stub (no date). Hop 2: near (22), two (19), sibling (17).
    assert corpus.within(SEED, hops=2) == [(ONE, 1), (STUB, 1), (NEAR, 2), (TWO, 2),
                                           (SIBLING, 2)]


def test_within_ties_on_date_are_ordered_by_id(tmp_path):
    stamp = "2022-02-21T00:00:00Z"
    write_record(tmp_path, "hub.md", record("hub", related=[
        {"title": t, "webUrl": f"https://{h}.example/x", "publishedDateTime": stamp}
        for t, h in (("C", "c"), ("A", "a"), ("B", "b"))]))
    kg = graph.load(tmp_path)
    assert kg.within("https://news.example/hub", hops=1) == [
        ("article:https://a.example/x", 1), ("article:https://b.example/x", 1),
        ("article:https://c.example/x", 1)]


def test_within_the_facial_recognition_sentence(corpus):
    # All facial-recognition stories within two hops of the seed story.
    found = corpus.within("https://a.example/seed", hops=2, mentions="facial recognition")
    assert found == [(ONE, 1), (TWO, 2), (SIBLING, 2)]


def test_within_mentions_matches_topic_names_and_bodies(corpus):
    found = dict(corpus.within(SEED, hops=3, mentions="facial recognition"))
    assert found[TOPICMATCH] == 3  # only a topic is named "Facial Recognition"
    assert found[SIBLING] == 2  # only the body says "facial\nrecognition"
    assert NEAR not in found and STUB not in found  # "face recognition"; no mention


@pytest.mark.parametrize("phrase", ["FACIAL-RECOGNITION", "Facial Recognition",
                                    "  facial\n recognition "])
def test_within_mentions_is_a_phrase_in_any_spelling(corpus, phrase):
    assert corpus.within(SEED, hops=2, mentions=phrase) == [(ONE, 1), (TWO, 2), (SIBLING, 2)]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("face recognition", [(NEAR, 2)]), ("facialrecognition", []), ("recognition facial", []),
     ("facial recognitions", [])],
)
def test_within_mentions_near_misses_do_not_match(corpus, phrase, expected):
    assert corpus.within(SEED, hops=2, mentions=phrase) == expected


@pytest.mark.parametrize(
    "start",
    [SEED, "https://a.example/seed", "HTTPS://A.EXAMPLE/seed/?utm_source=x#top",
     "https://a.example/seed/"],
)
def test_within_start_is_a_node_id_or_a_url_raw_or_canonical(corpus, start):
    assert corpus.within(start, hops=2) == corpus.within(SEED, hops=2)


@pytest.mark.parametrize("start", [SEED, "topic:privacy", "provider:a.example", STUB])
@pytest.mark.parametrize("hops", [1, 2, 5])
def test_within_never_includes_start(corpus, start, hops):
    found = corpus.within(start, hops=hops, kinds=None)
    assert start not in [node for node, _ in found]
    assert found  # every start here has neighbours


def test_within_every_node_kind_is_a_hop(corpus):
    # near shares only a topic with seed: article → topic → article is 2 hops.
    assert dict(corpus.within(SEED, hops=2, via=["TAGGED"])) == {NEAR: 2}
    assert corpus.within(SEED, hops=1, via=["TAGGED"]) == []
    # sibling shares only a provider.
    assert dict(corpus.within(SEED, hops=2, via=["PUBLISHED_BY"])) == {SIBLING: 2}


def test_within_hops_are_shortest_path_lengths(corpus):
    # topicmatch is 3 hops away via one → surveillance, not 4 via facial-recognition.
    assert dict(corpus.within(SEED, hops=4))[TOPICMATCH] == 3


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        (["RELATED"], [(ONE, 1), (STUB, 1), (TWO, 2), (THREE, 3)]),
        (("related", "tagged"), [(ONE, 1), (STUB, 1), (TOPICMATCH, 3), (NEAR, 2), (TWO, 2),
                                 (THREE, 3)]),
        (["TAGGED", "PUBLISHED_BY"], [(NEAR, 2), (SIBLING, 2)]),
    ],
)
def test_within_via_restricts_edge_kinds(corpus, via, expected):
    found = corpus.within(SEED, hops=3, via=via)
    assert sorted(found, key=lambda nd: nd[1]) == found
    assert sorted(found) == sorted(expected)


def test_within_walks_edges_in_both_directions(corpus):
    assert corpus.within(THREE, hops=3, via=["RELATED"]) == [(TWO, 1), (ONE, 2), (SEED, 3)]
    assert dict(corpus.within("topic:privacy", hops=1)) == {SEED: 1, NEAR: 1}


def test_within_kinds_filter(corpus):
    everything = corpus.within(SEED, hops=2, kinds=None)
    assert [hops for _, hops in everything] == [1] * 4 + [2] * 6
    assert sorted(everything) == sorted([
        (ONE, 1), (STUB, 1), ("provider:a.example", 1), ("topic:privacy", 1),
        (TWO, 2), (NEAR, 2), (SIBLING, 2), ("provider:b.example", 2),
        ("provider:g.example", 2), ("topic:surveillance", 2)])
    assert corpus.within(SEED, hops=1, kinds=["topic"]) == [("topic:privacy", 1)]
    assert corpus.within(SEED, hops=2, kinds=("provider",)) == [
        ("provider:a.example", 1), ("provider:b.example", 2), ("provider:g.example", 2)]
    assert corpus.within(SEED, hops=1) == corpus.within(SEED, hops=1, kinds=("article",))


def test_within_mentions_keeps_only_articles(corpus):
    # A topic named "Facial Recognition" is not itself a story that mentions it.
    found = corpus.within(TOPICMATCH, hops=4, mentions="facial recognition", kinds=None)
    assert all(corpus[node]["kind"] == "article" for node, _ in found)


def test_within_unknown_start_raises_node_not_found(corpus):
    for start in ("https://a.example/nope", "article:https://a.example/nope", "topic:nope",
                  "nonsense"):
        with pytest.raises(graph.NodeNotFound, match="nope|nonsense"):
            corpus.within(start)


@pytest.mark.parametrize(
    "kwargs",
    [{"hops": 0}, {"hops": -1}, {"hops": 1.5}, {"hops": True}, {"via": ["FRIENDS"]},
     {"via": []}, {"via": ["RELATED", "cites"]}, {"kinds": ["person"]}],
)
def test_within_bad_arguments_raise_invalid_argument(corpus, kwargs):
    with pytest.raises(graph.InvalidArgument):
        corpus.within(SEED, **kwargs)


def test_within_bad_arguments_say_what_is_allowed(corpus):
    with pytest.raises(graph.InvalidArgument, match="RELATED, PUBLISHED_BY, TAGGED"):
        corpus.within(SEED, via=["FRIENDS"])
    with pytest.raises(graph.InvalidArgument, match="at least 1"):
        corpus.within(SEED, hops=0)


# -- within_paths ---------------------------------------------------------------


@pytest.mark.parametrize("via", [None, ["RELATED"], ["TAGGED", "PUBLISHED_BY"]])
def test_within_paths_explain_each_node(corpus, via):
    found = corpus.within_paths(SEED, hops=3, via=via, kinds=None)
    assert [(node, hops) for node, hops, _ in found] == corpus.within(SEED, 3, via=via,
                                                                      kinds=None)
    undirected = corpus.nx.to_undirected(as_view=True)
    kinds = set(via or graph.EDGE_KINDS)
    for node, hops, path in found:
        assert path[0] == SEED and path[-1] == node
        assert len(path) == hops + 1
        for u, v in itertools.pairwise(path):
            assert kinds & set(undirected[u][v]), (u, v)


# -- neighborhood ---------------------------------------------------------------


def test_neighborhood_nodes_with_hops_and_edges_among_them(corpus):
    sub = corpus.neighborhood(SEED, hops=1)
    assert sub.nodes == {SEED: 0, ONE: 1, STUB: 1, "topic:privacy": 1, "provider:a.example": 1}
    assert sorted((e.source, e.target, e.kind) for e in sub.edges) == sorted([
        (SEED, ONE, "RELATED"), (SEED, STUB, "RELATED"), (SEED, "topic:privacy", "TAGGED"),
        (SEED, "provider:a.example", "PUBLISHED_BY"),
    ])
    assert sub.truncated is False


def test_neighborhood_edges_join_only_kept_nodes(corpus):
    sub = corpus.neighborhood(SEED, hops=2)
    assert sub.nodes[TWO] == 2
    assert all(e.source in sub.nodes and e.target in sub.nodes for e in sub.edges)
    # Every edge of the graph among the kept nodes is there, once.
    expected = {(u, v, k) for u, v, k in corpus.nx.edges(keys=True)
                if u in sub.nodes and v in sub.nodes}
    assert sorted((e.source, e.target, e.kind) for e in sub.edges) == sorted(expected)


def test_neighborhood_via(corpus):
    sub = corpus.neighborhood(SEED, hops=2, via=["RELATED"])
    assert sub.nodes == {SEED: 0, ONE: 1, STUB: 1, TWO: 2}
    assert {e.kind for e in sub.edges} == {"RELATED"}


def test_neighborhood_limit_truncates(corpus):
    sub = corpus.neighborhood(SEED, hops=2, limit=3)
    assert len(sub.nodes) == 3 and sub.truncated is True
    assert sub.nodes[SEED] == 0
    assert all(hops <= 1 for hops in sub.nodes.values())
    exact = corpus.neighborhood(SEED, hops=1, limit=5)
    assert len(exact.nodes) == 5 and exact.truncated is False


def test_neighborhood_exclude_is_walked_through_but_never_returned(corpus):
    # One meaning for Python and GraphQL (the explorer's): what the caller already has.
    sub = corpus.neighborhood(SEED, hops=2, exclude=["https://b.example/one",
                                                     "provider:a.example"])
    assert ONE not in sub.nodes and "provider:a.example" not in sub.nodes
    # only reachable through them, and at the hops of the full walk
    assert sub.nodes[TWO] == 2 and sub.nodes[SIBLING] == 2
    assert sub.nodes[NEAR] == 2
    full = corpus.neighborhood(SEED, hops=2)
    assert sub.nodes == {n: h for n, h in full.nodes.items()
                         if n not in (ONE, "provider:a.example")}
    # the edges joining the new nodes to the excluded ones come along
    assert (ONE, TWO, "RELATED") in {(e.source, e.target, e.kind) for e in sub.edges}


def test_neighborhood_unknown_start_raises(corpus):
    with pytest.raises(graph.NodeNotFound):
        corpus.neighborhood("https://nowhere.example/x")


# -- shortest_path ------------------------------------------------------------


def test_shortest_path_found(corpus):
    assert corpus.shortest_path(SEED, THREE) == [SEED, ONE, TWO, THREE]
    assert corpus.shortest_path(THREE, "https://a.example/seed") == [THREE, TWO, ONE, SEED]
    assert corpus.shortest_path(SEED, NEAR) == [SEED, "topic:privacy", NEAR]
    assert corpus.shortest_path(SEED, SEED) == [SEED]


def test_shortest_path_via(corpus):
    assert corpus.shortest_path(SEED, SIBLING, via=["PUBLISHED_BY"]) == [
        SEED, "provider:a.example", SIBLING]
    assert corpus.shortest_path(SEED, NEAR, via=["RELATED"]) is None


def test_shortest_path_none_when_disconnected_or_beyond_max_hops(corpus):
    assert corpus.shortest_path(SEED, ISLAND) is None
    assert corpus.shortest_path(SEED, THREE, max_hops=2) is None
    assert corpus.shortest_path(SEED, THREE, max_hops=3) == [SEED, ONE, TWO, THREE]


# -- within against a naive networkx computation ------------------------------

WORDS = ["facial", "recognition", "Facial-Recognition's", "face", "privacy", "ban", "city"]
HOSTS = ["a.example", "b.example", "c.example"]
TOPICS = ["Facial Recognition", "facial-recognition", "Privacy", "Recognition", "AI"]
PHRASES = [None, "facial recognition", "recognition", "face", "privacy ban"]


@st.composite
def random_graphs(draw):
    n = draw(st.integers(min_value=2, max_value=10))

    def url(i):
        return f"https://{HOSTS[i % len(HOSTS)]}/{i}"

    records = []
    for i in range(n):
        fields = {
            "title": " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))),
            "webUrl": url(i),
            "topics": draw(st.lists(st.sampled_from(TOPICS), max_size=2)),
            # Targets at or past n are stubs.
            "related": [{"title": "Related " + " ".join(draw(st.lists(st.sampled_from(WORDS),
                                                                        max_size=2))),
                         "webUrl": url(j)}
                        for j in draw(st.lists(st.integers(0, n + 2), max_size=3))],
        }
        if draw(st.booleans()):
            fields["excerpt"] = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=3)))
        day = draw(st.none() | st.integers(1, 5))
        if day is not None:
            fields["publishedDateTime"] = datetime(2022, 2, day, tzinfo=UTC)
        if draw(st.booleans()):
            fields["provider"] = {"domain": draw(st.sampled_from(["p.example", "q.example"]))}
        records.append(Record(fields, f"r{i:02}.md", 2))
    report = graph.LoadReport()
    return graph.KnowledgeGraph(build_graph(records, report), report)


def _naive_tokens(text):
    return ["".join(run).lower() for alnum, run in itertools.groupby(text, str.isalnum) if alnum]


def _naive_mentions(kg, node, phrase):
    data = kg.nx.nodes[node]
    texts = [data.get("title"), data.get("excerpt"), data.get("body")]
    texts += [kg.nx.nodes[t]["name"] for _, t, k in kg.nx.out_edges(node, keys=True)
              if k == "TAGGED"]
    wanted = " " + " ".join(_naive_tokens(phrase)) + " "
    return wanted.strip() != "" and any(
        wanted in " " + " ".join(_naive_tokens(t)) + " " for t in texts if t)


def naive_within(kg, start, hops, via, mentions, kinds):
    walk = set(via) if via is not None else set(graph.EDGE_KINDS)
    undirected = nx.subgraph_view(kg.nx.to_undirected(as_view=True),
                                  filter_edge=lambda u, v, k: k in walk)
    lengths = nx.single_source_shortest_path_length(undirected, start, cutoff=hops)
    found = []
    for node, d in lengths.items():
        data = kg.nx.nodes[node]
        if node == start or (kinds is not None and data["kind"] not in kinds):
            continue
        if mentions is not None and (data["kind"] != "article"
                                     or not _naive_mentions(kg, node, mentions)):
            continue
        found.append((node, d))
    return found


def _article_order(kg, node, hops):
    published = kg.nx.nodes[node].get("published_at")
    return (hops, 1, 0, node) if published is None else (hops, 0, -published.timestamp(), node)


def assert_same_within(kg, found, expected):
    """Same nodes and hops, ordered by hops; articles newest first then by id (undated last),
    other kinds by id. (How undated nodes of different kinds interleave is not pinned.)"""
    assert sorted(found) == sorted(expected)
    assert [d for _, d in found] == sorted(d for _, d in found)
    articles = [(n, d) for n, d in found if kg.nx.nodes[n]["kind"] == "article"]
    assert articles == sorted(articles, key=lambda nd: _article_order(kg, *nd))
    others = [(n, d) for n, d in found if kg.nx.nodes[n]["kind"] != "article"]
    assert others == sorted(others, key=lambda nd: (nd[1], nd[0]))


@settings(max_examples=60, deadline=None)
@given(
    random_graphs(),
    st.data(),
)
def test_within_agrees_with_networkx(kg, data):
    _within_agrees_with_networkx(kg, data)


def _within_agrees_with_networkx(kg, data):
    """Four drawn walks each equal to the naive one; return the last one's arguments."""
    nodes = sorted(kg.nx.nodes)
    for _ in range(4):
        start = data.draw(st.sampled_from(nodes))
        hops = data.draw(st.integers(1, 4))
        via = data.draw(st.none() | st.sets(st.sampled_from(graph.EDGE_KINDS), min_size=1))
        mentions = data.draw(st.sampled_from(PHRASES))
        kinds = data.draw(st.sampled_from([("article",), None, ("topic", "provider")]))
        expected = naive_within(kg, start, hops, via, mentions, kinds)
        assert_same_within(kg, kg.within(start, hops, via, mentions, kinds), expected)
    return start, hops, via, mentions, kinds


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.data())
def test_within_agrees_with_networkx_when_every_level_is_deduplicated_by_table(kg, data):
    # A hub's level drops repeats with one pass over a table of all nodes instead of a
    # sort (walk.firsts); small graphs never reach that size, so force it.
    with mock.patch.object(walk, "SPARSE", 10**9):
        last = _within_agrees_with_networkx(kg, data)
        found = kg.within(*last)
    assert found == kg.within(*last)  # order included


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.sampled_from(PHRASES), st.sampled_from([("article",), None]),
       st.none() | st.sets(st.sampled_from(graph.EDGE_KINDS), min_size=1))
def test_kept_rows_are_each_row_holding_only_the_kept_nodes(kg, phrase, kinds, via):
    walked = walk.check_via(via)
    wanted = walk.check_kinds(kinds)
    tokens = phrase_tokens(phrase) if phrase is not None else None
    index = kg.index
    mask = index.keep_mask(wanted, tokens)
    full, rows = walk.adjacency(kg, walked), index.kept_rows(walked, wanted, tokens)
    for i in range(len(index.ids)):
        assert sorted(rows.row(i)) == sorted(j for j in full.row(i) if mask[j])


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.data())
def test_the_lazy_answer_is_the_eager_list_order_included(kg, data):
    nodes = sorted(kg.nx.nodes)
    start = data.draw(st.sampled_from(nodes))
    hops = data.draw(st.integers(1, 4))
    mentions = data.draw(st.sampled_from(PHRASES))
    kinds = data.draw(st.sampled_from([("article",), None]))
    eager = kg.within(start, hops, None, mentions, kinds)
    lazy, path_of = kg.within_lazy_paths(start, hops, None, mentions, kinds)
    assert isinstance(lazy, Found)
    assert len(lazy) == len(eager)
    assert lazy == eager and eager == lazy and not (lazy != eager)
    assert list(lazy) == eager and lazy[:] == eager
    assert [lazy[i] for i in range(-len(eager), len(eager))] == eager + eager
    low = data.draw(st.none() | st.integers(-len(eager) - 2, len(eager) + 2))
    high = data.draw(st.none() | st.integers(-len(eager) - 2, len(eager) + 2))
    step = data.draw(st.none() | st.sampled_from([1, 2, -1]))
    assert lazy[low:high:step] == eager[low:high:step]
    with pytest.raises(IndexError):
        lazy[len(eager)]
    assert [(n, d, path_of(n)) for n, d in lazy] == kg.within_paths(start, hops, None,
                                                                     mentions, kinds)
    if eager:
        assert lazy != eager[:-1] and lazy != [*eager[:-1], (eager[-1][0], eager[-1][1] + 1)]


@pytest.mark.parametrize("phrase", [["facial recognition"], ("facial",), 5, b"facial"])
def test_a_mentions_phrase_that_is_no_str_is_refused_saying_so(corpus, phrase):
    # A list of phrases (as a notebook user may pass) raised AttributeError: 'list' object
    # has no attribute 'isascii', from deep inside the tokenizer.
    for walk_from in (corpus.within, corpus.within_paths):
        with pytest.raises(TypeError, match=r"a mentions or search phrase is one str, like "
                                            rf"'facial recognition'; got {type(phrase).__name__} "):
            walk_from(SEED, hops=2, mentions=phrase)
