"""The explorer's GraphQL surface, executed in-process on tests/fixtures/explore
(drawn in tests/explore_corpus.py): neighborhood with exclude/after/filters/layout,
exports, paths with evidence, storylines, centrality, timeline, co-topics, overlap."""

from __future__ import annotations

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
)

import graph
from graph import explore
from graph.analytics import storyline_id
from schema.query import execute


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


def run(kg, query: str, **variables: object) -> dict:
    response = execute(kg, query, variables or None)
    assert "errors" not in response, response["errors"]
    return response["data"]


def error_of(kg, query: str, **variables: object) -> str:
    response = execute(kg, query, variables or None)
    assert response.get("errors"), response
    return response["errors"][0]["message"]


NEIGHBORHOOD = """
query($from: [ID!]!, $hops: Int, $via: [EdgeKind!], $limit: Int, $kinds: [NodeKind!],
      $where: ArticleFilter, $exclude: [ID!], $after: String, $layout: GraphLayout) {
  neighborhood(from: $from, hops: $hops, via: $via, limit: $limit, kinds: $kinds,
               where: $where, exclude: $exclude, after: $after, layout: $layout) {
    truncated cursor
    nodes { node { id } kind label hops degree size x y }
    edges { id source target kind evidence }
  }
}"""


def hood(kg, **variables) -> dict:
    """The neighborhood, each drawn node flattened to its node's id and its drawing."""
    data = run(kg, NEIGHBORHOOD, **variables)["neighborhood"]
    data["nodes"] = [{"id": n.pop("node")["id"], **n} for n in data["nodes"]]
    return data


# -- neighborhood ---------------------------------------------------------------------


def test_nodes_carry_kind_label_degree_hops_and_size(kg):
    data = hood(kg, **{"from": [BETA], "hops": 1})
    assert data["truncated"] is False and data["cursor"] is None
    assert data["nodes"] == [
        {"id": BETA, "kind": "ARTICLE", "label": "Beta council debates scanner ban", "hops": 0,
         "degree": 4, "size": 8.64, "x": None, "y": None},
        {"id": ALPHA, "kind": "ARTICLE", "label": "Alpha city bans face scanners", "hops": 1,
         "degree": 4, "size": 8.64, "x": None, "y": None},
        {"id": GAMMA, "kind": "ARTICLE", "label": "Gamma vendor sues over lost contract",
         "hops": 1, "degree": 2, "size": 7.17, "x": None, "y": None},
        {"id": "topic:privacy", "kind": "TOPIC", "label": "Privacy", "hops": 1, "degree": 2,
         "size": 7.17, "x": None, "y": None},
        {"id": P2, "kind": "PROVIDER", "label": "P Two", "hops": 1, "degree": 2, "size": 7.17,
         "x": None, "y": None},
    ]


def test_edges_carry_id_kind_and_evidence(kg):
    data = hood(kg, **{"from": [BETA], "hops": 1})
    edges = {e["id"]: e for e in data["edges"]}
    assert edges[f"RELATED:{ALPHA}->{BETA}"] == {
        "id": f"RELATED:{ALPHA}->{BETA}", "source": ALPHA, "target": BETA, "kind": "RELATED",
        "evidence": [f"{EXPLORE}/alpha.md:2"]}
    assert edges[f"PUBLISHED_BY:{BETA}->{P2}"]["evidence"] == [f"{EXPLORE}/beta.md:2"]
    # ALPHA's tag of privacy joins two nodes of the subgraph too
    assert set(edges) == {f"RELATED:{ALPHA}->{BETA}", f"RELATED:{BETA}->{GAMMA}",
                          f"TAGGED:{ALPHA}->topic:privacy", f"TAGGED:{BETA}->topic:privacy",
                          f"PUBLISHED_BY:{BETA}->{P2}"}


