"""A record's ``related`` as writers write it when it holds one story: the story alone, not
in a list (``related: https://...`` or ``related: {webUrl: ...}``), as a hand-written note or
a form with one link field gives it. The link was dropped whole ("related must be a list,
got str"), where a topic or a provider written alone is read (trial34)."""

from __future__ import annotations

import pytest

import graph

STORY = "https://related.example/story"
OTHER = "https://related.example/other"

ALONE = {
    "url": f"related: {OTHER}\n",
    "quoted url": f"related: '{OTHER}'\n",
    "mapping": f"related: {{title: Other, webUrl: {OTHER}}}\n",
    "block mapping": f"related:\n  title: Other\n  webUrl: {OTHER}\n",
}


@pytest.mark.parametrize("case", ALONE, ids=list(ALONE))
def test_one_related_story_written_alone_is_linked_with_a_warning(tmp_path, case):
    (tmp_path / "story.md").write_text(
        f"---\ntitle: Story\nwebUrl: {STORY}\n{ALONE[case]}---\n", encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.errors == []
    assert kg.nx.has_edge(f"article:{STORY}", f"article:{OTHER}", "RELATED")
    [warning] = kg.report.warnings
    assert "related is one story, not a list" in warning.reason
    assert "write it as a list" in warning.reason


def test_related_of_another_kind_says_what_related_may_be(tmp_path):
    (tmp_path / "story.md").write_text(
        f"---\ntitle: Story\nwebUrl: {STORY}\nrelated: 5\n---\n", encoding="utf-8")
    [warning] = graph.load(tmp_path).report.warnings
    assert "related dropped: expected a list of stories" in warning.reason
    assert "got int 5" in warning.reason
