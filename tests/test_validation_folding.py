"""A field repeated word for word in one selection set is compared with the others once,
not once a copy: graphql-core's OverlappingFieldsCanBeMerged compares the fields of one
response name two by two, and 150 copies of one field (the noisy benchmark's big
document) were ~11,000 comparisons whose hundreds of thousands of objects every full
collection meanwhile scanned, holding every request (serve36). Copies are exactly alike,
so they merge with each other when the one kept merges with itself; a document whose
copies do not is validated whole, as before. The errors are graphql-core's, document by
document; comparisons are counted, not timed."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import specified_rules
from graphql.validation.rules import overlapping_fields_can_be_merged as overlapping
from strawberry.schema.schema import validate_document

from schema.cache import parsed, validation_errors
from schema.codes import GRAPHQL_VALIDATION_FAILED, with_code
from schema.limits import DEFAULT_SETTINGS, validation_rules
from schema.query import schema
from schema.validation import folded, timed_rules

RULES = (*specified_rules, *validation_rules(DEFAULT_SETTINGS))
COPIES = "{ " + "stats { edges nodes } " * 150 + "}"

DOCUMENTS = [
    COPIES,
    "{ stats { edges } stats { edges } stats { nodes } }",
    # copies whose own fields conflict: within each, and between any two
    "{ stats { a: edges a: nodes } stats { a: edges a: nodes } }",
    # a field of the name that is not a copy, and conflicts
    '{ stats { edges } stats: article(url: "x") { title } stats { edges } }',
    '{ a: article(url: "x") { title } a: article(url: "y") { title } '
    'a: article(url: "x") { title } }',
    "{ stats { nope } stats { nope } }",
    "{ stats { edges edges nodes } stats { edges edges nodes } }",
    "query Q { ...F ...F stats { edges } stats { edges } } fragment F on Query { stats { edges } "
    "stats { edges } }",
    "query Q { ...on Query { stats { edges } stats { edges } } stats { a: edges } "
    "stats { a: nodes } }",
    '{ stats { edges } stats @include(if: true) { edges } stats { edges } }',
    '{ stats { edges } stats {edges}  stats @include(if: false) { edges } '
    'stats @include(if: false) {edges} }',
    'query Q($u: String!) { a: article(url: $u) { title } a: article(url: $u) { title } '
    'a: article(url: "z") { title } }',
]


def _shown(errors: list[Any]) -> list[Any]:
    return [e.formatted for e in errors]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_errors_are_graphql_cores(text):
    document = parsed(text, 100_000)
    standard = with_code(validate_document(schema._schema, document, timed_rules(RULES)),
                         GRAPHQL_VALIDATION_FAILED)
    assert _shown(validation_errors(schema._schema, document, RULES)) == _shown(standard)


def test_copies_are_folded_and_what_is_not_a_copy_is_kept():
    document = parsed("{ stats { edges edges nodes } stats { edges edges nodes } "
                      "stats { nodes } }", 1000)
    fields = folded(document).definitions[0].selection_set.selections
    assert [len(f.selection_set.selections) for f in fields] == [2, 1]
    plain = parsed("{ stats { edges nodes } stats { nodes edges } }", 1000)
    assert folded(plain) is plain
    spaced = parsed("{ stats { edges nodes } stats {edges   nodes} }", 1000)
    assert len(folded(spaced).definitions[0].selection_set.selections) == 1


def test_copies_of_one_field_are_compared_once(monkeypatch: pytest.MonkeyPatch):
    count = [0]
    real = overlapping.find_conflict

    def counted(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(overlapping, "find_conflict", counted)
    document = parsed(COPIES + " # compared once", 100_000)
    assert validation_errors(schema._schema, document, RULES) == []
    assert count[0] < 10, count[0]  # each pair of the 150: 11,175
