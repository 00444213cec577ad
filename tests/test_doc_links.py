"""Every relative link in README.md and docs/ (history included) names a file that exists
and, when it has one, an anchor that is one of the file's headings as GitHub makes them;
and a round's measurement write-up ("### ... (ing27)") sits in docs/history/, not in a
reference page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```.*?^```$", re.S | re.M)
LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)


def _prose(text: str) -> str:
    """The page without its fenced blocks and inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """The ids GitHub gives the page's headings: lowercased, punctuation dropped, spaces
    made hyphens, a repeated id suffixed -1, -2, ..."""
    seen: dict[str, int] = {}
    ids = set()
    for title in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        ids.add(slug if n == 0 else f"{slug}-{n}")
    return ids


def broken_links(page: Path) -> list[str]:
    """The page's relative links whose file or anchor does not exist, each said why."""
    bad = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            bad.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            bad.append(f"{target}: no heading #{anchor} in {linked.name}")
    return bad


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_and_anchor_exists(page: Path):
    assert broken_links(page) == []


REFERENCES = [p for p in PAGES if "history" not in p.parts]
ROUND_SECTION = re.compile(r"^#+ .*\([a-z]+\d{2}\)[ \t]*$", re.M)


@pytest.mark.parametrize("page", REFERENCES,
                         ids=[p.relative_to(ROOT).as_posix() for p in REFERENCES])
def test_no_round_write_up_in_a_reference_page(page: Path):
    """A section headed with a round's tag belongs at the end of docs/history/*-log.md
    (docs/performance.md, "The measurement log"); the reference's table gets its figure."""
    assert ROUND_SECTION.findall(FENCE.sub("", page.read_text(encoding="utf-8"))) == []


def test_a_round_write_up_is_recognized():
    text = "## Targets\n\n### Cold load, side by side (cold27)\n\n#### Figures (mem26)\n"
    assert ROUND_SECTION.findall(text) == ["### Cold load, side by side (cold27)",
                                           "#### Figures (mem26)"]


def test_the_check_catches_a_broken_file_or_anchor(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## Cold load: not 10,000 records/s\n\n"
                                       "## Twice\n\n## Twice\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#cold-load-not-10000-recordss) [ok](other.md#twice-1) [ok](#a-title)\n"
        "[no file](gone.md) [no anchor](other.md#cold-load) [no local](#nothing)\n"
        "`[in code](gone.md)` [web](https://example.com/x.md#y)\n\n# A title\n\n"
        "```\n[in a block](gone.md)\n```\n", encoding="utf-8")
    assert [b.split(":")[0] for b in broken_links(page)] == [
        "gone.md", "other.md#cold-load", "#nothing"]


TABLE_DELIMITER = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def loose_table_rows(text: str) -> list[str]:
    """The lines that look like table rows but render as text: a row must follow another
    row, or open a table (a blank line before it, the ``| --- |`` line after it)."""
    lines = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text).split("\n")
    loose = []
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            continue
        before = lines[i - 1] if i else ""
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if not (before.startswith("|")
                or (not before.strip() and TABLE_DELIMITER.match(after))):
            loose.append(f"line {i + 1}: {line[:60]}")
    return loose


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_table_row_is_in_a_table(page: Path):
    """A paragraph written between a table's rows ends the table: the rows after it
    showed as a paragraph of pipes (docs/records.md's file suffixes, `.yaml` to `.jsonl`)."""
    assert loose_table_rows(page.read_text(encoding="utf-8")) == []


def test_a_row_cut_off_from_its_table_is_found():
    text = ("| a | b |\n| --- | --- |\n| 1 | 2 |\n\nA note.\n| 3 | 4 |\n\n"
            "```\n| in a fence |\n```\n")
    assert loose_table_rows(text) == ["line 6: | 3 | 4 |"]


MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|home)/[^\s`'\")]*")


@pytest.mark.parametrize("page", REFERENCES,
                         ids=[p.relative_to(ROOT).as_posix() for p in REFERENCES])
def test_no_reference_page_names_a_path_only_its_writers_machine_has(page: Path):
    """A reader's clone has data/, tests/fixtures/ and what a command makes; docs/records.md
    loaded `/work/shared/seed/`, a folder of the machine the page was written on."""
    assert MACHINE_PATH.findall(page.read_text(encoding="utf-8")) == []


def test_a_machine_path_is_found():
    assert MACHINE_PATH.findall("`newsgraph load /work/shared/seed/` and data/x, ~/.cache, "
                                "/tmp/x and /home/me/c") == ["/work/shared/seed/", "/home/me/c"]
