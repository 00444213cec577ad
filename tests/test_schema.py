"""The GraphQL schema, executed in-process on the fixture corpus (tests/fixtures/corpus).

The corpus, by hand: the Sixth Tone school story S lists a gazettetimes stub G
(facial recognition in its title) and a weather stub W, and is tagged Computer
Vision and AI. Sixth Tone also published the metro story M (the phrase line-
wrapped in its body) and the teahouse story T (only "face recognition"). F shares
Computer Vision with S. A second component: the police story P (tagged Facial
Recognition) lists the council stub C, which the ordinance story O lists too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLArgument, GraphQLField, GraphQLInputField, GraphQLNamedType

import graph
from schema.query import execute, schema

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"
G = "article:https://www.gazettetimes.com/news/oregon-facial-recognition"
W = "article:https://weather.example/rain"
M = "article:https://www.sixthtone.com/news/3/metro-gates"
T = "article:https://www.sixthtone.com/news/2/teahouse"
F = "article:https://techfund.example/cv-funding"
P = "article:https://police.example/news/cameras"
C = "article:https://council.example/surveillance"
O = "article:https://council.example/ordinance"  # noqa: E741 - one letter, like its neighbours

EXAMPLE = """
{ article(url: "https://www.sixthtone.com/news/1/school-scanners") {
    title
    within(hops: 2, where: {mentions: "facial recognition"}) {
      totalCount
      edges { hops path { id } pathEdges { kind source target }
              node { id ... on Article { title url provider { name } } } }
    } } }
