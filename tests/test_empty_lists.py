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
