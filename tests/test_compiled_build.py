"""The build compiled by mypyc gives exactly the Python module's answers.

setup.py compiles a copy of graph/build.py with the reader into graph._native (its
``Entry`` and ``Prepared`` kept graph.build's own); loads use its ``prepare_records`` in
the parse workers and its ``build_graph`` after the parse when the reader is compiled
(graph/loader.py). Here both modules prepare and build the same records — hostile
fixed ones and hypothesis-drawn ones, cleaned as the parse cleans them — and every
node, edge, warning and error, and every prepared record, must be the same, values and
types. Without a compiled build the module is skipped, saying why.
"""

from __future__ import annotations

import copy
import pickle
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import build, fastyaml, loader, values
from graph.records import Record
from graph.report import LoadReport
from tests.conftest import record, same_typed


def _compiled() -> ModuleType:
    native, why = fastyaml.compiled_reader()
    if native is None:
        pytest.skip(f"the compiled modules are not in use: {why}")
    module = fastyaml.module("build")
    assert module.__name__ == "graph._native.build"
    return module


def test_loads_use_the_compiled_build_when_the_reader_is_compiled() -> None:
    native = _compiled()
    assert loader.build_graph is native.build_graph
    assert loader.prepare_records is native.prepare_records
    assert native.build_graph is not build.build_graph
    # What crosses from a worker, and what the build reads, are graph.build's classes.
    assert native.Prepared is build.Prepared and native.Entry is build.Entry


def _records(fields: list[dict[str, Any]]) -> list[Record]:
    """Records of ``fields`` as a parse gives them: cleaned, one a line of a file."""
    out = []
    for i, f in enumerate(fields):
        cleaned, _ = values.clean_record(copy.deepcopy(f))
        body = f"Body {i}" if i % 3 else None
        out.append(Record(cleaned, f"r{i % 4}.yaml", i + 1 if i % 5 else None, body))
    return out


def _prepared(records: list[Record], module: ModuleType) -> list[Any]:
    """Each record's prepare by ``module``: its Prepared's contents (or None)."""
    found = []
    for rec in records:
        module.prepare_records([rec])
        prepared = rec.prepared
        found.append(None if prepared is None else
                     (type(prepared), prepared.__reduce__()[1]))
    return found


def _built(records: list[Record], module: ModuleType, *, prepared: bool) -> tuple[Any, ...]:
    """What ``module`` builds of ``records`` as the loader builds it: nodes with their data
    in order, edges with keys and data in order, the edge log and the report."""
    records = copy.deepcopy(records)
    if prepared:
        module.prepare_records(records)
        records = pickle.loads(pickle.dumps(records))  # as they cross from a worker
    report = LoadReport()
    log: list[Any] = []
    leftovers: list[Any] = []
    g = module.build_graph(records, report, share_links=True, edge_log=log,
                           leftovers=leftovers)
    return (list(g.nodes(data=True)), list(g.edges(keys=True, data=True)), log,
            report.summary(), report.warnings, report.errors)


def _agree(fields: list[dict[str, Any]]) -> None:
    native = _compiled()
    records = _records(fields)
    slow = _prepared(copy.deepcopy(records), build)
    fast = _prepared(copy.deepcopy(records), native)
    assert same_typed(slow, fast), (fields, slow, fast)
    for prepared in (False, True):
        slow_built = _built(records, build, prepared=prepared)
        fast_built = _built(records, native, prepared=prepared)
        assert same_typed(slow_built, fast_built), (fields, prepared)


HOSTILE: list[dict[str, Any]] = [
    record("a", topics=["AI", "ai", " AI ", 3, None, {"name": "Privacy"}, [["Linked"]], ""],
           provider={"name": "News", "domain": "news.example", "logo": "x"}),
    record("a", publishedDateTime="2022-02-21T03:37:00Z", quality="39", heat=101),
    record("b", title="", related=[{"webUrl": "https://news.example/c", "title": "C",
                                    "publishedDateTime": "2021-01-01"},
                                   {"webUrl": "https://news.example/b"}, "not a map",
                                   {"title": "no url"}, {"webUrl": "javascript:x"}]),
    record("c", title=1984, related="https://news.example/d", topics="AI, Privacy",
           provider="The Guardian", published="2022-01-01", images=[{"url": "u",
                                                                     "width": "10",
                                                                     "height": 2**40}]),
    record("d", related={"webUrl": "https://news.example/e", "quality": 5},
           images="not a list", category=True, type=3.5, secured=["x"], excerpt={"a": 1},
           provider=17, publishedDateTime="yesterday", Title="typo", tittle="x"),
    {"originalUrl": "https://user:pw@news.example/f", "webUrl": "ftp://bad", "title": "F",
     "publishedDateTime": "1700000000"},
    {"webUrl": "https://xn--vlid-nkc.example/g", "title": "G", "\u00a0title": "pasted",
     "provider": {"name": 1843, "domain": "not a domain at all"},
     "related": [{"webUrl": "https://news.example/a", "publishedDateTime": "2030-01-01"}]},
    {"title": "no URL at all"},
    record("e", related=[{"webUrl": "https://news.example/h", "title": "H1"}],
           publishedDateTime="2020-05-05"),
    record("f", related=[{"webUrl": "https://news.example/h", "title": "H2",
                          "publishedDateTime": "2020-06-06", "images": [{"url": "i"}]}],
           topics=[{"name": 5}, {"slug": "x"}, 1.5, True], quality=float("nan")),
    record("g", related=[], topics=[], provider={}, images=[], extra={"k": [1, 2]}),
]


def test_compiled_build_agrees_on_hostile_records() -> None:
    _agree(HOSTILE)


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["2022-02-21", "2022-02-21T03:37:00+02:00", "AI",
                                           "https://news.example/z", "39", " ", "a, b"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "domain", "webUrl", "title", "url", "width",
                                       "height", "publishedDateTime"]) | st.text(max_size=4),
                      inner, max_size=4),
    max_leaves=12,
)
_FIELDS = st.dictionaries(
    st.sampled_from(["title", "excerpt", "quality", "heat", "publishedDateTime", "related",
                     "topics", "provider", "images", "published", "category", "type",
                     "secured", "originalUrl", "tags", "Titel"]) | st.text(max_size=6),
    _VALUES, max_size=6)
_URLS = st.sampled_from(["https://news.example/a", "https://news.example/b",
                         "https://Other.example/a?utm_source=x", "not a url"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_URLS, _FIELDS), min_size=1, max_size=5))
def test_compiled_build_agrees_on_any_records(drawn: list[tuple[str, dict[str, Any]]]) -> None:
    _agree([{"webUrl": url, **fields} for url, fields in drawn])
