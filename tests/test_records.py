"""Reading records: every file form, what is kept, what is skipped, and bad input reported alone."""

from __future__ import annotations

import json

import pytest
from conftest import errors_by_path, record, write_record

import graph
from graph.records import DEFAULT_MAX_FILE_BYTES

SECURED = "qQUmftxr5TP7+OoUi/ATI1nx==;lpcwhp4o17vlBkHvTw9eqg==  \\x00 ünïcode\t"


# -- the file forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("relpath", "form", "fields"),
    [
        ("story.md", "md", record("md")),
        ("story.markdown", "md", record("markdown")),
        ("story.yaml", "yaml", record("yaml")),
        ("stories.yml", "yaml", [record("yml-1"), record("yml-2")]),
        ("story.json", "json", record("json")),
        ("stories.json", "json", [record("json-1"), record("json-2")]),
        ("stories.jsonl", "jsonl", [record("jsonl-1"), record("jsonl-2"), record("jsonl-3")]),
        ("UPPER.MD", "md", record("upper")),
    ],
)
def test_each_file_form_loads_its_records(tmp_path, relpath, form, fields):
    write_record(tmp_path, relpath, fields, form=form)
    kg = graph.load(tmp_path)
    expected = fields if isinstance(fields, list) else [fields]
    assert kg.report.ok, kg.report.errors
    assert kg.report.records == len(expected)
    for f in expected:
        node = kg.article(f["webUrl"])
        assert node is not None
        assert kg[node]["title"] == f["title"]


def test_a_single_file_loads_too(tmp_path):
    path = write_record(tmp_path, "one.json", record("only"), form="json")
    write_record(tmp_path, "other.json", record("other"), form="json")
    kg = graph.load(path)
    assert kg.report.records == 1
    assert kg.article("https://news.example/only") is not None
    assert kg.article("https://news.example/other") is None


def test_folders_are_read_recursively(tmp_path):
    write_record(tmp_path, "a/b/c/deep.md", record("deep"))
    write_record(tmp_path, "top.md", record("top"))
    kg = graph.load(tmp_path)
    assert kg.report.records == 2
    assert kg.report.files == 2


def test_markdown_body_is_the_text_after_the_front_matter(tmp_path):
    body = "\nFirst paragraph.\n\n---\n\nA rule above is body text, not a fence.\n"
    write_record(tmp_path, "story.md", record("s"), body=body)
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/s"]["body"] == (
        "First paragraph.\n\n---\n\nA rule above is body text, not a fence."
    )


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_a_body_written_with_windows_line_breaks_reads_as_lines(tmp_path, newline):
    # Notepad and git's autocrlf write CRLF; old Mac editors a lone CR. The body kept
    # them, and the last line's "\r" too ('line1\r\nline2\r'), into every answer.
    text = "---\ntitle: T\nwebUrl: https://news.example/s\n---\n\nline1\n\nline2\n"
    (tmp_path / "story.md").write_bytes(text.replace("\n", newline).encode())
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/s"]["title"] == "T"
    assert kg["article:https://news.example/s"]["body"] == "line1\n\nline2"
    assert not kg.report.errors and not kg.report.warnings


def test_markdown_without_body_has_none(tmp_path):
    write_record(tmp_path, "story.md", record("s"))
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/s"]["body"] is None


@pytest.mark.parametrize("form", ["md", "yaml", "json", "jsonl"])
def test_unknown_fields_are_kept_on_extra(tmp_path, form):
    extra = {"wordCount": 812, "byline": {"name": "R. Chen", "roles": ["editor"]}}
    write_record(tmp_path, f"story.{form}", record("s", **extra), form=form)
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/s"]["extra"] == extra


@pytest.mark.parametrize("form", ["md", "yaml", "json", "jsonl"])
def test_secured_is_kept_exactly(tmp_path, form):
    write_record(tmp_path, f"story.{form}", record("s", secured=SECURED), form=form)
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/s"]["secured"] == SECURED


