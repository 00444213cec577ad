"""Ingest checks a record without building a graph (graph.build.check_records): as a
property, every record gets exactly the errors and warnings a build of its file gives,
so ingest accepts, refuses and warns exactly as a load of the file would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import ingest as files
from graph.build import build_graph, check_records
from graph.records import ParsedFile, parse_text
from graph.report import LoadReport, Problem

URLS = st.sampled_from([
    "https://news.example/a", "https://news.example/a?utm_source=x", "https://news.example/b",
    "http://News.Example/b/", "not a url", "", "   ", "ftp://news.example/c",
    "https://other.example/story", "https://localhost/x", "mailto:someone@news.example",
])
DATES = st.one_of(st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02", "yesterday", "",
                                   "2024-13-40T00:00:00Z", "1999-12-31T23:59:59+05:00"]),
                  st.integers(-10**12, 10**12), st.none(), st.booleans())
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
TOPICS = st.one_of(SCALARS, st.lists(st.one_of(
    st.sampled_from(["AI", "ai ", "Facial Recognition", "facial-recognition", "!!", ""]),
    SCALARS), max_size=4))
PROVIDERS = st.one_of(SCALARS, st.fixed_dictionaries({}, optional={
    "domain": st.one_of(st.sampled_from(["news.example", "Other.Example", "not a domain",
                                         "", "https://x.example/path"]), SCALARS),
    "name": st.one_of(st.sampled_from(["News", " News ", ""]), SCALARS)}))
IMAGES = st.one_of(SCALARS, st.lists(st.one_of(st.fixed_dictionaries({}, optional={
    "url": URLS, "width": st.one_of(st.integers(-5, 2**32), SCALARS),
    "height": st.one_of(st.integers(-5, 2**32), SCALARS)}), SCALARS), max_size=3))
RELATED = st.one_of(SCALARS, st.lists(st.one_of(st.fixed_dictionaries({}, optional={
    "webUrl": URLS, "originalUrl": URLS, "title": SCALARS, "publishedDateTime": DATES,
    "excerpt": SCALARS, "quality": SCALARS}), SCALARS), max_size=4))
GOOD_URLS = st.sampled_from(["https://news.example/a", "https://news.example/b",
                             "https://other.example/story"])
STUBS = st.lists(st.fixed_dictionaries({"webUrl": GOOD_URLS}, optional={
    "title": SCALARS, "publishedDateTime": DATES, "quality": SCALARS, "heat": SCALARS,
    "images": IMAGES, "provider": PROVIDERS, "excerpt": SCALARS}), min_size=1, max_size=3)
OPTIONAL = {
    "originalUrl": st.one_of(URLS, SCALARS),
    "title": SCALARS, "excerpt": SCALARS, "body": SCALARS, "category": SCALARS,
    "type": SCALARS, "publishedDateTime": DATES, "quality": SCALARS, "heat": SCALARS,
    "published": SCALARS, "secured": SCALARS, "topics": TOPICS, "provider": PROVIDERS,
    "images": IMAGES, "related": RELATED,
    # other writers' names and near spellings, which a load warns of
    "url": URLS, "tags": TOPICS, "titel": SCALARS, "publishedDate": DATES, "extraField": SCALARS,
}
RECORDS = st.one_of(
    st.fixed_dictionaries({}, optional={"webUrl": st.one_of(URLS, SCALARS), **OPTIONAL}),
    # a valid URL and stubs to add: the stubs' own problems (a score, an image, a date)
    st.fixed_dictionaries({"webUrl": GOOD_URLS, "related": STUBS},
                          optional={k: v for k, v in OPTIONAL.items() if k != "related"}),
)


def _parsed(fields: dict[str, Any]) -> ParsedFile:
    """The parse of a record's text, as ingest writes it."""
    text = json.dumps(fields, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    parsed = ParsedFile("record 0")
    parse_text(text, ".json", parsed)
    return parsed


def _problems(report: LoadReport) -> tuple[list[Problem], list[Problem]]:
    return report.errors, report.warnings


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_checking_a_record_reports_exactly_what_building_it_reports(fields) -> None:
    try:
        parsed = _parsed(fields)
    except ValueError:  # a float JSON cannot hold as a number (NaN): ingest refuses it first
        return
    built, checked = LoadReport(), LoadReport()
    build_graph(parsed.records, built)
    check_records(parsed.records, checked)
    assert _problems(checked) == _problems(built)
    assert checked.records == built.records


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RECORDS, min_size=2, max_size=4))
def test_checking_several_records_reports_what_building_them_reports(many) -> None:
    """Duplicates across records, a record linking to another: the same problems, in
    the same order, as a build of them all."""
    records = []
    for fields in many:
        try:
            records += _parsed(fields).records
        except ValueError:
            continue
    built, checked = LoadReport(), LoadReport()
    build_graph(records, built)
    check_records(records, checked)
    assert _problems(checked) == _problems(built)


@pytest.mark.parametrize("fields", [
    {"webUrl": "https://news.example/a", "title": "T", "quality": 500,
     "images": [{"url": "https://news.example/i.png", "width": 2**40}], "tags": ["x"]},
    {"webUrl": "not a url", "originalUrl": "https://news.example/a", "title": "T"},
    {"webUrl": "https://news.example/a", "related": [{"webUrl": "https://news.example/a"},
                                                     {"title": "no url"}, "text"]},
])
def test_ingest_accepts_a_record_whose_problems_are_warnings(fields) -> None:
    """The case the property covers, pinned: a record with problems that are only
    warnings is accepted, and its problems are those a build of its file reports."""
    checked = files._check(fields, 0)
    assert not isinstance(checked, files.Outcome), checked
    report = LoadReport()
    build_graph(_parsed(fields).records, report)
    assert report.warnings and not report.errors
