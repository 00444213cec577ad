"""Storyline ids named after their central story, stable across changes.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

import graph
from schema.query import execute

# -- a storyline id held across a change -------------------------------------------------------

def story_of(ref: str) -> str:
    return f'{{ node(id: "{ref}") {{ ... on Storyline {{ id size central {{ id }} }} }} }}'


def _member(root: Path, slug: str, topic: str) -> None:
    (root / f"{slug}.md").write_text(
        f"---\ntitle: {topic} story {slug}\nwebUrl: https://{topic}.example/{slug}\n"
        f"publishedDateTime: 2024-01-01T00:00:00Z\ntopics: [{topic}]\n---\n", encoding="utf-8")


def test_a_storyline_id_names_the_same_storyline_after_a_change(tmp_path):
    # Ids were positions by size ("storyline:1" the largest): a story joining a smaller
    # storyline made it the largest, and a client holding "storyline:1" for the old
    # largest was given the other storyline.
    for i in range(3):
        _member(tmp_path, f"a{i}", "alpha")
    for i in range(2):
        _member(tmp_path, f"b{i}", "beta")
    live = graph.follow(tmp_path)
    held = {}
    for letter, topic in (("a", "alpha"), ("b", "beta")):
        url = f"https://{topic}.example/{letter}0"
        answer = execute(live.current(), f'{{ article(url: "{url}") '
                                         "{ storyline { id central { id } } } }")
        held[letter] = answer["data"]["article"]["storyline"]
    assert held["a"]["id"] != held["b"]["id"]
    for i in range(2, 5):
        _member(tmp_path, f"b{i}", "beta")
    live.apply([tmp_path / f"b{i}.md" for i in range(2, 5)])
    answers = {}
    for letter, storyline in held.items():
        answer = execute(live.current(), story_of(storyline["id"]))
        assert "errors" not in answer, answer
        answers[letter] = answer["data"]["node"]
    # The storyline no story joined keeps its id; the one that grew is itself, or (its
    # centre moved to a story that joined it) null: never the other one.
    assert answers["a"] is not None and answers["a"]["central"] == held["a"]["central"]
    assert answers["a"]["size"] == 3
    assert answers["b"] is None or answers["b"]["central"] == held["b"]["central"]


@pytest.mark.parametrize("ref", ["storyline:abc", "storyline:-1", "storyline:3",
                                 "storyline:99999999999999999999999"])
def test_a_malformed_storyline_id_is_an_error_not_null(sample_kg, ref):
    # "storyline:abc" answered null, as an unknown id does: a typo looked like a storyline
    # that was gone.
    answer = execute(sample_kg, story_of(ref))
    [error] = answer["errors"]
    assert f"malformed id {ref!r}" in error["message"], error
    assert "storyline:<16 hex digits>" in error["message"], error
