"""JSON and JSON Lines as other tools write them: `jq --seq`, scrapers' raw control
characters (trial37)."""

from __future__ import annotations

import json

import pytest

from graph.records import parse_file


def _story(i: int) -> dict[str, str]:
    return {"title": f"Story {i}", "webUrl": f"https://seq.example/{i}"}


# `jq --seq` (RFC 7464, application/json-seq) opens every JSON text with the record
# separator U+001E: each line was "invalid JSON: Expecting value", every record lost.
def test_a_jsonl_written_by_jq_seq_is_read_record_by_record(tmp_path):
    path = tmp_path / "stories.jsonl"
    path.write_bytes(b"".join(b"\x1e" + json.dumps(_story(i)).encode() + b"\n"
                              for i in range(3)))
    parsed = parse_file(path)
    assert parsed.errors == []
    assert [r.fields for r in parsed.records] == [_story(i) for i in range(3)]
    assert [r.line for r in parsed.records] == [1, 2, 3]


def test_a_json_written_by_jq_seq_is_read(tmp_path):
    path = tmp_path / "stories.json"
    path.write_bytes(b"".join(b"\x1e" + json.dumps(_story(i), indent=2).encode() + b"\n"
                              for i in range(2)))
    parsed = parse_file(path)
    assert parsed.errors == []
    assert [r.fields for r in parsed.records] == [_story(0), _story(1)]


def test_a_record_separator_inside_a_line_is_still_an_error(tmp_path):
    # Only a separator opening a JSON text is json-seq's; anywhere else it is no JSON.
    path = tmp_path / "stories.jsonl"
    path.write_text('{"title": "A"\x1e, "webUrl": "https://seq.example/a"}\n',
                    encoding="utf-8")
    [error] = parse_file(path).errors
    assert error.reason.startswith("invalid JSON: ")


# A scraper writing a title's tab or NUL raw inside a JSON string: Python's message is
# "Invalid control character at", cut before its position, naming no character.
# (A NUL in a .json is "not a text file" before JSON reads it; in a .jsonl, its line's.)
@pytest.mark.parametrize(("raw", "named", "suffix"), [
    ("\x00", "U+0000", ".jsonl"), ("\t", "U+0009 (a tab)", ".jsonl"),
    ("\t", "U+0009 (a tab)", ".json"), ("\x1f", "U+001F", ".jsonl"),
    ("\x1f", "U+001F", ".json"),
])
def test_a_raw_control_character_in_a_string_is_named_with_its_escape(
        tmp_path, raw, named, suffix):
    path = tmp_path / f"a{suffix}"
    good = json.dumps(_story(0))
    bad = '{"title": "St' + raw + 'ory", "webUrl": "https://seq.example/1"}'
    path.write_text((good + "\n" + bad + "\n") if suffix == ".jsonl" else bad,
                    encoding="utf-8")
    parsed = parse_file(path)
    [error] = parsed.errors
    column = bad.index(raw) + 1
    escape = "\\u" + format(ord(raw), "04x")
    assert error.reason == (
        f"invalid JSON: a control character, {named}, written raw inside a string at "
        f"column {column}: JSON writes it escaped, as {escape}")
    if suffix == ".jsonl":
        assert error.line == 2
        assert [r.fields for r in parsed.records] == [_story(0)]


# Lines ended by CR alone (classic Mac OS, some spreadsheet exports): the records were read
# as "records span several lines (pretty-printed, as jq writes them without -c)", all on
# line 1, which no line of the file was.
def test_a_jsonl_of_lines_ended_by_cr_alone_is_read_line_by_line(tmp_path):
    path = tmp_path / "stories.jsonl"
    path.write_bytes(b"".join(json.dumps(_story(i)).encode() + b"\r" for i in range(3)))
    parsed = parse_file(path)
    assert parsed.errors == [] and parsed.warnings == []
    assert [r.fields for r in parsed.records] == [_story(i) for i in range(3)]
    assert [r.line for r in parsed.records] == [1, 2, 3]