def test_several_seeds_kinds_and_where(kg):
    data = hood(kg, **{"from": [ALPHA, RAIN], "hops": 2, "kinds": ["ARTICLE"]})
    assert [(n["id"], n["hops"]) for n in data["nodes"]] == [
        (ALPHA, 0), (RAIN, 0), (BETA, 1), (FARMERS, 1), (GAMMA, 2)]
    window = hood(kg, **{"from": ["topic:privacy"], "hops": 1,
                         "where": {"publishedAfter": "2022-01-05T00:00:00Z"}})
    assert [n["id"] for n in window["nodes"]] == ["topic:privacy", BETA]


def test_same_story_edges_only_when_named(kg):
    plain = hood(kg, **{"from": [ALPHA], "hops": 1})
    assert COPY not in [n["id"] for n in plain["nodes"]]
    copies = hood(kg, **{"from": [ALPHA], "hops": 1, "via": ["SAME_STORY"]})
    assert copies["edges"] == [{
        "id": f"SAME_STORY:{ALPHA}->{COPY}", "source": ALPHA, "target": COPY,
        "kind": "SAME_STORY", "evidence": [f"{EXPLORE}/alpha.md:2", f"{EXPLORE}/delta.md:2"]}]


def test_expand_a_clicked_node_with_exclude(kg):
    drawn = [n["id"] for n in hood(kg, **{"from": [ALPHA], "hops": 1})["nodes"]]
    more = hood(kg, **{"from": [BETA], "hops": 1, "exclude": drawn})
    assert [(n["id"], n["hops"]) for n in more["nodes"]] == [(GAMMA, 1), (P2, 1)]
    assert {(e["source"], e["target"]) for e in more["edges"]} == {(BETA, GAMMA), (BETA, P2)}


@pytest.mark.parametrize("mode", ["after", "exclude", "both"])
def test_paging_a_walk_ends_with_exactly_the_full_neighborhood(kg, mode):
    seeds = [ALPHA, FARMERS]
    full = hood(kg, **{"from": seeds, "hops": 4, "limit": 2000})
    seen: list[str] = []
    edges: list[str] = []
    after = None
    while True:
        page = hood(kg, **{"from": seeds, "hops": 4, "limit": 3,
                           "after": after if mode != "exclude" else None,
                           "exclude": seen if mode != "after" else None})
        seen += [n["id"] for n in page["nodes"]]
        edges += [e["id"] for e in page["edges"]]
        if not page["truncated"]:
            break
        after = page["cursor"]
    assert seen == [n["id"] for n in full["nodes"]]  # every node once, in walk order
    assert len(edges) == len(set(edges)) == len(full["edges"])
    assert set(edges) == {e["id"] for e in full["edges"]}
    assert len(seen) == 15


def test_layout_gives_stable_coordinates(kg):
    a = hood(kg, **{"from": [ALPHA], "hops": 2, "layout": "FORCE"})
    b = hood(kg, **{"from": [ALPHA], "hops": 2, "layout": "FORCE"})
    assert a == b
    positions = {n["id"]: (n["x"], n["y"]) for n in a["nodes"]}
    assert positions == explore.expand(kg, ALPHA, hops=2, layout="FORCE").positions
    assert all(abs(x) <= 1000 and abs(y) <= 1000 for x, y in positions.values())


def test_node_neighborhood_takes_the_same_arguments(kg):
    data = run(kg, f"""{{ node(id: "{BETA}") {{ ... on Traversable {{ neighborhood(hops: 1,
        limit: 2) {{ truncated cursor nodes {{ node {{ id }} }} }} }} }} }}""")["node"][
        "neighborhood"]
    assert data["truncated"] is True
    rest = run(kg, """query($id: ID!, $c: String) { node(id: $id) { ... on Traversable {
        neighborhood(hops: 1, limit: 2, after: $c) { nodes { node { id } } } } } }""",
               id=BETA, c=data["cursor"])
    assert [n["node"]["id"] for n in rest["node"]["neighborhood"]["nodes"]] == [
        GAMMA, "topic:privacy"]