def test_secured_as_written_in_the_seed_is_kept_exactly(tmp_path):
    blob = ("qQUmftxr5TP7OoUiATI1nx/gaVr6rtEiBSCRaieXAxfOvQ2yT0z9fz1/fWvsmyfl5U1HgPGgth+gV6jX"
            "==;lpcwhp4o17vlBkHvTw9eqg==")
    (tmp_path / "seed.md").write_text(
        f'---\ntitle: "Seed"\nwebUrl: "https://n.example/seed"\nsecured: "{blob}"\n---\n',
        encoding="utf-8",
    )
    kg = graph.load(tmp_path)
    assert kg["article:https://n.example/seed"]["secured"] == blob


# -- what is not read ----------------------------------------------------------


def test_hidden_files_and_folders_are_ignored(tmp_path):
    write_record(tmp_path, "visible.md", record("visible"))
    write_record(tmp_path, ".hidden.md", record("hidden-file"))
    write_record(tmp_path, ".git/inside.md", record("hidden-folder"))
    write_record(tmp_path, "sub/.cache/deeper.json", record("hidden-deeper"), form="json")
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    kg = graph.load(tmp_path)
    assert kg.report.records == 1
    assert kg.report.ok and kg.report.skipped == []
    assert kg.article("https://news.example/visible") is not None


def test_a_hidden_folder_given_as_the_path_is_read(tmp_path):
    write_record(tmp_path, ".corpus/story.md", record("s"))
    kg = graph.load(tmp_path / ".corpus")
    assert kg.report.records == 1


def test_other_suffixes_are_skipped_and_counted(tmp_path):
    write_record(tmp_path, "story.md", record("s"))
    skipped = [tmp_path / "notes.txt", tmp_path / "README", tmp_path / "img/photo.png",
               tmp_path / "story.md.bak"]
    for path in skipped:
        path.parent.mkdir(exist_ok=True)
        path.write_text("title: not a record\n", encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok
    assert kg.report.records == 1
    assert sorted(p.path for p in kg.report.skipped) == sorted(map(str, skipped))
    assert all(p.reason for p in kg.report.skipped)


# -- bad input: one clear problem each, with path, line and reason -------------

BILLION_LAUGHS = "\n".join(
    ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 9) + "]" for i in range(1, 9)]
    + ['title: "Laughs"', 'webUrl: "https://bomb.example/lol"']
) + "\n"

BAD_FILES = {
    # name: (content, line, words the reason holds)
    "yaml-syntax.md": ("---\ntitle: ok\nwebUrl: https://x.example/a: b\n---\n", 3,
                       "invalid YAML"),
    "yaml-syntax.yaml": ("title: ok\nwebUrl: [https://x.example/a\n", 3, "invalid YAML"),
    "json-syntax.json": ('{\n  "title": "ok",\n  "webUrl": \n}\n', 4, "invalid JSON"),
    # (a .md without front matter and without a URL field is a note, skipped:
    # tests/test_other_writers.py)
    "no-front-matter.md": ("title: Fences forgotten\nwebUrl: https://x.example/n\n", 1,
                           "front matter"),
    "unclosed-front-matter.md": ("---\ntitle: ok\nwebUrl: https://x.example/u\n", 1,
                                 "never closed"),
    "no-url.md": ("---\ntitle: No link\nexcerpt: nothing\n---\n", 2, "no URL"),
    "bad-url.md": ("---\ntitle: Bad link\nwebUrl: not a url\n---\n", 2, "no valid URL"),
    # Without a title a record is kept, titled by its URL (tests/test_values.py); without
    # a URL too it has nothing to be keyed by.
    "no-title-no-url.yaml": ("excerpt: untitled\n", 1, "no URL"),
    "not-a-mapping.yaml": ("just a sentence\n", 1, "expected a record"),
    "invalid-utf8.md": (b'---\ntitle: "caf\xe9"\nwebUrl: https://x.example/c\n---\n', 2,
                        "UTF-8"),
    "empty.md": ("", None, "empty file"),
    "blank.jsonl": ("\n  \n\n", None, "empty file"),
    "billion-laughs.yaml": (BILLION_LAUGHS, None, "alias bomb"),
    "self-alias.yaml": ("a: &a [*a]\ntitle: Loop\nwebUrl: https://x.example/loop\n", None,
                        "alias"),
}


