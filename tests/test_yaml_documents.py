"""YAML as other tools write a document: directives (`%YAML 1.1`) opening front matter,
and the collection tags (`!!omap`, `!!pairs`, `!!set`) ruamel.yaml, Ruby's Psych and Perl
write for ordered and odd collections (docs/records.md, "Directives and collection tags")."""

from __future__ import annotations

import pytest

import graph
from graph.records import ParsedFile, parse_text

URL = "https://news.example/directive"
FIELDS = f"title: A story\nwebUrl: {URL}\ntopics: [AI]\n"


def _parsed(text: str, suffix: str = ".md") -> ParsedFile:
    result = ParsedFile("a" + suffix)
    parse_text(text, suffix, result)
    return result


def _only_record(result: ParsedFile) -> dict:
    assert result.errors == [], result.errors
    [one] = result.records
    return one.fields


@pytest.mark.parametrize("directives", [
    "%YAML 1.1\n", "%YAML 1.2\n", "%YAML 1.1 # as ruamel.yaml writes it\n",
    "# written by a script\n%YAML 1.1\n\n", "%TAG !! tag:yaml.org,2002:\n",
    "%YAML 1.1\n%TAG !e! tag:example.com,2000:\n",
])
def test_front_matter_opening_with_a_directive_is_read_as_yaml_reads_it_before_its_start(
        directives):
    """The front matter's '---' is the document's start: a directive after it is read
    as PyYAML reads one written before a '---' (it was "did not find expected <document
    start>"), and the record is the one written without it."""
    plain = _only_record(_parsed(f"---\n{FIELDS}---\nbody\n"))
    said = _parsed(f"---\n{directives}{FIELDS}---\nbody\n")
    assert _only_record(said) == plain
    lines = f"---\n{directives}{FIELDS}".splitlines()
    assert said.records[0].line == lines.index("title: A story") + 1  # its first field's
    assert said.records[0].body == "body"


def test_lines_after_a_directive_keep_their_numbers():
    text = "---\n%YAML 1.1\ntitle: A story\nwebUrl: https://news.example/x\nbad: a: b\n---\n"
    [error] = _parsed(text).errors
    assert error.line == 5 and "quote a value holding ': '" in error.reason
    text = ("---\n%YAML 1.1\ntitle: A\ntitle: B\nwebUrl: https://news.example/x\n---\n")
    [warning] = _parsed(text).warnings
    assert warning.line == 4 and "duplicate key 'title'" in warning.reason


@pytest.mark.parametrize(("directives", "line", "words"), [
    ("%YAML 2.0\n", 2, "'%YAML 2.0' names a YAML version newsgraph does not read"),
    ("%YAML 1.0\n", 2, "'%YAML 1.0' names a YAML version newsgraph does not read"),
    ("%YAML 1.1\n%YAML 1.2\n", 3, "a second %YAML directive"),
    ("%FOO bar\n", 2, "'%FOO bar' is no YAML directive"),
    ("%YAML\n", 2, "'%YAML' names no YAML version"),
    ("%TAG !x tag:a\n", 2, "a %TAG directive is written '%TAG !name! tag:"),
])
def test_a_directive_yaml_does_not_read_is_named_with_what_is_allowed(directives, line, words):
    [error] = _parsed(f"---\n{directives}{FIELDS}---\n").errors
    assert (error.line, words in error.reason) == (line, True), error
    if not directives.startswith("%TAG"):
        assert "%YAML 1.1 or %YAML 1.2, and %TAG" in error.reason


def test_the_same_directives_are_read_alike_in_a_yaml_file():
    assert _only_record(_parsed(f"%YAML 1.2\n---\n{FIELDS}", ".yaml"))["webUrl"] == URL
    [error] = _parsed(f"%FOO bar\n---\n{FIELDS}", ".yaml").errors
    assert error.line == 1 and "'%FOO bar' is no YAML directive" in error.reason


@pytest.mark.parametrize(("text", "suffix", "line"), [
    (f"%YAML 1.1\n{FIELDS}", ".yaml", 1),
    (f"---\ntitle: A story\n%YAML 1.1\nwebUrl: {URL}\n---\n", ".md", 3),
])
def test_a_directive_without_its_document_start_says_where_it_goes(text, suffix, line):
    [error] = _parsed(text, suffix).errors
    assert f"a directive ('%YAML 1.1', line {line})" in error.reason
    if suffix == ".yaml":
        assert "a '---' line must follow it" in error.reason
    else:
        assert "at the top of the front matter" in error.reason


