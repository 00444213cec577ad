"""An empty list where a filter takes several values — ``kinds: []``, ``topics: []``,
``providers: []`` — is refused, as ``via: []`` is: it matched nothing, unsaid (a form
whose checkboxes were all cleared sent it, and was told "0 results").

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

import pytest

import graph
from graph.select import Selection
from schema.query import execute

START = "article:https://council.example/ordinance"

EMPTY = {
    "within kinds": f'{{ within(from: "{START}", kinds: []) {{ totalCount }} }}',
    "neighborhood kinds": f'{{ neighborhood(from: ["{START}"], kinds: []) {{ truncated }} }}',
    "within topics": f'{{ within(from: "{START}", where: {{topics: []}}) {{ totalCount }} }}',
    "within providers": f'{{ within(from: "{START}", where: {{providers: []}}) '
                        '{ totalCount } }',
    "articles topics": "{ articles(where: {topics: []}) { totalCount } }",
    "articles providers": "{ articles(where: {providers: []}) { totalCount } }",
}


@pytest.mark.parametrize("case", EMPTY)
def test_an_empty_list_in_a_filter_is_refused_saying_what_to_give(sample_kg, case):
    answer = execute(sample_kg, EMPTY[case])
    assert answer.get("data") is None, answer
    [error] = answer["errors"]
    name = case.split()[1]
    assert error["message"].startswith(f"{name} is empty: give at least one"), error
    assert f"or leave {name} out" in error["message"], error
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_python_api_refuses_them_too(sample_kg):
    with pytest.raises(graph.InvalidArgument, match="kinds is empty"):
        sample_kg.within(START, kinds=[])
    with pytest.raises(graph.InvalidArgument, match="topics is empty"):
        Selection(topics=())
    with pytest.raises(graph.InvalidArgument, match="providers is empty"):
        Selection(providers=())


def test_a_list_with_items_or_none_still_filters(sample_kg):
    some = execute(sample_kg, '{ articles(where: {topics: ["ai"]}) { totalCount } }')
    every = execute(sample_kg, "{ articles { totalCount } }")
    assert 0 < some["data"]["articles"]["totalCount"] < every["data"]["articles"]["totalCount"]
    assert sample_kg.within(START, kinds=["topic"])


@pytest.mark.parametrize("written", ["", "   "])
def test_an_empty_category_filter_is_refused(sample_kg, written):
    # `category: ""` kept the articles with no category, and "   " none: neither said so.
    answer = execute(sample_kg, "query($c: String) { articles(where: {category: $c}) "
                                "{ totalCount } }", {"c": written})
    [error] = answer["errors"]
    assert error["message"] == ("category is empty: give one, like 'news', or leave category "
                                "out"), error


def test_a_category_filter_is_read_without_the_spaces_around_it(sample_kg):
    # as a record's category is (graph/build.py)
    def count(category: str) -> int:
        answer = execute(sample_kg, "query($c: String) { articles(where: {category: $c}) "
                                    "{ totalCount } }", {"c": category})
        return answer["data"]["articles"]["totalCount"]

    assert count("news") > 0
    assert count("  News ") == count("news")
