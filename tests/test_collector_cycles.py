"""What a request leaves for the cyclic collector: objects that refer to each other are
freed only when it runs, and a full collection holds every request while it scans
(issue 12). graphql-core's validation of each new document left ~600 such objects (its
visitors keep their own bound methods in a map on themselves; lead37's census), and
every request made two visitor classes and a closure calling itself. Counted with
``gc.DEBUG_SAVEALL``, not timed."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from graphql import specified_rules

from schema.admission import KEPT_DOCUMENTS
from schema.cache import parsed, validation_errors
from schema.limits import DEFAULT_SETTINGS, validation_rules
from schema.query import schema

RULES = (*specified_rules, *validation_rules(DEFAULT_SETTINGS))
CHEAP = "query Cheap { stats { articles } }"
PAGED = ("query Paged($n: Int!, $u: String!) { articles(first: $n) { edges { node { id } } } "
         "article(url: $u) { title } ...F } fragment F on Query { stats { edges } }")


def _left_in_cycles(run: Callable[[int], Any], times: int) -> Counter[str]:
    """What ``run(i)`` for ``times`` values of ``i`` left that only the cyclic
    collector frees, by type."""
    for i in range(3):  # whatever one-time state the first calls make
        run(-1 - i)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for i in range(times):
            run(i)
        gc.collect()
        left = Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return left


@pytest.fixture(autouse=True)
def _collected() -> Iterator[None]:
    gc.collect()
    yield


@pytest.mark.parametrize("text", [CHEAP, PAGED])
def test_a_new_documents_validation_leaves_nothing_for_the_collector(text):
    def validate(i: int) -> None:
        assert validation_errors(schema._schema, parsed(f"{text} # {i}", 1000), RULES) == []

    assert _left_in_cycles(validate, 20) == Counter()


def test_a_conflicting_documents_validation_leaves_nothing_for_the_collector():
    text = "{ " + " ".join(f'article(url: "u{i}") {{ title }}' for i in range(110)) + " }"

    def validate(i: int) -> None:
        assert validation_errors(schema._schema, parsed(f"{text} # {i}", 100_000), RULES)

    assert _left_in_cycles(validate, 5) == Counter()


def test_a_request_makes_no_class_and_no_visitor_left_in_a_cycle(sample_kg):
    def execute(i: int) -> None:
        result = schema.execute_sync(f"{PAGED} # {i}", context_value={"kg": sample_kg},
                                     variable_values={"n": 2, "u": "https://nowhere.example/x"})
        assert result.errors is None, result.errors

    left = _left_in_cycles(execute, 20)
    made = {name: n for name, n in left.items()
            if name in ("type", "EnterLeaveVisitor", "TypeInfo", "ValidationContext")
            or name.endswith(("Visitor", "Rule"))}
    assert made == {}, left.most_common(20)


@pytest.mark.parametrize("text", [CHEAP, PAGED])
def test_a_planned_request_leaves_nothing_for_the_collector(sample_kg, text):
    # graphql-core's executor refers to itself (its helpers for resolvers that await), and
    # the request's cost, middleware and variables hung off it: ~30 objects a request.
    def execute(i: int) -> None:
        result = schema.execute_sync(f"{text} # {i}", context_value={"kg": sample_kg},
                                     variable_values={"n": 2, "u": "https://x.example/a"})
        assert result.errors is None, result.errors

    assert _left_in_cycles(execute, 20) == Counter()


def test_plans_the_cache_lets_go_leave_nothing_for_the_collector(sample_kg):
    # A plan's field held its completion and the completion the field; a compiled
    # selection was kept in its own globals: each document's plans, once more than
    # KEPT_DOCUMENTS others came after it, were left in cycles.
    [edge] = schema.execute_sync("{ articles(first: 1) { edges { node { id } } } }",
                                 context_value={"kg": sample_kg}).data["articles"]["edges"]
    text = ("query Q($n: Int!) { articles(first: $n) { edges { node { id title "
            f'topics {{ name }} }} }} }} node(id: "{edge["node"]["id"]}") '
            "{ ... on Article { title } } stats { edges } }")

    def execute(i: int) -> None:
        for _ in range(2):  # the second run compiles the selections
            result = schema.execute_sync(f"{text} # {i}", context_value={"kg": sample_kg},
                                         variable_values={"n": 3})
            assert result.errors is None, result.errors

    for i in range(KEPT_DOCUMENTS):  # the cache full: each new document lets one go
        execute(-1 - i)
    assert _left_in_cycles(execute, 20) == Counter()


def test_a_request_answered_with_errors_leaves_nothing_for_the_collector(sample_kg):
    # Each error kept its traceback: the frames of the executor that holds the error,
    # a cycle as long as the stack (the noisy benchmark's aliased `paths`, refused over
    # budget, left ~12,000 objects a phase of 6 s). Logged first, as before.
    text = 'query Q($u: String!) { article(url: $u) { title } a: node(id: "x") { id } }'

    def execute(i: int) -> None:
        result = schema.execute_sync(f"{text} # {i}", context_value={"kg": sample_kg},
                                     variable_values={"u": "nope"})
        assert len(result.errors) == 2, result.errors

    assert _left_in_cycles(execute, 20) == Counter()