@pytest.mark.parametrize(("args", "message"), [
    ("hops: 5", "hops must be 0 to 4, got 5"),
    ("limit: 0", "limit must be 1 to 2000, got 0"),
    ('after: "xyz"', "invalid cursor 'xyz'"),
])
def test_bad_neighborhood_arguments(kg, args, message):
    assert error_of(kg, f'{{ neighborhood(from: ["{ALPHA}"], {args}) {{ truncated }} }}'
                    ).startswith(message)


def test_a_cursor_from_another_walk_is_an_error(kg):
    cursor = hood(kg, **{"from": [ALPHA], "hops": 2, "limit": 2})["cursor"]
    message = error_of(kg, NEIGHBORHOOD, **{"from": [ALPHA], "hops": 3, "after": cursor})
    assert "belongs to another walk" in message


def test_within_walks_same_story_when_named(kg):
    # SAME_STORY is an edge kind of the one walk: every traversal takes it when asked.
    found = run(kg, f'''{{ within(from: "{ALPHA}", via: [SAME_STORY]) {{
        edges {{ hops node {{ id }} }} }} }}''')["within"]["edges"]
    assert [(e["node"]["id"], e["hops"]) for e in found] == [(COPY, 1)]
    default = run(kg, f'{{ within(from: "{ALPHA}", hops: 1) {{ edges {{ node {{ id }} }} }} }}')
    assert COPY not in {e["node"]["id"] for e in default["within"]["edges"]}


# -- export ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["CYTOSCAPE", "GRAPHOLOGY", "NODE_LINK"])
def test_subgraph_export_matches_graph_export(kg, fmt):
    data = run(kg, f"""{{ neighborhood(from: ["{ALPHA}"], hops: 2, layout: FORCE) {{
        export(format: {fmt}) }} }}""")["neighborhood"]["export"]
    sub = explore.expand(kg, ALPHA, hops=2, layout="FORCE")
    if fmt == "CYTOSCAPE":
        assert [n["data"]["id"] for n in data["nodes"]] == list(sub.nodes)
        assert {(e["data"]["source"], e["data"]["target"]) for e in data["edges"]} == {
            (e.source, e.target) for e in sub.edges}
    elif fmt == "GRAPHOLOGY":
        assert [n["key"] for n in data["nodes"]] == list(sub.nodes)
        assert data["options"]["multi"] is True
    else:
        import networkx as nx

        back = nx.node_link_graph(data, edges="links")
        assert set(back.nodes) == set(sub.nodes)
        assert back.number_of_edges() == len(sub.edges)


# -- paths -----------------------------------------------------------------------------


def test_paths_with_evidence_and_links(kg):
    data = run(kg, f"""{{ paths(from: "{BETA}", to: "https://p2.example/alpha-copy", k: 2) {{
        length nodes {{ id }} edges {{ kind evidence }}
        links {{ kind source {{ id }} target {{ id }} through {{ id }} evidence text }} }} }}""")
    short, long = data["paths"]
    assert short["length"] == 2 and [n["id"] for n in short["nodes"]] == [BETA, P2, COPY]
    assert short["links"] == [{
        "kind": "SHARED_PROVIDER", "source": {"id": BETA}, "target": {"id": COPY},
        "through": {"id": P2}, "evidence": [f"{EXPLORE}/beta.md:2", f"{EXPLORE}/delta.md:2"],
        "text": '"Beta council debates scanner ban" and "Alpha City Bans Face-Scanners" are '
                "both published by P Two"}]
    assert [n["id"] for n in long["nodes"]] == [BETA, ALPHA, "topic:cameras", COPY]
    assert long["edges"][0] == {"kind": "RELATED", "evidence": [f"{EXPLORE}/alpha.md:2"]}
    assert [(x["kind"], x["through"]) for x in long["links"]] == [
        ("RELATED", None), ("SHARED_TOPIC", {"id": "topic:cameras"})]


