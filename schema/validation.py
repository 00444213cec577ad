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

Fields of one head in one selection set (the same alias, name, arguments and directives:
150 copies of ``stats { edges nodes }``, or 150 ``stats`` asking different counts) are
compared once, not pair by pair (:func:`validate`): the rule runs first over the document
with them made one field that selects all they selected (:func:`folded`), and when that
finds no conflict, the whole document has none either. The rule compares two fields of
one head by what they select, pair against pair; one field selecting all of it is
compared within that selection, the same pairs, and every other field of the response
name meets it as it met each of them. Only then do the other rules run over the whole
document alone. A document the folded check finds a
conflict in is validated whole, as graphql-core would, so its errors are the same. The
pairs were the work, and the hundreds of thousands of objects they make were scanned by
every full collection meanwhile, holding every request (serve36; fields whose selections
differ, lead36).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLError, print_ast
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule, ValidationContext
from graphql.validation.rules.overlapping_fields_can_be_merged import RuleContext
from strawberry.schema.schema import validate_document

from graph.budget import Budget

__all__ = ["CHECK_EVERY", "OverlappingFieldsRule", "deadline_of_validation", "timed_rules",
           "folded", "validate"]

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


def validate(schema: Any, document: DocumentNode, rules: tuple[Any, ...]
             ) -> list[GraphQLError]:
    """Return the errors of ``document`` under ``rules`` (graphql-core's, in its order),
    comparing the copies of a field once (see the module docstring)."""
    few = folded(document)
    if few is document or OverlappingFieldsRule not in rules:
        return validate_document(schema, document, rules)
    if validate_document(schema, few, (OverlappingFieldsRule,)):
        return validate_document(schema, document, rules)
    return validate_document(schema, document,
                             tuple(r for r in rules if r is not OverlappingFieldsRule))


def folded(document: DocumentNode) -> DocumentNode:
    """Return ``document`` with the fields of one head in a selection set (the same
    alias, name, arguments and directives, however spaced) made one, selecting what they
    all selected, folded again within; the document itself when no two share a head."""
    definitions = []
    changed = False
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode):
            inner = _folded_set(d.selection_set)
            if inner is not d.selection_set:
                d = _with(d, inner)
                changed = True
        definitions.append(d)
    return DocumentNode(definitions=tuple(definitions), loc=document.loc) if changed \
        else document


def _folded_set(selection_set: SelectionSetNode) -> SelectionSetNode:
    kept: list[Any] = []
    heads: dict[Any, int] = {}  # a field's head -> where in `kept` its first one stands
    merged: dict[int, list[Any]] = {}  # there -> the selections of all its fields
    changed = False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            head = _head(selection)
            at = heads.get(head)
            if at is not None:
                changed = True
                if selection.selection_set is not None:
                    merged.setdefault(at, list(kept[at].selection_set.selections)).extend(
                        selection.selection_set.selections)
                continue
            heads[head] = len(kept)
        kept.append(selection)
    for at, selections in merged.items():
        field = kept[at]
        kept[at] = _with(field, SelectionSetNode(selections=tuple(selections),
                                                 loc=field.selection_set.loc))
    out = []
    for selection in kept:
        if isinstance(selection, FieldNode | InlineFragmentNode) \
                and selection.selection_set is not None:
            inner = _folded_set(selection.selection_set)
            if inner is not selection.selection_set:
                selection = _with(selection, inner)
                changed = True
        out.append(selection)
    return SelectionSetNode(selections=tuple(out), loc=selection_set.loc) if changed \
        else selection_set


def _head(field: FieldNode) -> Any:
    """A field without its place in the text or what it selects: its alias, name,
    arguments and directives, and whether it selects anything. Two fields of one head
    merge when what both select merges, as one field selecting all of it."""
    return (field.alias.value if field.alias else None, field.name.value,
            tuple((a.name.value, print_ast(a.value)) for a in field.arguments or ()),
            tuple(print_ast(d) for d in field.directives or ()),
            field.selection_set is None)


def _with(node: Any, selection_set: SelectionSetNode) -> Any:
    """``node`` (frozen) made again with another selection set."""
    return type(node)(**{k: getattr(node, k) for k in node.keys if k != "selection_set"},
                      selection_set=selection_set)
