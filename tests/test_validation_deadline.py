"""A document's validation stops at the request's deadline (issue 12, item 2).

graphql-core's OverlappingFieldsCanBeMerged compares the fields of one response name two
by two: 150 of them was ~11,000 comparisons, a fifth of a second of one thread that the
deadline used to be unable to stop (75 fragments of one field each, here, are 2,775).
These tests count the comparisons made after the deadline passed (a clock that jumps
past it), not seconds.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest

from schema.cost import RequestBudget
from schema.limits import DEFAULT_SETTINGS
from schema.query import schema

FIELDS = 75
# A new text for each test (validations are cached by document). Fields of one head in
# one selection set are compared once, whatever they select (schema/validation.py), so
# each `stats` stands in a fragment of its own, two of six counts in every order: the
# rule compares the fragments two by two (977 tokens, under the 1,000 allowed).
_SIX = ("records", "articles", "stubs", "providers", "topics", "nodes")
_PICKS = [*permutations(_SIX, 2)] * 3
_TEXT = ("{ " + " ".join(f"...F{i}" for i in range(FIELDS)) + " } " + " ".join(
    f"fragment F{i} on Query {{ stats {{ {' '.join(p)} }} }}"
    for i, p in enumerate(_PICKS[:FIELDS])))
PAIRS = FIELDS * (FIELDS - 1) // 2


class _Jumping:
    """A clock that reads 0 until told to jump, then far past any deadline."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(sample_kg: Any, text: str, planned: bool, clock: Any) -> Any:
    budget = RequestBudget(DEFAULT_SETTINGS, clock=clock)
    context: dict[str, Any] = {"kg": sample_kg, "budget": budget}
    if not planned:
        context["planned"] = False  # Strawberry's pipeline, its extensions' hooks
    return schema.execute_sync(text, context_value=context)


@pytest.mark.parametrize("planned", [True, False], ids=["pipeline", "extensions"])
def test_a_validation_past_its_deadline_stops_and_answers_the_timeout(
        sample_kg, comparisons, planned):
    text = _TEXT + f" # {planned}"
    clock = _Jumping()
    budget_made = RequestBudget(DEFAULT_SETTINGS, clock=clock)  # the deadline: 10 s from 0
    assert budget_made.walks.deadline is not None
    clock.now = 1e6  # every reading from now on is past the deadline
    context: dict[str, Any] = {"kg": sample_kg, "budget": budget_made}
    if not planned:
        context["planned"] = False
    result = schema.execute_sync(text, context_value=context)
    assert result.data is None
    assert [e.extensions["limit"] for e in result.errors] == ["timeout"]
    assert "ran past its time limit" in result.errors[0].message
    # Stopped at its first look at the clock: a few hundred comparisons at most, not all.
    assert comparisons[0] < PAIRS // 10


@pytest.mark.parametrize("planned", [True, False], ids=["pipeline", "extensions"])
def test_a_stopped_validation_is_not_remembered(sample_kg, comparisons, planned):
    text = _TEXT + f" # again {planned}"
    late = _Jumping()
    late.now = 0.0
    budget = RequestBudget(DEFAULT_SETTINGS, clock=late)
    late.now = 1e6
    context: dict[str, Any] = {"kg": sample_kg, "budget": budget}
    if not planned:
        context["planned"] = False
    first = schema.execute_sync(text, context_value=context)
    assert [e.extensions["limit"] for e in first.errors] == ["timeout"]
    # With time, the same document validates whole and answers.
    second = _run(sample_kg, text, planned, _Jumping())
    assert second.errors is None
    assert len(second.data["stats"]) == len(_SIX)
    assert comparisons[0] >= PAIRS
