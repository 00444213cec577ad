"""One story at http and at https is one article.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

import graph
from schema.query import execute

# -- one story at http and at https -------------------------------------------------------------

def _at(root: Path, name: str, url: str, title: str, date: str, related: str = "") -> None:
    (root / name).write_text(
        f"---\ntitle: {title}\nwebUrl: {url}\npublishedDateTime: {date}\n{related}---\n",
        encoding="utf-8")


@pytest.mark.parametrize(("url", "canonical"), [
    ("http://news.example/story", "https://news.example/story"),
    ("HTTP://News.Example:80/story/?utm_source=x#top", "https://news.example/story"),
    ("http://news.example:8080/story", "http://news.example:8080/story"),  # another server
    ("https://news.example/story", "https://news.example/story"),
])
def test_http_is_read_as_https(url, canonical):
    from graph.normalize import canonical_url

    assert canonical_url(url) == canonical


def test_one_story_at_http_and_at_https_is_one_article(tmp_path):
    # The same story written once as http:// (an old feed, a wire copy) and once as
    # https:// was two articles, and a related link to the http:// form a stub of its own
    # beside the full record: no duplicate warning, no link between them.
    _at(tmp_path, "a.md", "https://news.example/story", "Story", "2024-01-02T00:00:00Z")
    _at(tmp_path, "b.md", "http://news.example/story", "Story (old feed)", "2024-01-01T00:00:00Z")
    _at(tmp_path, "c.md", "https://other.example/c", "Other", "2024-01-03T00:00:00Z",
        "related:\n  - {title: Story, webUrl: 'http://news.example/story'}\n")
    kg = graph.load(tmp_path)
    story = "article:https://news.example/story"
    articles = [n for n in kg.nx.nodes if n.startswith("article:")]
    assert sorted(articles) == [story, "article:https://other.example/c"]
    assert kg[story]["title"] == "Story" and not kg[story].get("is_stub")
    [warning] = kg.report.warnings
    assert "b.md" in warning.path and "duplicate of" in warning.reason
    assert kg.nx.has_edge("article:https://other.example/c", story)
    for url in ("http://news.example/story", "https://news.example/story"):
        answer = execute(kg, f'{{ node(id: "article:{url}") {{ id }} '
                             f'article(url: "{url}") {{ id webUrl }} }}')
        assert answer["data"]["node"] == {"id": story}, answer
        assert answer["data"]["article"]["id"] == story


def test_a_follow_of_the_http_copy_equals_a_cold_load(tmp_path):
    from tests.test_live import assert_same

    _at(tmp_path, "a.md", "https://news.example/story", "Story", "2024-01-02T00:00:00Z")
    live = graph.follow(tmp_path)
    _at(tmp_path, "b.md", "http://news.example/story", "Story (newer copy)",
        "2024-01-05T00:00:00Z")
    live.apply([tmp_path / "b.md"])
    assert_same(live, tmp_path)
    assert live.current()["article:https://news.example/story"]["title"] == "Story (newer copy)"
    (tmp_path / "b.md").unlink()
    live.apply([tmp_path / "b.md"])
    assert_same(live, tmp_path)
