"""A document's validation stops at the request's deadline (issue 12, item 2).

graphql-core's OverlappingFieldsCanBeMerged compares the fields of one response name two
by two: 150 of them was ~11,000 comparisons, a fifth of a second of one thread that the
deadline used to be unable to stop (fragments spread beside a conflict, here).
These tests count the comparisons made after the deadline passed (a clock that jumps
past it), not seconds.
"""

from __future__ import annotations

from typing import Any

import pytest

from schema.cost import RequestBudget
from schema.limits import DEFAULT_SETTINGS
from schema.query import schema

FRAGMENTS = 70
# A new text for each test (validations are cached by document). Fields of one head or
# of one shape are compared once, and conflicts only until the error limit
# (schema/validation.py), so what is left to compare pair by pair within the 1,000 tokens
# is fragments beside a conflict: the conflict makes the document validated whole, where
# graphql-core compares every two of the 70 fragments spread in one selection set.
_PICKS = ("edges nodes", "nodes edges", "articles", "topics providers")
_TEXT = ("{ " + " ".join(f"...F{i}" for i in range(FRAGMENTS))
         + ' a: stats { edges } a: article(url: "x") { title } } '
         + " ".join(f"fragment F{i} on Query {{ stats {{ {_PICKS[i % 4]} }} }}"
                    for i in range(FRAGMENTS)))
PAIRS = FRAGMENTS * (FRAGMENTS - 1) // 2


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
    # With time, the same document validates whole: graphql-core's errors, every pair.
    second = _run(sample_kg, text, planned, _Jumping())
    assert second.data is None
    assert "Fields 'a' conflict because 'stats' and 'article' are different fields" in \
        second.errors[0].message
    assert comparisons[0] >= PAIRS
