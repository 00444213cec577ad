"""Files read through their folder, opened and checked once (graph/corpusfolders.py):
the same parses as each file opened by its path and checked, and the same refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from graph import records
from graph.corpusfolders import CorpusFolders
from graph.records import corpus_root, list_files, parse_file

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"),
                                reason="the check reads /proc/self/fd")


def story(slug: str) -> str:
    return json.dumps({"title": f"Story {slug}", "webUrl": f"https://folders.example/{slug}"})


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for folder in ("a", "b", "b/deeper"):
        (root / folder).mkdir(parents=True)
    for name in ("a/1.json", "a/2.json", "b/3.json", "b/deeper/4.json", "5.json"):
        (root / name).write_text(story(name.replace("/", "-")[:-5]), encoding="utf-8")
    (root / "a" / "broken.json").write_text("{", encoding="utf-8")
    os.symlink(root / "a" / "1.json", root / "b" / "linked.json")  # inside: read
    return root


def parse_all(root: Path, names: list[str], folders: bool) -> list[records.ParsedFile]:
    within = corpus_root(root)
    if not folders:
        return [parse_file(name, within=within) for name in names]
    with CorpusFolders(within) as held:
        return [parse_file(name, within=within, folders=held) for name in names]


def test_the_same_parses_as_by_path(corpus):
    names = list_files(corpus).names
    by_folder = parse_all(corpus, names, folders=True)
    assert by_folder == parse_all(corpus, names, folders=False)
    assert [p.stat for p in by_folder] == [p.stat for p in parse_all(corpus, names, False)]
    assert sum(len(p.records) for p in by_folder) == 5  # 4 files and the link to one
    assert [p.errors[0].reason[:12] for p in by_folder if p.errors] == ["invalid JSON"]


def test_each_folder_is_checked_once_not_each_file(corpus, monkeypatch):
    checked: list[int] = []
    real = records.opened_path
    monkeypatch.setattr(records, "opened_path", lambda fd: checked.append(fd) or real(fd))
    import graph.corpusfolders as corpusfolders
    monkeypatch.setattr(corpusfolders, "opened_path", records.opened_path)
    names = [str(corpus / "a" / n) for n in ("1.json", "2.json", "broken.json")]
    parse_all(corpus, names, folders=True)
    assert len(checked) == 1  # the folder: its three files opened through it
    checked.clear()
    parse_all(corpus, names, folders=False)
    assert len(checked) == 3


def test_a_linked_file_is_opened_by_its_path_and_checked(corpus, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(story("secret"), encoding="utf-8")
    os.symlink(outside, corpus / "a" / "out.json")
    names = [str(corpus / "a" / "1.json"), str(corpus / "a" / "out.json")]
    parsed = parse_all(corpus, names, folders=True)
    assert len(parsed[0].records) == 1 and not parsed[1].records
    assert parsed[1].errors[0].reason.startswith(f"opens {str(outside)!r}, outside the corpus")
    assert parsed == parse_all(corpus, names, folders=False)


def test_a_folder_swapped_for_a_link_outside_is_refused(corpus, tmp_path):
    """Swapped before its folder is opened: the folder's real path is outside, and each
    file is opened by its path and refused; swapped after: the file is not in the folder
    opened (removed with it), and is opened by its path and refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2.json").write_text(story("secret"), encoding="utf-8")
    within = corpus_root(corpus)
    with CorpusFolders(within) as held:
        first = parse_file(str(corpus / "a" / "1.json"), within=within, folders=held)
        assert len(first.records) == 1 and held.fd >= 0
        for name in ("1.json", "2.json", "broken.json"):
            (corpus / "a" / name).unlink()
        (corpus / "a").rmdir()
        os.symlink(outside, corpus / "a")
        after = parse_file(str(corpus / "a" / "2.json"), within=within, folders=held)
    before = parse_all(corpus, [str(corpus / "a" / "2.json")], folders=True)[0]
    for parsed in (after, before):
        assert not parsed.records
        assert parsed.errors[0].reason.startswith(
            f"opens {str(outside / '2.json')!r}, outside the corpus folder")


def test_nothing_is_opened_through_a_folder_without_a_corpus_folder(corpus):
    with CorpusFolders(None) as held:
        assert held.open(str(corpus / "a" / "1.json"), os.O_RDONLY) == -1
        assert held.fd == -1
