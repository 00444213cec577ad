"""The record checks and normalizing compiled by mypyc give exactly the Python modules'
answers: values, types, warnings, and the very exceptions (class and message).

setup.py compiles copies of graph/values.py, normalize.py and textfields.py with the
reader into graph._native; loads use them when they are current (graph/fastyaml.py,
``module``). Each function is called on both with hostile fixed inputs and
hypothesis-drawn ones. Without a compiled build the module is skipped, saying why.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import build, fastyaml, normalize, records, textfields, values
from tests.conftest import same_typed


def _compiled(name: str) -> ModuleType:
    native, why = fastyaml.compiled_reader()
    if native is None:
        pytest.skip(f"the compiled modules are not in use: {why}")
    module = fastyaml.module(name)
    assert module.__name__ == f"graph._native.{name}"
    return module




def _outcome(f: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", f(*args)
    except Exception as e:  # noqa: BLE001 - the exception is the answer compared
        return "raised", (type(e), str(e))


def _agree(name: str, function: str, *args: Any) -> None:
    python = getattr({"values": values, "normalize": normalize,
                      "textfields": textfields}[name], function)
    native = getattr(_compiled(name), function)
    assert native is not python
    # Each on its own copy: clean_record cleans the parser's containers in place.
    slow = _outcome(python, *copy.deepcopy(args))
    fast = _outcome(native, *copy.deepcopy(args))
    assert slow[0] == fast[0], (function, args, slow, fast)
    if slow[0] == "raised":
        assert slow[1] == fast[1], (function, args)
    else:
        assert same_typed(slow[1], fast[1]), (function, args, slow[1], fast[1])


def test_loads_use_the_compiled_checks_when_the_reader_is_compiled() -> None:
    _compiled("values")
    assert records.clean_record is _compiled("values").clean_record
    assert build.canonical_url is _compiled("normalize").canonical_url
    # Their classes are the Python modules' own: caught and tested for as everywhere.
    assert _compiled("values").TooLongInteger is values.TooLongInteger
    assert _compiled("values").NotUnicode is values.NotUnicode


def test_module_refuses_a_module_that_is_not_compiled() -> None:
    with pytest.raises(ValueError, match="not a compiled module: 'loader'"):
        fastyaml.module("loader")


def _nested(depth: int) -> list[Any]:
    """A list nesting ``depth`` levels: ``[[...]]``."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


HOSTILE_FIELDS: list[dict[Any, Any]] = [
    {"title": "T", "when": date(2022, 2, 21), "x": float("nan")},
    {"title": "é", "quality": float("inf"), "heat": "12", "publishedDateTime": date(2020, 1, 1)},
    {"extra": {1: "a", None: "b", 2.5: "c", False: "d", date(2020, 1, 2): "e"}},
    {"tags": {"b", "a", "c"}, "blob": b"\x00\x01", "n": -float("inf")},
    {"mixed": [{1, "x"}], "sorted_sets": {frozenset({1, 2}): 1}},
    {"t": time(3, 4, 5), "dt": datetime(2020, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=2)))},
    {"related": [{"webUrl": "https://a.example/x", "title": date(2020, 1, 1)}, "not a map",
                 {"extra": [float("nan"), 1, {"k": b"y"}]}]},
    {"related": "not a list", "big": values.TooLongInteger(5000)},
    {"title": "lone \ud800 surrogate"},
    {"key \udfff": 1},
    {"deep": _nested(values.MAX_VALUE_DEPTH + 1), "shallow": _nested(values.MAX_VALUE_DEPTH)},
    {"set_of_mixed": {1, "a", 2.0}},
]


@pytest.mark.parametrize("fields", HOSTILE_FIELDS)
def test_clean_record_agrees_on_hostile_fields(fields: dict[Any, Any]) -> None:
    _agree("values", "clean_record", fields)


