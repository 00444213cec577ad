"""A ``webUrl`` or ``originalUrl`` of the wrong YAML or JSON type (a list, a mapping, a
number, a boolean), as other tools write them, is reported naming the field, the type
found and what is allowed.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed: the load said "record has no URL: expected a 'webUrl' or
'originalUrl' field" of a record that has one, and an ``originalUrl`` list beside a valid
``webUrl`` failed the record with ``TypeError: str object expected; got list``."""

from __future__ import annotations

import pytest

import graph
from tests.conftest import FORMS, record

WRONG = {
    "list": (["https://a.example/x", "https://a.example/y"], "a list"),
    "mapping": ({"href": "https://a.example/x"}, "a mapping"),
    "number": (12345, "a number"),
    "boolean": (True, "a boolean"),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("key", ["webUrl", "originalUrl"])
@pytest.mark.parametrize("case", WRONG)
def test_the_only_url_of_the_wrong_type_is_an_error_naming_field_and_type(write, tmp_path,
                                                                           form, key, case):
    value, kind = WRONG[case]
    fields = {"title": "Wrong type"} | {key: value}
    write(f"bad.{form}", fields, form=form)
    write("good.md", record("good"))
    kg = graph.load(tmp_path)
    [error] = kg.report.errors
    assert error.path.endswith(f"bad.{form}")
    assert f"{key} must be text (one http(s) URL)" in error.reason, error.reason
    assert f"got {kind}" in error.reason, error.reason
    assert "no URL: expected" not in error.reason


@pytest.mark.parametrize("case", WRONG)
def test_an_original_url_of_the_wrong_type_beside_a_web_url_is_dropped_with_a_warning(
        write, tmp_path, case):
    value, kind = WRONG[case]
    write("a.md", record("a", originalUrl=value))
    kg = graph.load(tmp_path)
    assert not kg.report.errors, kg.report.errors
    node = kg.article("https://news.example/a")
    assert node is not None
    assert kg[node]["original_url"] is None
    [warning] = [w for w in kg.report.warnings if "originalUrl" in w.reason]
    assert f"originalUrl dropped: must be text (one http(s) URL), got {kind}" in \
        warning.reason, warning.reason


def test_a_related_entry_with_a_url_of_the_wrong_type_is_skipped_saying_why(write, tmp_path):
    write("a.md", record("a", related=[{"title": "R", "webUrl": ["https://r.example/1"]},
                                       {"title": "S", "webUrl": "https://s.example/1"}]))
    kg = graph.load(tmp_path)
    assert not kg.report.errors, kg.report.errors
    assert kg.article("https://s.example/1") is not None
    [warning] = [w for w in kg.report.warnings if "webUrl" in w.reason]
    assert "webUrl must be text (one http(s) URL), got a list" in warning.reason


def test_a_url_written_as_text_still_loads(write, tmp_path):
    write("a.md", record("a", originalUrl="https://wire.example/a"))
    kg = graph.load(tmp_path)
    assert not kg.report.errors and not kg.report.warnings
    assert kg[kg.article("https://news.example/a")]["original_url"] == "https://wire.example/a"