"""


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(CORPUS)


def run(kg: graph.KnowledgeGraph, query: str, **variables: object) -> dict:
    response = execute(kg, query, variables or None)
    assert "errors" not in response, response["errors"]
    return response["data"]


def error_of(kg: graph.KnowledgeGraph, query: str, **variables: object) -> str:
    response = execute(kg, query, variables or None)
    assert response.get("errors"), response
    return response["errors"][0]["message"]


def ids(connection: dict) -> list[str]:
    return [e["node"]["id"] for e in connection["edges"]]


def test_the_example_query_answers_with_hops_and_paths(kg):
    data = run(kg, EXAMPLE)["article"]
    within = data["within"]
    assert within["totalCount"] == 2
    assert [(e["node"]["id"], e["hops"]) for e in within["edges"]] == [(G, 1), (M, 2)]
    metro = within["edges"][1]
    assert [n["id"] for n in metro["path"]] == [S, "provider:sixthtone.com", M]
    assert metro["pathEdges"] == [
        {"kind": "PUBLISHED_BY", "source": S, "target": "provider:sixthtone.com"},
        {"kind": "PUBLISHED_BY", "source": M, "target": "provider:sixthtone.com"},
    ]
    assert within["edges"][0]["node"]["provider"]["name"] == "Corvallis Gazette-Times"


def test_within_answers_exactly_as_kg_within(kg):
    data = run(kg, EXAMPLE)["article"]["within"]
    expected = kg.within(S, hops=2, mentions="facial recognition")
    assert [(e["node"]["id"], e["hops"]) for e in data["edges"]] == expected


@pytest.mark.parametrize("start", [S, "https://www.sixthtone.com/news/1/school-scanners/"])
def test_root_within_takes_an_id_or_a_url(kg, start):
    data = run(kg, 'query($s: ID!) { within(from: $s, hops: 2) { totalCount '
                   'edges { hops node { id } } } }', s=start)["within"]
    assert [(e["node"]["id"], e["hops"]) for e in data["edges"]] == kg.within(S, hops=2)
    # by hops, then newest first
    assert ids(data) == [G, W, M, F, T]


def test_within_from_a_topic_and_a_provider(kg):
    data = run(kg, """{
      topic(slug: "Facial Recognition") { within(hops: 2, where: {mentions: "facial recognition"})
        { edges { hops node { id } } } }
      provider(domain: "https://www.sixthtone.com/") { within(hops: 1) { edges { node { id } } } }
    }""")
    assert [(e["node"]["id"], e["hops"]) for e in data["topic"]["within"]["edges"]] == [(P, 1)]
    assert ids(data["provider"]["within"]) == [M, S, T]


def test_within_kinds_and_via(kg):
    data = run(kg, f"""{{
      all: within(from: "{S}", hops: 1, kinds: [TOPIC, PROVIDER]) {{ edges {{ node {{ id }} }} }}
      related: within(from: "{S}", hops: 4, via: [RELATED]) {{ edges {{ node {{ id }} }} }}
    }}""")
    assert set(ids(data["all"])) == {"topic:ai", "topic:computer-vision", "provider:sixthtone.com"}
    assert ids(data["related"]) == [G, W]


@pytest.mark.parametrize("hops", [0, 5, -1])
def test_hops_out_of_range_is_an_error_saying_what_is_allowed(kg, hops):
    message = error_of(kg, f'{{ within(from: "{S}", hops: {hops}) {{ totalCount }} }}')
    assert message == f"hops must be 1 to 4, got {hops}"


def test_node_and_nodes(kg):
    data = run(kg, f"""{{
      a: node(id: "{S}") {{ id ... on Article {{ title isStub }} }}
      t: node(id: "topic:ai") {{ ... on Topic {{ slug name }} }}
      p: node(id: "provider:sixthtone.com") {{ ... on Provider {{ domain name }} }}
      missing: node(id: "article:https://nowhere.example/") {{ id }}
      many: nodes(ids: ["{G}", "topic:nope", "topic:ai"]) {{ id }}
    }}""")
    assert data["a"] == {"id": S, "title": "School faces backlash over facial recognition "
                         "scanners", "isStub": False}
    assert data["t"] == {"slug": "ai", "name": "AI"}
    assert data["p"] == {"domain": "sixthtone.com", "name": "Sixth Tone"}
    assert data["missing"] is None
    assert data["many"] == [{"id": G}, None, {"id": "topic:ai"}]


@pytest.mark.parametrize("bad", ["garbage", "story:1", ""])
def test_a_malformed_id_is_an_error(kg, bad):
    message = error_of(kg, "query($id: ID!) { node(id: $id) { id } }", id=bad)
    assert message.startswith(f"malformed id {bad!r}: expected 'article:<url>'")


def test_article_fields(kg):
    data = run(kg, f"""{{ node(id: "{S}") {{ ... on Article {{
        url webUrl originalUrl title excerpt body category type publishedAt quality heat
        published images {{ url }} isStub sources secured extra
        provider {{ id }} topics {{ slug name }}
        related {{ totalCount edges {{ node {{ id isStub }} }} }}
        relatedBy {{ totalCount }} }} }} }}""")["node"]
    assert data["url"] == "https://www.sixthtone.com/news/1/school-scanners"
    assert data["publishedAt"] == "2022-02-21T03:37:00+00:00"
    assert data["body"] == "A parent says the school forced students to pay with a scanner."
    assert data["secured"] == "abc==;def=="
    assert data["sources"] == [f"{CORPUS}/sixthtone/school.md:2"]
    assert data["provider"] == {"id": "provider:sixthtone.com"}
    assert [t["slug"] for t in data["topics"]] == ["computer-vision", "ai"]
    assert [(e["node"]["id"], e["node"]["isStub"]) for e in data["related"]["edges"]] == [
        (G, True), (W, True)]
    assert data["relatedBy"]["totalCount"] == 0


def test_related_by_lists_the_records_that_link_a_stub(kg):
    data = run(kg, f'{{ node(id: "{C}") {{ ... on Article {{ isStub sources '
                   f'relatedBy {{ edges {{ node {{ id }} }} }} }} }} }}')["node"]
    assert data["isStub"] is True
    assert ids(data["relatedBy"]) == [O, P]


@pytest.mark.parametrize("url", [
    "https://police.example/news/cameras?utm_source=rss",
    "https://police.example/news/cameras",
    "HTTPS://POLICE.EXAMPLE:443/news/cameras/#top",
])
def test_article_by_any_form_of_its_url(kg, url):
    assert run(kg, "query($u: String) { article(url: $u) { id } }", u=url)["article"] == {"id": P}


def test_unknown_lookups_are_null(kg):
    data = run(kg, """{ article(url: "https://nowhere.example/x") { id }
                       topic(slug: "no such topic") { id }
                       provider(domain: "nope.example") { id } }""")
    assert data == {"article": None, "topic": None, "provider": None}


def test_article_needs_exactly_one_of_url_or_id(kg):
    assert error_of(kg, "{ article { id } }") == "article takes exactly one of `url` or `id`"


@pytest.mark.parametrize(("where", "expected"), [
    ('{mentions: "facial recognition"}', [O, P, M, S, G]),
    ("{isStub: true}", [C, G, W]),
    ('{topics: ["Computer Vision"]}', [F, S]),
    ('{topics: ["computer-vision", "culture"]}', [F, S, T]),
    ('{providers: ["www.sixthtone.com"]}', [M, S, T]),
    ('{publishedAfter: "2022-03-01T00:00:00Z"}', [O, P, C, M]),
    ('{publishedBefore: "2022-02-19T00:25:00Z"}', [G, W, T]),
    ("{minQuality: 30}", [S]),
    ('{category: "NEWS"}', [S]),
    ('{mentions: "facial recognition", providers: ["sixthtone.com"]}', [M, S]),
])
def test_article_filter(kg, where, expected):
    data = run(kg, f"{{ articles(where: {where}, first: 100) "
                   f"{{ totalCount edges {{ node {{ id }} }} }} }}")
    assert ids(data["articles"]) == expected
    assert data["articles"]["totalCount"] == len(expected)


def test_article_orders(kg):
    data = run(kg, """{ asc: articles(orderBy: PUBLISHED_AT_ASC, first: 3) { edges { node { id } } }
                        q: articles(orderBy: QUALITY_DESC, first: 1) { edges { node { id } } } }""")
    assert ids(data["asc"]) == [T, W, G]
    assert ids(data["q"]) == [S]


def test_pagination_walks_every_article_once(kg):
    seen, after = [], None
    while True:
        data = run(kg, "query($a: String) { articles(first: 4, after: $a) { totalCount "
                       "edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                   a=after)["articles"]
        seen += ids(data)
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == data["totalCount"] == 9


@pytest.mark.parametrize(("args", "message"), [
    ("first: 101", "first must be 0 to 100, got 101"),
    ("first: -1", "first must be 0 to 100, got -1"),
    ('after: "nonsense"', "invalid cursor 'nonsense': pass a cursor from an edge or from "
                          "pageInfo.startCursor/endCursor of a previous page"),
])
def test_bad_page_arguments_are_errors(kg, args, message):
    assert error_of(kg, f"{{ articles({args}) {{ totalCount }} }}") == message


@pytest.mark.parametrize(("where", "said"), [
    ('{topics: ["!!!"]}', "'!!!' cannot be a topic: a topic's slug or name holds a letter"),
    ('{topics: ["culture", "---"]}', "'---' cannot be a topic"),
    ('{providers: ["a b"]}', "'a b' is not a domain: expected a host name like 'example.com'"),
])
def test_a_filter_naming_what_cannot_exist_is_an_error(kg, where, said):
    # A topic or provider the corpus lacks matches nothing; one that no corpus could
    # hold (no letter or digit, not a domain) is a mistake, said, not an empty answer.
    for query in (f"{{ articles(where: {where}) {{ totalCount }} }}",
                  f'{{ article(url: "{S[8:]}") {{ within(hops: 2, where: {where}) '
                  "{ totalCount } } }"):
        assert said in error_of(kg, query)
    assert run(kg, '{ articles(where: {topics: ["no such topic"], providers: ["nope.example"]}) '
                   "{ totalCount } }")["articles"]["totalCount"] == 0


def test_a_bad_date_is_an_error_naming_it(kg):
    message = error_of(kg, '{ articles(where: {publishedAfter: "last tuesday"}) { totalCount } }')
    assert "last tuesday" in message


def test_search_ranks_title_then_excerpt_then_body(kg):
    data = run(kg, '{ search(text: "Facial Recognition") { totalCount '
                   'edges { matchedIn node { id } } } }')["search"]
    assert [(e["node"]["id"], e["matchedIn"]) for e in data["edges"]] == [
        (S, "title"), (G, "title"), (O, "excerpt"), (M, "body"), (P, "topics")]


def test_search_needs_words(kg):
    assert "has no letters or digits" in error_of(kg, '{ search(text: "--") { totalCount } }')


def test_topic_and_provider_aggregates(kg):
    data = run(kg, """{
      topic(slug: "computer-vision") { name articleCount coTopics { topic { slug } count }
        articles { edges { node { id } } } }
      provider(domain: "sixthtone.com") { articleCount topics { topic { slug } count } }
      topics { totalCount } providers { totalCount edges { node { domain } } }
    }""")
    topic = data["topic"]
    assert topic["name"] == "computer vision"  # a tie of spellings goes to the first seen
    assert topic["articleCount"] == 2
    assert topic["coTopics"] == [{"topic": {"slug": "ai"}, "count": 1}]
    assert ids(topic["articles"]) == [F, S]
    assert data["provider"]["articleCount"] == 3
    assert [(t["topic"]["slug"], t["count"]) for t in data["provider"]["topics"]] == [
        ("ai", 1), ("computer-vision", 1), ("culture", 1), ("transport", 1)]
    assert data["topics"]["totalCount"] == 7
    assert [e["node"]["domain"] for e in data["providers"]["edges"]] == [
        "council.example", "gazettetimes.com", "police.example", "sixthtone.com",
        "techfund.example", "weather.example"]


def test_neighborhood_is_nodes_and_edges_among_them(kg):
    data = run(kg, f"""{{ neighborhood(from: "{S}") {{ truncated
        nodes {{ node {{ id }} kind label hops }} edges {{ id source target kind }} }} }}""")[
        "neighborhood"]
    assert data["truncated"] is False
    data["nodes"] = [{"id": n.pop("node")["id"], **n} for n in data["nodes"]]
    assert {n["id"]: n["hops"] for n in data["nodes"]} == {
        S: 0, G: 1, W: 1, "topic:ai": 1, "topic:computer-vision": 1, "provider:sixthtone.com": 1}
    assert data["nodes"][0] == {"id": S, "kind": "ARTICLE", "hops": 0,
                                "label": "School faces backlash over facial recognition scanners"}
    assert len(data["edges"]) == 5
    assert all(e["source"] == S for e in data["edges"])
    assert {"id": f"RELATED:{S}->{G}", "source": S, "target": G, "kind": "RELATED"} in data["edges"]


def test_neighborhood_limit_truncates(kg):
    data = run(kg, f'{{ node(id: "{S}") {{ ... on Traversable {{ neighborhood(hops: 2, '
                   f'limit: 3) {{ truncated nodes {{ hops }} }} }} }} }}')["node"]["neighborhood"]
    assert data["truncated"] is True
    assert len(data["nodes"]) == 3


def test_path_to(kg):
    data = run(kg, f"""{{
      found: pathTo(from: "{M}", id: "{G}") {{ length nodes {{ id }} edges {{ kind }} }}
      none: pathTo(from: "{S}", id: "{O}") {{ length }}
      short: pathTo(from: "{M}", id: "{G}", maxHops: 2) {{ length }}
      unknown: pathTo(from: "{M}", id: "topic:nothing") {{ length }}
    }}""")
    assert data["found"] == {
        "length": 3, "nodes": [{"id": M}, {"id": "provider:sixthtone.com"}, {"id": S}, {"id": G}],
        "edges": [{"kind": "PUBLISHED_BY"}, {"kind": "PUBLISHED_BY"}, {"kind": "RELATED"}]}
    assert data["none"] is None and data["short"] is None and data["unknown"] is None


def test_stats_and_load_report(kg):
    data = run(kg, """{ stats { records articles stubs providers topics nodes edges
                                 edgesByKind { kind count } }
                        loadReport { files errors { path } warnings { reason }
                                     skipped { path } } }""")
    assert data["stats"] == {
        "records": 6, "articles": 9, "stubs": 3, "providers": 6, "topics": 7, "nodes": 22,
        "edges": 21, "edgesByKind": [{"kind": "RELATED", "count": 4},
                                      {"kind": "PUBLISHED_BY", "count": 9},
                                      {"kind": "TAGGED", "count": 8}]}
    assert data["loadReport"] == {"files": 5, "errors": [], "warnings": [], "skipped": []}


def test_an_unexpected_exception_is_masked(kg, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyError("/secret/internal/path")

    monkeypatch.setattr(graph.KnowledgeGraph, "within_lazy_paths", boom)
    response = execute(kg, f'{{ within(from: "{S}") {{ totalCount }} }}')
    assert [e["message"] for e in response["errors"]] == ["Unexpected error."]
    assert "secret" not in str(response)


def _described(
        thing: GraphQLNamedType | GraphQLField | GraphQLArgument | GraphQLInputField) -> bool:
    return bool(getattr(thing, "description", None))


def test_every_type_field_and_argument_has_a_description():
    missing = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not _described(gtype):
            missing.append(name)
        for fname, fdef in getattr(gtype, "fields", {}).items():
            if not _described(fdef):
                missing.append(f"{name}.{fname}")
            for aname, arg in getattr(fdef, "args", {}).items():
                if not _described(arg):
                    missing.append(f"{name}.{fname}({aname})")
        for vname, value in getattr(gtype, "values", {}).items():
            if not value.description:
                missing.append(f"{name}.{vname}")
    assert missing == []


def test_committed_sdl_is_current():
    committed = (Path(__file__).parent.parent / "schema" / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", (
        "schema/schema.graphql is stale: run `newsgraph schema > schema/schema.graphql`")
