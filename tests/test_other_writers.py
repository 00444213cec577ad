"""Records written by other tools and people: Jekyll, Hugo and Obsidian habits, notes beside
the records, and values a date parser cannot take — each read as the user meant, or
reported with what was wrong and what is allowed, and nothing valid lost."""

from __future__ import annotations

import json

import pytest

import graph

STORY = "https://writers.example/story"


def _md(tmp_path, name: str, front: str, body: str = "") -> None:
    (tmp_path / name).write_text(f"---\n{front}---\n{body}", encoding="utf-8")


# An unquoted value YAML reads as a timestamp but no calendar has: PyYAML raised for it, and
# the whole file was refused ("invalid YAML: month must be in 1..12", no line) — though an
# unreadable date only drops the field everywhere else.
IMPOSSIBLE = ["2021-13-45", "2021-02-30", "2021-03-04 25:00:00", "2021-03-04T10:61:00Z"]


@pytest.mark.parametrize("value", IMPOSSIBLE)
@pytest.mark.parametrize("anchored", [False, True], ids=["fast reader", "PyYAML"])
def test_an_impossible_unquoted_date_drops_the_field_not_the_record(tmp_path, value, anchored):
    # An anchor sends the file to PyYAML's loader instead of the fast reader: both read it.
    anchor = "note: &n anchored\nagain: *n\n" if anchored else ""  # used: no warning
    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {STORY}\n{anchor}"
                              f"publishedDateTime: {value}\nupdated: {value}\n")
    kg = graph.load(tmp_path)
    assert kg.report.errors == []
    node = kg.nx.nodes[f"article:{STORY}"]
    assert node["title"] == "A story" and node.get("publishedAt") is None
    [warning] = kg.report.warnings
    assert warning.line == 2 and "publishedDateTime dropped" in warning.reason
    assert repr(value) in warning.reason and "expected e.g." in warning.reason
    assert node["extra"]["updated"] == value  # a field newsgraph does not read: its text


