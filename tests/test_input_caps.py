"""Inputs whose length is cost are capped: search and `mentions` text (in characters and
words, variables included), and the nodes a FORCE layout places."""

from __future__ import annotations

import pytest
from explore_corpus import ALPHA, EXPLORE

import graph
from graph import explore
from graph.normalize import MAX_PHRASE_CHARS, MAX_PHRASE_WORDS, phrase_tokens
from graph.traverse import Subgraph
from schema.query import execute


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


def _words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_a_phrase_at_the_caps_is_searched():
    assert len(phrase_tokens(_words(MAX_PHRASE_WORDS))) == MAX_PHRASE_WORDS
    assert phrase_tokens("x" * MAX_PHRASE_CHARS) == ("x" * MAX_PHRASE_CHARS,)


@pytest.mark.parametrize(("text", "said"), [
    (_words(MAX_PHRASE_WORDS + 1), f"holds {MAX_PHRASE_WORDS + 1} words"),
    ("x" * (MAX_PHRASE_CHARS + 1), f"{MAX_PHRASE_CHARS + 1:,} characters"),
])
def test_a_phrase_past_the_caps_is_refused_saying_what_is_allowed(text, said):
    with pytest.raises(graph.InvalidArgument) as e:
        phrase_tokens(text)
    assert said in str(e.value)
    assert f"at most {MAX_PHRASE_WORDS} words and {MAX_PHRASE_CHARS} characters" in str(e.value)
    assert len(str(e.value)) < 300  # the text itself is not echoed whole


@pytest.mark.parametrize("document", [
    "query($t: String!) { search(text: $t) { totalCount } }",
    "query($t: String!) { articles(where: {mentions: $t}) { totalCount } }",
    f'query($t: String!) {{ within(from: "{ALPHA}", where: {{mentions: $t}}) {{ totalCount }} }}',
])
def test_long_text_in_a_variable_is_refused_as_one_token_is_not(kg, document):
    response = execute(kg, document, {"t": _words(6000)})
    [error] = response["errors"]
    assert "34,889 characters long: at most 32 words" in error["message"]
    ok = execute(kg, document, {"t": "alpha"})
    assert "errors" not in ok


def test_a_force_layout_past_its_node_cap_is_refused(kg):
    sub = Subgraph()
    for i in range(explore.MAX_LAYOUT_NODES + 1):
        sub.nodes[f"article:https://x.example/{i}"] = 1
    with pytest.raises(graph.InvalidArgument) as e:
        explore.force_layout(sub)
    assert (f"at most {explore.MAX_LAYOUT_NODES} nodes; this one has "
            f"{explore.MAX_LAYOUT_NODES + 1}") in str(e.value)
    del sub.nodes[f"article:https://x.example/{explore.MAX_LAYOUT_NODES}"]
    assert len(explore.force_layout(sub)) == explore.MAX_LAYOUT_NODES


def _ring(n: int) -> Subgraph:
    sub = Subgraph()
    ids = [f"article:https://x.example/{i}" for i in range(n)]
    sub.nodes.update(dict.fromkeys(ids, 1))
    sub.edges = [graph.traverse.Edge(a, b, "RELATED")
                 for a, b in zip(ids, ids[1:] + ids[:1], strict=True)]
    return sub


@pytest.mark.parametrize("n", [1, 2, 40, 300])
def test_the_force_layout_places_nodes_as_networkx_spring_layout_does(n):
    import networkx as nx

    sub = _ring(n)
    g = nx.Graph()
    g.add_nodes_from(sub.nodes)
    g.add_edges_from((e.source, e.target) for e in sub.edges)
    want = nx.spring_layout(g, seed=explore.LAYOUT_SEED, scale=explore.LAYOUT_SCALE,
                            iterations=explore.LAYOUT_ITERATIONS)
    assert explore.force_layout(sub) == {k: (round(float(x), 3), round(float(y), 3))
                                         for k, (x, y) in want.items()}


def test_a_force_layout_stops_at_the_deadline_and_counts_its_work():
    from graph.budget import Budget

    ticks = iter(range(1000))
    budget = Budget(seconds=20.5, clock=lambda: float(next(ticks)))  # a second a look
    with pytest.raises(graph.BudgetExceeded):  # 300 nodes, 50 iterations: past 20 s
        explore.force_layout(_ring(300), budget=budget)
    assert budget.work["layoutIterations"] < explore.LAYOUT_ITERATIONS
    done = Budget()
    explore.force_layout(_ring(300), budget=done)
    assert done.work == {"layoutNodes": 300, "layoutIterations": explore.LAYOUT_ITERATIONS}


@pytest.mark.parametrize("phrase", ["", "   ", "!!!", "—"])
def test_a_mentions_phrase_without_a_word_is_refused_as_search_text_is(kg, phrase):
    # within(where: {mentions: "!!!"}) answered totalCount 0 without a word, while
    # search(text: "!!!") said the text had nothing to search for.
    for document in (f'query($p: String!) {{ within(from: "{ALPHA}", hops: 2, '
                     'where: {mentions: $p}) { totalCount } }',
                     'query($p: String!) { articles(where: {mentions: $p}) { totalCount } }'):
        response = execute(kg, document, {"p": phrase})
        [error] = response["errors"]
        assert error["message"] == (f"the mentions phrase {phrase!r} has no letters or digits "
                                    "to match: a phrase is one or more words, like "
                                    "'facial recognition'")


def test_a_force_layout_of_loops_and_repeated_edges_is_networkx_spring_layouts():
    import networkx as nx

    sub = _ring(30)
    ids = list(sub.nodes)
    sub.edges += [graph.traverse.Edge(ids[3], ids[3], "RELATED"),  # a loop
                  graph.traverse.Edge(ids[4], ids[5], "SAME_STORY"),  # again, another kind
                  graph.traverse.Edge(ids[9], ids[2], "RELATED"),
                  graph.traverse.Edge(ids[1], "topic:elsewhere", "TAGGED")]  # leaves it
    g = nx.Graph()
    g.add_nodes_from(sub.nodes)
    g.add_edges_from((e.source, e.target) for e in sub.edges if e.target in sub.nodes)
    want = nx.spring_layout(g, seed=explore.LAYOUT_SEED, scale=explore.LAYOUT_SCALE,
                            iterations=explore.LAYOUT_ITERATIONS)
    assert explore.force_layout(sub) == {k: (round(float(x), 3), round(float(y), 3))
                                         for k, (x, y) in want.items()}


def test_a_force_layout_leaves_nothing_for_the_collector():
    # It built a networkx graph, whose views (nodes, edges, degree) refer back to it: a
    # cycle a layout, ~180 objects (the noisy benchmark's FORCE layouts: 1,842 a phase).
    import gc

    sub = _ring(40)
    explore.force_layout(sub)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            explore.force_layout(sub)
        gc.collect()
        left = [type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
