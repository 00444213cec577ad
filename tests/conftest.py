"""Shared helpers: tiny records written to ``tmp_path`` in any file form, and a small corpus.

Nothing here reads the bundled ``data/`` folder.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

import graph

# No per-example time limit for Hypothesis: a property here checks what an example gives,
# not how long it takes (timings are measured in bench/), and Hypothesis's 200 ms default
# failed examples that took 0.09 ms alone when a loaded machine paused the test
# (test_normalize's canonical_url property took 547 ms once at load 11). A test that
# sets its own settings keeps them.
settings.register_profile("newsgraph", deadline=None)
settings.load_profile("newsgraph")

FORMS = ("md", "yaml", "json", "jsonl")


def record(slug: str, host: str = "news.example", **fields: Any) -> dict[str, Any]:
    """Return the fields of a small valid record at ``https://<host>/<slug>``."""
    return {"title": f"Story {slug}", "webUrl": f"https://{host}/{slug}", **fields}


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {value!r} as JSON")


def write_record(
    tmp_path: Path, relpath: str, fields: dict[str, Any] | list[dict[str, Any]],
    body: str | None = None, form: str = "md",
) -> Path:
    """Write ``fields`` (a record, or a list for yaml/json/jsonl) to ``tmp_path/relpath``.

    ``form`` is one of :data:`FORMS`; the suffix of ``relpath`` is taken as given, so a
    test can write, say, a ``.markdown`` or ``.yml`` file. Dates and datetimes stay
    YAML timestamps in the md/yaml forms and become ISO 8601 strings in the json forms.
    """
    path = tmp_path / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if body is not None and form != "md":
        raise ValueError("only the md form has a body")
    if form == "md":
        front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
        text = f"---\n{front}---\n{body or ''}"
    elif form == "yaml":
        text = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    elif form == "json":
        text = json.dumps(fields, default=_json_default, ensure_ascii=False, indent=2)
    elif form == "jsonl":
        rows = fields if isinstance(fields, list) else [fields]
        text = "".join(
            json.dumps(row, default=_json_default, ensure_ascii=False) + "\n" for row in rows
        )
    else:
        raise ValueError(f"unknown form {form!r}: expected one of {FORMS}")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def write(tmp_path: Path):
    """``write(relpath, fields, body=None, form="md")``: :func:`write_record` into ``tmp_path``."""

    def _write(relpath: str, fields: Any, body: str | None = None, form: str = "md") -> Path:
        return write_record(tmp_path, relpath, fields, body, form)

    return _write


def errors_by_path(report: graph.LoadReport) -> dict[str, list[graph.Problem]]:
    """Return the report's errors grouped by file path."""
    out: dict[str, list[graph.Problem]] = {}
    for problem in report.errors:
        out.setdefault(problem.path, []).append(problem)
    return out


