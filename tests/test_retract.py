"""Retracting a story moves its file out of the corpus, never destroying one: not even a
story retracted before from the same path."""

from __future__ import annotations

from pathlib import Path

import graph
from graph import ingest as files


def _story(path: Path, title: str, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\nwebUrl: {url}\n---\n{title}'s body\n",
                    encoding="utf-8")


def test_a_story_retracted_twice_from_one_path_keeps_both_retracted_files(tmp_path):
    # A story retracted, published again (corrected) under the same file name, retracted
    # again: the second move replaced the first retracted file, destroying it.
    story = tmp_path / "news" / "story.md"
    _story(story, "First", "https://news.example/story")
    _story(tmp_path / "other.md", "Other", "https://news.example/other")
    live = graph.follow(tmp_path)
    assert files.retract(live, "https://news.example/story").status == "RETRACTED"
    _story(story, "Corrected", "https://news.example/story")
    live.apply([story])
    assert files.retract(live, "https://news.example/story").status == "RETRACTED"
    kept = sorted(p.read_text(encoding="utf-8").splitlines()[1]
                  for p in (tmp_path / ".retracted").rglob("*") if p.is_file())
    assert kept == ["title: Corrected", "title: First"]
    assert not story.exists() and graph.load(tmp_path).report.articles == 1