def _write_bad(tmp_path, name):
    content = BAD_FILES[name][0]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_reported_with_path_line_and_reason(tmp_path, name):
    _, line, words = BAD_FILES[name]
    path = _write_bad(tmp_path, name)
    write_record(tmp_path, "good.md", record("good"))
    kg = graph.load(tmp_path)
    assert [(p.path, p.line) for p in kg.report.errors] == [(str(path), line)]
    reason = kg.report.errors[0].reason
    assert words.lower() in reason.lower()
    assert len(reason) > len(words) + 5  # says more than a keyword
    assert kg.report.records == 1
    assert kg.article("https://news.example/good") is not None


def test_yaml_syntax_error_line_is_the_line_of_the_file_not_of_the_front_matter(tmp_path):
    text = "---\ntitle: ok\nwebUrl: https://x.example/a\nexcerpt: fine\nbad: a: b\n---\nbody\n"
    (tmp_path / "late.md").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert [p.line for p in kg.report.errors] == [5]


def test_invalid_utf8_reports_the_line_of_the_bad_byte(tmp_path):
    (tmp_path / "x.jsonl").write_bytes(
        b'{"title": "a", "webUrl": "https://x.example/1"}\n'
        b'{"title": "b", "webUrl": "https://x.example/2"}\n'
        b'{"title": "\xff", "webUrl": "https://x.example/3"}\n'
    )
    kg = graph.load(tmp_path)
    assert [(p.line, "UTF-8" in p.reason) for p in kg.report.errors] == [(3, True)]


def test_a_utf8_byte_order_mark_is_not_an_error(tmp_path):
    (tmp_path / "bom.json").write_bytes(
        b"\xef\xbb\xbf" + json.dumps(record("bom")).encode("utf-8")
    )
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.records == 1


def test_a_few_yaml_aliases_are_fine(tmp_path):
    text = ("provider: &p {name: Wire, domain: wire.example}\n"
            "title: Aliased\nwebUrl: https://x.example/alias\n"
            "related:\n  - {title: R, webUrl: 'https://y.example/r', provider: *p}\n")
    (tmp_path / "alias.yaml").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok
    assert kg["article:https://y.example/r"]["provider"] == "wire.example"


# -- the size limit ------------------------------------------------------------


def test_default_size_limit_is_ten_megabytes(tmp_path):
    assert DEFAULT_MAX_FILE_BYTES == 10 * 1024 * 1024
    big = write_record(tmp_path, "big.md", record("big"), body="x" * DEFAULT_MAX_FILE_BYTES)
    write_record(tmp_path, "small.md", record("small"))
    kg = graph.load(tmp_path)
    assert [(p.path, p.line) for p in kg.report.errors] == [(str(big), None)]
    assert "limit" in kg.report.errors[0].reason
    assert kg.report.records == 1


def test_size_limit_is_configurable(tmp_path):
    path = write_record(tmp_path, "story.md", record("s"), body="word " * 100)
    size = path.stat().st_size
    assert graph.load(tmp_path, max_file_bytes=size).report.records == 1
    report = graph.load(tmp_path, max_file_bytes=size - 1).report
    assert report.records == 0
    assert [(p.path, p.line) for p in report.errors] == [(str(path), None)]
    assert f"{size - 1} bytes limit" in report.errors[0].reason


# -- one bad record does not take its neighbours with it -----------------------