def test_front_matter_of_directives_only_holds_no_field(tmp_path):
    (tmp_path / "a.md").write_text("---\n%YAML 1.1\n---\nbody\n", encoding="utf-8")
    report = graph.load(tmp_path).report
    assert report.errors == [] and "holds no field" in report.skipped[0].reason




@pytest.mark.parametrize("text", [
    f"---\n!!omap\n- title: A story\n- webUrl: {URL}\n- topics: [AI]\n---\nbody\n",
    f"---\n!!omap [title: A story, webUrl: '{URL}', topics: [AI]]\n---\nbody\n",
])
def test_front_matter_written_as_an_ordered_mapping_is_the_record(text):
    """!!omap is a mapping whose keys keep their order, as a record's fields do: it is
    read as one (safe_load gives a list of pairs, and the record was refused with
    'expected a record (a mapping of fields), got list')."""
    result = _parsed(text)
    assert _only_record(result) == _only_record(_parsed(f"---\n{FIELDS}---\nbody\n"))
    assert result.warnings == []


def test_an_ordered_mapping_inside_a_record_is_a_mapping_too():
    text = (f"---\ntitle: A story\nwebUrl: {URL}\nprovider: !!omap\n  - name: Wire\n"
            "  - domain: wire.example\nsettings: !!omap [b: 1, a: 2]\n---\n")
    fields = _only_record(_parsed(text))
    assert fields["provider"] == {"name": "Wire", "domain": "wire.example"}
    assert list(fields["settings"].items()) == [("b", 1), ("a", 2)]


def test_a_key_repeated_in_an_ordered_mapping_is_said_as_in_any_mapping():
    result = _parsed(f"---\n!!omap\n- title: A\n- webUrl: {URL}\n- title: B\n---\n")
    assert _only_record(result)["title"] == "B"
    [warning] = result.warnings
    assert warning.line == 5 and "duplicate key 'title'" in warning.reason


@pytest.mark.parametrize(("text", "words"), [
    (f"---\n!!pairs\n- title: A\n- webUrl: {URL}\n---\n",
     "got !!pairs (a list of key: value pairs, whose keys may repeat): write the fields "
     "as a mapping (or !!omap)"),
    ("---\n!!set\n? title\n? webUrl\n---\n",
     "got a !!set (keys without values: 'title', 'webUrl'): write the fields as a mapping"),
    ("---\n!!str just a line\n---\n", "got the text 'just a line'"),
    ("---\n2022\n---\n", "got the number 2022"),
])
def test_front_matter_that_is_no_mapping_says_what_it_is(text, words):
    [error] = _parsed(text).errors
    assert error.line == 2 and "expected a record (a mapping of fields)" in error.reason
    assert words in error.reason, error.reason


def test_a_yaml_list_of_ordered_mappings_is_a_list_of_records():
    text = (f"- !!omap [title: A, webUrl: '{URL}/a']\n"
            f"- !!omap\n  - title: B\n  - webUrl: {URL}/b\n")
    result = _parsed(text, ".yaml")
    assert result.errors == []
    assert [r.fields["title"] for r in result.records] == ["A", "B"]


@pytest.mark.parametrize("first", ["--- !!omap", "--- # written by ruamel.yaml"])
def test_a_record_whose_opening_line_holds_more_than_its_fence_is_an_error_not_a_note(
        tmp_path, first):
    """`yaml.dump(..., explicit_start=True)` of an ordered mapping opens '--- !!omap':
    no front matter fence, and the file was skipped as a note, its record lost unsaid."""
    (tmp_path / "a.md").write_text(
        f"{first}\n- title: A story\n- webUrl: {URL}\n---\nbody\n", encoding="utf-8")
    report = graph.load(tmp_path).report
    assert report.skipped == []
    [error] = report.errors
    assert error.line == 1
    assert f"its first line ({first!r}) holds more than the '---' that opens front matter" \
        in error.reason
