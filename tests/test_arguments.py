"""Every bounded argument of every field is refused outside its documented range, in the
same words, and a traversal's start and end are looked up by the graph function alone."""

from __future__ import annotations

from pathlib import Path

import pytest

import graph
from schema.query import execute

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"
G = "article:https://www.gazettetimes.com/news/oregon-facial-recognition"
NOWHERE = "article:https://nowhere.example/none"


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(CORPUS)


def message_of(kg: graph.KnowledgeGraph, query: str) -> str:
    response = execute(kg, query)
    assert response.get("errors"), response
    return response["errors"][0]["message"]


FIELDS = {
    "within": (f'within(from: "{S}", {{}}) {{{{ totalCount }}}}',
               "within({}) {{ totalCount }}"),
    "neighborhood": (f'neighborhood(from: ["{S}"], {{}}) {{{{ truncated }}}}',
                     "neighborhood({}) {{ truncated }}"),
    "pathTo": (f'pathTo(from: "{S}", id: "{G}", {{}}) {{{{ length }}}}',
               f'pathTo(id: "{G}", {{}}) {{{{ length }}}}'),
}


@pytest.mark.parametrize(("field", "argument", "message"), [
    ("within", "hops: 0", "hops must be 1 to 4, got 0"),
    ("within", "hops: 5", "hops must be 1 to 4, got 5"),
    ("within", "first: 101", "first must be 0 to 100, got 101"),
    ("within", "last: -1", "last must be 0 to 100, got -1"),
    ("neighborhood", "hops: -1", "hops must be 0 to 4, got -1"),
    ("neighborhood", "hops: 5", "hops must be 0 to 4, got 5"),
    ("neighborhood", "limit: 0", "limit must be 1 to 2000, got 0"),
    ("neighborhood", "limit: 2001", "limit must be 1 to 2000, got 2001"),
    ("pathTo", "maxHops: 0", "maxHops must be 1 to 4, got 0"),
    ("pathTo", "maxHops: 9", "maxHops must be 1 to 4, got 9"),
])
@pytest.mark.parametrize("where", ["root", "node"])
def test_each_traversal_refuses_its_bounds_in_the_documented_words(kg, field, argument,
                                                                    message, where):
    root, on_node = FIELDS[field]
    query = root.format(argument) if where == "root" else \
        f'{{ node(id: "{S}") {{ ... on Traversable {{ {on_node.format(argument)} }} }} }}'
    if where == "root":
        query = "{ " + query + " }"
    assert message_of(kg, query) == message


def test_paths_refuse_their_bounds_too(kg):
    assert message_of(kg, f'{{ paths(from: "{S}", to: "{G}", maxHops: 9) {{ length }} }}') == \
        "maxHops must be 1 to 4, got 9"


def test_an_unknown_start_is_an_error_and_an_unknown_end_no_path(kg):
    assert message_of(kg, f'{{ within(from: "{NOWHERE}") {{ totalCount }} }}').startswith(
        f"no node {NOWHERE!r}")
    assert message_of(kg, f'{{ pathTo(from: "{NOWHERE}", id: "{G}") {{ length }} }}'
                      ).startswith(f"no node {NOWHERE!r}")
    data = execute(kg, f"""{{ end: pathTo(from: "{S}", id: "{NOWHERE}") {{ length }}
      both: pathTo(from: "{NOWHERE}", id: "{NOWHERE}") {{ length }}
      paths: paths(from: "{NOWHERE}", to: "{G}") {{ length }} }}""")
    assert "errors" not in data
    assert data["data"] == {"end": None, "both": None, "paths": []}


def test_a_start_given_by_url_answers_as_by_id(kg):
    url = kg.nx.nodes[S]["url"]
    by_id = execute(kg, f'{{ within(from: "{S}", hops: 2) {{ edges {{ node {{ id }} }} }} }}')
    by_url = execute(kg, f'{{ within(from: "{url}", hops: 2) {{ edges {{ node {{ id }} }} }} }}')
    assert by_id["data"] == by_url["data"] and by_id["data"]["within"]["edges"]


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "9" * 400])
@pytest.mark.parametrize("where", [
    "articles(where: {{minQuality: {}}}) {{ totalCount }}",
    'within(from: "topic:ai", where: {{minQuality: {}}}) {{ totalCount }}',
])
def test_a_float_literal_past_what_a_float_holds_is_refused(kg, literal, where):
    # As a variable, 1e400 is "Float cannot represent non numeric value: inf"; written in
    # the document, graphql-core read it as infinity and the filter matched nothing.
    message = message_of(kg, "{ " + where.format(literal) + " }")
    assert message.startswith("minQuality must be a finite number"), message
    assert "read as -inf" in message if literal.startswith("-") else "read as inf" in message
