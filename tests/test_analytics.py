"""Per-load analytics (graph.analytics) on the crafted corpus tests/fixtures/explore.

See tests/explore_corpus.py for the corpus drawn by hand. The article graph it gives:
ALPHA–BETA (related 1 + privacy 1), ALPHA–COPY (same story 1 + cameras 1),
BETA–GAMMA (related 1), RAIN–FARMERS (related 1 + weather 1); LONELY alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from explore_corpus import (
    ALPHA,
    BETA,
    COPY,
    EXPLORE,
    FARMERS,
    GAMMA,
    LONELY,
    P1,
    P2,
    P3,
    P4,
    RAIN,
    write_md,
)

import graph
from graph.analytics import HUB_TOPIC_ARTICLES, story_key, storyline_id


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


def test_analytics_are_computed_once_per_load(kg):
    assert kg.analytics is kg.analytics
    assert kg.analytics.storylines is kg.analytics.storylines
    assert kg.analytics.timeline("DAY") is kg.analytics.timeline("DAY")


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Oregon agency defends use of facial recognition tech but has alternatives",
     "Oregon agency defense use of facial recognition tech but has alternatives", True),
    ("Alpha city bans face scanners", "ALPHA CITY BANS FACE-SCANNERS!", True),
    ("Alpha city bans face scanners", "Alpha city bans face scanners again", False),
    ("Covid cases rise 5%", "Covid cases rise 6%", False),
])
def test_story_key(a, b, same):
    assert (story_key(a) == story_key(b)) is same


def test_short_titles_have_no_story_key():
    assert story_key("Weather today") is None


def test_same_story_links_copies_from_different_providers(kg):
    assert kg.analytics.same_story == {ALPHA: (COPY,), COPY: (ALPHA,)}
    assert kg.analytics.same_story_edges() == [(ALPHA, COPY)]


def test_same_story_needs_different_providers(tmp_path: Path):
    for name, host in (("a", "one.example"), ("b", "one.example"), ("c", "two.example")):
        write_md(tmp_path, f"{name}.md", {"title": "Markets close higher on Friday",
                                             "webUrl": f"https://{host}/{name}"})
    kg = graph.load(tmp_path)
    a, b, c = (f"article:https://{h}/{n}" for n, h in (("a", "one.example"),
                                                       ("b", "one.example"),
                                                       ("c", "two.example")))
    assert kg.analytics.same_story == {a: (c,), b: (c,), c: (a, b)}
    # a derived kind: the stored graph and its counts do not change
    assert kg.report.edges == {"RELATED": 0, "PUBLISHED_BY": 3, "TAGGED": 0}


def test_article_graph_weights(kg):
    ag = kg.analytics.article_graph
    assert {tuple(sorted(e)): w for *e, w in ag.edges(data="weight")} == {
        (ALPHA, BETA): 2.0, (ALPHA, COPY): 2.0, (BETA, GAMMA): 1.0, (RAIN, FARMERS): 2.0}
    assert LONELY in ag and ag.degree(LONELY) == 0


def test_shared_topics_weigh_one_over_n_minus_one(tmp_path: Path):
    for i in range(4):
        write_md(tmp_path, f"s{i}.md", {"title": f"Story {i}", "topics": ["Wide"],
                                            "webUrl": f"https://x.example/s{i}"})
    ag = graph.load(tmp_path).analytics.article_graph
    assert ag.number_of_edges() == 6
    assert {round(w, 6) for *_, w in ag.edges(data="weight")} == {round(1 / 3, 6)}


def test_a_broad_topic_joins_each_story_to_its_nearest_in_time(tmp_path: Path):
    for i in range(8):  # published on days 1..8, written in another order
        write_md(tmp_path, f"s{(i * 5) % 8}.md", {
            "title": f"Story {i}", "topics": ["Wide"], "webUrl": f"https://x.example/{i}",
            "publishedDateTime": f"2022-03-0{i + 1}T00:00:00Z"})
    ag = graph.load(tmp_path).analytics.article_graph
    pairs = {tuple(sorted(int(n.rsplit("/", 1)[1]) for n in e)) for e in ag.edges}
    assert pairs == {(i, j) for i in range(8) for j in range(i + 1, min(i + 4, 8))}
    assert {round(w, 6) for *_, w in ag.edges(data="weight")} == {round(1 / 6, 6)}
    # an inner story draws weight 1 from the topic
    assert ag.degree("article:https://x.example/4", weight="weight") == pytest.approx(1.0)


def test_hub_topics_join_no_pairs(tmp_path: Path):
    n = HUB_TOPIC_ARTICLES + 1
    for i in range(n):
        write_md(tmp_path, f"{i}.md", {"title": f"Story {i}", "topics": ["Everything"],
                                       "webUrl": f"https://x.example/{i}"})
    kg = graph.load(tmp_path)
    assert kg.analytics.article_graph.number_of_edges() == 0
    assert kg.analytics.storylines == []


def test_storylines(kg):
    first, second = kg.analytics.storylines
    assert first.id == storyline_id(first.central) != second.id == storyline_id(second.central)
    assert first.articles == (ALPHA, COPY, BETA, GAMMA)
    assert first.size == 4
    assert first.central == ALPHA
    assert first.topics == (("topic:cameras", 2), ("topic:privacy", 2))
    assert first.providers == ((P2, 2), (P1, 1), (P3, 1))
    assert first.starts_at == datetime(2022, 1, 3, 9, tzinfo=UTC)
    assert first.ends_at == datetime(2022, 2, 1, tzinfo=UTC)  # GAMMA, a dated stub
    assert second.articles == (RAIN, FARMERS)
    assert second.central == RAIN  # a tie of PageRank goes to the smaller id
    assert kg.analytics.storyline_of[BETA] is first
    assert LONELY not in kg.analytics.storyline_of  # a storyline has two stories at least


def test_storylines_are_the_same_on_every_load():
    ids = [[s.articles for s in graph.load(EXPLORE).analytics.storylines] for _ in range(3)]
    assert ids[0] == ids[1] == ids[2]


def test_pagerank_orders_central_articles(kg):
    rank = kg.analytics.pagerank
    assert abs(sum(rank.values()) - 1) < 1e-9
    assert kg.analytics.central_articles == (ALPHA, BETA, RAIN, FARMERS, COPY, GAMMA, LONELY)
    assert rank[RAIN] == rank[FARMERS]


def test_co_topics_with_jaccard_weights(kg):
    co = kg.analytics.co_topics
    assert co["topic:privacy"] == [("topic:cameras", 1, round(1 / 3, 6))]
    assert co["topic:weather"] == [("topic:farming", 1, 0.5)]
    assert "topic:nothing" not in co


def test_provider_overlap(kg):
    overlap = kg.analytics.provider_overlap
    assert overlap[P1] == ((P2, 1, 1, 1.0), (P3, 1, 0, 0.5))
    assert overlap[P4] == ((P3, 1, 0, 0.5),)
    assert overlap[P3] == ((P1, 1, 0, 0.5), (P2, 1, 0, 0.5), (P4, 1, 0, 0.5))


@pytest.mark.parametrize(("interval", "expected"), [
    ("MONTH", [("2021-12", 1), ("2022-01", 3), ("2022-02", 1), ("2022-03", 2)]),
    ("WEEK", [("2021-W52", 1), ("2022-W01", 2), ("2022-W02", 1), ("2022-W03", 0),
              ("2022-W04", 0), ("2022-W05", 1), ("2022-W06", 0), ("2022-W07", 0),
              ("2022-W08", 0), ("2022-W09", 0), ("2022-W10", 0), ("2022-W11", 2)]),
])
def test_timeline_buckets(kg, interval, expected):
    buckets = kg.analytics.timeline(interval)
    assert [(b.label, b.count) for b in buckets] == expected
    assert all(a.end == b.start for a, b in zip(buckets, buckets[1:], strict=False))


def test_timeline_days_and_bounds(kg):
    days = kg.analytics.timeline("DAY", among=[ALPHA, COPY, BETA])
    assert [(b.label, b.count) for b in days][:2] == [("2022-01-03", 1), ("2022-01-04", 1)]
    assert len(days) == 8 and days[-1].label == "2022-01-10"
    week = kg.analytics.timeline("WEEK")[0]
    assert (week.start, week.end) == (datetime(2021, 12, 27, tzinfo=UTC),
                                      datetime(2022, 1, 3, tzinfo=UTC))
    assert kg.analytics.timeline("MONTH", among=[]) == []
    with pytest.raises(graph.InvalidArgument, match="expected one of DAY, WEEK, MONTH"):
        kg.analytics.timeline("YEAR")


def test_central_gives_each_article_with_its_pagerank(kg):
    pairs = kg.analytics.central()
    assert [a for a, _ in pairs] == list(kg.analytics.central_articles)
    assert pairs == [(a, kg.analytics.pagerank[a]) for a in kg.analytics.central_articles]
    scores = [score for _, score in pairs]
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1) < 1e-9


def test_storylines_at_resolution_one_are_the_served_storylines(kg):
    at_one = kg.analytics.storylines_at(1.0)
    assert at_one == kg.analytics.storylines
    assert at_one is not kg.analytics.storylines_at(1.0)  # computed afresh, kept nowhere


def test_a_higher_resolution_splits_storylines_and_reports_each_level(kg):
    heard: list[str] = []
    split = kg.analytics.storylines_at(2.0, progress=heard.append)
    # The storyline of ALPHA, COPY, BETA and GAMMA, cut in two.
    assert {s.articles for s in split} == {(ALPHA, COPY), (BETA, GAMMA), (RAIN, FARMERS)}
    assert [s.id for s in split] == [storyline_id(s.central) for s in split]
    assert heard and all(line.startswith("storylines: Louvain level ") for line in heard)
    assert [s.size for s in kg.analytics.storylines_at(0.5)] == [4, 2]
    assert kg.analytics.storylines_at(10.0) == []  # every story its own community


@pytest.mark.parametrize("resolution", [0, -1.0, float("nan"), float("inf"), "2", True, None])
def test_a_resolution_that_is_not_a_positive_number_is_refused(kg, resolution):
    with pytest.raises(graph.InvalidArgument, match="resolution must be a positive"):
        kg.analytics.storylines_at(resolution)
