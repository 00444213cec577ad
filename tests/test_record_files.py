"""Which files are records: the suffixes read, ``.txt`` with front matter (the record
format's own file form), ``--include`` for more, and the seed record itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
    # An included file that is not front matter is reported, not guessed at.
    assert kg.report.records == 0 and kg.report.skipped


@pytest.mark.skipif(not SEED.is_dir(), reason="the shared seed record is not on this machine")
def test_the_seed_record_loads(tmp_path):
    shutil.copytree(SEED, tmp_path / "seed")
    kg = graph.load(tmp_path / "seed")
    assert kg.report.records == 1 and kg.report.ok and not kg.report.skipped, kg.report
    [node] = [d for _, d in kg.nx.nodes(data=True) if d["kind"] == "article" and not d["is_stub"]]
    assert node["title"] == "Chinese School Faces Backlash Over Use of Facial Recognition Scanners"