def test_paths_via_same_story_and_misses(kg):
    data = run(kg, f"""{{
      copy: paths(from: "{BETA}", to: "{COPY}", via: [RELATED, SAME_STORY]) {{
        links {{ kind text }} }}
      none: paths(from: "{ALPHA}", to: "{LONELY}", via: [RELATED, TAGGED]) {{ length }}
      unknown: paths(from: "{ALPHA}", to: "topic:nothing") {{ length }}
    }}""")
    assert data["copy"] == [{"links": [
        {"kind": "RELATED", "text": '"Alpha city bans face scanners" lists "Beta council '
                                    f'debates scanner ban" as related (in {EXPLORE}/alpha.md:2)'},
        {"kind": "SAME_STORY", "text": '"Alpha city bans face scanners" (P One) and "Alpha '
                                       'City Bans Face-Scanners" (P Two) are copies of one '
                                       "story"}]}]
    assert data["none"] == [] and data["unknown"] == []


def test_path_to_has_links_too(kg):
    data = run(kg, f'{{ pathTo(from: "{BETA}", id: "{GAMMA}") {{ links {{ kind evidence }} }} }}')
    assert data["pathTo"]["links"] == [{"kind": "RELATED", "evidence": [f"{EXPLORE}/beta.md:2"]}]


@pytest.mark.parametrize(("args", "message"), [
    ("k: 0", "k must be 1 to 10, got 0"), ("maxHops: 5", "maxHops must be 1 to 4, got 5")])
def test_bad_path_arguments(kg, args, message):
    assert error_of(kg, f'{{ paths(from: "{ALPHA}", to: "{BETA}", {args}) {{ length }} }}'
                    ) == message


# -- storylines and analytics -------------------------------------------------------------


def test_storylines_connection(kg):
    data = run(kg, """{ storylines(first: 1) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id size startsAt endsAt central { id }
          topTopics { topic { slug } count } providers { provider { id } count }
          articles(orderBy: PUBLISHED_AT_ASC) { edges { node { id } } } } } } }""")
    conn = data["storylines"]
    assert conn["totalCount"] == 2 and conn["pageInfo"]["hasNextPage"] is True
    assert conn["edges"][0]["node"] == {
        "id": storyline_id(ALPHA), "size": 4, "startsAt": "2022-01-03T09:00:00+00:00",
        "endsAt": "2022-02-01T00:00:00+00:00", "central": {"id": ALPHA},
        "topTopics": [{"topic": {"slug": "cameras"}, "count": 2},
                      {"topic": {"slug": "privacy"}, "count": 2}],
        "providers": [{"provider": {"id": P2}, "count": 2}, {"provider": {"id": P1}, "count": 1},
                      {"provider": {"id": P3}, "count": 1}],
        "articles": {"edges": [{"node": {"id": a}} for a in (ALPHA, COPY, BETA, GAMMA)]}}
    rest = run(kg, 'query($a: String) { storylines(after: $a) { edges { node { id size } } } }',
               a=conn["pageInfo"]["endCursor"])
    assert rest["storylines"]["edges"] == [{"node": {"id": storyline_id(RAIN), "size": 2}}]


def test_article_storyline_same_story_and_centrality(kg):
    data = run(kg, f"""{{
      a: node(id: "{ALPHA}") {{ ... on Article {{ storyline {{ id }} sameStory {{ id }}
                                                 centrality }} }}
      lonely: node(id: "{LONELY}") {{ ... on Article {{ storyline {{ id }} sameStory {{ id }} }} }}
      s: storyline(id: "{storyline_id(RAIN)}") {{ central {{ id }} }}
      missing: storyline(id: "storyline:0000000000000099") {{ id }}
    }}""")
    assert data["a"]["storyline"] == {"id": storyline_id(ALPHA)}
    assert data["a"]["sameStory"] == [{"id": COPY}]
    assert data["a"]["centrality"] == kg.analytics.pagerank[ALPHA]
    assert data["lonely"] == {"storyline": None, "sameStory": []}
    assert data["s"] == {"central": {"id": RAIN}} and data["missing"] is None


