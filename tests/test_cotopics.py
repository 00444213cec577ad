"""Co-topic weights held in arrays (graph/cotopics.py): the same table, in less memory."""

from __future__ import annotations

import gc
import pickle
import sys
from collections import Counter, defaultdict
from itertools import combinations
from typing import Any

import pytest
from conftest import same_typed

import graph
from bench.generate import generate
from graph.build import topic_id
from graph.cotopics import CoTopics


def plain_co_topics(kg: graph.KnowledgeGraph) -> dict[str, list[tuple[str, int, float]]]:
    """The table as a dict of lists of tuples, computed from the articles' topics."""
    shared: dict[str, Counter[str]] = defaultdict(Counter)
    tagged: Counter[str] = Counter()
    for a in kg.analytics.articles:
        slugs = sorted(set(kg.nx.nodes[a].get("topics") or ()))
        tagged.update(topic_id(s) for s in slugs)
        for s, t in combinations(slugs, 2):
            shared[topic_id(s)][topic_id(t)] += 1
            shared[topic_id(t)][topic_id(s)] += 1
    return {t: sorted(((u, n, round(n / (tagged[t] + tagged[u] - n), 6))
                       for u, n in counts.items()), key=lambda r: (-r[1], r[0]))
            for t, counts in shared.items()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> graph.KnowledgeGraph:
    folder = tmp_path_factory.mktemp("co") / "corpus"
    generate(600, folder, seed=11)
    return graph.load(folder)


def test_co_topics_are_the_plain_table_row_for_row(generated):
    co = generated.analytics.co_topics
    expected = plain_co_topics(generated)
    assert sum(map(len, expected.values())) > 500
    assert list(co) == list(expected)  # the keys in the same order
    assert all(same_typed(co[t], rows) for t, rows in expected.items())
    assert co == expected and expected == co
    assert co.get("topic:no-such-topic", []) == [] and "topic:no-such-topic" not in co


def test_a_read_row_list_is_the_readers_to_change(generated):
    co = generated.analytics.co_topics
    topic = next(iter(co))
    rows = co[topic]
    rows.clear()
    assert co[topic] != []


def _deep(root: Any, skip: set[int]) -> int:
    seen, stack, total = set(skip), [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):  # classes are shared, not the table's
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def test_the_table_holds_arrays_not_a_tuple_a_row():
    """187,636 rows at 100k records held 30 MiB as tuples (~160 bytes a row)."""
    topics = [f"topic:t{i}" for i in range(200)]
    table = {t: [(u, 300 + j, round(1 / (j + 2), 6)) for j, u in enumerate(topics) if u != t]
             for t in topics}
    co = CoTopics.of(table)
    rows = sum(map(len, table.values()))
    names = {id(t) for t in topics}
    assert _deep(co, names) < 24 * rows < _deep(table, names) / 4
    back = pickle.loads(pickle.dumps(co))
    assert back == table and list(back) == topics
