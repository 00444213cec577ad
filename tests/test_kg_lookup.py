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
