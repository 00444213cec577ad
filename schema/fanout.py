"""The fields a document holds once its fragments are spread in, bounded.

A fragment may be spread many times, and may spread others: twenty fragments that each
spread the next twice hold 2**20 fields in a few hundred bytes, within every token,
depth and alias limit. Strawberry's depth and alias rules and the objects estimate
(schema/cost.py) walk every spread copy, so such a document held a worker thread for as
long as 2**n steps take: hours, past any deadline, which cannot stop a validation.

:class:`ExpandedFieldsLimit` counts the expanded fields in one pass over the document,
each fragment counted once and remembered, and refuses a document past
:data:`MAX_EXPANDED_FIELDS`; :func:`guarded` makes a rule that walks spreads do nothing
for such a document, so it is refused by this rule alone.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ASTValidationRule, ValidationContext

__all__ = ["MAX_EXPANDED_FIELDS", "ExpandedFieldsLimit", "expanded_fields", "guarded"]

# A Relay page of a few fragments expands to hundreds; the objects limit (20,000) is
# reached by page sizes long before a legitimate document holds this many fields.
MAX_EXPANDED_FIELDS = 10_000


def expanded_fields(document: DocumentNode) -> int:
    """Return how many fields the operations of ``document`` hold with every fragment
    spread in (a spread of an unknown fragment, or one within itself, counts nothing:
    validation reports those)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}
    return sum(_size(d.selection_set, frozenset(), fragments, sizes)
               for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _size(selections: SelectionSetNode | None, inside: frozenset[str],
          fragments: dict[str, FragmentDefinitionNode], sizes: dict[str, int]) -> int:
    """The fields of ``selections`` with the fragments it spreads (those ``inside``, the
    ones it stands in, count nothing), each fragment's size kept in ``sizes``. (A
    function of the module: a closure calling itself is a cycle, one a document.)"""
    total = 0
    for selection in selections.selections if selections is not None else ():
        if isinstance(selection, FieldNode):
            total += 1 + _size(selection.selection_set, inside, fragments, sizes)
        elif isinstance(selection, InlineFragmentNode):
            total += _size(selection.selection_set, inside, fragments, sizes)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in sizes and name in fragments and name not in inside:
                sizes[name] = _size(fragments[name].selection_set, inside | {name},
                                    fragments, sizes)
            total += sizes.get(name, 0)
    return total


def _too_wide(document: DocumentNode) -> int | None:
    try:
        found = expanded_fields(document)
    except RecursionError:  # nesting the parser's token limit let through: refuse it
        return MAX_EXPANDED_FIELDS + 1
    return found if found > MAX_EXPANDED_FIELDS else None


def _spreads_unknown(document: DocumentNode) -> bool:
    """Whether ``document`` spreads a fragment it does not define."""
    defined = {d.name.value for d in document.definitions
               if isinstance(d, FragmentDefinitionNode)}
    stack: list[SelectionSetNode] = [d.selection_set for d in document.definitions
                                     if isinstance(d, OperationDefinitionNode
                                                   | FragmentDefinitionNode)]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                if selection.name.value not in defined:
                    return True
            elif isinstance(selection, FieldNode | InlineFragmentNode) \
                    and selection.selection_set is not None:
                stack.append(selection.selection_set)
    return False


class ExpandedFieldsLimit(ASTValidationRule):
    """Refuse a document holding more than :data:`MAX_EXPANDED_FIELDS` fields once its
    fragments are spread in."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        found = _too_wide(context.document)
        if found is not None:
            context.report_error(GraphQLError(
                f"the document holds {found:,} fields once its fragments are spread in "
                f"(a fragment spread twice counts twice): at most {MAX_EXPANDED_FIELDS:,} "
                "are allowed; spread each fragment fewer times",
                extensions={"code": "LIMIT_EXCEEDED", "limit": "maxExpandedFields",
                            "max": MAX_EXPANDED_FIELDS}))


def guarded(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """Return ``rule`` made to do nothing for a document :class:`ExpandedFieldsLimit`
    refuses (its walk over every spread copy is what that limit prevents), or that
    spreads a fragment it does not define (graphql-core's KnownFragmentNames names it;
    Strawberry's depth rule looked it up and raised ``KeyError``)."""

    class Guarded(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext, *args: Any, **kwargs: Any):
            if _too_wide(context.document) is not None \
                    or _spreads_unknown(context.document):
                ASTValidationRule.__init__(self, context)
                return
            super().__init__(context, *args, **kwargs)

    Guarded.__name__ = Guarded.__qualname__ = rule.__name__
    return Guarded