# The traversal corpus (R = RELATED, T = TAGGED, P = PUBLISHED_BY; newest first by date):
#
#   seed ─R→ one ─R→ two ─R→ three          seed ─R→ stub  (a related entry only)
#   seed ─T→ topic:privacy ←T─ near         one ─T→ topic:surveillance ←T─ topicmatch
#   seed ─P→ provider:a.example ←P─ sibling island (alone, with its own provider)
#
# "facial recognition" is in one (title, hyphenated), two (title, possessive), three,
# sibling (line-wrapped in the body) and topicmatch (a topic name only); near says
# "face recognition" and stub says nothing about it.
CORPUS = {
    "seed.md": (record(
        "seed", "a.example", title="Seed story on school scanners",
        publishedDateTime=datetime.fromisoformat("2022-02-21T03:37:00+00:00"),
        provider={"name": "A Times", "domain": "a.example"}, topics=["Privacy"],
        related=[{"title": "Stations adopt facial-recognition gates",
                  "webUrl": "https://b.example/one"},
                 {"title": "Related stub", "webUrl": "https://g.example/stub",
                  "provider": {"name": "G Wire", "domain": "g.example"}}],
    ), None),
    "b/one.md": (record(
        "one", "b.example", title="Stations adopt facial-recognition gates",
        publishedDateTime=datetime.fromisoformat("2022-02-20T10:00:00+00:00"),
        topics=["Surveillance"],
        related=[{"title": "Airports", "webUrl": "https://c.example/two"}],
    ), None),
    "c/two.md": (record(
        "two", "c.example", title="Airports and Facial Recognition's spread",
        publishedDateTime=datetime.fromisoformat("2022-02-19T10:00:00+00:00"),
        related=[{"title": "Three", "webUrl": "https://d.example/three"}],
    ), None),
    "d/three.md": (record(
        "three", "d.example", title="Facial recognition, three hops out",
        publishedDateTime=datetime.fromisoformat("2022-02-18T10:00:00+00:00"),
    ), None),
    "e/near.md": (record(
        "near", "e.example", title="Face recognition, a near miss", topics=["privacy"],
        publishedDateTime=datetime.fromisoformat("2022-02-22T10:00:00+00:00"),
    ), None),
    "a/sibling.md": (record(
        "sibling", "a.example", title="School lunches",
        publishedDateTime=datetime.fromisoformat("2022-02-17T10:00:00+00:00"),
    ), "The vendor now uses facial\nrecognition at the till.\n"),
    "f/topicmatch.md": (record(
        "topicmatch", "f.example", title="Cameras everywhere",
        topics=["Facial Recognition", "Surveillance"],
        publishedDateTime=datetime.fromisoformat("2022-02-23T10:00:00+00:00"),
    ), None),
    "z/island.md": (record(
        "island", "z.example", title="Facial recognition on an island",
        publishedDateTime=datetime.fromisoformat("2022-01-01T00:00:00+00:00"),
    ), None),
}


@pytest.fixture
def corpus(tmp_path: Path) -> graph.KnowledgeGraph:
    """The traversal corpus drawn above, loaded from markdown files in ``tmp_path``."""
    for relpath, (fields, body) in CORPUS.items():
        write_record(tmp_path / "corpus", relpath, fields, body)
    kg = graph.load(tmp_path / "corpus")
    assert kg.report.ok and not kg.report.warnings, kg.report.summary()
    return kg


SAMPLE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count graphql-core's field comparisons in validation (each pair of fields of one
    response name that OverlappingFieldsCanBeMerged compares): ``comparisons[0]``."""
    from graphql.validation.rules import overlapping_fields_can_be_merged as overlapping

    count = [0]
    real = overlapping.find_conflict

    def counted(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(overlapping, "find_conflict", counted)
    return count


@pytest.fixture(scope="module")
def sample_kg() -> graph.KnowledgeGraph:
    """The fixture corpus (tests/fixtures/corpus), loaded once a module."""
    return graph.load(SAMPLE_CORPUS)


def same_typed(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True is not 1, 1.0 is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            type(k) is type(j) and same_typed(a[k], b[j]) for k, j in zip(a, b, strict=True))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_typed(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


def until(ready: Any, guard_seconds: float = 60) -> bool:
    """Whether ``ready()`` came true before the guard (which only bounds a broken test)."""
    guard = time.monotonic() + guard_seconds
    while not ready():
        if time.monotonic() > guard:
            return False
        threading.Event().wait(0.005)
    return True


# Snapshots are kept by default (`newsgraph serve`): no test writes into the real
# per-user cache. Every process a test starts inherits this folder, removed at the end.
# Made in the hook, not on import: test modules import this file as `conftest` and as
# `tests.conftest` (two module objects), and a folder made on import by the second was
# never removed.
_TEST_CACHE: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _TEST_CACHE
    _TEST_CACHE = tempfile.mkdtemp(prefix="newsgraph-test-cache-")
    os.environ["NEWSGRAPH_CACHE"] = _TEST_CACHE
    os.environ.pop("NEWSGRAPH_CACHE_MAX_MB", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TEST_CACHE is not None:
        shutil.rmtree(_TEST_CACHE, ignore_errors=True)