@pytest.mark.parametrize("text", ["0", "-12", "9" * 4300, "9" * 4301, "-" + "1" * 4301])
def test_json_int_agrees(text: str) -> None:
    _agree("values", "json_int", text)


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None, exclude_categories=())), st.binary(max_size=8),
    st.dates(), st.datetimes(timezones=st.none() | st.just(UTC)), st.times(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none()),
                      inner, max_size=4)
    | st.frozensets(st.integers() | st.text(max_size=4), max_size=4).map(set),
    max_leaves=20,
)
_FIELD_NAMES = st.sampled_from(["title", "quality", "heat", "publishedDateTime", "related",
                                "topics", "extra", "images", "provider"]) | st.text(max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_FIELD_NAMES, _VALUES, max_size=6))
def test_clean_record_agrees_on_any_fields(fields: dict[Any, Any]) -> None:
    _agree("values", "clean_record", fields)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=30))
def test_lone_surrogate_agrees(text: str) -> None:
    _agree("values", "lone_surrogate", text)


URLS = [
    "https://Example.com/a?utm_source=x&b=1#frag", "HTTP://example.com:80/", "example.com/a",
    "https://user:pw@example.com/a", "https://bücher.example/straße?q=ä b", "ftp://x.example/",
    "https://exa mple.com/", "", "   ", "https://[::1]/a", "https://example.com/%7euser/%41",
    "https://例え.テスト/パス", "https://xn--r8jz45g.xn--zckzah/", "javascript:alert(1)",
    "https://example.com/a/../b/./c", "//example.com/a", "https://.example.com",
    "https://example.com/a?b=1&utm_medium=2&fbclid=3&c", "https://EXAMPLE.com./a",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("function", ["canonical_url", "has_credentials", "provider_key"])
def test_urls_and_domains_agree(function: str, url: str) -> None:
    _agree("normalize", function, url)


_URLISH = st.builds(
    lambda scheme, host, path, query: f"{scheme}{host}{path}{query}",
    st.sampled_from(["https://", "http://", "HTTPS://", "", "ftp://", "//"]),
    st.text(st.sampled_from("abcXYZ.-é例:@[]0"), max_size=12),
    st.text(st.sampled_from("/aé%20.~ ?#"), max_size=10),
    st.text(st.sampled_from("?&=utm_sourcefbclidab%"), max_size=16),
)


@settings(max_examples=500, deadline=None)
@given(_URLISH | st.text(max_size=20))
def test_any_url_agrees(url: str) -> None:
    for function in ("canonical_url", "has_credentials", "provider_key"):
        _agree("normalize", function, url)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=30))
def test_topics_and_text_agree(text: str) -> None:
    for function in ("topic_slug", "fold", "tokens"):
        _agree("normalize", function, text)


DATES: list[object] = [
    "2022-02-21T03:37:00Z", "2022-02-21T05:37:00+02:00", "2022-02-21", " 2022-02-21 ",
    "Mon, 21 Feb 2022 03:37:00 GMT", "Mon, 21 Feb 2022 03:37:00 +0100", "yesterday", "",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", 20220221, None, 1.5,
    date(2022, 2, 21), datetime(2022, 2, 21, 3, 37), datetime(1, 1, 1, tzinfo=UTC),
    datetime(2022, 2, 21, 5, tzinfo=timezone(timedelta(hours=2))), ["2022-02-21"],
]


@pytest.mark.parametrize("value", DATES)
def test_parse_datetime_agrees(value: object) -> None:
    _agree("normalize", "parse_datetime", value)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
       | st.text(max_size=25) | st.datetimes(timezones=st.none() | st.timezones()))
def test_any_date_agrees(value: object) -> None:
    _agree("normalize", "parse_datetime", value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*textfields.TEXT_FIELDS, "topics", "provider",
                                        "related"]), _VALUES, max_size=5))
def test_typed_agrees(record: dict[str, Any]) -> None:
    _agree("textfields", "typed", record)
