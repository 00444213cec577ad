"""The graph's lookups by URL, domain, name and reference take text: anything else is a
clear TypeError naming what was given, not an AttributeError from deep inside."""

from __future__ import annotations

import pytest

import graph


@pytest.fixture(scope="module")
def kg():
    return graph.load("data")


@pytest.mark.parametrize("method", ["article", "provider", "topic", "resolve"])
@pytest.mark.parametrize("value", [None, 42, b"https://example.com/x", ["a"]])
def test_a_lookup_of_something_not_text_is_a_clear_type_error(kg, method, value):
    with pytest.raises(TypeError) as caught:
        getattr(kg, method)(value)
    assert f"kg.{method}" in str(caught.value)
    assert type(value).__name__ in str(caught.value)


def test_lookups_of_text_answer_as_before(kg):
    some = next(n for n, d in kg.nx.nodes(data=True) if d.get("kind") == "article")
    assert kg.article(some) == some
    assert kg.article("https://nowhere.invalid/none") is None
    assert kg.topic("no such topic at all") is None


# What a notebook tries first.
SCHOOL = ("https://www.sixthtone.com/news/1009712/"
          "chinese-school-faces-backlash-over-use-of-facial-recognition-scanners")


def test_a_node_asked_for_by_its_url_says_which_id_it_has(kg):
    with pytest.raises(graph.NodeNotFound) as caught:
        kg[SCHOOL]
    message = str(caught.value)
    assert message == (f"no node {SCHOOL!r}: that is an article's URL; its node is "
                       f"'article:{SCHOOL}' (kg[kg.article(url)])")
    with pytest.raises(graph.NodeNotFound, match=r"expected a node id such as 'article:<url>'"):
        kg["Computer Vision"]


def test_one_edge_kind_may_be_given_as_text(kg):
    start = kg.article(SCHOOL)
    assert kg.within(start, hops=2, via="RELATED") == kg.within(start, hops=2, via=["RELATED"])
    assert kg.within(start, hops=1, via="tagged", kinds="topic") == \
        kg.within(start, hops=1, via=["TAGGED"], kinds=["topic"])


def test_a_graph_iterates_over_its_node_ids_as_networkx_does(kg):
    assert list(kg) == list(kg.nx)
    assert all(node in kg for node in kg)


# An id in another spelling after its prefix, as node(id:) takes it: a user's hand-written
# 'article:' + the URL they have (a tracking parameter, an http form), 'provider:' + a
# www. form or URL. GraphQL answered them; kg.article, kg.provider and kg.resolve gave
# None or NodeNotFound.
PROVIDER = "provider:sixthtone.com"


@pytest.mark.parametrize(("method", "ref", "want"), [
    ("article", f"article:{SCHOOL}?utm_source=newsletter", f"article:{SCHOOL}"),
    ("article", f"article:{SCHOOL.replace('https://www.', 'http://WWW.')}/", f"article:{SCHOOL}"),
    ("resolve", f"article:{SCHOOL}?utm_source=newsletter", f"article:{SCHOOL}"),
    ("provider", "provider:WWW.SixthTone.com", PROVIDER),
    ("provider", "provider:https://www.sixthtone.com/news/1", PROVIDER),
    ("resolve", "provider:WWW.SixthTone.com", PROVIDER),
    ("resolve", "topic:Computer Vision", "topic:computer-vision"),
])
def test_an_id_in_another_spelling_after_its_prefix_is_found_as_node_id_finds_it(
        kg, method, ref, want):
    assert getattr(kg, method)(ref) == want


@pytest.mark.parametrize(("method", "ref"), [
    ("article", "provider:sixthtone.com"), ("provider", f"article:{SCHOOL}"),
    ("article", "article:https://nowhere.invalid/x"), ("provider", "provider:nowhere.invalid"),
    ("article", "article:not a url"), ("provider", "provider:"),
])
def test_an_id_of_another_kind_or_of_nothing_is_none(kg, method, ref):
    assert getattr(kg, method)(ref) is None
