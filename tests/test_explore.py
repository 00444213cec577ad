"""The explorer's walk (graph.explore), paths with evidence (graph.paths), on small graphs.

The crafted corpus tests/fixtures/explore is drawn in tests/explore_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from explore_corpus import (
    ALPHA,
    BETA,
    COPY,
    EXPLORE,
    FARMERS,
    GAMMA,
    LONELY,
    P1,
    P2,
    P3,
    P4,
    RAIN,
    write_md,
)

import graph
from graph import explore, paths
from graph.select import Selection


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    kg = graph.load(EXPLORE)
    assert kg.report.ok and not kg.report.warnings
    return kg


def triples(edges) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind) for e in edges}


# -- expand: the same walk as neighborhood, plus filters --------------------------------


def test_expand_by_default_is_the_neighborhood(kg):
    for hops in (0, 1, 2, 3):
        old, new = kg.neighborhood(ALPHA, hops=hops), explore.expand(kg, ALPHA, hops=hops)
        assert list(new.nodes.items()) == list(old.nodes.items())
        assert triples(new.edges) == triples(old.edges)
        assert len(new.edges) == len(old.edges)


def test_expand_several_seeds_and_hops(kg):
    sub = explore.expand(kg, [ALPHA, "https://p4.example/farmers"], hops=1)
    assert sub.nodes == {ALPHA: 0, FARMERS: 0, BETA: 1, "topic:privacy": 1,
                         "topic:cameras": 1, P1: 1, RAIN: 1, "topic:weather": 1,
                         "topic:farming": 1, P4: 1}
    assert list(sub.nodes)[:2] == [ALPHA, FARMERS]
    assert sub.truncated is False and sub.cursor is None


def test_expand_kinds_filter_prunes_the_walk(kg):
    sub = explore.expand(kg, ALPHA, hops=3, kinds=["article"])
    # Only RELATED links join articles directly; COPY is reached through topics only.
    assert sub.nodes == {ALPHA: 0, BETA: 1, GAMMA: 2}
    assert triples(sub.edges) == {(ALPHA, BETA, "RELATED"), (BETA, GAMMA, "RELATED")}


def test_expand_selection_keeps_articles_and_leaves_topics(kg):
    window = Selection(published_after="2022-01-04T00:00:00Z",
                       published_before="2022-01-31T00:00:00Z")
    sub = explore.expand(kg, "topic:cameras", hops=2, selection=window)
    assert sub.nodes == {"topic:cameras": 0, COPY: 1, P2: 2}  # ALPHA is too early
    stubs = explore.expand(kg, BETA, hops=1, selection=Selection(is_stub=True))
    assert set(stubs.nodes) == {BETA, GAMMA, "topic:privacy", P2}


def test_a_seed_always_passes_the_filters(kg):
    sub = explore.expand(kg, "topic:weather", hops=1, kinds=["article"])
    assert sub.nodes == {"topic:weather": 0, RAIN: 1, FARMERS: 1}


def test_same_story_is_walked_only_when_named(kg):
    assert COPY not in explore.expand(kg, ALPHA, hops=1).nodes
    sub = explore.expand(kg, ALPHA, hops=1, via=["SAME_STORY"])
    assert sub.nodes == {ALPHA: 0, COPY: 1}
    [e] = sub.edges
    assert (e.source, e.target, e.kind) == (ALPHA, COPY, "SAME_STORY")
    assert e.evidence == (f"{EXPLORE}/alpha.md:2", f"{EXPLORE}/delta.md:2")


def test_edges_carry_their_evidence(kg):
    sub = explore.expand(kg, BETA, hops=1)
    evidence = {(e.source, e.target, e.kind): e.evidence for e in sub.edges}
    assert evidence[(ALPHA, BETA, "RELATED")] == (f"{EXPLORE}/alpha.md:2",)
    assert evidence[(BETA, GAMMA, "RELATED")] == (f"{EXPLORE}/beta.md:2",)
    assert evidence[(BETA, "topic:privacy", "TAGGED")] == (f"{EXPLORE}/beta.md:2",)
    assert evidence[(BETA, P2, "PUBLISHED_BY")] == (f"{EXPLORE}/beta.md:2",)
    # the path edges of traversal carry it too
    assert kg.path_edges([ALPHA, BETA])[0].evidence == (f"{EXPLORE}/alpha.md:2",)


def test_degree_and_size_hint(kg):
    assert explore.degree(kg, ALPHA) == 4  # RELATED out, 2 TAGGED, PUBLISHED_BY
    assert explore.degree(kg, "topic:privacy") == 2
    assert explore.size_hint(4) == round(4 + 2 * 2.321928, 2) == 8.64


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"hops": -1}, "hops must be at least 0, got -1"),
    ({"limit": 0}, "limit must be at least 1, got 0"),
    ({"via": ["FOLLOWS"]}, "unknown edge kind 'FOLLOWS': expected any of RELATED, "
                           "PUBLISHED_BY, TAGGED, SAME_STORY"),
    ({"kinds": ["story"]}, "unknown node kind 'story'"),
    ({"layout": "CIRCLE"}, "unknown layout 'CIRCLE': expected one of FORCE"),
    ({"after": "bogus"}, "invalid cursor 'bogus'"),
])
def test_expand_rejects_bad_arguments(kg, kwargs, message):
    with pytest.raises(graph.InvalidArgument, match=message.replace("(", r"\(")):
        explore.expand(kg, ALPHA, **kwargs)


def test_a_cursor_of_another_walk_is_refused(kg):
    page = explore.expand(kg, ALPHA, hops=2, limit=2)
    with pytest.raises(graph.InvalidArgument, match="belongs to another walk"):
        explore.expand(kg, ALPHA, hops=3, limit=2, after=page.cursor)


# -- the frontier walk: pages, exclude, nothing twice -----------------------------------


@pytest.fixture
def lattice(tmp_path: Path) -> graph.KnowledgeGraph:
    """Thirty stories: n_i lists n_{i+1} and n_{2i+1}; topics by i % 4, providers by i % 3."""
    for i in range(30):
        related = [{"title": f"Story {j}", "webUrl": f"https://p{j % 3}.example/n{j}"}
                   for j in (i + 1, 2 * i + 1) if j < 30]
        write_md(tmp_path, f"n{i}.md", {
            "title": f"Story {i}", "webUrl": f"https://p{i % 3}.example/n{i}",
            "publishedDateTime": f"2022-01-{i % 28 + 1:02d}T00:00:00Z",
            "topics": [f"Topic {i % 4}"], "related": related})
    return graph.load(tmp_path)


def _page_through(kg, seed, *, limit, use_cursor, use_exclude, **walk):
    seen: dict[str, int] = {}
    edges = []
    cursor = None
    pages = 0
    while True:
        page = explore.expand(kg, seed, limit=limit, after=cursor if use_cursor else None,
                              exclude=list(seen) if use_exclude else (), **walk)
        pages += 1
        assert not set(page.nodes) & set(seen), "a node came twice"
        assert len(page.nodes) <= limit
        seen.update(page.nodes)
        edges += page.edges
        if not page.truncated:
            assert page.cursor is None
            return seen, edges, pages
        assert page.cursor is not None
        cursor = page.cursor


@pytest.mark.parametrize(("use_cursor", "use_exclude"), [(True, False), (False, True),
                                                         (True, True)])
@pytest.mark.parametrize("walk", [
    {"hops": 2}, {"hops": 3, "via": ["RELATED"]},
    {"hops": 3, "kinds": ["article", "topic"]},
    {"hops": 2, "selection": Selection(published_before="2022-01-15T00:00:00Z")},
])
def test_a_paged_walk_ends_with_exactly_the_full_neighborhood(lattice, use_cursor,
                                                              use_exclude, walk):
    seed = "https://p0.example/n0"
    full = explore.expand(lattice, seed, **walk)
    seen, edges, pages = _page_through(lattice, seed, limit=4, use_cursor=use_cursor,
                                       use_exclude=use_exclude, **walk)
    assert seen == full.nodes  # same nodes, same hops
    assert list(seen) == list(full.nodes)  # in the same order
    assert pages == -(-len(full.nodes) // 4)
    ids = [e.id for e in edges]
    assert len(ids) == len(set(ids)), "an edge came twice"
    assert set(ids) == {e.id for e in full.edges}


def test_exclude_walks_through_but_never_returns(lattice):
    seed = "article:https://p0.example/n0"
    n1, n2 = "article:https://p1.example/n1", "article:https://p2.example/n2"
    n3 = "article:https://p0.example/n3"
    sub = explore.expand(lattice, seed, hops=2, via=["RELATED"], exclude=[seed, n1])
    # n0 lists only n1, which lists n2 and n3: they lie beyond n1 and keep their hops.
    assert sub.nodes == {n2: 2, n3: 2}
    # edges to what the client has are there, so the new nodes attach to the drawing;
    # the edge between two nodes it has is not sent again
    assert triples(sub.edges) == {(n1, n2, "RELATED"), (n1, n3, "RELATED"),
                                  (n2, n3, "RELATED")}


def test_expanding_a_clicked_node_returns_only_what_is_new(kg):
    first = explore.expand(kg, ALPHA, hops=1)
    more = explore.expand(kg, BETA, hops=1, exclude=list(first.nodes))
    assert more.nodes == {GAMMA: 1, P2: 1}
    assert triples(more.edges) == {(BETA, GAMMA, "RELATED"), (BETA, P2, "PUBLISHED_BY")}


# -- layout ------------------------------------------------------------------------------


def test_force_layout_is_seeded_and_within_scale(kg):
    a = explore.expand(kg, ALPHA, hops=2, layout="FORCE")
    b = explore.expand(kg, ALPHA, hops=2, layout="FORCE")
    assert a.positions == b.positions
    assert set(a.positions) == set(a.nodes)
    assert len(set(a.positions.values())) == len(a.nodes)
    assert all(abs(x) <= 1000 and abs(y) <= 1000 for x, y in a.positions.values())
    assert explore.expand(kg, ALPHA, hops=2).positions is None


# -- paths -------------------------------------------------------------------------------


def test_k_shortest_paths_with_story_links(kg):
    found = paths.k_shortest_paths(kg, BETA, COPY, k=3, max_hops=4)
    assert [p.nodes for p in found] == [
        (BETA, P2, COPY),
        (BETA, ALPHA, "topic:cameras", COPY),
        (BETA, "topic:privacy", ALPHA, "topic:cameras", COPY),
    ]
    short, long, longest = found
    assert short.length == 2
    [link] = short.links
    assert (link.source, link.target, link.kind, link.through) == (BETA, COPY,
                                                                   "SHARED_PROVIDER", P2)
    assert link.evidence == (f"{EXPLORE}/beta.md:2", f"{EXPLORE}/delta.md:2")
    assert link.text == ('"Beta council debates scanner ban" and "Alpha City Bans '
                         'Face-Scanners" are both published by P Two')
    assert [(link.kind, link.through) for link in long.links] == [("RELATED", None),
                                                         ("SHARED_TOPIC", "topic:cameras")]
    assert long.links[0].text == ('"Alpha city bans face scanners" lists "Beta council '
                                  f'debates scanner ban" as related (in {EXPLORE}/alpha.md:2)')
    assert [(e.source, e.target, e.kind) for e in long.edges] == [
        (ALPHA, BETA, "RELATED"), (ALPHA, "topic:cameras", "TAGGED"),
        (COPY, "topic:cameras", "TAGGED")]


def test_paths_bounded_by_hops_and_kinds(kg):
    assert [p.length for p in paths.k_shortest_paths(kg, BETA, COPY, k=3, max_hops=2)] == [2]
    # ALPHA reaches RAIN through GAMMA's provider only
    assert [p.nodes for p in paths.k_shortest_paths(kg, ALPHA, RAIN)] == [
        (ALPHA, BETA, GAMMA, P3, RAIN)]
    assert paths.k_shortest_paths(kg, ALPHA, RAIN, via=["RELATED", "TAGGED"]) == []
    assert paths.k_shortest_paths(kg, ALPHA, RAIN, max_hops=3) == []
    via_copy = paths.k_shortest_paths(kg, BETA, COPY, via=["RELATED", "SAME_STORY"])
    assert [p.nodes for p in via_copy] == [(BETA, ALPHA, COPY)]
    assert [(link.kind, link.text) for link in via_copy[0].links][1] == (
        "SAME_STORY", '"Alpha city bans face scanners" (P One) and "Alpha City Bans '
                      'Face-Scanners" (P Two) are copies of one story')
    assert paths.k_shortest_paths(kg, ALPHA, ALPHA)[0].nodes == (ALPHA,)


def test_k_paths_are_distinct_and_shortest_first(kg):
    assert paths.k_shortest_paths(kg, ALPHA, LONELY, via=["RELATED", "TAGGED"]) == []
    found = paths.k_shortest_paths(kg, GAMMA, COPY, k=10, max_hops=6)
    lengths = [p.length for p in found]
    assert lengths == sorted(lengths) and lengths[0] == 3
    assert len({p.nodes for p in found}) == len(found)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"k": 0}, "k must be 1 to 10, got 0"), ({"k": 11}, "k must be 1 to 10, got 11"),
    ({"max_hops": 0}, "maxHops must be at least 1, got 0"),
])
def test_paths_reject_bad_arguments(kg, kwargs, message):
    with pytest.raises(graph.InvalidArgument, match=message):
        paths.k_shortest_paths(kg, ALPHA, BETA, **kwargs)


def test_a_whole_graph_selection_holds_each_stored_edge_with_its_evidence(kg):
    from graph.traverse import edge

    kg.analytics.storylines  # noqa: B018
    sub = explore.whole(kg, via=["RELATED", "TAGGED", "PUBLISHED_BY", "SAME_STORY"])
    want = [edge(kg, u, v, k) for u in sub.nodes for _, v, k in kg.nx.out_edges(u, keys=True)]
    want += [edge(kg, a, b, "SAME_STORY") for a, b in kg.analytics.same_story_edges()]
    assert [(e.source, e.target, e.kind, e.evidence) for e in sub.edges] == [
        (e.source, e.target, e.kind, e.evidence) for e in want]
    assert all(e.evidence for e in sub.edges)
