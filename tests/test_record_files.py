"""Which files are records: the suffixes read, ``.txt`` with front matter (the record
format's own file form), ``--include`` for more, and the seed record itself."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest
import yaml

import graph
from graph.records import RECORD_SUFFIXES, parse_file

SEED = Path("/work/shared/seed")
FRONT = "---\ntitle: A text record\nwebUrl: https://txt.example/one\n---\nThe body.\n"


def test_a_txt_file_with_front_matter_is_a_record(tmp_path):
    (tmp_path / "one.txt").write_text(FRONT, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.records == 1 and kg.report.ok and not kg.report.skipped
    node = kg.nx.nodes["article:https://txt.example/one"]
    assert node["title"] == "A text record" and node["body"] == "The body."


def test_a_txt_file_without_front_matter_is_skipped_with_a_note(tmp_path):
    (tmp_path / "notes.txt").write_text("just some notes\n", encoding="utf-8")
    (tmp_path / "one.txt").write_text(FRONT, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.records == 1 and kg.report.ok
    [skipped] = kg.report.skipped
    assert skipped.path.endswith("notes.txt")
    assert "no YAML front matter" in skipped.reason and ".txt" in skipped.reason


def test_the_suffixes_read_are_the_documented_ones():
    assert RECORD_SUFFIXES == frozenset(
        {".md", ".markdown", ".txt", ".yaml", ".yml", ".json", ".jsonl"})
    doc = (Path(__file__).parent.parent / "docs" / "records.md").read_text(encoding="utf-8")
    for suffix in RECORD_SUFFIXES:
        assert f"`{suffix}`" in doc, suffix


def test_other_files_are_skipped_naming_the_suffixes_and_include(tmp_path):
    (tmp_path / "page.html").write_text(FRONT, encoding="utf-8")
    result = parse_file(tmp_path / "page.html")
    assert result.skipped is not None and not result.records
    assert ".txt" in result.skipped.reason and "--include" in result.skipped.reason


@pytest.mark.parametrize("pattern", ["*.html", "page.*", "sub/*.html"])
def test_include_adds_files_read_by_front_matter(tmp_path, pattern):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.html").write_text(FRONT, encoding="utf-8")
    (tmp_path / "sub" / "other.htm").write_text(FRONT.replace("one", "two"), encoding="utf-8")
    assert graph.load(tmp_path).report.records == 0
    kg = graph.load(tmp_path, include=[pattern])
    assert set(kg.nx.nodes) >= {"article:https://txt.example/one"}
    assert "article:https://txt.example/two" not in kg.nx.nodes
    assert kg.report.records == 1 and kg.report.ok


def test_include_of_a_json_name_reads_it_as_json(tmp_path):
    (tmp_path / "feed.data").write_text('{"title": "J", "webUrl": "https://j.example/1"}',
                                        encoding="utf-8")
    kg = graph.load(tmp_path, include=["*.data"])
    # An included file that is not front matter is reported, not guessed at: as an error
    # saying what a JSON record file is named, since it names a URL (it was skipped as a
    # note, as a Hugo post with JSON front matter was).
    assert kg.report.records == 0
    [error] = kg.report.errors
    assert "JSON front matter" in error.reason and ".json or .jsonl" in error.reason


@pytest.mark.skipif(not SEED.is_dir(), reason="the shared seed record is not on this machine")
def test_the_seed_record_loads(tmp_path):
    shutil.copytree(SEED, tmp_path / "seed")
    kg = graph.load(tmp_path / "seed")
    assert kg.report.records == 1 and kg.report.ok and not kg.report.skipped, kg.report
    [node] = [d for _, d in kg.nx.nodes(data=True) if d["kind"] == "article" and not d["is_stub"]]
    assert node["title"] == "Chinese School Faces Backlash Over Use of Facial Recognition Scanners"


ENCODED = "---\ntitle: \"Café “quoted”\"\nwebUrl: https://enc.example/{n}\n---\nbody\n"


@pytest.mark.parametrize(("n", "encoding"), [(1, "utf-16"), (2, "utf-16-le"), (3, "utf-16-be"),
                                             (4, "utf-32"), (5, "utf-8-sig")])
def test_a_unicode_file_with_a_byte_order_mark_is_read(tmp_path, n, encoding):
    # PowerShell 5's Out-File and Notepad's "Unicode" write UTF-16 with a byte order mark:
    # the mark says the encoding, so the record is read, not refused.
    text = ENCODED.format(n=n)
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = "\ufeff".encode(encoding) + data
    for suffix in (".md", ".txt"):
        (tmp_path / f"story{suffix}").write_bytes(data)
        parsed = parse_file(tmp_path / f"story{suffix}")
        assert not parsed.errors and parsed.skipped is None, parsed
        assert [r.fields["title"] for r in parsed.records] == ["Café “quoted”"]
        assert parsed.records[0].body == "body"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("suffix", [".md", ".txt", ".yaml", ".json"])
def test_a_utf16_file_without_a_byte_order_mark_is_read(tmp_path, encoding, suffix):
    """.NET's Encoding.Unicode.GetBytes and some exporters write UTF-16 with no mark: the
    NUL byte beside each ASCII character says it. A .md or .txt was skipped as a note
    ('no YAML front matter'), its record lost; a .json or .yaml refused for its NULs."""
    text = {".yaml": 'title: "Café “quoted”"\nwebUrl: https://enc.example/7\n',
            ".json": '{"title": "Café “quoted”", "webUrl": "https://enc.example/7"}'
            }.get(suffix, ENCODED.format(n=7))
    (tmp_path / f"story{suffix}").write_bytes(text.encode(encoding))
    parsed = parse_file(tmp_path / f"story{suffix}")
    assert not parsed.errors and parsed.skipped is None, parsed
    assert [r.fields["title"] for r in parsed.records] == ["Café “quoted”"]


@pytest.mark.parametrize("mark", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
@pytest.mark.parametrize(("suffix", "text"), [
    (".md", ENCODED.format(n=9)), (".txt", ENCODED.format(n=9) + "x"),
    (".json", '{"title": "Café “quoted”", "webUrl": "https://enc.example/9"}'),
    (".yaml", 'title: "Café “quoted”"\nwebUrl: https://enc.example/9\n')])
def test_a_utf8_file_behind_a_utf16_byte_order_mark_is_read_as_utf8_with_a_warning(
        tmp_path, mark, suffix, text):
    # A UTF-16 mark put before UTF-8 text (a tool that prepends one, a file pasted into
    # one that had it): it was read as UTF-16, refused as 'truncated data' for an odd
    # number of bytes or, for an even one, read as CJK and skipped as a note, the record
    # lost without its reason (trial29's found-and-left). UTF-16 text of a record's ASCII
    # opens with a NUL beside each character; UTF-8 text never holds one.
    (tmp_path / f"story{suffix}").write_bytes(mark + text.encode("utf-8"))
    parsed = parse_file(tmp_path / f"story{suffix}")
    assert not parsed.errors and parsed.skipped is None, parsed
    assert [r.fields["title"] for r in parsed.records] == ["Café “quoted”"]
    [warning] = parsed.warnings
    assert warning.reason == ("opens with a UTF-16 byte order mark but is written in UTF-8: "
                              "read as UTF-8 (remove the mark's first two bytes)")


def test_utf16_text_that_is_also_valid_utf8_is_still_read_as_utf16(tmp_path):
    # The mark is believed whenever the text after it reads as UTF-16 of a record.
    data = codecs.BOM_UTF16_LE + ENCODED.format(n=10).encode("utf-16-le")
    (tmp_path / "story.md").write_bytes(data)
    parsed = parse_file(tmp_path / "story.md")
    assert [r.fields["title"] for r in parsed.records] == ["Café “quoted”"]
    assert not parsed.warnings and not parsed.errors


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_note_without_a_byte_order_mark_is_a_note(tmp_path, encoding):
    (tmp_path / "notes.txt").write_bytes("Notes from the desk\n".encode(encoding))
    parsed = parse_file(tmp_path / "notes.txt")
    assert not parsed.errors and not parsed.records
    assert parsed.skipped is not None and "no YAML front matter" in parsed.skipped.reason


def test_a_utf16_file_without_a_mark_cut_short_is_refused_saying_so(tmp_path):
    data = ENCODED.format(n=8).encode("utf-16-le")[:-1]  # an odd number of bytes
    (tmp_path / "story.md").write_bytes(data)
    [error] = parse_file(tmp_path / "story.md").errors
    assert error.reason.startswith("not valid UTF-16-LE (read so for the NUL byte beside "
                                   "each of its first characters; it has no byte order mark)")


def test_a_file_in_another_encoding_is_refused_saying_what_is_read(tmp_path):
    (tmp_path / "story.md").write_bytes(ENCODED.format(n=6).encode("cp1252"))
    [error] = parse_file(tmp_path / "story.md").errors
    assert error.line == 2
    assert error.reason.startswith("not valid UTF-8: byte 0xe9 at offset 15; records are read "
                                   "as UTF-8, or as UTF-16 or UTF-32 with a byte order mark")
    assert "iconv -f WINDOWS-1252 -t UTF-8" in error.reason


def test_toml_front_matter_is_refused_naming_it(tmp_path):
    (tmp_path / "hugo.md").write_text('+++\ntitle = "A"\nwebUrl = "https://h.example/a"\n+++\n',
                                      encoding="utf-8")
    [error] = parse_file(tmp_path / "hugo.md").errors
    assert (error.line, error.reason) == (1, "TOML front matter ('+++', as Hugo writes it) is not "
                                             "read: the front matter must be YAML between '---' "
                                             "lines (`hugo convert toYAML` rewrites a Hugo "
                                             "site's front matter so)")


# What hand-written front matter gets wrong most: PyYAML's words name the problem, not
# the fix; the error says both.
@pytest.mark.parametrize(("front", "line", "says", "fix"), [
    ("title: Note 📝: a colon\nwebUrl: https://o.example/n\n", 2,
     "mapping values are not allowed in this context",
     "quote a value holding ': ' (a colon and a space): title: \"...\""),
    ("title: T\nwebUrl: https://o.example/n\nprovider:\n\tname: X\n", 5,
     "while scanning for the next token found character that cannot start any token",
     "indent with spaces: YAML does not allow tabs"),
    ("title: @someone said\nwebUrl: https://o.example/n\n", 2,
     "while scanning for the next token found character that cannot start any token",
     "quote a value that starts with '@': YAML reserves it"),
    # A field indented under one holding text is read as more of that text: to quote the
    # title, as the colon's hint said, fixed nothing.
    ("title: T\n  webUrl: https://o.example/n\n", 3,
     "mapping values are not allowed in this context",
     "line 3 ('webUrl: https://o.example/n') is indented under line 2 ('title: T'), whose "
     "value is text, so it is read as more of that text: start it where 'title' starts"),
    ("title: T\nwebUrl: https://o.example/n\nprovider:\n  name: X\n   domain: x.example\n", 6,
     "mapping values are not allowed in this context",
     "line 6 ('domain: x.example') is indented under line 5 ('name: X'), whose value is "
     "text, so it is read as more of that text: start it where 'name' starts"),
    ('title: "Unfinished\nwebUrl: https://o.example/n\n', 2,
     "while scanning a quoted scalar found unexpected end of stream",
     "the quote (\") opening the value on line 2 is never closed, so the lines below are "
     "read as its text: close it where the value ends, or, if it is part of the text, "
     "quote the whole value with the other quote"),
    ("title: T\nwebUrl: https://o.example/n\nx: !foo bar\n", 4,
     "could not determine a constructor for the tag '!foo'",
     "only YAML's standard tags are read (!!str, !!int, !!float, !!bool, !!null, "
     "!!timestamp, !!binary, !!set, !!seq, !!map, !!omap): write the value without its tag"),
])
def test_common_yaml_mistakes_say_how_to_fix_them(tmp_path, front, line, says, fix):
    (tmp_path / "note.md").write_text(f"---\n{front}---\nbody\n", encoding="utf-8")
    [error] = parse_file(tmp_path / "note.md").errors
    assert error.line == line
    assert error.reason.startswith(f"invalid YAML: {says}")
    assert error.reason.endswith(fix)



# A title opening with a character YAML reads as the start of something else, as news
# titles do ("[Video] ...", a quoted name, Markdown's *emphasis*): PyYAML's words ("did
# not find expected key") said neither what nor how to fix it.
@pytest.mark.parametrize(("value", "reads_as", "fixed"), [
    ("[Video] Protests in the capital", "a list", "'[Video] Protests in the capital'"),
    ("{Update} Talks resume", "a mapping", "'{Update} Talks resume'"),
    ('"Squid Game" star wins an Emmy', "a quoted text, ending at its closing quote",
     "'\"Squid Game\" star wins an Emmy'"),
    ("'Oppenheimer' wins, and 'Barbie' too", "a quoted text, ending at its closing quote",
     '"\'Oppenheimer\' wins, and \'Barbie\' too"'),
    ("*Breaking* Markets fall", "an alias (*name)", "'*Breaking* Markets fall'"),
    ("%50 off everything", "a directive", "'%50 off everything'"),
    ("| Pipes in a title", "a block of text on the lines below", "'| Pipes in a title'"),
    ("> Quoted in a title", "a block of text on the lines below", "'> Quoted in a title'"),
    ("- A dash first", "a list item", "'- A dash first'"),
    ("? A question first", "a mapping key", "'? A question first'"),
])
def test_a_value_opening_with_what_yaml_reads_otherwise_says_to_quote_it(
        tmp_path, value, reads_as, fixed):
    front = f"title: {value}\nwebUrl: https://o.example/n\n"
    (tmp_path / "note.md").write_text(f"---\n{front}---\nbody\n", encoding="utf-8")
    [error] = parse_file(tmp_path / "note.md").errors
    assert error.line == 2
    first = value[0] if value[0] not in "-?" else value[:2]
    assert error.reason.startswith("invalid YAML: "), error.reason
    assert error.reason.endswith(
        f"; quote the whole value, as YAML reads one starting with {first!r} as {reads_as}: "
        f"title: {fixed}"), error.reason
    assert yaml.safe_load(f"title: {fixed}") == {"title": value}


def test_an_indent_of_no_break_spaces_says_so(tmp_path):
    front = "title: T\nwebUrl: https://o.example/n\ntopics:\n\u00a0\u00a0- AI\n"
    # Front matter pasted from a web page or a word processor: its indent is U+00A0, which
    # YAML does not read as one ("could not find expected ':'", on the line after).
    (tmp_path / "note.md").write_text(f"---\n{front}---\n", encoding="utf-8")
    [error] = parse_file(tmp_path / "note.md").errors
    assert error.reason.endswith(
        "; line 5 is indented with a no-break space (U+00A0), as text pasted from a web "
        "page or a word processor may be: indent with spaces"), error.reason


def test_an_unclosed_list_is_not_told_to_be_quoted(tmp_path):
    (tmp_path / "note.md").write_text("---\ntitle: T\nwebUrl: https://o.example/n\n"
                                      "topics: [AI, Privacy\n---\n", encoding="utf-8")
    [error] = parse_file(tmp_path / "note.md").errors
    assert "quote the whole value" not in error.reason


def test_a_file_over_the_size_limit_says_how_to_raise_it(tmp_path):
    (tmp_path / "big.md").write_text(FRONT + "x" * 2000, encoding="utf-8")
    [error] = parse_file(tmp_path / "big.md", max_bytes=1000).errors
    assert error.reason == ("file is 2071 bytes, over the 1000 bytes limit (--max-file-mb, "
                            "or graph.load's max_file_bytes, raises it)")


@pytest.mark.parametrize(("name", "text", "says"), [
    ("page.md", "---\n---\nAn about page.\n", "its front matter holds no field"),
    ("page.txt", "---\n# draft\n---\n", "its front matter holds no field"),
    ("notes.yaml", "# nothing yet\n", "holds no record (only comments"),
    ("today.json", "[]\n", "holds an empty list"),
    ("today.yaml", "[]\n", "holds an empty list"),
])
def test_a_file_holding_no_record_is_said_in_the_report(tmp_path, name, text, says):
    # A Jekyll page marked with empty front matter, a YAML file of comments, a scraper's
    # empty list: nothing was read and nothing said ('1 files read, 0 skipped, 0 errors'
    # for a folder that loaded nothing).
    (tmp_path / name).write_text(text, encoding="utf-8")
    parsed = parse_file(tmp_path / name)
    assert not parsed.records and not parsed.errors
    assert parsed.skipped is not None and says in parsed.skipped.reason, parsed
    assert "so it is skipped" in parsed.skipped.reason


def test_a_jsonl_line_in_another_encoding_costs_only_that_line(tmp_path):
    # A scraper appends a line a site served in Windows-1252 to a file of UTF-8 lines: the
    # whole file was refused as 'not valid UTF-8', every good line lost with it (one bad
    # line of a .jsonl costs only itself when it is bad JSON).
    lines = [b'{"title": "One", "webUrl": "https://j.example/1"}',
             '{"title": "Café", "webUrl": "https://j.example/2"}'.encode("cp1252"),
             '{"title": "Trois été", "webUrl": "https://j.example/3"}'.encode()]
    (tmp_path / "scraped.jsonl").write_bytes(b"\r\n".join(lines) + b"\r\n")
    parsed = parse_file(tmp_path / "scraped.jsonl")
    assert [(r.fields["title"], r.line) for r in parsed.records] == [("One", 1), ("Trois été", 3)]
    [error] = parsed.errors
    assert error.line == 2
    assert error.reason.startswith("not valid UTF-8: byte 0xe9 at offset 14 of the line; ")
    assert "iconv -f WINDOWS-1252 -t UTF-8" in error.reason


def test_a_jsonl_file_of_no_utf8_line_is_refused_line_by_line(tmp_path):
    (tmp_path / "latin.jsonl").write_bytes('{"title": "Café", "webUrl": "https://j.example/2"}\n'
                                           .encode("cp1252") * 2)
    parsed = parse_file(tmp_path / "latin.jsonl")
    assert not parsed.records and [e.line for e in parsed.errors] == [1, 2]


@pytest.mark.parametrize(("text", "hint"), [
    ('// exported by the CMS\n{"title": "A", "webUrl": "https://j.example/a"}\n',
     "; JSON holds no comments ('//', '/* */' or '#'): take them out"),
    ('{"title": "A", "webUrl": "https://j.example/a", /* draft */ "x": 1}\n',
     "; JSON holds no comments ('//', '/* */' or '#'): take them out"),
    ('{"title": "A", "webUrl": "https://j.example/a",}\n',
     "; a comma before '}' ends nothing: JSON allows no trailing comma"),
    ('[{"title": "A", "webUrl": "https://j.example/a"},\n]\n',
     "; a comma before ']' ends nothing: JSON allows no trailing comma"),
    ("{'title': 'A', 'webUrl': 'https://j.example/a'}\n",
     "; JSON quotes names and text with \" (double quotes), not '"),
])
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_invalid_json_written_as_javascript_says_what_json_allows(
        tmp_path, text, hint, suffix):
    # A CMS export with a comment, a hand-edited list with a trailing comma, a Python
    # dict printed with single quotes: 'invalid JSON: Expecting value' said nothing of it.
    if suffix == ".jsonl":
        text = text.replace("\n]", "]").replace(",\n", ",")
    (tmp_path / f"a{suffix}").write_text(text, encoding="utf-8")
    parsed = parse_file(tmp_path / f"a{suffix}")
    assert parsed.errors, parsed
    assert parsed.errors[0].reason.startswith("invalid JSON: ")
    assert parsed.errors[0].reason.endswith(hint), parsed.errors[0].reason


def _stories(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"title": f"Story {i}", "webUrl": f"https://jq.example/{i}"}
            for i in range(start, start + n)]


# `jq '.articles[]' answer.json > stories.jsonl` (without -c) writes each record over
# several lines; `jq -c '.articles[]' > stories.json` writes them one after another. Each
# record was lost: a .jsonl's lines were errors one by one ('Expecting property name',
# 'Extra data', ...), a .json 'invalid JSON: Extra data'.
@pytest.mark.parametrize(("name", "text", "said"), [
    ("stories.jsonl", "".join(json.dumps(s, indent=2) + "\n" for s in _stories(3)),
     "records span several lines (pretty-printed, as jq writes them without -c): read "
     "as 3 JSON values one after another; a .jsonl holds one record a line (jq -c)"),
    ("stories.json", "".join(json.dumps(s) + "\n" for s in _stories(3)),
     "3 JSON values one after another (as jq writes them): each read as a record; a "
     ".json holds one record or a list of them, a .jsonl one record a line"),
    ("stories.json", "".join(json.dumps(s, indent=2) for s in _stories(3)),
     "3 JSON values one after another (as jq writes them): each read as a record; a "
     ".json holds one record or a list of them, a .jsonl one record a line"),
])
def test_records_written_one_after_another_as_jq_writes_them_are_read(tmp_path, name, text,
                                                                        said):
    (tmp_path / name).write_text(text, encoding="utf-8")
    parsed = parse_file(tmp_path / name)
    assert parsed.errors == []
    assert [r.fields for r in parsed.records] == _stories(3)
    starts = [i + 1 for i, line in enumerate(text.split("\n")) if line.startswith("{")]
    if len(starts) == 3:
        assert [r.line for r in parsed.records] == starts
    [warning] = parsed.warnings
    assert (warning.line, warning.reason) == (1, said)


@pytest.mark.parametrize("text", [
    json.dumps(_stories(1)[0]) + "\n{\"title\": broken\n" + json.dumps(_stories(1, 1)[0]),
    json.dumps(_stories(1)[0], indent=2) + "\n{\"title\": broken",
])
def test_a_broken_jsonl_line_is_still_its_own_error(tmp_path, text):
    (tmp_path / "feed.jsonl").write_text(text, encoding="utf-8")
    parsed = parse_file(tmp_path / "feed.jsonl")
    assert parsed.errors and not any("one after another" in w.reason for w in parsed.warnings)


def test_an_anchor_never_used_on_a_plain_value_says_what_yaml_read(tmp_path):
    # 'title: &Co news' is YAML's anchor '&Co' on the value 'news': the title was 'news',
    # unsaid.
    (tmp_path / "note.md").write_text(
        "---\ntitle: &Co news\nwebUrl: https://o.example/n\n"
        "provider: &p {name: P}\nrelated:\n  - {webUrl: https://o.example/r, provider: *p}\n"
        "---\n", encoding="utf-8")
    parsed = parse_file(tmp_path / "note.md")
    assert parsed.records[0].fields["title"] == "news"
    [warning] = parsed.warnings
    assert (warning.line, warning.reason) == (2, (
        "anchor '&Co' is never used: YAML reads '&Co' before a value as a name for it, and "
        "the value is 'news'; if '&Co' is part of the text, quote the whole value: "
        "'&Co news'"))


def test_an_anchor_used_by_an_alias_is_no_warning(tmp_path):
    (tmp_path / "feed.yaml").write_text(
        "- title: &t Shared title\n  webUrl: https://o.example/1\n"
        "- title: *t\n  webUrl: https://o.example/2\n", encoding="utf-8")
    parsed = parse_file(tmp_path / "feed.yaml")
    assert parsed.warnings == [] and len(parsed.records) == 2
