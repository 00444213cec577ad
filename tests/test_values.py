"""Values are JSON-safe by construction: whatever a record holds, a loaded graph answers
every field with valid JSON; what cannot be held is converted or dropped with a warning."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graph
from schema.query import execute

URL = "https://values.example/a"
ID = f"article:{URL}"
EVERY_FIELD = """{ articles(first: 100) { edges { node {
    url webUrl originalUrl title excerpt body category type publishedAt quality heat published
    images { url width height isCached } isStub sources secured extra
    provider { name domain } topics { name slug } } } } }"""


def strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def answer(kg: graph.KnowledgeGraph) -> dict:
    """The response selecting every field, as a client would decode it."""
    response = execute(kg, EVERY_FIELD)
    return strict_json(json.dumps(response, ensure_ascii=False, allow_nan=False))  # type: ignore


def load_text(tmp_path: Path, name: str, text: str) -> graph.KnowledgeGraph:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return graph.load(tmp_path)


YAML_EXTRA = {
    "date": ("when: 2022-02-21\n", "2022-02-21"),
    "datetime": ("when: 2022-02-21T03:37:00Z\n", "2022-02-21T03:37:00+00:00"),
    "binary": ("when: !!binary aGVsbG8=\n", None),
    "set": ("when: !!set {b, a}\n", ["a", "b"]),
    "nan": ("when: .nan\n", None),
    "inf": ("when: -.inf\n", None),
    "nested": ("when: {at: 2022-02-21, raw: !!binary aGVsbG8=}\n", {"at": "2022-02-21"}),
}


@pytest.mark.parametrize("case", YAML_EXTRA)
def test_extra_values_from_yaml_are_json_safe(tmp_path, case):
    text, expected = YAML_EXTRA[case]
    kg = load_text(tmp_path, "r.yaml", f"title: T\nwebUrl: {URL}\n{text}")
    extra = kg.nx.nodes[ID]["extra"]
    if expected is None:
        assert "when" not in extra
    else:
        assert extra["when"] == expected
    data = answer(kg)
    assert "errors" not in data, data
    assert data["data"]["articles"]["edges"][0]["node"]["extra"] == extra
    lossy = case in ("binary", "set", "nan", "inf", "nested")
    assert bool(kg.report.warnings) == lossy, kg.report.warnings
    assert all("when" in w.reason for w in kg.report.warnings)


@pytest.mark.parametrize("form", ["json", "jsonl"])
def test_nan_and_infinity_in_json_are_dropped_with_a_warning(tmp_path, form):
    text = f'{{"title": "T", "webUrl": "{URL}", "foo": NaN, "bar": -Infinity, "ok": 1}}'
    kg = load_text(tmp_path, f"r.{form}", text + "\n")
    assert kg.nx.nodes[ID]["extra"] == {"ok": 1}
    assert sorted(w.reason.split(" ")[0] for w in kg.report.warnings) == ["bar", "foo"]
    body = answer(kg)
    assert body["data"]["articles"]["edges"][0]["node"]["extra"] == {"ok": 1}


def test_over_http_every_field_of_a_hostile_record_is_strict_json(tmp_path):
    from starlette.testclient import TestClient

    from schema.app import create_app

    text = (f"title: T\nwebUrl: {URL}\nquality: .nan\nwhen: 2022-02-21\nraw: !!binary aGk=\n"
            "tags: !!set {a}\nbig: " + "9" * 5000 + "\nimages: [{width: 99999999999}]\n")
    kg = load_text(tmp_path, "r.yaml", text)
    with TestClient(create_app(kg)) as client:
        r = client.post("/graphql", json={"query": EVERY_FIELD})
    assert r.status_code == 200
    body = strict_json(r.text)
    assert "errors" not in body, body
    assert body["data"]["articles"]["edges"][0]["node"]["extra"] == {  # type: ignore[index]
        "when": "2022-02-21", "tags": ["a"]}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999", "1" + "0" * 400, "-1", "100.5",
                                   '"high"', "true"])
@pytest.mark.parametrize("key", ["quality", "heat"])
def test_quality_and_heat_outside_0_to_100_are_dropped_and_the_record_kept(tmp_path, key,
                                                                           value):
    text = f'{{"title": "T", "webUrl": "{URL}", "{key}": {value}}}'
    kg = load_text(tmp_path, "r.json", text)
    assert kg.nx.nodes[ID][key] is None and kg.report.ok
    [warning] = kg.report.warnings
    assert warning.reason.startswith(f"{key} dropped") and "0 to 100" in warning.reason
    body = answer(kg)
    assert "errors" not in body and body["data"]["articles"]["edges"][0]["node"][key] is None


@pytest.mark.parametrize("value", ["0", "100", "39", "57.5"])
def test_quality_in_range_is_kept(tmp_path, value):
    kg = load_text(tmp_path, "r.json", f'{{"title": "T", "webUrl": "{URL}", "quality": {value}}}')
    assert kg.nx.nodes[ID]["quality"] == float(value) and not kg.report.warnings


# (trial33) A CMS export writes numbers as text ("quality": "39"): the score was dropped
# with a warning on every record, where a number in a text field is read as its text. A
# number written as text (decimal, as JSON writes one) is now read as that number.
@pytest.mark.parametrize(("value", "read"), [('"39"', 39), ('" 39 "', 39), ('"57.5"', 57.5),
                                             ('"0"', 0), ('"100"', 100), ('"039"', 39)])
@pytest.mark.parametrize("key", ["quality", "heat"])
def test_a_score_written_as_text_is_read_as_its_number(tmp_path, key, value, read):
    kg = load_text(tmp_path, "r.json", f'{{"title": "T", "webUrl": "{URL}", "{key}": {value}}}')
    assert kg.nx.nodes[ID][key] == read and not kg.report.warnings, kg.report.warnings
    assert answer(kg)["data"]["articles"]["edges"][0]["node"][key] == read


def test_a_score_quoted_in_yaml_is_read_as_its_number(tmp_path):
    kg = load_text(tmp_path, "r.md", f"---\ntitle: T\nwebUrl: {URL}\nquality: '39'\n---\n")
    assert kg.nx.nodes[ID]["quality"] == 39 and not kg.report.warnings


@pytest.mark.parametrize("value", ['"3_9"', '"0x27"', '"thirty"', '"1e999"', '"NaN"', '""',
                                   '"101"', '"-1"', '"39%"'])
def test_text_that_is_no_score_is_still_dropped_with_a_warning(tmp_path, value):
    kg = load_text(tmp_path, "r.json", f'{{"title": "T", "webUrl": "{URL}", "quality": {value}}}')
    assert kg.nx.nodes[ID]["quality"] is None
    [warning] = kg.report.warnings
    assert warning.reason.startswith("quality dropped: expected a number from 0 to 100")


def test_nan_quality_does_not_sort_into_the_middle(tmp_path):
    for i, q in enumerate(["50", "NaN", "90", "10"]):
        (tmp_path / f"{i}.json").write_text(
            f'{{"title": "T{i}", "webUrl": "https://q.example/{i}", "quality": {q}}}',
            encoding="utf-8")
    kg = graph.load(tmp_path)
    response = execute(kg, "{ articles(orderBy: QUALITY_DESC) { edges { node { quality } } } }")
    assert [e["node"]["quality"] for e in response["data"]["articles"]["edges"]] == [
        90, 50, 10, None]


def test_an_image_size_graphql_cannot_hold_is_dropped_with_a_warning(tmp_path):
    images = '[{"url": "https://i.example/1.jpg", "width": 99999999999, "height": 600}]'
    kg = load_text(tmp_path, "r.json", f'{{"title": "T", "webUrl": "{URL}", "images": {images}}}')
    body = answer(kg)
    assert "errors" not in body, body
    [image] = body["data"]["articles"]["edges"][0]["node"]["images"]
    assert image == {"url": "https://i.example/1.jpg", "width": None, "height": 600,
                     "isCached": None}
    assert any("width" in w.reason for w in kg.report.warnings)


# (trial33) An image's width or height that was no integer (12.5, true, "abc", a list) was
# answered null with no warning at load; one written as text ("1200") too.
def test_an_image_size_written_as_text_is_read_as_its_number(tmp_path):
    images = '[{"url": "https://i.example/1.jpg", "width": "1200", "height": " 630 "}]'
    kg = load_text(tmp_path, "r.json", f'{{"title": "T", "webUrl": "{URL}", "images": {images}}}')
    [image] = answer(kg)["data"]["articles"]["edges"][0]["node"]["images"]
    assert (image["width"], image["height"]) == (1200, 630) and not kg.report.warnings


@pytest.mark.parametrize("size", ["12.5", "true", '"abc"', "[1]", '"12.5"', '"-3"'])
def test_an_image_size_that_is_no_pixel_count_is_dropped_with_a_warning(tmp_path, size):
    images = f'[{{"url": "https://i.example/1.jpg", "width": {size}, "height": 600}}]'
    kg = load_text(tmp_path, "r.json", f'{{"title": "T", "webUrl": "{URL}", "images": {images}}}')
    body = answer(kg)
    assert "errors" not in body, body
    [image] = body["data"]["articles"]["edges"][0]["node"]["images"]
    assert (image["width"], image["height"]) == (None, 600)
    [warning] = kg.report.warnings
    assert warning.reason.startswith("images[0].width dropped: expected pixels from 0 to "), \
        warning.reason


# -- a record without a title -----------------------------------------------------------


def test_a_record_without_a_title_keeps_its_node_titled_by_its_url(tmp_path):
    text = ('{"webUrl": "https://values.example/a?utm_source=x", "topics": ["AI"], '
            '"provider": {"name": "Values", "domain": "values.example"}}')
    kg = load_text(tmp_path, "r.json", text)
    node = kg.nx.nodes[ID]
    assert node["title"] == URL and node["topics"] == ["ai"] and kg.report.ok
    [warning] = kg.report.warnings
    assert "no title" in warning.reason and URL in warning.reason
    assert kg.nx.has_edge(ID, "provider:values.example")


@pytest.mark.parametrize("title", ['""', '"   "', "[1, 2]", "{}", "null"])
def test_an_unusable_title_falls_back_with_a_warning(tmp_path, title):
    kg = load_text(tmp_path, "r.json", f'{{"title": {title}, "webUrl": "{URL}"}}')
    assert kg.nx.nodes[ID]["title"] == URL and kg.report.ok and len(kg.report.warnings) == 1


def test_a_number_as_title_is_its_text(tmp_path):
    kg = load_text(tmp_path, "r.yaml", f"title: 1984\nwebUrl: {URL}\n")
    assert kg.nx.nodes[ID]["title"] == "1984" and not kg.report.warnings


def test_a_record_without_title_or_url_is_an_error(tmp_path):
    kg = load_text(tmp_path, "r.json", '{"excerpt": "nothing to key it by"}')
    assert kg.report.records == 0
    [error] = kg.report.errors
    assert "no URL" in error.reason or "no valid URL" in error.reason


def test_the_equal_date_duplicate_warning_names_the_winner(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.json").write_text(
            f'{{"title": "{name}", "webUrl": "{URL}", "publishedDateTime": "2022-01-01"}}',
            encoding="utf-8")
    kg = graph.load(tmp_path)
    [warning] = kg.report.warnings
    assert warning.path.endswith("a.json")
    assert f"{tmp_path / 'b.json'}:1 wins" in warning.reason
    assert "same publication date" in warning.reason
    assert kg.nx.nodes[ID]["title"] == "b"


def test_the_later_date_duplicate_warning_names_the_winner(tmp_path):
    for name, day in (("a", "02"), ("b", "01")):
        (tmp_path / f"{name}.json").write_text(
            f'{{"title": "{name}", "webUrl": "{URL}", "publishedDateTime": "2022-01-{day}"}}',
            encoding="utf-8")
    kg = graph.load(tmp_path)
    [warning] = kg.report.warnings
    assert f"{tmp_path / 'a.json'}:1 wins: published later" in warning.reason


# -- the property: whatever a record holds, the answer is JSON ----------------------------


class Digits(int):
    """An integer literal of this many nines, too long for Python to convert (> 4,300)."""


scalars = st.one_of(
    st.integers(min_value=4301, max_value=6000).map(Digits),
    st.none(), st.booleans(), st.text(max_size=8),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1,
            max_size=2),
    st.integers(), st.integers(min_value=10**30, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True), st.binary(max_size=4),
    st.dates(), st.datetimes(), st.frozensets(st.integers(), max_size=3),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8)
FIELDS = ("title", "excerpt", "quality", "heat", "topics", "images", "provider", "secured",
          "related", "published", "publishedDateTime", "category", "type", "extraField")
records = st.fixed_dictionaries(
    {"webUrl": st.sampled_from([URL, "https://values.example/b", "not a url"])},
    optional={name: values for name in FIELDS})


def _yaml_scalar(value: object) -> str:
    """``value`` written the way YAML would hold it, tags included."""
    import base64
    from datetime import date

    if isinstance(value, bytes):
        return "!!binary " + (base64.b64encode(value).decode() or '""')
    if isinstance(value, frozenset):
        return "!!set {" + ", ".join(str(v) for v in sorted(value)) + "}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return ".nan"
    if isinstance(value, float) and math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if isinstance(value, Digits):
        return "9" * value
    if isinstance(value, str):
        return json.dumps(value)  # a double-quoted YAML scalar, escapes and all
    return json.dumps(value)


def as_yaml(value: object, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "".join(f"\n{pad}{json.dumps(k)}: {as_yaml(v, indent + 2)}"
                       for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return "[]"
        return "".join(f"\n{pad}- {as_yaml(v, indent + 2).lstrip()}" for v in value)
    return _yaml_scalar(value)


def as_json(value: object) -> str:
    if isinstance(value, Digits):
        return "9" * value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {as_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_json(v) for v in value) + "]"

    def default(v: object) -> object:
        if isinstance(v, bytes):
            return v.decode("latin-1")
        if isinstance(v, frozenset):
            return sorted(v)
        return v.isoformat()  # type: ignore[attr-defined]

    return json.dumps(value, default=default)  # NaN and Infinity as Python writes them


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=3), st.sampled_from(["yaml", "json", "jsonl"]))
def test_any_record_loads_without_raising_and_answers_valid_json(tmp_path_factory, recs, form):
    folder = tmp_path_factory.mktemp("prop")
    if form == "yaml":
        text = "".join(f"-{as_yaml(r, 2)}\n" for r in recs)
    elif form == "json":
        text = "[" + ", ".join(as_json(r) for r in recs) + "]"
    else:
        text = "".join(as_json(r) + "\n" for r in recs)
    (folder / f"records.{form}").write_text(text, encoding="utf-8", errors="surrogatepass")
    kg = graph.load(folder)  # never raises
    for problem in [*kg.report.errors, *kg.report.warnings]:
        problem.reason.encode("utf-8")  # reasons are printable text
    body = answer(kg)
    assert isinstance(body, dict) and "data" in body
    assert body.get("errors") is None, body["errors"]
    for edge in body["data"]["articles"]["edges"]:
        quality = edge["node"]["quality"]
        assert quality is None or 0 <= quality <= 100
