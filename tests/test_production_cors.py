"""--production masks every field and value suggestion; CORS preflights answer the status
the documentation gives, with and without --cors-origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app
from schema.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"
FILTER_TYPE = "ArticleFilter"
TITLES = "{ edges { node { title } } }"
CASES = {
    "inline input field": {"query": '{ articles(where: {mention: "x"}) ' + TITLES + " }"},
    "variables input field": {
        "query": f"query($w: {FILTER_TYPE}) {{ articles(where: $w) {TITLES} }}",
        "variables": {"w": {"mention": "x"}}},
    "field": {"query": "{ articles { edges { node { titel } } } }"},
    "root field": {"query": "{ article { title } }"},
    "argument": {"query": "{ articles(frist: 1) { edges { node { title } } } }"},
    "enum value": {"query": "{ articles(orderBy: QUALITY_DES) { edges { node { title } } } }"},
    "variables enum value": {
        "query": "query($o: ArticleOrder) { articles(orderBy: $o) { edges { node { title } } } }",
        "variables": {"o": "QUALITY_DES"}},
    "type": {"query": "query($w: ArticleFiltr) { articles(where: $w) " + TITLES + " }"},
}


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(FIXTURES)


def _messages(kg: graph.KnowledgeGraph, production: bool, body: dict) -> list[str]:
    with TestClient(create_app(kg, Settings(production=production))) as c:
        r = c.post("/graphql", json=body)
    return [e["message"] for e in json.loads(r.text)["errors"]]


@pytest.mark.parametrize("case", CASES)
def test_production_masks_every_suggestion(kg, case):
    body = CASES[case]
    development = " ".join(_messages(kg, False, body))
    production = _messages(kg, True, body)
    assert production and all("Did you mean" not in m and "did you mean" not in m.lower()
                              for m in production), production
    if "Did you mean" in development:  # the same error, its suggestion alone gone
        assert len(production) == len(_messages(kg, False, body))


def test_development_still_suggests(kg):
    assert "Did you mean 'mentions'?" in " ".join(
        _messages(kg, False, CASES["variables input field"]))


PREFLIGHT = {"origin": "https://elsewhere.example", "access-control-request-method": "POST"}


def test_a_preflight_without_cors_origins_is_refused_with_400(kg):
    with TestClient(create_app(kg, Settings())) as c:
        r = c.options("/graphql", headers=PREFLIGHT)
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers
    assert "--cors-origin" in r.text


def test_a_preflight_from_an_unlisted_origin_is_refused_with_400(kg):
    with TestClient(create_app(kg, Settings(cors_origins=("https://ok.example",)))) as c:
        refused = c.options("/graphql", headers=PREFLIGHT)
        allowed = c.options("/graphql", headers={**PREFLIGHT, "origin": "https://ok.example"})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://ok.example"


def test_a_plain_options_request_is_not_a_preflight(kg):
    with TestClient(create_app(kg, Settings())) as c:
        assert c.options("/graphql").status_code == 405


def test_the_documented_preflight_status_is_the_one_served():
    import re

    root = Path(__file__).parent.parent
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    said = [p.name for p in pages
            if re.search(r"\b400\b[^.]*preflight|preflight[^.]*\b400\b",
                         p.read_text(encoding="utf-8"))]
    assert said, "no page documents the preflight status"
    assert not [p.name for p in pages if re.search(r"preflight[^.]*\b405\b",
                                                   p.read_text(encoding="utf-8"))]