@pytest.mark.parametrize("value", IMPOSSIBLE)
def test_an_impossible_date_in_a_yaml_list_costs_only_its_field(tmp_path, value):
    (tmp_path / "feed.yaml").write_text(
        f"- title: One\n  webUrl: {STORY}/1\n  publishedDateTime: {value}\n"
        f"- title: Two\n  webUrl: {STORY}/2\n  publishedDateTime: 2021-03-04\n",
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.errors == [] and kg.report.records == 2
    assert [p.line for p in kg.report.warnings] == [1]


# -- notes beside the records ---------------------------------------------------------------

NOTES = {
    "README.md": "# Our corpus\n\nRecords from the newsroom; see docs/.\n",
    "vault/Daily note.md": "Met the team. [[Facial recognition]] story next week.\n",
    "empty-heading.markdown": "\n\n## Ideas\n",
}


def test_a_markdown_file_without_front_matter_is_a_note_skipped_not_an_error(tmp_path):
    # An Obsidian vault or a repository's README beside the records: a load of them failed
    # (exit status 1) for every note, as if a record were lost.
    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {STORY}\n")
    for name, text in NOTES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.errors == [] and kg.report.records == 1
    skipped = {p.path.removeprefix(f"{tmp_path}/"): p.reason for p in kg.report.skipped}
    assert set(skipped) == set(NOTES)
    for reason in skipped.values():
        assert "no YAML front matter" in reason and "not a record" in reason, reason
        assert "'---' line" in reason, reason  # what a record's file starts with


@pytest.mark.parametrize("text", [
    f"title: Forgot the fences\nwebUrl: {STORY}\n",
    f"webUrl: {STORY}\ntitle: Forgot the fences\n",
    f"\ntitle: Forgot the fences\nwebUrl: {STORY}\n",
    "+++\ntitle = 'Hugo'\n+++\n",
])
def test_a_record_without_its_opening_fence_is_still_an_error(tmp_path, text):
    # Front matter written without the '---' line, or Hugo's TOML: a record the user meant,
    # so an error that says how to fix it, never a quiet skip.
    (tmp_path / "story.md").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    [error] = kg.report.errors
    assert kg.report.skipped == [] and "'---'" in error.reason, error.reason


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_front_matter_with_old_mac_line_breaks_is_a_record_not_a_note(tmp_path, suffix):
    # Line breaks '\r' alone are read like the others; the .txt check for front matter
    # looked for '\n' only, and skipped such a record as a note.
    (tmp_path / f"story{suffix}").write_bytes(
        f"---\rtitle: Old Mac\rwebUrl: {STORY}\r---\rThe body.\r".encode())
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.skipped == [] and kg.report.records == 1
    assert kg.nx.nodes[f"article:{STORY}"]["title"] == "Old Mac"



def _nested(kind: str, depth: int) -> str:
    return "[" * depth + "]" * depth if kind == "list" else "{a: " * depth + "1" + "}" * depth


@pytest.mark.parametrize("kind", ["list", "map"])
@pytest.mark.parametrize("depth", [101, 150, 250])
def test_a_value_nested_too_deep_is_dropped_with_a_warning_and_the_record_kept(
        tmp_path, kind, depth):
    # From about 330 levels the value check's recursion ran out and the file was refused
    # as "could not be read: RecursionError: maximum recursion depth exceeded".
    _md(tmp_path, "deep.md", f"title: Deep\nwebUrl: {STORY}\nextra: {_nested(kind, depth)}\n")
    kg = graph.load(tmp_path)
    assert kg.report.errors == [] and kg.report.records == 1
    assert "extra" not in kg.nx.nodes[f"article:{STORY}"].get("extra", {})
    [warning] = kg.report.warnings
    assert "extra" in warning.reason and "100 levels" in warning.reason, warning.reason


@pytest.mark.parametrize("kind", ["list", "map"])
@pytest.mark.parametrize("depth", [400, 900, 3000])
def test_nesting_past_what_yaml_reads_says_how_deep_a_record_may_go(tmp_path, kind, depth):
    # Past a few hundred levels PyYAML's recursion or libyaml's limit of 1,000 refuses the
    # file ("exceeded maximum nesting depth", "RecursionError"): one message says why and
    # what a record may hold.
    _md(tmp_path, "deep.md", f"title: Deep\nwebUrl: {STORY}\nextra: {_nested(kind, depth)}\n")
    report = graph.load(tmp_path).report
    [problem] = report.errors or report.warnings
    assert "RecursionError" not in problem.reason, problem.reason
    assert "100 levels" in problem.reason, problem.reason


def test_a_value_nested_100_levels_is_kept(tmp_path):
    _md(tmp_path, "deep.md", f"title: Deep\nwebUrl: {STORY}\nextra: {_nested('list', 99)}\n")
    kg = graph.load(tmp_path)
    assert kg.report.ok and kg.report.warnings == []
    assert "extra" in kg.nx.nodes[f"article:{STORY}"]["extra"]


# -- invisible characters -------------------------------------------------------------------

# Text copied from web pages carries invisible format characters: a soft hyphen where a CMS
# may break a long word, a zero-width space or joiner, a byte order mark, bidi marks around
# Arabic or Hebrew. They split a word in two for `mentions` and search, and made a topic
# spelled with one another topic ("A\u200dI" was 'a-i', not 'ai').
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e"]


@pytest.mark.parametrize("mark", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_an_invisible_character_inside_a_word_splits_neither_words_nor_topics(tmp_path, mark):
    from schema.query import execute

    (tmp_path / "story.json").write_text(json.dumps({
        "title": f"Facial recogni{mark}tion at school gates", "webUrl": STORY,
        "topics": [f"Bio{mark}metrics", "Biometrics"]}), encoding="utf-8")
    (tmp_path / "seed.json").write_text(json.dumps({
        "title": "The seed", "webUrl": f"{STORY}/seed", "related": [{"webUrl": STORY}]}),
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert [n for n in kg.nx if n.startswith("topic:")] == ["topic:biometrics"]
    data = execute(kg, """query ($from: ID!) {
        within(from: $from, hops: 1, where: {mentions: "facial recognition"}) { totalCount }
        search(text: "recognition") { totalCount }
        topic(slug: "biometrics") { articleCount } }""", {"from": f"article:{STORY}/seed"})
    assert data.get("errors") is None, data
    assert data["data"]["within"]["totalCount"] == 1
    assert data["data"]["search"]["totalCount"] == 1
    assert data["data"]["topic"]["articleCount"] == 1


# -- what a terminal is shown ---------------------------------------------------------------


def test_control_characters_in_a_file_name_never_reach_the_terminal(tmp_path, capsys):
    # A file name is the corpus writer's text: "\x1b[1A\x1b[2K" in one moved the cursor up
    # and erased the line above, so an error line could hide the one before it.
    from schema.cli import main

    evil = tmp_path / "evil\x1b[1A\x1b[2Kname\u202e.md"
    evil.write_text("---\ntitle: no url\n---\n", encoding="utf-8")
    _md(tmp_path, "good.md", f"title: Good\nwebUrl: {STORY}\n")
    assert main(["load", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\u202e" not in out + err
    assert "evil\\x1b[1A\\x1b[2Kname\\u202e.md:2: record has no URL" in out
    # The JSON report keeps the name as it is: JSON escapes it.
    assert main(["load", str(tmp_path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"][0]["path"] == str(evil)


@pytest.mark.parametrize(("front", "field"), [
    ("title: Hugo post\nurl: https://hugo.example/post\n", "url"),              # Hugo
    ("title: Jekyll post\npermalink: https://jekyll.example/p\n", "permalink"),  # Jekyll
    ("title: Ghost post\ncanonical_url: https://ghost.example/p\n", "canonical_url"),  # Ghost
    ("title: Scraped\nlink: https://feed.example/p\n", "link"),                  # RSS, WordPress
    ("title: Typo\nweburl: https://typo.example/p\n", "weburl"),
])
def test_a_record_whose_url_has_another_writer_s_name_says_which_field_to_rename(
        tmp_path, front, field):
    # It said only "record has no URL: expected a 'webUrl' or 'originalUrl' field", and the
    # warning that names the field was never given (the record was refused before).
    _md(tmp_path, "a.md", front)
    [error] = graph.load(tmp_path).report.errors
    assert "record has no URL" in error.reason
    assert f"it has {field!r}" in error.reason and "rename it 'webUrl'" in error.reason


@pytest.mark.parametrize(("text", "first"), [
    (f"Title: My super title\nDate: 2010-12-03 10:20\nwebUrl: {STORY}\nTags: a, b\n\n"
     "This is the content.\n", "Title: My super title"),  # Pelican's metadata
    (f"title: Forgot the fences\nwebUrl: {STORY}\n", "title: Forgot the fences"),
])
def test_fields_without_fences_are_told_where_the_fences_go(tmp_path, text, first):
    # Pelican (and MultiMarkdown) write a post's fields as 'Key: value' lines with no
    # fences: such a file is refused (only YAML front matter is read), and the error says
    # the fix, naming the line it saw, not only that a '---' line is missing.
    (tmp_path / "post.md").write_text(text, encoding="utf-8")
    [error] = graph.load(tmp_path).report.errors
    assert error.line == 1
    assert error.reason == (
        "no YAML front matter: the file must start with a '---' line; its first line "
        f"({first!r}) reads as a field, so put a '---' line before it and one after the "
        "last field, before the body")


@pytest.mark.parametrize("written", ["https://writers.example/world news/a story",
                                     "https://writers.example/world%20news/a%20story"])
def test_a_url_with_a_space_in_its_path_loads_as_the_article_browsers_open(tmp_path, written):
    # Scrapers write the link as the page's text had it: the record was refused ("it contains
    # whitespace") and a related link to it dropped. Read as browsers send it, %20.
    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {written}\n"
                              f"related:\n  - webUrl: '{STORY}/with a space'\n")
    kg = graph.load(tmp_path)
    assert kg.report.errors == [] and kg.report.warnings == []
    canonical = "article:https://writers.example/world%20news/a%20story"
    assert kg.nx.nodes[canonical]["title"] == "A story"
    assert kg.nx.has_edge(canonical, f"article:{STORY}/with%20a%20space")
    assert kg.article("https://writers.example/world news/a story") == canonical


def test_fields_newsgraph_does_not_read_cost_one_spelling_check_per_name(tmp_path,
                                                                          monkeypatch):
    # Each field a record holds that newsgraph does not read was compared with every field
    # name it does (difflib, ~0.3 ms), in every record: a Jekyll site's `layout` and
    # `categories` cost that at each of its posts, and one record of 200,000 such fields
    # took 22 s to load. Counted, not timed: a name is checked once per load, and a record
    # past a few dozen such fields is not a misspelling's.
    import difflib

    from graph import build

    checked = 0
    real = difflib.get_close_matches

    def counting(*args, **kwargs):
        nonlocal checked
        checked += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(build.difflib, "get_close_matches", counting)
    for i in range(200):
        _md(tmp_path, f"post{i}.md", f"layout: post\ncategories: news\ntitle: P{i}\n"
                                     f"webUrl: {STORY}/{i}\nexerpt: typo\n")
    many = "".join(f'"k{i}": {i}, ' for i in range(20_000))
    (tmp_path / "wide.json").write_text(
        f'{{{many}"webUrl": "{STORY}/wide", "title": "Wide", "Titel": 1}}', encoding="utf-8")
    kg = graph.load(tmp_path)
    assert checked < 200, checked  # was 3 a post (600) and 20,002 for the wide record
    assert kg.nx.nodes[f"article:{STORY}/wide"]["extra"]["k19999"] == 19999
    meant = [w.reason for w in kg.report.warnings if "did you mean" in w.reason]
    assert sum("'exerpt'" in m and "'excerpt'" in m for m in meant) == 200


# A news API's answer or a feed saved as .json: an object wrapping its records in a list.
# It was read as one record and refused with "record has no URL: expected a 'webUrl'",
# which says nothing of the list of stories it holds.
NEWSAPI = {"status": "ok", "totalResults": 1, "articles": [
    {"source": {"id": None, "name": "BBC News"}, "title": "Clearview AI fined",
     "url": "https://www.bbc.co.uk/news/technology-61550776",
     "publishedAt": "2022-05-23T15:02:17Z"}]}
JSON_FEED = {"version": "https://jsonfeed.org/version/1.1", "title": "A feed",
             "items": [{"id": "1", "url": "https://feed.example/a", "title": "A"},
                       {"id": "2", "url": "https://feed.example/b", "title": "B"}]}


@pytest.mark.parametrize(("wrapper", "key", "n"), [(NEWSAPI, "articles", 1),
                                                   (JSON_FEED, "items", 2)])
def test_a_json_answer_wrapping_its_records_says_where_they_are(tmp_path, wrapper, key, n):
    (tmp_path / "answer.json").write_text(json.dumps(wrapper), encoding="utf-8")
    kg = graph.load(tmp_path)
    [error] = kg.report.errors
    assert f"a list of {n} object" in error.reason and repr(key) in error.reason, error
    assert f"jq -c '.{key}[]'" in error.reason, error


# A feed converted to JSON by an XML converter (xml2js, xmltodict, `yq -o json`): RSS's items
# under rss.channel.item, Atom's entries under feed.entry. The list is two levels down, and
# the error said only "record has no URL".
RSS_AS_JSON = {"rss": {"@version": "2.0", "channel": {"title": "C", "item": [
    {"title": "A", "link": "https://rss.example/a"},
    {"title": "B", "link": "https://rss.example/b"}, {"title": "C", "link": "https://rss.example/c"}]}}}
ATOM_AS_JSON = {"feed": {"title": "F", "entry": [
    {"title": "A", "link": {"@href": "https://atom.example/a"}}]}}
ODD_KEY = {"data": {"top stories": [{"title": "A", "url": "https://odd.example/a"}]}}


@pytest.mark.parametrize(("wrapper", "path", "n"), [
    (RSS_AS_JSON, ".rss.channel.item", 3), (ATOM_AS_JSON, ".feed.entry", 1),
    (ODD_KEY, '.data["top stories"]', 1)])
def test_a_feed_converted_to_json_says_where_its_items_are(tmp_path, wrapper, path, n):
    (tmp_path / "feed.json").write_text(json.dumps(wrapper), encoding="utf-8")
    [error] = graph.load(tmp_path).report.errors
    assert f"a list of {n} object" in error.reason, error
    assert f"jq -c '{path}[]'" in error.reason, error


def test_a_record_without_a_url_holding_related_stories_is_not_called_a_wrapper(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"title": "T", "related": [
        {"title": "R", "webUrl": "https://x.example/r"}]}), encoding="utf-8")
    [error] = graph.load(tmp_path).report.errors
    assert "no URL" in error.reason and "a list of" not in error.reason


@pytest.mark.parametrize("text", [
    f'{{\n  "title": "Hugo JSON front matter",\n  "webUrl": "{STORY}"\n}}\n\nThe body.\n',
    f'{{"title": "One line", "originalUrl": "{STORY}"}}\nThe body.\n',
    f"{{\n  'webUrl': '{STORY}'\n}}\n",
])
def test_hugo_json_front_matter_is_an_error_that_says_how_to_fix_it(tmp_path, text):
    # Hugo reads front matter as JSON when a file opens with '{': such a record was
    # skipped as a note ("no YAML front matter ... so it is skipped"), its story lost
    # without an error, where TOML's '+++' was one.
    (tmp_path / "story.md").write_text(text, encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.skipped == []
    [error] = kg.report.errors
    assert "JSON front matter" in error.reason and "'---'" in error.reason, error.reason
    assert "hugo convert toYAML" in error.reason


def test_a_note_opening_with_a_brace_is_still_a_note(tmp_path):
    (tmp_path / "shortcodes.md").write_text('{{< figure src="a.png" >}}\n\nA note.\n',
                                            encoding="utf-8")
    (tmp_path / "config.txt").write_text('{"theme": "dark"}\n', encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.errors == [] and len(kg.report.skipped) == 2


def test_a_topic_written_as_a_mapping_with_a_name_is_that_name(tmp_path):
    # WordPress, Ghost and Strapi exports write a tag as {name, slug}, and a record's own
    # provider is {name, domain}: such a topic was skipped ("got a mapping"), lost.
    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {STORY}\ntopics:\n"
                              "  - name: Facial Recognition\n    slug: facial-recognition\n"
                              "  - {name: AI}\n  - Privacy\n  - {slug: no-name}\n"
                              "  - {name: [not, text]}\n")
    kg = graph.load(tmp_path)
    assert sorted(kg.nx.successors(f"article:{STORY}")) == [
        "provider:writers.example", "topic:ai", "topic:facial-recognition", "topic:privacy"]
    assert kg.nx.nodes["topic:facial-recognition"]["name"] == "Facial Recognition"
    skipped = [w.reason for w in kg.report.warnings]
    assert len(skipped) == 2 and all("got a mapping" in w for w in skipped), skipped
    assert all("a mapping with a text 'name'" in w for w in skipped), skipped


# Related stories written as their URLs, as an Obsidian note or a hand-written record lists
# links: each was skipped with 'related entry 1 skipped: expected a mapping, got str', the
# link lost. A URL is read as the entry {webUrl: URL}; anything else says what is allowed.
LINKED = """---
title: A note linking stories
webUrl: https://notes.example/a
related:
  - https://notes.example/b
  - "  http://Other.example/c?utm_source=x  "
  - webUrl: https://notes.example/d
    title: D
  - "[[Another note]]"
---
"""


def test_a_related_story_written_as_its_url_is_a_link(tmp_path):
    from tests.test_live import assert_same

    (tmp_path / "a.md").write_text(LINKED, encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ntitle: B\nwebUrl: https://notes.example/b\n---\n",
                                   encoding="utf-8")
    kg = graph.load(tmp_path)
    a = "article:https://notes.example/a"
    assert sorted(t for t in kg.nx.successors(a) if t.startswith("article:")) == [
        "article:https://notes.example/b", "article:https://notes.example/d",
        "article:https://other.example/c"]
    assert not kg.nx.nodes["article:https://notes.example/b"]["is_stub"]
    assert kg.nx.nodes["article:https://other.example/c"]["is_stub"]
    [warning] = [w.reason for w in kg.report.warnings if "related entry" in w.reason]
    assert warning == ("related entry 4 skipped: expected a mapping holding the story's "
                       "webUrl (- {title: ..., webUrl: https://...}) or its URL as text, "
                       "got str '[[Another note]]'")
    assert_same(graph.follow(tmp_path), tmp_path)


# -- a text field holding a list or a mapping, a flag holding a date -------------------------

@pytest.mark.parametrize("field, written, got", [
    ("category", "[news, tech]", "a list ['news', 'tech']"),
    ("type", "{kind: report}", "a mapping {'kind': 'report'}"),
    ("excerpt", "\n  - First paragraph.\n  - Second.", "a list ['First paragraph.', 'Second.']"),
    ("secured", "[1, 2]", "a list [1, 2]"),
])
def test_a_text_field_holding_a_list_or_mapping_is_dropped_with_a_warning(
        tmp_path, field, written, got):
    # Was shown as Python's repr ("['news', 'tech']") in category, type and excerpt, and
    # secured answered null: nothing said in either case.
    from tests.test_live import assert_same

    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {STORY}\n{field}: {written}\n")
    kg = graph.load(tmp_path)
    assert kg.report.errors == [] and kg.report.articles == 1
    assert kg.nx.nodes[f"article:{STORY}"].get(field) is None
    [warning] = kg.report.warnings
    assert warning.line == 2
    assert warning.reason == f"{field} dropped: expected text, got {got}"
    assert_same(graph.follow(tmp_path), tmp_path)


def test_a_text_field_holding_a_json_boolean_is_its_json_text(tmp_path):
    (tmp_path / "story.json").write_text(json.dumps(
        {"title": "A story", "webUrl": STORY, "category": True, "type": 3}), encoding="utf-8")
    kg = graph.load(tmp_path)
    node = kg.nx.nodes[f"article:{STORY}"]
    assert (node["category"], node["type"]) == ("true", "3")  # was 'True', Python's word
    assert kg.report.warnings == []


@pytest.mark.parametrize("written, got, hint", [
    ("2022-02-21", "'2022-02-21'", True),  # Obsidian Web Clipper's `published:` is its date
    ("2022-02-21T03:37:00Z", "'2022-02-21T03:37:00+00:00'", True),  # YAML's datetime
    ('"false"', "'false'", False),
    ("[yes]", "[True]", False),
])
def test_published_holding_anything_but_true_or_false_is_dropped_with_a_warning(
        tmp_path, written, got, hint):
    # `published` is whether the story is published; a date there was dropped unsaid.
    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {STORY}\npublished: {written}\n")
    kg = graph.load(tmp_path)
    assert kg.nx.nodes[f"article:{STORY}"]["published"] is None
    [warning] = kg.report.warnings
    reason = f"published dropped: expected true or false, got {got}"
    if hint:
        reason += ("; if it is when the story was published, name the field "
                   "'publishedDateTime'")
    assert warning.reason == reason


def test_a_provider_name_that_is_not_text_says_the_provider_is_named_by_its_domain(tmp_path):
    _md(tmp_path, "story.md", f"title: A story\nwebUrl: {STORY}\n"
                              "provider: {name: [Writers, Inc], domain: writers.example}\n")
    kg = graph.load(tmp_path)
    assert kg.nx.nodes["provider:writers.example"]["name"] == "writers.example"
    [warning] = kg.report.warnings
    assert warning.reason == ("provider name ignored: expected text, got a list "
                              "['Writers', 'Inc']; the provider is named by its domain")


CLIPPED = """title: "Chinese School Faces Backlash Over Use of Facial Recognition Scanners"
source: "https://www.sixthtone.com/news/1009712/chinese-school-faces-backlash"
author:
  - "[[Fan Yiying]]"
published: 2022-02-21
created: 2024-05-02
description: "A parent has accused the middle school of endangering students' privacy."
tags:
  - "clippings"
"""


@pytest.mark.parametrize(("front", "field"), [
    (CLIPPED, "source"),  # Obsidian Web Clipper's default template; MarkDownload's too
    ("title: Saved\norigin: http://saved.example/p\n", "origin"),
])
def test_a_record_holding_its_url_under_a_field_of_any_name_says_which(tmp_path, front, field):
    # An Obsidian Web Clipper note keeps the page's URL in `source`: the error said only
    # "record has no URL: expected a 'webUrl' or 'originalUrl' field".
    _md(tmp_path, "Clipped.md", front, "A parent has accused...\n")
    [error] = graph.load(tmp_path).report.errors
    assert error.line == 2
    assert error.reason.startswith("record has no URL: expected a 'webUrl' or 'originalUrl' "
                                   f"field; it has {field!r}, holding a URL (")
    assert error.reason.endswith("): if that is the article's URL, rename it 'webUrl'")


@pytest.mark.parametrize("field", ["created", "relative", "unsecured"])
def test_a_field_meaning_something_else_is_not_called_a_misspelling(tmp_path, field):
    # Obsidian's `created` (the note's date) was "did you mean 'related'?".
    _md(tmp_path, "a.md", f"title: A\nwebUrl: {STORY}\n{field}: 2024-05-02\n")
    kg = graph.load(tmp_path)
    assert kg.report.warnings == []
    assert kg.nx.nodes[f"article:{STORY}"]["extra"] == {field: "2024-05-02"}


@pytest.mark.parametrize("field", ["published_on", "publishedOn", "datePublished",
                                   "pub_date", "publish_date", "posted_at"])
def test_a_publication_date_under_another_name_points_at_published_date_time(tmp_path, field):
    # 'published_on' was "did you mean 'published'?", the flag: a date is no true or false.
    _md(tmp_path, "a.md", f"title: A\nwebUrl: {STORY}\n{field}: 2022-02-21\n")
    [warning] = graph.load(tmp_path).report.warnings
    assert warning.reason == (f"field {field!r} is not one newsgraph reads (kept in the "
                              "article's extra); did you mean 'publishedDateTime'?")


@pytest.mark.parametrize(("body", "kept", "warned"), [
    (["First paragraph.", "Second."], None,
     "body dropped: expected text (the story's Markdown), got a list ['First paragraph.', "
     "'Second.']"),
    ({"html": "<p>x</p>"}, None,
     "body dropped: expected text (the story's Markdown), got a mapping {'html': '<p>x</p>'}"),
    (1984, "1984", None),
])
def test_a_json_body_that_is_not_text_is_said(tmp_path, body, kept, warned):
    # A JSON record's (or an ingested one's) body that was not text went nowhere, unsaid.
    (tmp_path / "story.json").write_text(json.dumps(
        {"title": "A story", "webUrl": STORY, "body": body}), encoding="utf-8")
    kg = graph.load(tmp_path)
    node = kg.nx.nodes[f"article:{STORY}"]
    assert node["body"] == kept and "body" not in node["extra"]
    assert [w.reason for w in kg.report.warnings] == ([warned] if warned else [])


def test_a_field_indented_with_no_break_spaces_says_so(tmp_path):
    # Front matter pasted from a web page: 'provider:' then '\xa0 name: X' is a field
    # named '\xa0 name' (YAML reads U+00A0 as no indent), kept in extra without a word.
    _md(tmp_path, "a.md", f"title: A\nwebUrl: {STORY}\nprovider:\n\u00a0 name: Writers\n")
    [warning] = graph.load(tmp_path).report.warnings
    assert (warning.line, warning.reason) == (2, (
        "field '\\xa0 name' opens with a no-break space (U+00A0), as an indent pasted from a "
        "web page may: YAML does not indent with it, so this is a field of the record, not "
        "of the line above; indent with spaces"))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_front_matter_closed_at_once_before_the_record_s_fields_is_an_error(tmp_path, newline):
    # '---' twice (a template's fence and a writer's own, as eemeli's yaml writes with
    # `directives: true`): the front matter was empty, the fields read as the body, and
    # the file skipped as a page "holding no field", its record lost.
    text = f"---\n---\ntitle: A story\nwebUrl: {STORY}\n---\nBody.\n".replace("\n", newline)
    (tmp_path / "story.md").write_bytes(text.encode())
    report = graph.load(tmp_path).report
    assert report.skipped == []
    [error] = report.errors
    assert (error.line, error.reason) == (2, (
        "the front matter is closed on line 2 before any field, and the record's fields "
        "follow it (line 4: 'webUrl: https://writers.example/story'): a '---' line too many; "
        "take out the one on line 2"))


# -- what YAML 1.2 writers leave plain -------------------------------------------------------

# The npm package `yaml` (YAML 1.2, as Prettier and Vite read it too) and js-yaml write `=`
# and `<<` unquoted, as text: YAML 1.2 has no other reading of them. PyYAML (YAML 1.1)
# resolves them to its `value` and `merge` tags, for which its safe loader has no
# constructor, and the whole record was refused ("could not determine a constructor for
# the tag 'tag:yaml.org,2002:value' ...: write the value without its tag": no tag was written).
@pytest.mark.parametrize("anchored", [False, True], ids=["C loader", "pure loader"])
def test_a_plain_equals_sign_or_double_angle_is_its_text(tmp_path, anchored):
    anchor = "note: &n anchored\nagain: *n\n" if anchored else ""  # sends it to the pure loader
    _md(tmp_path, "story.md", f"title: =\nwebUrl: {STORY}\n{anchor}excerpt: <<\n"
                              "topics: [<<, =, AI]\nformula: =\nlist:\n  - <<\n  - =\n")
    kg = graph.load(tmp_path)
    assert kg.report.errors == []
    node = kg.nx.nodes[f"article:{STORY}"]
    assert (node["title"], node["excerpt"]) == ("=", "<<")
    assert node["extra"]["formula"] == "=" and node["extra"]["list"] == ["<<", "="]
    assert "topic:ai" in kg.nx  # `<<` and `=` have no letter or digit: no topic of their own


def test_a_merge_key_still_merges(tmp_path):
    (tmp_path / "feed.yaml").write_text(
        "- &base {provider: {name: Base, domain: base.example}, topics: [AI]}\n"
        f"- <<: *base\n  title: Merged\n  webUrl: {STORY}\n", encoding="utf-8")
    kg = graph.load(tmp_path)
    node = kg.nx.nodes[f"article:{STORY}"]
    assert node["title"] == "Merged" and "topic:ai" in kg.nx and "provider:base.example" in kg.nx


# A multi-line text whose first line starts with a tab: the npm `yaml` package writes it as a
# literal block (`excerpt: |-` then `  \tTabbed ...`), as YAML 1.2 allows (the indentation is
# the spaces before the tab). libyaml, PyYAML's C loader, refused the whole record ("found a
# tab character where an indentation space is expected"); PyYAML's own scanner reads it.
@pytest.mark.parametrize("indicator", ["|", "|-", ">", "|+"])
def test_a_block_scalar_whose_first_line_opens_with_a_tab_is_read(tmp_path, indicator):
    _md(tmp_path, "story.md", f"title: Tabbed\nwebUrl: {STORY}\nexcerpt: {indicator}\n"
                              "  \tfirst line, after a tab\n  second line\ntype: article\n")
    kg = graph.load(tmp_path)
    assert kg.report.errors == []
    excerpt = kg.nx.nodes[f"article:{STORY}"]["excerpt"]
    assert excerpt.startswith("\tfirst line, after a tab") and "second line" in excerpt


def test_a_tab_where_a_block_scalar_s_indentation_belongs_is_still_an_error(tmp_path):
    _md(tmp_path, "story.md", f"title: Tabbed\nwebUrl: {STORY}\nexcerpt: |\n\tindented by a tab\n")
    kg = graph.load(tmp_path)
    [error] = kg.report.errors
    assert error.line == 5 and "tab" in error.reason


def test_a_merge_key_holding_text_says_what_a_merge_key_is(tmp_path):
    _md(tmp_path, "story.md", f"title: A\nwebUrl: {STORY}\n<<: x\n")
    [error] = graph.load(tmp_path).report.errors
    assert error.line == 4 and "a '<<' key merges a mapping" in error.reason
    assert "quote it" in error.reason


# Files written each with a byte order mark (Windows tools, PowerShell) and joined into one
# .jsonl (`cat *.json > all.jsonl`): every line after the first opened with U+FEFF, each an
# error that said only "invalid JSON: Expecting value", its record lost.
def test_jsonl_lines_opening_with_a_byte_order_mark_are_read_with_one_warning(tmp_path):
    mark = "\ufeff"
    lines = [f'{mark}{{"title": "S{i}", "webUrl": "{STORY}/{i}"}}' for i in range(3)]
    (tmp_path / "all.jsonl").write_bytes("\r\n".join(lines).encode("utf-8"))
    kg = graph.load(tmp_path)
    assert kg.report.errors == [] and kg.report.records == 3
    [warning] = kg.report.warnings
    assert warning.line == 2 and "2 lines (2, 3) open with a byte order mark" in warning.reason


# YAML 1.1 reads `on`, `yes` and `true` as one value (true), and Python takes true and 1 for one
# key: two such keys in one mapping kept one value and lost the other without a word, where
# two keys written alike are warned of.
@pytest.mark.parametrize(("first", "second", "reads"), [
    ("on", "yes", "true"), ("1", "true", "true"), ("no", "off", "false"),
    ("0x1f", "31", "31"), ("~", "null", "null")])
@pytest.mark.parametrize("nested", [False, True], ids=["top level", "nested"])
def test_two_keys_yaml_reads_as_one_value_are_a_duplicate_said_with_both(
        tmp_path, first, second, reads, nested):
    pad = "  " if nested else ""
    where = "meta:\n" if nested else ""
    _md(tmp_path, "story.md", f"title: Keys\nwebUrl: {STORY}\n{where}"
                              f"{pad}{first}: one\n{pad}{second}: two\n")
    kg = graph.load(tmp_path)
    assert f"article:{STORY}" in kg.nx
    [said] = [str(w) for w in kg.report.warnings]
    line = 5 if nested else 4
    assert f"story.md:{line + 1}: duplicate key {second!r}" in said, said
    assert f"{first!r} (line {line}) and {second!r} are read as the same key, {reads}" in said
    assert "quote" in said


def test_a_key_yaml_reads_as_no_text_is_named_in_json_s_spelling(tmp_path):
    _md(tmp_path, "story.md", f"title: Keys\nwebUrl: {STORY}\non: push\n~: tilde\nfalse: f\n"
                              "2024-01-02: day\n1.5: float\n")
    kg = graph.load(tmp_path)
    extra = kg.nx.nodes[f"article:{STORY}"]["extra"]
    assert extra == {"true": "push", "null": "tilde", "false": "f", "2024-01-02": "day",
                     "1.5": "float"}