def test_bad_jsonl_lines_cost_only_themselves(tmp_path):
    lines = [
        json.dumps(record("j1")),
        '{"title": "broken", "webUrl": ',
        json.dumps({"webUrl": "https://news.example/untitled"}),
        "",
        json.dumps(record("j5")),
        "[1, 2]",
        json.dumps(record("j7")),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kg = graph.load(tmp_path)
    assert [(p.path, p.line) for p in kg.report.errors] == [(str(path), 2), (str(path), 6)]
    assert "invalid JSON" in kg.report.errors[0].reason
    [untitled] = kg.report.warnings
    assert (untitled.line, "no title" in untitled.reason) == (3, True)
    assert kg.report.records == 4
    for slug in ("j1", "j5", "j7", "untitled"):
        assert kg.article(f"https://news.example/{slug}") is not None


def test_bad_record_in_a_yaml_list_costs_only_itself(tmp_path):
    text = ("- title: First\n  webUrl: https://y.example/1\n"
            "- excerpt: no title here\n  webUrl: https://y.example/2\n"
            "- title: Third\n  webUrl: https://y.example/3\n"
            "- title: 42\n  webUrl: https://y.example/4\n")
    path = tmp_path / "list.yml"
    path.write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    # No title: kept, titled by its URL, with a warning; a number as title: its text.
    assert kg.report.ok and kg.report.records == 4
    assert [(p.path, p.line) for p in kg.report.warnings] == [(str(path), 3)]
    assert kg.nx.nodes["article:https://y.example/2"]["title"] == "https://y.example/2"
    assert kg.nx.nodes["article:https://y.example/4"]["title"] == "42"


def test_yaml_syntax_error_in_one_list_item_costs_only_that_item(tmp_path):
    text = ("- title: First\n  webUrl: https://y.example/1\n"
            "- title: Second\n  webUrl: https://y.example/2: oops\n"
            "- title: Third\n  webUrl: https://y.example/3\n")
    path = tmp_path / "list.yaml"
    path.write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert [(p.path, p.line) for p in kg.report.errors] == [(str(path), 4)]
    assert kg.report.errors[0].reason.startswith("invalid YAML")
    assert kg.report.records == 2
    assert kg.article("https://y.example/1") and kg.article("https://y.example/3")
    assert kg.article("https://y.example/2") is None


def test_an_item_merging_an_anchor_of_another_item_survives_a_bad_item(tmp_path):
    # Shared fields written once with an anchor and merged (<<: *base), as hand-kept YAML
    # lists and Ansible-style files do: one broken item made the items be read one by one,
    # and each alias to an anchor in another item was 'found undefined alias': every item
    # that merged the shared fields was lost with the broken one.
    text = ("- &base\n  provider: {name: X, domain: x.example}\n  title: A\n"
            "  webUrl: https://x.example/a\n  topics: &t [AI, Privacy]\n"
            "- <<: *base\n  title: B\n  webUrl: https://x.example/b\n"
            '- title: "C: broken\n  webUrl: https://x.example/c\n'
            "- <<: *base\n  title: D\n  webUrl: https://x.example/d\n  topics: *t\n"
            "- *ghost\n")
    path = tmp_path / "list.yaml"
    path.write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert [(p.line, p.reason.split(";")[0]) for p in kg.report.errors] == [
        (9, "invalid YAML: while scanning a quoted scalar found unexpected end of stream"),
        (15, "invalid YAML: found undefined alias 'ghost'")]  # to no anchor: an error
    assert kg.report.records == 3
    for slug, title in (("a", "A"), ("b", "B"), ("d", "D")):
        node = kg[kg.article(f"https://x.example/{slug}")]
        assert node["title"] == title and node["provider"] == "x.example", node
    d = kg.article("https://x.example/d")
    assert sorted(t for _, t, k in kg.nx.out_edges(d, keys=True) if k == "TAGGED") == [
        "topic:ai", "topic:privacy"]


def test_aliases_across_the_items_of_a_broken_list_are_still_bounded(tmp_path):
    # The anchors kept from item to item must not let a bomb through: the expansion is
    # still counted, each item's with the values its aliases reach in other items.
    laughs = "- &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 7):
        laughs += f"- &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
    text = laughs + '- title: "broken\n' + "- {title: T, webUrl: https://x.example/t}\n"
    (tmp_path / "list.yaml").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert any("alias bomb" in p.reason for p in kg.report.errors), kg.report.errors


def test_bad_item_of_a_json_list_costs_only_itself(tmp_path):
    path = write_record(tmp_path, "list.json",
                        [record("a"), {"title": "no url"}, "not a record", record("d")],
                        form="json")
    kg = graph.load(tmp_path)
    assert [p.path for p in kg.report.errors] == [str(path)] * 2
    assert [p.reason.split(":")[0] for p in kg.report.errors] == ["item 1", "item 2"]
    assert kg.report.records == 2


def test_broken_files_beside_good_ones_are_each_reported_and_good_records_all_load(tmp_path):
    good = {
        "good/a.md": ("md", record("a")),
        "good/b.markdown": ("md", record("b")),
        "good/c.yaml": ("yaml", record("c")),
        "good/d.yml": ("yaml", [record("d1"), record("d2")]),
        "good/e.json": ("json", record("e")),
        "good/f.json": ("json", [record("f1"), record("f2")]),
        "good/g.jsonl": ("jsonl", [record("g1"), record("g2")]),
    }
    for relpath, (form, fields) in good.items():
        write_record(tmp_path, relpath, fields, form=form)
    broken = [_write_bad(tmp_path, name) for name in sorted(BAD_FILES)]
    kg = graph.load(tmp_path)

    by_path = errors_by_path(kg.report)
    assert sorted(by_path) == sorted(map(str, broken))
    assert all(len(problems) == 1 for problems in by_path.values())
    urls = [f["webUrl"] for _, fields in good.values()
            for f in (fields if isinstance(fields, list) else [fields])]
    assert kg.report.records == len(urls)
    assert all(kg.article(url) is not None for url in urls)
    assert not kg.report.ok


def test_each_record_of_a_json_list_has_its_line(tmp_path):
    # A feed exported as one pretty-printed JSON list: each warning, error and source
    # must say which record, as a .jsonl line or a YAML list item does.
    items = [{"title": "One", "webUrl": "https://j.example/1"},
             {"title": "Two", "webUrl": "https://j.example/2", "publishedDateTime": "soon"},
             {"title": "no url"},
             {"title": "Four", "webUrl": "https://j.example/4"}]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [n for n, line in enumerate(lines, start=1) if line == "  {"]
    kg = graph.load(tmp_path)
    assert [(p.line, p.reason.split(":")[0]) for p in kg.report.errors] == [(starts[2], "item 2")]
    assert [p.line for p in kg.report.warnings] == [starts[1]]
    assert "publishedDateTime dropped" in kg.report.warnings[0].reason
    assert [kg[kg.article(f"https://j.example/{n}")]["sources"] for n in (1, 2, 4)] == [
        [f"{path}:{starts[i]}"] for i in (0, 1, 3)]


@pytest.mark.parametrize(("name", "text", "line"), [
    ("a.md", "---\ntitle: First\nwebUrl: https://dup.example/a\ntitle: Second\n---\n", 4),
    ("b.yaml", "title: First\nwebUrl: https://dup.example/b\ntitle: Second\n", 3),
    ("c.yaml", "- title: x\n  webUrl: https://dup.example/c\n  provider: {name: A, name: B}\n"
     "  title: Second\n  topics: [AI]\n  title: Third\n", 3),
])
def test_a_duplicate_key_in_yaml_is_said_and_the_last_value_kept(tmp_path, name, text, line):
    # YAML allows a key once per mapping; PyYAML keeps the last silently, so a value the
    # writer gave was lost without a word.
    (tmp_path / name).write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.records == 1
    [article] = [n for n, kind in kg.nx.nodes(data="kind") if kind == "article"]
    assert kg[article]["title"] == ("Third" if name == "c.yaml" else "Second")
    warnings = [(w.line, w.reason) for w in kg.report.warnings]
    assert warnings[0] == (line, f"duplicate key {'name' if name == 'c.yaml' else 'title'!r}: "
                                 "a key may appear once in a mapping; the last value is kept")


@pytest.mark.parametrize(("name", "text", "line", "key"), [
    ("a.json", '{"title": "First", "webUrl": "https://dup.example/a", "title": "Second"}', 1,
     "title"),
    ("b.json", '[\n{"title": "x", "webUrl": "https://dup.example/b",\n'
     ' "provider": {"name": "A", "name": "B"}, "title": "Second"}\n]', 2, "name"),
    ("c.jsonl", '\n{"webUrl": "https://dup.example/c", "title": "x", "title": "Second"}\n', 2,
     "title"),
])
def test_a_duplicate_key_in_json_is_said_and_the_last_value_kept(tmp_path, name, text, line,
                                                                  key):
    # JSON objects keep the last of a repeated key, as PyYAML does: said, as in YAML.
    (tmp_path / name).write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.records == 1
    [article] = [n for n, kind in kg.nx.nodes(data="kind") if kind == "article"]
    assert kg[article]["title"] == "Second"
    warnings = [(w.line, w.reason) for w in kg.report.warnings]
    assert warnings[0] == (line, f"duplicate key {key!r}: a key may appear once in an "
                                 "object; the last value is kept")


def test_a_merge_key_is_not_a_duplicate(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "- &base\n  title: One\n  webUrl: https://m.example/1\n  topics: [AI]\n"
        "- <<: *base\n  title: Two\n  webUrl: https://m.example/2\n", encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok and not kg.report.warnings
    assert kg[kg.article("https://m.example/2")]["title"] == "Two"


@pytest.mark.parametrize("text", ["title: A\nwebUrl: https://e.example/a\n---\n",
                                  "---\ntitle: A\nwebUrl: https://e.example/a\n---\n",
                                  "---\n---\ntitle: A\nwebUrl: https://e.example/a\n"])
def test_an_empty_document_beside_a_record_in_a_yaml_stream_is_no_error(tmp_path, text):
    # A trailing '---' (front matter saved as .yaml, kubectl and yq streams) opens an
    # empty document: it holds no record, and nothing in it was refused.
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.records == 1 and not kg.report.warnings


def test_a_yaml_stream_of_only_empty_documents_is_still_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("---\n---\n", encoding="utf-8")
    [error] = graph.load(tmp_path).report.errors
    assert "got nothing" in error.reason


# YAML 1.1 reads some plain words and numbers as something else: `12:30` is 750 (base
# 60), `010` is 8 (octal), `1_000` is 1000, `No` and `off` are false (Norway's code
# reads as false). In the fields newsgraph reads as text, such a value was silently
# rewritten ('750', '8') or lost (a title of false is no title; a topic 'No' skipped).
WRITTEN_AS = ["12:30", "010", "1_000", "0x1F", "+12", "No", "off", "Yes", "1e3", ".inf",
              "2024-01-02", "1.50"]


def _typed_record(n: int, value: str, anchor: bool) -> str:
    tag = "&t " if anchor else ""  # an anchor sends the text through PyYAML's reader
    return (f"title: {tag}{value}\nwebUrl: https://t.example/{n}\nexcerpt: {value}\n"
            f"category: {value}\ntype: {value}\ntopics: [{value}, Norway]\n"
            f"provider: {{name: {value}, domain: p{n}.example}}\n"
            f"related:\n  - webUrl: https://t.example/r{n}\n    title: {value}\n"
            f"    topics:\n      - {value}\n    provider:\n      name: {value}\n"
            f"      domain: r{n}.example\n"
            f"count: {value}\n" + ("again: *t\n" if anchor else ""))  # used: no warning


@pytest.mark.parametrize("anchor", [False, True], ids=["fast", "pyyaml"])
@pytest.mark.parametrize("form", ["md", "yaml"])
def test_a_text_field_written_as_a_plain_yaml_word_is_that_text(tmp_path, form, anchor):
    for n, value in enumerate(WRITTEN_AS):
        text = _typed_record(n, value, anchor)
        if form == "md":
            (tmp_path / f"r{n}.md").write_text(f"---\n{text}---\n", encoding="utf-8")
        else:
            (tmp_path / f"r{n}.yaml").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert not kg.report.errors
    assert not [w for w in kg.report.warnings if "count" not in w.reason], kg.report.warnings
    for n, value in enumerate(WRITTEN_AS):
        a = kg[f"article:https://t.example/{n}"]
        assert (a["title"], a["excerpt"], a["category"], a["type"]) == (value,) * 4
        assert [kg[f"topic:{s}"]["name"] for s in a["topics"]] == [value, "Norway"]
        assert kg[f"provider:p{n}.example"]["name"] == value
        r = kg[f"article:https://t.example/r{n}"]
        assert r["title"] == value and kg[f"provider:r{n}.example"]["name"] == value
    # Other fields keep YAML's reading: newsgraph does not read them as text.
    counts = [kg[f"article:https://t.example/{n}"]["extra"].get("count")
              for n in range(len(WRITTEN_AS))]
    assert counts[:8] == [750, 8, 1000, 31, 12, False, False, True]


@pytest.mark.parametrize("walk", ["compiled", "python"])
def test_files_are_listed_in_the_order_of_their_paths_parts(tmp_path, walk, monkeypatch):
    # The order is Path's, by parts, not by characters ("a/b" before "a-c", "a b" and
    # "a.b" around them), and hidden names are left out: by the walk in C
    # (graph/_native/filestats.c) and by the one in Python.
    from pathlib import Path

    from graph.records import compiled_filestats, list_files

    if walk == "python":
        monkeypatch.setenv("NEWSGRAPH_PURE_STATS", "1")
    assert (compiled_filestats() is not None) == (walk == "compiled"), \
        "graph._native.filestats is not built: pip install -e ."

    names = ["a/b.md", "a-c.md", "a.b/x.md", "a b/y.md", "a/a/z.md", "a/a-/z.md", "a/a.md",
             "ab/q.md", "a0.md", "A/u.md", "é/v.md", "a/.hidden.md", ".h/w.md", "b/c/d/e.md"]
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    listed = list_files(tmp_path).names
    expected = sorted((str(tmp_path / n) for n in names if "/." not in "/" + n),
                      key=lambda p: Path(p).parts)
    assert listed == expected


def test_the_walk_in_c_lists_plain_trees_and_leaves_the_rest_to_python(tmp_path, monkeypatch):
    # graph/_native/filestats.c lists a tree of plain folders and files (a warm start's
    # listing, ~2x less CPU); at anything list_files notes or resolves it gives None and
    # the Python walk lists the tree: the same listing either way.
    import os

    from graph.records import compiled_filestats, list_files

    native = compiled_filestats()
    assert native is not None, "graph._native.filestats is not built: pip install -e ."

    def python_walk(root):
        os.environ["NEWSGRAPH_PURE_STATS"] = "1"
        try:
            return list_files(root)
        finally:
            del os.environ["NEWSGRAPH_PURE_STATS"]

    root = tmp_path / "c"
    for name in ["p/a.md", "p/b/c.json", "q.yaml", "ünï/ç ode.md", ".git/x.md", "r/.h.md",
                 "empty/"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not name.endswith("/"):
            path.write_text("x")
    os.mkfifo(root / "p" / "fifo.md")  # not a folder: listed, as os.scandir's walk does
    assert native.list_plain(str(root)) == python_walk(root).names
    assert list_files(root) == python_walk(root)
    monkeypatch.chdir(root)  # (os.chdir left every later test in this folder)
    assert native.list_plain(".") == list_files(type(root)(".")).names == [
        "p/a.md", "p/b/c.json", "p/fifo.md", "q.yaml", "ünï/ç ode.md"]
    plain = native.list_plain(str(root))

    os.symlink(root / "q.yaml", root / "p" / "link.md")  # a symlink: Python's walk
    assert native.list_plain(str(root)) is None
    assert list_files(root) == python_walk(root)
    assert list_files(root).names == plain  # q.yaml read once, by its own path
    assert "read there: not read twice" in list_files(root).skipped[0].reason
    (root / "p" / "link.md").unlink()

    bad = os.fsencode(root / "p") + b"/bad\xff.md"  # not UTF-8: skipped with a note
    open(bad, "w").close()
    assert native.list_plain(str(root)) is None
    assert list_files(root) == python_walk(root)
    assert len(list_files(root).skipped) == 1
    os.unlink(bad)

    if os.geteuid() != 0:  # root reads any folder
        (root / "p" / "b").chmod(0)
        try:
            assert native.list_plain(str(root)) is None
            assert list_files(root) == python_walk(root)
            assert "cannot read folder" in list_files(root).errors[0].reason
        finally:
            (root / "p" / "b").chmod(0o755)
    assert native.list_plain(str(root)) == plain
    assert native.list_plain(str(tmp_path / "none")) is None


def test_a_quote_never_closed_is_reported_where_it_opens(tmp_path):
    # PyYAML marks the end of the front matter, where nothing is wrong; the fix is at the
    # line the quote opens on.
    (tmp_path / "q.md").write_text('---\ntitle: "Unclosed\nwebUrl: https://q.example/a\n'
                                   "topics: [a]\n---\nbody\n", encoding="utf-8")
    [error] = graph.load(tmp_path).report.errors
    assert error.line == 2 and "quoted scalar" in error.reason
