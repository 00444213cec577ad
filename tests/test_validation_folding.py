"""Fields of one head in a selection set (the same alias, name, arguments and directives)
are compared as one field selecting all they select, not two by two: graphql-core's
OverlappingFieldsCanBeMerged compares the fields of one response name pair by pair, and
150 copies of one field (the noisy benchmark's big document) were ~11,000 comparisons
whose hundreds of thousands of objects every full collection meanwhile scanned, holding
every request (serve36); so were 150 that differ in what they select (lead36). A
document the folded check finds a conflict in is validated whole, as before. The errors
are graphql-core's, document by document; comparisons are counted, not timed."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest
from graphql import specified_rules
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.schema.schema import validate_document

from schema.cache import parsed, validation_errors
from schema.codes import GRAPHQL_VALIDATION_FAILED, with_code
from schema.limits import DEFAULT_SETTINGS, validation_rules
from schema.query import schema
from schema.validation import folded

# graphql-core's rules (its own OverlappingFieldsCanBeMerged: the errors to equal) and ours.
RULES = (*specified_rules, *validation_rules(DEFAULT_SETTINGS))
COPIES = "{ " + "stats { edges nodes } " * 150 + "}"
# The noisy benchmark's "fields differing": 150 `stats` whose selections differ in order
# or in which counts they ask (bench/noisy.py), each pair compared field by field.
_COUNTS = ("records", "articles", "stubs", "providers", "topics", "nodes")
DIFFERING = "{ " + " ".join(
    f"stats {{ {' '.join(p)} }}"
    for p in [*permutations(_COUNTS, 3), *permutations(_COUNTS, 2)][:150]) + " }"

# The noisy benchmark's "fragments": 75 fragments of one `stats` each, two of six counts
# in every order, all spread in one selection set.
_PICKS = ([*permutations(_COUNTS, 2)] * 3)[:75]
FRAGMENTS = ("{ " + " ".join(f"...F{i}" for i in range(len(_PICKS))) + " } " + " ".join(
    f"fragment F{i} on Query {{ stats {{ {' '.join(p)} }} }}" for i, p in enumerate(_PICKS)))

# 55 `stats` under 55 `@include` variables (within the 1,000 tokens): 4,455 comparisons.
DIRECTED = ("query(" + ", ".join(f"$v{i}: Boolean!" for i in range(55)) + ") { " + " ".join(
    f"stats @include(if: $v{i}) {{ {'nodes edges' if i % 2 else 'edges nodes'} }}"
    for i in range(55)) + " }")

# The noisy benchmark's "conflicting": 110 `article` fields asking other URLs, every two
# conflicting; graphql-core compared all 5,995 pairs for the 100 errors it reports.
CONFLICTING = "{ " + " ".join(f'article(url: "u{i}") {{ title }}' for i in range(110)) + " }"
# One conflict beside fields the folded check folds: it sends the document to be
# validated whole, where the fields of one head were compared two by two again.
ONE_CONFLICT = ' a: stats { edges } a: article(url: "x") { title } }'
COPIES_AND_A_CONFLICT = "{ " + "stats { edges nodes } " * 148 + ONE_CONFLICT
DIFFERING_AND_A_CONFLICT = "{ " + " ".join(
    f"stats {{ {' '.join(p)} }}"
    for p in [*permutations(_COUNTS, 3), *permutations(_COUNTS, 2)][:130]) + ONE_CONFLICT

DOCUMENTS = [
    COPIES,
    CONFLICTING,
    COPIES_AND_A_CONFLICT,
    DIFFERING_AND_A_CONFLICT,
    # shapes: the same fields in another order, under inline fragments, with @stream
    "{ stats { edges nodes } stats { nodes edges } stats { nodes } a: stats { edges } "
    'a: stats { nodes edges } a: article(url: "x") { title } a: stats { edges } }',
    '{ node(id: "x") { ... on Article { t: title } ... on Topic { t: name } '
    "... on Article { t: title } ... on Topic { t: name } } }",
    "{ stats { a: edges a: nodes } stats { a: nodes a: edges } stats { a: edges a: nodes } }",
    '{ a: article(url: "x") { title } a: article(url: "x") { title } '
    'a: article(url: "y") { title } a: article(url: "x") { title } }',
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
    DIFFERING,
    # fields of one head (alias, name, arguments, directives) whose selections differ
    "{ stats { edges } stats { nodes } stats { edges nodes } }",
    "{ stats { a: edges } stats { a: nodes } }",
    "{ stats { a: edges } stats { b: nodes } stats { a: nodes } }",
    '{ a: article(url: "x") { title } a: article(url: "x") { url } }',
    '{ a: article(url: "x") { title } a: article(url: "y") { url } }',
    '{ a: article(url: "x") { t: title } a: article(url: "x") { t: url } }',
    "{ stats { edges } stats }",
    "query Q { ...F stats { nodes } } "
    "fragment F on Query { stats { a: edges } stats { a: nodes } }",
    "{ stats { edges } stats @include(if: true) { nodes } stats { a: nodes } }",
    # fragments: spread named and inline, nested, on other types, broken
    FRAGMENTS,
    DIRECTED,
    "query($a: Boolean!) { stats @include(if: $a) { x: edges } stats @skip(if: $a) "
    "{ x: nodes } }",
    "query Q { ...F ...G } fragment F on Query { stats { a: edges } } "
    "fragment G on Query { stats { a: nodes } }",
    "query Q { ...F ...F ...G } fragment F on Query { stats { edges } } "
    "fragment G on Query { stats { nodes } }",
    "{ stats { ...S } stats { ...T } } fragment S on Stats { a: edges } "
    "fragment T on Stats { a: nodes }",
    "{ stats { ...S } stats { ...S nodes } } fragment S on Stats { a: edges }",
    "query Q { ...F } fragment F on Query { stats { edges } ...F }",
    "query Q { ...F stats { a: nodes } } fragment F on Query { ...G } "
    "fragment G on Query { ...F stats { a: edges } }",
    "{ ...Nope stats { edges } stats { nodes } }",
    "{ ...F stats { edges } } fragment F on Article { title }",
    "{ ...F ...F } fragment F on Nope { stats { a: edges } stats { a: nodes } }",
    '{ node(id: "x") { ... on Article { t: title } ... on Topic { t: name } } }',
    '{ node(id: "x") { ...A ...B } } fragment A on Article { t: title } '
    "fragment B on Article { t: url }",
    '{ node(id: "x") { ...A ...B id } } fragment A on Article { t: title } '
    "fragment B on Topic { t: name }",
    '{ node(id: "x") { ... on Node { t: id } ...A } } fragment A on Article { t: title }',
    "{ ... @include(if: true) { stats { a: edges } } stats { a: nodes } }",
    "{ ... on Query { stats { a: edges } } ... { stats { a: nodes } } }",
    "query Q { ...F @include(if: true) stats { a: nodes } } "
    "fragment F on Query { stats { a: edges } }",
    "query Q { ...F ...G } fragment F on Query { stats { edges } } "
    "fragment G on Query { stats(x: 1) { edges } }",
    "query Q { ...A } " + " ".join(
        f"fragment {a} on Query {{ ...{b} ...{b} stats {{ {c}: edges }} }}"
        for a, b, c in zip("ABCDEFGHIJKLMNOP", "BCDEFGHIJKLMNOPQ", "abcdefghijklmnop",
                           strict=True))
    + " fragment Q on Query { stats { a: nodes } }",
]


def _shown(errors: list[Any]) -> list[Any]:
    return [e.formatted for e in errors]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_errors_are_graphql_cores(text):
    document = parsed(text, 100_000)
    standard = with_code(validate_document(schema._schema, document, RULES),
                         GRAPHQL_VALIDATION_FAILED)
    assert _shown(validation_errors(schema._schema, document, RULES)) == _shown(standard)


def test_fields_of_one_head_are_folded_into_one_and_what_differs_is_kept():
    # One field a head (alias, name, arguments, directives), asking what all its copies
    # asked: stats { edges nodes } for the three below.
    document = parsed("{ stats { edges edges nodes } stats { edges edges nodes } "
                      "stats { nodes } }", 1000)
    [field] = folded(document).definitions[0].selection_set.selections
    assert [f.name.value for f in field.selection_set.selections] == ["edges", "nodes"]
    plain = parsed("{ stats { edges } a: stats { nodes } "
                   'article(url: "x") { title } article(url: "y") { title } }', 1000)
    assert folded(plain) is plain
    # the rule reads no directive but @stream: fields that differ in others are one
    directed = parsed("{ stats { edges } stats @include(if: true) { nodes } "
                      "stats @skip(if: false) { edges } }", 1000)
    [field] = folded(directed).definitions[0].selection_set.selections
    assert [f.name.value for f in field.selection_set.selections] == ["edges", "nodes"]
    spaced = parsed("{ stats { edges nodes } stats {edges   nodes} }", 1000)
    assert len(folded(spaced).definitions[0].selection_set.selections) == 1


def test_copies_of_one_field_are_compared_once(comparisons: list[int]):
    document = parsed(COPIES + " # compared once", 100_000)
    assert validation_errors(schema._schema, document, RULES) == []
    assert comparisons[0] < 10, comparisons  # each pair of the 150: 11,175


def test_fields_of_one_head_whose_selections_differ_are_compared_once(comparisons: list[int]):
    # The costliest validation the noisy benchmark had left: its 150 differing `stats`
    # were still compared pair by pair (~11,000), their objects scanned meanwhile by every
    # full collection (45-80 ms a collection, lead36).
    document = parsed(DIFFERING + " # compared once", 100_000)
    assert validation_errors(schema._schema, document, RULES) == []
    assert comparisons[0] < 50, comparisons


def test_fragments_spread_in_a_selection_set_are_compared_once(comparisons: list[int]):
    # The costliest validation the noisy benchmark had left: 75 fragments of one `stats`
    # each, compared two by two (2,775; 33-39 ms a full collection meanwhile, lead36).
    document = parsed(FRAGMENTS + " # compared once", 100_000)
    assert validation_errors(schema._schema, document, RULES) == []
    assert comparisons[0] < 200, comparisons


def test_fragments_that_spread_each_other_twice_are_expanded_once():
    # 16 fragments each spreading the next twice: 65,536 copies of the last if expanded
    # blindly; spread once per selection set, the folded document stays small.
    text = DOCUMENTS[-1]
    document = parsed(text, 100_000)
    few = folded(document, schema._schema)
    [field] = few.definitions[0].selection_set.selections  # one `stats`: its 17 answers
    assert len(field.selection_set.selections) == 17


def test_fields_that_conflict_are_compared_until_the_error_limit(comparisons: list[int]):
    # graphql-core compares every two of the 110 (5,995) and reports 100 conflicts: the
    # costliest validation the noisy benchmark had left (lead37). Reported as they are
    # found, the validation stops at the limit, as graphql-core's does, 101 pairs in.
    document = parsed(CONFLICTING + " # until the limit", 100_000)
    errors = validation_errors(schema._schema, document, RULES)
    assert len(errors) == 101 and "Too many validation errors" in errors[-1].message
    assert comparisons[0] < 200, comparisons


@pytest.mark.parametrize("text", [COPIES_AND_A_CONFLICT, DIFFERING_AND_A_CONFLICT])
def test_one_conflict_beside_fields_of_one_head_does_not_compare_them_two_by_two(
        comparisons: list[int], text: str):
    # The folded check finds the conflict and the document is validated whole: there the
    # 148 copies were compared two by two (32,636 comparisons with the folded check's),
    # the 130 differing fields too (20,241). Fields of one shape are compared once.
    document = parsed(text + " # one conflict", 100_000)
    errors = validation_errors(schema._schema, document, RULES)
    assert [e.message.split(" because")[0] for e in errors] == ["Fields 'a' conflict"]
    assert comparisons[0] < 2_000, comparisons


def test_fields_that_differ_only_in_directives_the_rule_does_not_read_are_compared_once(
        comparisons: list[int]):
    document = parsed(DIRECTED + " # compared once", 100_000)
    assert validation_errors(schema._schema, document, RULES) == []
    assert comparisons[0] < 50, comparisons  # each pair: 4,455


# Random documents of few names, so that fields of one response name meet often: aliases
# over a few counts, fragments spreading each other (cycles, unknown ones and all), inline
# fragments on the set's own type, another object type and none, directives.
_LEAVES = {"Stats": ("edges", "nodes", "articles"), "Article": ("title", "url"),
           "Topic": ("name", "slug")}


@st.composite
def _selections(draw: Any, on: str, depth: int) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["leaf", "leaf", "spread", "inline", "field"]))
        if kind == "leaf" and on in _LEAVES:
            alias = draw(st.sampled_from(["", "a: ", "b: "]))
            skip = draw(st.sampled_from(["", " @include(if: true)", " @skip(if: $s)"]))
            parts.append(f"{alias}{draw(st.sampled_from(_LEAVES[on]))}{skip}")
        elif kind == "spread":
            parts.append(f"...{draw(st.sampled_from(['F', 'G', 'H', 'Nope']))}")
        elif kind == "inline" and depth:
            cond = draw(st.sampled_from(["", f" on {on}", " on Query", " on Article"]))
            inner = draw(_selections(cond.split()[-1] if cond else on, depth - 1))
            parts.append(f"...{cond} {{ {inner} }}")
        elif kind == "field" and depth and on == "Query":
            alias = draw(st.sampled_from(["", "a: "]))
            field = draw(st.sampled_from(["stats", 'node(id: "x")', 'node(id: "y")']))
            inner = draw(_selections("Stats" if field == "stats" else "Node", depth - 1))
            parts.append(f"{alias}{field} {{ {inner} }}")
        else:
            parts.append("__typename")
    return " ".join(parts)


@st.composite
def _documents(draw: Any) -> str:
    text = f"query Q($s: Boolean!) {{ {draw(_selections('Query', 3))} }}"
    for name in draw(st.lists(st.sampled_from("FGH"), unique=True)):
        on = draw(st.sampled_from(["Query", "Stats", "Article"]))
        text += f" fragment {name} on {on} {{ {draw(_selections(on, 2))} }}"
    return text


@settings(max_examples=300, deadline=None)
@given(_documents())
def test_the_folded_check_finds_a_conflict_whenever_graphql_core_does(text):
    document = parsed(text, 100_000)
    standard = with_code(validate_document(schema._schema, document, RULES),
                         GRAPHQL_VALIDATION_FAILED)
    assert _shown(validation_errors(schema._schema, document, RULES)) == _shown(standard)


# Many fields of one response name drawn from a few texts, so that shapes repeat: copies,
# the same selections in other orders, other arguments, other types, @stream, fragments.
_WIDE = ["stats { edges nodes }", "stats { nodes edges }", "stats { edges }",
         "stats { a: edges a: nodes }", "stats { a: nodes }", "stats @include(if: $s) { nodes }",
         'article(url: "x") { title }', 'article(url: "y") { title }',
         'article(url: "x") { url }', "stats { ...S }", "stats { ... on Stats { edges } }",
         "stats", 'node(id: "x") { ... on Article { t: title } ... on Topic { t: name } }',
         'node(id: "x") { ... on Article { t: url } }']


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "a: ", "stats: "]), st.sampled_from(_WIDE)),
                min_size=2, max_size=40),
       st.sampled_from(["", " fragment S on Stats { a: edges }",
                        " fragment S on Stats { edges nodes }"]))
def test_fields_of_one_shape_are_compared_once_and_the_errors_are_graphql_cores(fields, extra):
    body = " ".join(alias + text for alias, text in fields)
    if "...S" in body and not extra:
        extra = " fragment S on Stats { edges }"
    text = f"query Q($s: Boolean!) {{ {body} }}" + (extra if "...S" in body else "")
    document = parsed(text, 100_000)
    standard = with_code(validate_document(schema._schema, document, RULES),
                         GRAPHQL_VALIDATION_FAILED)
    assert _shown(validation_errors(schema._schema, document, RULES)) == _shown(standard)
