"""docs/explorer.md shows real answers: each of its queries, run against the bundled data/
from the repository root, answers what the document says (layout coordinates and scores
within rounding)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import graph
from schema.query import execute

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "explorer.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def _examples() -> list[tuple[str, dict | None, dict]]:
    text = DOC.read_text(encoding="utf-8")
    out: list[tuple[str, dict | None, dict]] = []
    query = variables = None
    for match in _FENCE.finditer(text):
        lang, body = match.group(1), match.group(2)
        before = text[: match.start()].rstrip().splitlines()[-1]
        if lang == "graphql":
            query, variables = body, None
        elif lang == "json" and before == "with variables:":
            variables = json.loads(body)
        elif lang == "json" and before == "answers:":
            assert query is not None, "an answer without a query"
            out.append((query, variables, json.loads(body)))
            query = None
    return out


def _close(got: object, want: object, key: str = "") -> bool:
    if isinstance(want, float) or isinstance(got, float):
        tolerance = 1.0 if key in ("x", "y") else 1e-6
        return isinstance(got, int | float) and abs(got - want) <= tolerance  # type: ignore[operator]
    if isinstance(want, dict):
        return (isinstance(got, dict) and got.keys() == want.keys()
                and all(_close(got[k], want[k], k) for k in want))
    if isinstance(want, list):
        return (isinstance(got, list) and len(got) == len(want)
                and all(_close(g, w, key) for g, w in zip(got, want, strict=True)))
    return got == want


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    import os

    here = os.getcwd()
    os.chdir(ROOT)  # evidence is path:line relative to where the data is loaded from
    try:
        kg = graph.load(Path("data"))
        # What a server's background job has installed once /readyz says the analytics
        # are ready (an export never computes them itself).
        kg.analytics.install(kg.analytics.compute_all())
        return kg
    finally:
        os.chdir(here)


def test_the_document_has_its_examples():
    assert len(_examples()) == 7


@pytest.mark.parametrize("number", range(7))
def test_each_example_answers_as_shown(kg, number):
    query, variables, shown = _examples()[number]
    got = execute(kg, query, variables)
    assert _close(got, shown), json.dumps(got, indent=2)[:3000]
