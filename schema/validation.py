"""Validation that stops at the request's deadline.

graphql-core's OverlappingFieldsCanBeMerged compares the fields of one response name
two by two, inside one call per selection set: 150 fields of one name within every
token limit (`{ stats { edges nodes } stats { edges nodes } … }`, 3.3 KB) is ~11,000
comparisons and ~0.2 s of one thread, which no check between fields could stop.
graphql-core 3.3 counts each comparison against a complexity budget (``RuleContext.
remaining_complexity_budget``, spent two units a pair); :class:`OverlappingFieldsRule`
reads the request's deadline every :data:`CHECK_EVERY` units of it, through
:meth:`graph.budget.Budget.check_time` (which also paces a long validation through the
lane, schema/lanes.py), and raises ``BudgetExceeded`` once it has passed.

The walks' budget reaches the rule through :func:`deadline_of_validation`, set for the
duration of one validation (rules are classes that graphql-core instantiates, with no
request at hand); outside one, the rule is graphql-core's own. A validation stopped so
is not cached (schema/cache.py): the next request validates the document again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from graphql.validation import OverlappingFieldsCanBeMergedRule, ValidationContext
from graphql.validation.rules.overlapping_fields_can_be_merged import RuleContext

from graph.budget import Budget

__all__ = ["CHECK_EVERY", "OverlappingFieldsRule", "deadline_of_validation", "timed_rules"]

# Units of graphql-core's complexity budget between two readings of the clock: 128 field
# comparisons, ~2 ms of the worst document's work.
CHECK_EVERY = 256

_WALKS: ContextVar[Budget | None] = ContextVar("newsgraph_validation_walks", default=None)


@contextlib.contextmanager
def deadline_of_validation(walks: Budget | None) -> Iterator[None]:
    """Let the validations run inside this block stop at ``walks``' deadline."""
    token = _WALKS.set(walks)
    try:
        yield
    finally:
        _WALKS.reset(token)


class _TimedRuleContext(RuleContext):
    """graphql-core's rule state, whose complexity budget reads the deadline as it is
    spent."""

    def __init__(self, walks: Budget) -> None:
        self._walks = walks
        self._next_check = float("inf")
        super().__init__()

    @property
    def remaining_complexity_budget(self) -> int:
        return self._remaining

    @remaining_complexity_budget.setter
    def remaining_complexity_budget(self, value: int) -> None:
        self._remaining = value
        if value <= self._next_check:
            self._next_check = value - CHECK_EVERY
            self._walks.check_time()


class OverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's OverlappingFieldsCanBeMerged, stopped by the deadline of the
    validation it runs in (:func:`deadline_of_validation`) with ``BudgetExceeded``."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        walks = _WALKS.get()
        if walks is not None:
            self.rule_context = _TimedRuleContext(walks)


def timed_rules(rules: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return ``rules`` with graphql-core's OverlappingFieldsCanBeMerged replaced by
    :class:`OverlappingFieldsRule` (the same answers; it stops at the deadline)."""
    return tuple(OverlappingFieldsRule if rule is OverlappingFieldsCanBeMergedRule else rule
                 for rule in rules)
