"""Hypothesis properties of parsing and normalization on arbitrary input: nothing raises but
the documented errors, every problem has a place, and a bad line never costs a good one.

CI runs a short budget; ``NEWSGRAPH_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_parse.py``
runs a long one (see docs/security.md).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import graph
from graph.errors import InvalidArgument, InvalidURLError
from graph.normalize import (
    MAX_PHRASE_CHARS,
    MAX_PHRASE_WORDS,
    canonical_url,
    parse_datetime,
    phrase_tokens,
    provider_key,
    tokens,
)
from graph.records import RECORD_SUFFIXES, ParsedFile, parse_file, parse_text

EXAMPLES = int(os.environ.get("NEWSGRAPH_FUZZ_EXAMPLES", "150"))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Text as files hold it: any character but lone surrogates, which UTF-8 cannot carry.
TEXT = st.text(st.characters(exclude_categories=("Cs",)))
SUFFIXES = sorted(RECORD_SUFFIXES)


# -- normalization --------------------------------------------------------------------------


@fuzz
@given(TEXT)
def test_canonical_url_of_any_text_is_a_canonical_url_or_invalid_url_error(text):
    try:
        url = canonical_url(text)
    except InvalidURLError:
        return
    parts = urlsplit(url)
    assert parts.scheme and parts.netloc and not parts.fragment
    assert parts.scheme == parts.scheme.lower()
    assert not any(p.split("=")[0].lower().startswith("utm_") for p in parts.query.split("&"))
    assert canonical_url(url) == url


@fuzz
@given(TEXT)
def test_provider_key_of_any_text_is_a_bare_lowercase_domain_or_invalid_url_error(text):
    try:
        key = provider_key(text)
    except InvalidURLError:
        return
    assert key and key == key.lower() and not key.startswith("www.")
    assert not any(c.isspace() for c in key)
    assert provider_key(key) == key


@fuzz
@given(st.one_of(TEXT, st.datetimes(timezones=st.timezones()), st.dates(), st.integers(),
                 st.floats(), st.none(), st.lists(st.integers(), max_size=2)))
def test_parse_datetime_gives_utc_or_value_error(value):
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@fuzz
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
       st.integers(-23 * 60, 23 * 60))
@example(datetime(1, 1, 1), 60)  # found by this test: OverflowError crashed the whole load
def test_parse_datetime_keeps_the_instant_of_any_offset_or_refuses_it(moment, minutes):
    offset = timedelta(minutes=minutes)
    from datetime import timezone

    text = moment.replace(tzinfo=timezone(offset)).isoformat()
    try:
        parsed = parse_datetime(text)
    except ValueError as e:  # the instant falls outside year 1 to 9999 in UTC
        assert "out of range" in str(e)
        return
    assert parsed == moment.replace(tzinfo=timezone(offset)).astimezone(UTC)


@fuzz
@given(TEXT)
def test_tokens_are_stable_lowercase_alphanumeric_runs(text):
    found = tokens(text)
    assert all(t and t.isalnum() and t == t.lower() for t in found)
    assert tokens(" ".join(found)) == found
    if len(text) > MAX_PHRASE_CHARS or len(found) > MAX_PHRASE_WORDS:
        with pytest.raises(InvalidArgument, match="are allowed"):
            phrase_tokens(text)  # a phrase's length is its cost: capped
    else:
        assert phrase_tokens(text) == tuple(found)


# -- parsing ---------------------------------------------------------------------------------


def _check_problems(parsed: ParsedFile, text: str) -> None:
    # YAML counts U+0085, U+2028, U+2029 and a lone CR as line breaks too, and a parser
    # that ran into the end of the text may point one line past the last
    lines = len(re.split(r"\r\n|[\n\r\x85\u2028\u2029]", text)) + 1
    for problem in parsed.errors:
        assert problem.reason and problem.path == parsed.path
        assert problem.line is None or 1 <= problem.line <= lines, (problem, lines)
    for rec in parsed.records:  # a record needs a URL; a missing title is the build's to fill
        assert any(isinstance(rec.fields.get(k), str) and rec.fields[k].strip()
                   for k in ("webUrl", "originalUrl"))


@fuzz
@given(TEXT, st.sampled_from(SUFFIXES))
@example("&\x08", ".yaml")  # found by this test: the YAML loader refused it outside the try
@example("0:\x850", ".yaml")  # YAML counts U+0085 as a line break
def test_parse_text_of_any_text_never_raises(text, suffix):
    parsed = ParsedFile("fuzz" + suffix)
    parse_text(text, suffix, parsed)
    _check_problems(parsed, text)


def _record_texts() -> st.SearchStrategy[str]:
    """Texts that look like records, then get broken: more interesting than random text."""
    field = st.sampled_from(["title", "webUrl", "originalUrl", "topics", "related", "body",
                             "publishedDateTime", "provider", "&a", "*a", "<<"])
    value = st.one_of(TEXT, st.integers(), st.none(), st.lists(TEXT, max_size=3),
                      st.just("https://x.example/a"), st.just("2022-02-30T00:00:00Z"))
    doc = st.dictionaries(field, value, max_size=6)
    rendered = st.one_of(doc.map(json.dumps),
                         doc.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
                         doc.map(lambda d: "---\n" + yaml.safe_dump(d) + "---\nbody\n"))
    return st.tuples(rendered, st.integers(0, 40), TEXT).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1]:] if t[2] else t[0])


@fuzz
@given(_record_texts(), st.sampled_from(SUFFIXES))
@example("\x1e\x1e\x1e---\ntitle:\n- ''\n---\nbody\n", ".yaml")  # found by this test:
# Python's splitlines() breaks lines at \x1c-\x1e too, YAML does not: lines were off by three
def test_parse_text_of_broken_records_never_raises(text, suffix):
    parsed = ParsedFile("fuzz" + suffix)
    parse_text(text, suffix, parsed)
    _check_problems(parsed, text)


@fuzz
@given(st.binary(max_size=2000), st.sampled_from(SUFFIXES))
@example(b"\xff\xfe" + "---\ntitle: x\nwebUrl: https://u.example/\n---\n".encode("utf-16-le"),
         ".md")
@example(b"\xff\xfe\x00\xd8-\x00", ".json")  # UTF-16 holding a lone surrogate
@example("---\ntitle: x\nwebUrl: https://u.example/\n---\n".encode("utf-16-be"), ".md")
@example(b"{\x00 \x00 \x00 \x00\x00\xd8", ".json")  # UTF-16 without a mark, cut short
@example(b"\x00\n\x80", ".jsonl")  # a line that is not UTF-8 costs only its line
@example(b"\xff\xfe[]\n", ".json")  # UTF-8 behind a UTF-16 mark
def test_parse_file_of_any_bytes_never_raises(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        parsed = parse_file(path, max_bytes=1000)
    if parsed.skipped is not None:  # a .txt or .md without front matter is not a record,
        # nor is a file holding none (empty front matter, comments, an empty list)
        assert not parsed.records and not parsed.errors
        assert suffix in (".txt", ".md", ".markdown") or "so it is skipped" in \
            parsed.skipped.reason
        return
    if len(data) > 1000:
        assert [p.reason for p in parsed.errors] == [
            f"file is {len(data)} bytes, over the 1000 bytes limit (--max-file-mb, "
            "or graph.load's max_file_bytes, raises it)"]
        return
    marks = {codecs.BOM_UTF32_LE: "utf-32", codecs.BOM_UTF32_BE: "utf-32",
             codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}
    encoding = marks.get(data[:4]) or marks.get(data[:2]) or "utf-8-sig"
    if encoding == "utf-16" and b"\0" not in data[2:66] and data[2:66].strip() \
            and _decodes(data[2:]):  # UTF-8 behind a UTF-16 mark: read as UTF-8
        data, encoding = data[2:], "utf-8"
    if encoding == "utf-8-sig" and len(data) >= 8:  # UTF-16 without a mark: ASCII beside NULs
        if all(data[i] == 0 and 0 < data[i + 1] < 0x80 for i in range(0, 8, 2)):
            encoding = "utf-16-be"
        elif all(data[i + 1] == 0 and 0 < data[i] < 0x80 for i in range(0, 8, 2)):
            encoding = "utf-16-le"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if suffix == ".jsonl" and encoding == "utf-8-sig":  # each line that is not UTF-8
            lines = data.removeprefix(codecs.BOM_UTF8).split(b"\n")
            bad = {n for n, line in enumerate(lines, start=1) if not _decodes(line)}
            assert {p.line for p in parsed.errors if "not valid UTF-8" in p.reason} == bad
            order = [p.line or 0 for p in parsed.errors]
            assert order == sorted(order)
            return
        assert len(parsed.errors) == 1 and "not valid UTF-" in parsed.errors[0].reason
        return
    _check_problems(parsed, text)


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_jsonl_strings_may_hold_unicode_line_separators():
    # found by the title round trip: splitlines() cut such a record in two
    rows = [json.dumps({"title": f"a{sep}b", "webUrl": f"https://j.example/{i}"},
                       ensure_ascii=False) for i, sep in enumerate("\u2028\u2029\x85\x1c\x1e")]
    parsed = ParsedFile("fuzz.jsonl")
    parse_text("\n".join(rows) + "\n", ".jsonl", parsed)
    assert not parsed.errors and [r.line for r in parsed.records] == [1, 2, 3, 4, 5]


TITLE = TEXT.filter(lambda t: t.strip() != "")
JUNK = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n\r\x0b\x0c"
                                                                            "\x1c\x1d\x1e\x85"
                                                                            "\u2028\u2029"),
               min_size=1).map(lambda t: "#" + t)


@fuzz
@given(st.lists(st.one_of(TITLE.map(lambda t: ("good", t)), JUNK.map(lambda j: ("junk", j))),
                max_size=12))
def test_a_jsonl_junk_line_costs_only_itself(rows):
    lines = [json.dumps({"title": v, "webUrl": f"https://j.example/{i}"}) if kind == "good" else v
             for i, (kind, v) in enumerate(rows)]
    parsed = ParsedFile("fuzz.jsonl")
    parse_text("\n".join(lines) + "\n", ".jsonl", parsed)
    good = [(i + 1, v) for i, (kind, v) in enumerate(rows) if kind == "good"]
    if not lines:
        return
    assert [(r.line, r.fields["title"]) for r in parsed.records] == good
    assert [p.line for p in parsed.errors] == [i + 1 for i, (k, _) in enumerate(rows)
                                               if k == "junk"]


BROKEN_ITEMS = ["- title: [unclosed\n", "- title: \"x\x00\"\n  webUrl: https://b.example/x\n",
                "- {title: a, title: b\n", "- 42\n", "- title: t\n  webUrl: [1, 2\n"]


@fuzz
@given(st.lists(st.one_of(TITLE.map(lambda t: ("good", t)),
                          st.sampled_from(BROKEN_ITEMS).map(lambda b: ("bad", b))),
                min_size=1, max_size=8))
def test_a_broken_yaml_list_item_costs_only_itself(items):
    chunks = []
    for i, (kind, value) in enumerate(items):
        if kind == "good":
            # escaped: raw U+0085 and friends are line breaks to YAML, folded into spaces
            chunks.append(yaml.safe_dump([{"title": value, "webUrl": f"https://y.example/{i}"}],
                                         width=10**6))
        else:
            chunks.append(value)
    parsed = ParsedFile("fuzz.yaml")
    parse_text("".join(chunks), ".yaml", parsed)
    assume(any(k == "bad" for k, _ in items))
    good = [v for k, v in items if k == "good"]
    assert [r.fields["title"] for r in parsed.records] == good
    assert len(parsed.errors) >= 1


@fuzz
@given(TITLE, st.sampled_from(["md", "yaml", "json", "jsonl"]), st.data())
def test_any_title_survives_every_file_form(title, form, data):
    fields = {"title": title, "webUrl": "https://r.example/story"}
    raw = data.draw(st.booleans())  # JSON may hold U+2028 and friends raw; YAML may not
    if form == "md":
        text = "---\n" + yaml.safe_dump(fields) + "---\nbody\n"
    elif form == "yaml":
        text = yaml.safe_dump(fields)
    elif form == "json":
        text = json.dumps(fields, ensure_ascii=not raw)
    else:
        text = json.dumps(fields, ensure_ascii=not raw) + "\n"
    parsed = ParsedFile(f"fuzz.{form}")
    parse_text(text, f".{form}", parsed)
    assert [r.fields["title"] for r in parsed.records] == [title], parsed.errors


@settings(max_examples=max(10, EXAMPLES // 10), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SUFFIXES), _record_texts()), max_size=8))
@example([(".json", '{"webUrl": "https://x.example/a"}'),
          (".json", '{"title": "", "webUrl": "https://x.example/a"}'),
          (".json", '{"title": null, "webUrl": "https://x.example/a"}')])
def test_load_of_a_folder_of_arbitrary_files_never_raises(files):
    with tempfile.TemporaryDirectory() as folder:
        for i, (suffix, text) in enumerate(files):
            Path(folder, f"f{i}{suffix}").write_text(text, encoding="utf-8")
        kg = graph.load(folder, workers=1)
    r = kg.report
    assert r.files + len(r.skipped) == len(files) and r.articles >= r.stubs >= 0
    # records with one URL merge into one article (found by this test: three such records
    # made one article and one provider), so every article not a stub has a record
    assert r.articles - r.stubs <= r.records and r.articles == sum(
        1 for _, d in kg.nx.nodes(data=True) if d["kind"] == "article")