def test_central_articles(kg):
    data = run(kg, """{ all: centralArticles(first: 3) { totalCount edges { score node { id } } }
        p2: centralArticles(where: {providers: ["p2.example"]}) { edges { node { id } } } }""")
    assert [e["node"]["id"] for e in data["all"]["edges"]] == [ALPHA, BETA, RAIN]
    assert data["all"]["totalCount"] == 7
    scores = [e["score"] for e in data["all"]["edges"]]
    assert scores == sorted(scores, reverse=True)
    assert [e["node"]["id"] for e in data["p2"]["edges"]] == [BETA, COPY]


def test_timeline(kg):
    data = run(kg, """{ m: timeline { interval total undated buckets { label count start end } }
        w: timeline(interval: WEEK, where: {providers: ["p2.example"]}) {
          total buckets { label count } }
        d: timeline(interval: DAY, where: {isStub: true}) { buckets { label count } } }""")
    assert data["m"]["interval"] == "MONTH" and data["m"]["total"] == 7
    assert data["m"]["undated"] == 0
    assert [(b["label"], b["count"]) for b in data["m"]["buckets"]] == [
        ("2021-12", 1), ("2022-01", 3), ("2022-02", 1), ("2022-03", 2)]
    assert data["m"]["buckets"][0]["start"] == "2021-12-01T00:00:00+00:00"
    assert data["m"]["buckets"][0]["end"] == "2022-01-01T00:00:00+00:00"
    assert [(b["label"], b["count"]) for b in data["w"]["buckets"]] == [
        ("2022-W01", 1), ("2022-W02", 1)]
    assert data["d"]["buckets"] == [{"label": "2022-02-01", "count": 1}]


def test_co_topics_have_weights(kg):
    data = run(kg, '{ topic(slug: "weather") { coTopics { topic { slug } count weight } } }')
    assert data["topic"]["coTopics"] == [{"topic": {"slug": "farming"}, "count": 1,
                                          "weight": 0.5}]


def test_provider_overlap(kg):
    data = run(kg, """{ p1: provider(domain: "p1.example") { overlap {
        provider { id } sharedStorylines sameStories score } }
      p4: provider(domain: "p4.example") { overlap(first: 1) { provider { id } } } }""")
    assert data["p1"]["overlap"] == [
        {"provider": {"id": P2}, "sharedStorylines": 1, "sameStories": 1, "score": 1.0},
        {"provider": {"id": P3}, "sharedStorylines": 1, "sameStories": 0, "score": 0.5}]
    assert data["p4"]["overlap"] == [{"provider": {"id": P3}}]
    assert P4 not in str(data["p4"]["overlap"])


class _CountedRanks(dict[str, float]):
    """A PageRank table that counts the scores read from it."""

    reads = 0

    def __getitem__(self, key: str) -> float:
        type(self).reads += 1
        return super().__getitem__(key)


def test_a_page_of_central_articles_reads_the_scores_of_its_page_only() -> None:
    """centralArticles(first: 2) costs its page, not the whole ranking: at 100k records
    a page built a 131,331-item list of (id, score) on every request (py-spy, noisy
    neighbours in docs/performance.md)."""
    kg = graph.load(EXPLORE)
    a = kg.analytics
    whole = a.central()
    assert len(whole) > 3
    a._parts["pagerank"] = _CountedRanks(a.pagerank)
    _CountedRanks.reads = 0
    data = run(kg, "{ centralArticles(first: 2) { totalCount edges { score node { id } } } }")
    page = data["centralArticles"]
    assert page["totalCount"] == len(whole)
    assert [(e["node"]["id"], e["score"]) for e in page["edges"]] == whole[:2]
    assert _CountedRanks.reads == 2
