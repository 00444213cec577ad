"""The Relay specifications, in-process on the fixture corpus: Global Object Identification
(every id refetchable through node(id:), one type per id, Node exactly `id`) and Cursor
Connections (first/after, last/before, pageInfo, cursors bound to their list)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import graph
from schema.query import execute, schema

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"
SIXTH_TONE = "provider:sixthtone.com"


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(CORPUS)


def run(kg, query, **variables):
    response = execute(kg, query, variables or None)
    assert "errors" not in response, response["errors"]
    return response["data"]


def error_of(kg, query, **variables) -> str:
    response = execute(kg, query, variables or None)
    assert response.get("errors"), response
    return response["errors"][0]["message"]


# -- Global Object Identification -----------------------------------------------------


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("provider:www.sixthtone.com", SIXTH_TONE),
    ("provider:https://www.sixthtone.com/news/1", SIXTH_TONE),
    ("topic:Facial Recognition", "topic:facial-recognition"),
    ("topic:FACIAL-RECOGNITION", "topic:facial-recognition"),
    ("article:https://WWW.SixthTone.com/news/1/school-scanners/?utm_source=x", S),
])
def test_node_accepts_every_spelling_of_the_typed_root_fields(kg, spelling, canonical):
    data = run(kg, "query ($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }",
               id=spelling)
    assert data == {"node": {"id": canonical}, "nodes": [{"id": canonical}]}


def test_every_id_is_refetchable_with_its_own_type(kg):
    data = run(kg, """query ($from: [ID!]!) { storylines(first: 1) { edges { node {
        __typename id size } } } neighborhood(from: $from, hops: 1) { edges { __typename id
        kind source } } }""", **{"from": [S]})
    storyline = data["storylines"]["edges"][0]["node"]
    edge = data["neighborhood"]["edges"][0]
    for obj in (storyline, edge):
        again = run(kg, "query ($id: ID!) { node(id: $id) { __typename id } }", id=obj["id"])
        assert again["node"] == {"__typename": obj["__typename"], "id": obj["id"]}
    back = run(kg, "query ($id: ID!) { node(id: $id) { ... on Storyline { size } "
                   "... on GraphEdge { kind source } } }", id=storyline["id"])
    assert back["node"] == {"size": storyline["size"]}


# URLs whose text holds what an edge id is made of: "->" and the prefixes of the ids.
ARROWS = ["https://arrows.example/a->article:https://other.example/b",
          "https://arrows.example/a->b", "https://arrows.example/topic:x->provider:y",
          "https://arrows.example/plain"]


def test_every_edge_id_refetches_when_urls_hold_arrows_and_prefixes(tmp_path):
    # An edge id is 'KIND:<source id>-><target id>'; it was split at the first '->' before
    # an id prefix, so an edge from an article whose URL holds '->article:' was null.
    records = [{"title": f"Story {i}", "webUrl": url, "topics": ["a->topic:b"],
                "provider": {"name": "Arrows", "domain": "arrows.example"},
                "related": [{"webUrl": ARROWS[(i + 1) % len(ARROWS)]}]}
               for i, url in enumerate(ARROWS)]
    (tmp_path / "arrows.yaml").write_text(yaml.safe_dump(records), encoding="utf-8")
    arrows = graph.load(tmp_path)
    assert arrows.report.ok
    edges = run(arrows, """query ($from: [ID!]!) { neighborhood(from: $from, hops: 2,
        limit: 500) { edges { id kind source target } } }""",
                **{"from": [f"article:{ARROWS[0]}"]})["neighborhood"]["edges"]
    assert {e["kind"] for e in edges} == {"RELATED", "PUBLISHED_BY", "TAGGED"}
    for e in edges:
        again = run(arrows, """query ($id: ID!) { node(id: $id) { id ... on GraphEdge {
            kind source target } } }""", id=e["id"])
        assert again["node"] == e, e["id"]

def test_unknown_ids_are_null_and_malformed_ones_say_what_is_allowed(kg):
    data = run(kg, '{ a: node(id: "storyline:0000000000000000") { id } '
                   'b: node(id: "topic:nope") { id } '
                   f'c: node(id: "RELATED:{S}->topic:nope") {{ id }} }}')
    assert data == {"a": None, "b": None, "c": None}
    message = error_of(kg, '{ node(id: "nonsense") { id } }')
    assert "'nonsense'" in message and "storyline:<16 hex digits>" in message



@pytest.mark.parametrize(("query", "words"), [
    ('{ article(url: "not a url") { id } }', ["'not a url' is not an absolute URL",
                                               "like 'https://example.com/story'"]),
    ('{ article(url: "javascript://x.example/%0Aalert(1)") { id } }',
     ["not a web URL", "http or https"]),
    ('{ node(id: "article:not a url") { id } }', ["malformed id 'article:not a url'",
                                                  "not an absolute URL"]),
    ('{ nodes(ids: ["article:ftp://x.example/a"]) { id } }', ["malformed id", "http or https"]),
    ('{ provider(domain: "a b") { id } }', ["'a b' is not a domain", "like 'example.com'"]),
    ('{ topic(slug: "!!!") { id } }', ["'!!!' cannot be a topic", "a letter or digit",
                                       "like 'facial-recognition'"]),
    ('{ node(id: "topic:---") { id } }', ["malformed id 'topic:---'", "cannot be a topic"]),
])
def test_a_url_or_domain_that_cannot_be_one_is_an_error_not_a_miss(kg, query, words):
    # A typo answered null, as if the story were not in the corpus: the docs promise an
    # error that says what was wrong and what is allowed for a malformed argument.
    message = error_of(kg, query)
    for w in words:
        assert w in message, message


def test_a_well_formed_url_or_domain_not_in_the_corpus_is_still_null(kg):
    data = run(kg, '{ a: article(url: "https://nowhere.example/story") { id } '
                   'n: node(id: "article:https://nowhere.example/story") { id } '
                   'p: provider(domain: "nowhere.example") { id } '
                   't: topic(slug: "No Such Topic") { id } }')
    assert data == {"a": None, "n": None, "p": None, "t": None}

def test_a_drawn_node_is_not_the_node_it_draws(kg):
    data = run(kg, '{ neighborhood(from: ["provider:sixthtone.com"], hops: 1) { nodes { hops '
                   'node { __typename id } } } }')
    nodes = data["neighborhood"]["nodes"]
    assert nodes[0] == {"hops": 0, "node": {"__typename": "Provider", "id": SIXTH_TONE}}
    message = error_of(kg, '{ neighborhood(from: ["provider:sixthtone.com"]) { nodes { id } } }')
    assert "Cannot query field 'id' on type 'GraphNode'" in message


def test_every_type_with_a_field_named_id_is_a_node():
    # Relay's store keys every object by its `id` field, whatever the field's type or
    # nullability: an ingest answer's `id` (the article's) merged the result with the
    # Article record ("conflicting types `IngestResult` and `Article`", relay-runtime).
    from graphql import GraphQLInterfaceType, GraphQLObjectType

    gql = schema._schema
    node = gql.get_type("Node")
    with_id_not_node = sorted(
        t.name for t in gql.type_map.values()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        and not t.name.startswith("__") and "id" in t.fields
        and t is not node and node not in t.interfaces)
    assert with_id_not_node == []


def test_an_ingest_answer_names_its_article_without_an_id_of_its_own():
    fields = schema._schema.get_type("IngestResult").fields
    assert "id" not in fields
    assert str(fields["articleId"].type) == "ID"


def test_traversal_lives_on_traversable(kg):
    data = run(kg, '{ node(id: "provider:sixthtone.com") { ... on Traversable { within(hops: 1) '
                   '{ totalCount } } } }')
    assert data["node"]["within"]["totalCount"] > 0


# -- Cursor Connections -----------------------------------------------------------------

TOPICS = """query ($first: Int, $after: String, $last: Int, $before: String) {
  topics(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { id } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }"""


def _ids(page):
    return [e["node"]["id"] for e in page["edges"]]


def test_pages_both_ways_with_the_pageinfo_of_the_spec(kg):
    every = run(kg, TOPICS, first=100)["topics"]
    ids, cursors = _ids(every), [e["cursor"] for e in every["edges"]]
    assert len(ids) >= 5
    # first/after: hasPreviousPage says whether anything precedes `after` itself.
    page = run(kg, TOPICS, first=2, after=cursors[0])["topics"]
    assert _ids(page) == ids[1:3]
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["hasNextPage"] is True
    page = run(kg, TOPICS, first=2, after=cursors[1])["topics"]
    assert page["pageInfo"]["hasPreviousPage"] is True
    # last/before, from the end backwards.
    tail = run(kg, TOPICS, last=2)["topics"]
    assert _ids(tail) == ids[-2:]
    assert tail["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False,
                                "startCursor": cursors[-2], "endCursor": cursors[-1]}
    before = run(kg, TOPICS, last=2, before=tail["pageInfo"]["startCursor"])["topics"]
    assert _ids(before) == ids[-4:-2]
    assert before["pageInfo"]["hasNextPage"] is True
    head = run(kg, TOPICS, last=10, before=cursors[2])["topics"]
    assert _ids(head) == ids[:2]
    assert head["pageInfo"]["hasPreviousPage"] is False
    # Between two cursors.
    middle = run(kg, TOPICS, after=cursors[0], before=cursors[3])["topics"]
    assert _ids(middle) == ids[1:3]


def test_a_cursor_is_bound_to_its_connection_and_arguments(kg):
    articles = run(kg, '{ articles(first: 1) { pageInfo { endCursor } } }')
    cursor = articles["articles"]["pageInfo"]["endCursor"]
    message = error_of(kg, TOPICS, first=1, after=cursor)
    assert "belongs to another list" in message and repr(cursor) in message
    message = error_of(kg, 'query ($c: String) { articles(first: 1, after: $c, '
                           'orderBy: TITLE_ASC) { totalCount } }', c=cursor)
    assert "belongs to another list" in message
    same = run(kg, 'query ($c: String) { articles(first: 1, after: $c) { totalCount } }',
               c=cursor)
    assert same["articles"]["totalCount"] > 1


@pytest.mark.parametrize(("arguments", "words"), [
    ("last: -1", "last must be 0 to 100, got -1"),
    ("last: 101", "last must be 0 to 100, got 101"),
    ('before: "nope"', "invalid cursor 'nope'"),
])
def test_bad_paging_arguments_say_what_is_allowed(kg, arguments, words):
    assert words in error_of(kg, f"{{ topics({arguments}) {{ totalCount }} }}")


def test_last_is_a_page_size_for_the_limits_too(kg):
    from schema.query import schema
    from schema.settings import Settings

    def errors(query, **settings):
        result = schema.execute_sync(query, context_value={
            "kg": kg, "settings": Settings(**settings)})
        return [e.message for e in result.errors or ()]

    # The estimate counts `last` like `first`: 100 topics with 2 objects each.
    assert "the query may return" in errors("{ topics(last: 100) { edges { node { id } } } }",
                                           max_objects=150)[0]
    assert errors("{ topics(last: 3) { edges { node { id } } } }", max_objects=150) == []
    assert "last must be 0 to 5, got 6" in errors("{ topics(last: 6) { totalCount } }",
                                                  max_first=5)[0]


@pytest.mark.parametrize("encoded", [
    "article:https://www.sixthtone.com/news/1009712/chinese-school-faces-backlash-over-use-of"
    "-facial-recognition-scanners",
    # Relay's own servers (graphql-relay's toGlobalId) encode 'Type:id'
    "Article:https://www.sixthtone.com/news/1009712/chinese-school-faces-backlash-over-use-of"
    "-facial-recognition-scanners",
    "Topic:ai",
])
def test_an_id_encoded_as_relay_servers_encode_theirs_says_to_send_it_as_given(kg, encoded):
    """A client (or its cache layer) that base64-encodes ids, as graphql-relay's toGlobalId
    does, got only 'malformed id' with the encoded text: the error now says what it
    decodes to and that ids are sent as `id` gives them."""
    import base64

    sent = base64.b64encode(encoded.encode()).decode()
    message = error_of(kg, f'{{ node(id: "{sent}") {{ id }} }}')
    assert f"malformed id {sent!r}" in message
    assert f"it is base64 for {encoded!r}" in message, message
    assert "send an id as the `id` field gives it, not encoded" in message


def test_an_id_that_merely_looks_like_base64_gets_no_such_hint(kg):
    message = error_of(kg, '{ node(id: "nonsense") { id } }')
    assert "base64" not in message
