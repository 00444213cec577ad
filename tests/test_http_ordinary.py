"""The view's short way for an operation POSTed as plain JSON (GraphQLOverHTTP._ordinary)
answers exactly as Strawberry's ``run`` does, and is the way such requests take."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app
from schema.http import GRAPHQL_RESPONSE, GraphQLOverHTTP
from schema.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"
WITHIN = """query W($from: ID!, $first: Int) {
  within(from: $from, hops: 2, first: $first) {
    totalCount edges { hops node { id ... on Article { title publishedAt
      provider { name } topics { slug } } } } } }"""

# (body, content type, accept, whether the short way answers it)
CASES: dict[str, tuple[Any, str, str | None, bool]] = {
    "within": ({"query": WITHIN, "variables": {"from": S, "first": 3}},
               "application/json", None, True),
    "charset": ({"query": "{ stats { articles } }"}, "application/json; charset=utf-8",
                "*/*", True),
    "named": ({"query": "query A { stats { records } }", "operationName": "A"},
              "application/json", None, True),
    "unknown operation": ({"query": "query A { stats { records } }", "operationName": "B"},
                          "application/json", GRAPHQL_RESPONSE, True),
    "validation": ({"query": "{ stats { nope } }"}, "application/json", None, True),
    "validation, spec media": ({"query": "{ stats { nope } }"}, "application/json",
                               GRAPHQL_RESPONSE, True),
    "parse": ({"query": "{ stats { records "}, "application/json", GRAPHQL_RESPONSE, True),
    "variable coercion": ({"query": "query($n: Int) { articles(first: $n) { totalCount } }",
                           "variables": {"n": "ten"}}, "application/json", None, True),
    "field error": ({"query": WITHIN, "variables": {"from": "article:nowhere"}},
                    "application/json", None, True),
    "mutation without token": ({"query": "mutation { ingest(records: []) { added } }"},
                               "application/json", None, True),
    "extensions": ({"query": "{ stats { articles } }", "extensions": {"x": 1}},
                   "application/json", None, True),
    "no query": ({"variables": {}}, "application/json", None, False),
    "query not a string": ({"query": 7}, "application/json", None, False),
    "variables not a map": ({"query": "{ stats { articles } }", "variables": [1]},
                            "application/json", None, False),
    "batch": ([{"query": "{ stats { articles } }"}], "application/json", None, False),
    "not an object": ("x", "application/json", None, False),
    "bad JSON": (b"{", "application/json", None, False),
    "other content type": ({"query": "{ stats { articles } }"}, "text/plain", None, False),
    "JSON with parameters": ({"query": "{ stats { articles } }"},
                             "application/json; profile=x", None, False),
}


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(CORPUS)


def _answer(kg: graph.KnowledgeGraph, case: tuple[Any, str, str | None, bool],
            short: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    body, content_type, accept, _ = case
    taken: list[bool] = []
    real = GraphQLOverHTTP._ordinary

    async def ordinary(self: GraphQLOverHTTP, request: Any, media: str) -> Any:
        try:
            answer = await real(self, request, media) if short else None
        except Exception:  # a request refused whole (an unknown operation: 400)
            taken.append(True)
            raise
        taken.append(answer is not None)
        return answer

    monkeypatch.setattr(GraphQLOverHTTP, "_ordinary", ordinary)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": content_type, **({"accept": accept} if accept else {})}
    # A new app each time: no stored answer (schema/middleware/cache.py) is replayed.
    with TestClient(create_app(kg, Settings())) as client:
        response = client.post("/graphql", content=raw, headers=headers)
    monkeypatch.undo()
    kept = {k: v for k, v in response.headers.items()
            if k not in ("server-timing", "content-length")}
    return response.status_code, kept, response.json(), taken


@pytest.mark.parametrize("name", list(CASES))
def test_the_short_way_answers_as_strawberrys_view(kg, name, monkeypatch):
    case = CASES[name]
    *short, taken = _answer(kg, case, True, monkeypatch)
    *strawberry, _ = _answer(kg, case, False, monkeypatch)
    assert short == strawberry
    assert taken == [case[3]]  # a plain POST takes it; anything else is left to `run`
