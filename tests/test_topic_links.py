"""Topics written as wiki links, as Obsidian (and other Markdown vaults) write them.

Obsidian's properties hold links as ``"[[Computer Vision]]"``; written unquoted, YAML reads
``[[AI]]`` as a list holding a list. Each is the topic the link names."""

from __future__ import annotations

import pytest

import graph


def _load(tmp_path, topics: str) -> graph.KnowledgeGraph:
    (tmp_path / "a.md").write_text(
        f"---\ntitle: A note\nwebUrl: https://news.example/a\ntopics:{topics}\n---\n"
        "A body with a [[Wiki Link]].\n", encoding="utf-8")
    return graph.load(tmp_path)


def _topics(kg: graph.KnowledgeGraph) -> list[tuple[str, str]]:
    return sorted((n, kg[n]["name"]) for n in kg if n.startswith("topic:"))


@pytest.mark.parametrize("topics", [
    '\n  - "[[Computer Vision]]"\n  - "[[AI]]"',
    " ['[[Computer Vision]]', '[[AI|artificial intelligence]]']",   # an alias: shown text
    '\n  - "[[Computer Vision#In schools]]"\n  - "[[AI]]"',          # a heading of the note
])
def test_a_quoted_wiki_link_is_the_topic_it_names(tmp_path, topics):
    kg = _load(tmp_path, topics)
    assert kg.report.errors == [] and kg.report.warnings == []
    assert _topics(kg) == [("topic:ai", "AI"), ("topic:computer-vision", "Computer Vision")]


@pytest.mark.parametrize("topics", [
    "\n  - [[Computer Vision]]\n  - [[AI]]",    # YAML: [[['Computer Vision']], [['AI']]]
    " [[Computer Vision], [AI]]",               # YAML: [['Computer Vision'], ['AI']]
])
def test_an_unquoted_wiki_link_is_the_topic_it_names_with_a_warning_to_quote_it(
        tmp_path, topics):
    kg = _load(tmp_path, topics)
    assert _topics(kg) == [("topic:ai", "AI"), ("topic:computer-vision", "Computer Vision")]
    reasons = [w.reason for w in kg.report.warnings]
    assert len(reasons) == 2
    assert all("unquoted" in r and 'quote it: "[[' in r for r in reasons), reasons


def test_a_topic_that_is_no_name_says_what_a_topic_may_be(tmp_path):
    kg = _load(tmp_path, " [AI, {x: 1}, [a, b], '!!!']")
    assert _topics(kg) == [("topic:ai", "AI")]
    reasons = [w.reason for w in kg.report.warnings]
    assert len(reasons) == 3
    assert all("a topic is a name with a letter or digit, a wiki link '[[Name]]' or a "
               "mapping with a text 'name'" in r
               for r in reasons), reasons
    assert "got a mapping" in reasons[0] and "got a list" in reasons[1]


def test_the_body_s_wiki_link_is_text_that_mentions_match(tmp_path):
    kg = _load(tmp_path, " [AI]")
    assert kg.mentions("article:https://news.example/a", "wiki link")


@pytest.mark.parametrize("empty", ["\n  - AI\n  -\n  - ~", " [AI, null, ~]"])
def test_an_empty_topic_item_is_said_as_yaml_writes_it(tmp_path, empty):
    # '- ' with nothing after it, null or ~: 'topic None skipped: ..., got a NoneType',
    # Python's words for YAML's empty value.
    kg = _load(tmp_path, empty)
    assert _topics(kg) == [("topic:ai", "AI")]
    reasons = [w.reason for w in kg.report.warnings]
    assert reasons == ["an empty topic item (null) skipped: a topic is a name with a letter "
                       "or digit, a wiki link '[[Name]]' or a mapping with a text 'name'"] * 2
