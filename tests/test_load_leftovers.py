"""What the build is done with (the records' entries, the stub listings, the related
pairs' keys, the edge log) is its leftovers: a cold load that writes its snapshot after
returning has the snapshot's thread free them, after the first answers can be given;
any other load frees them before it returns (graph/loader.py, graph/build.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import graph
import graph.loader
import graph.snapshot
from graph.build import Entry, build_graph
from graph.records import list_files, parse_file
from graph.report import LoadReport
from tests.conftest import SAMPLE_CORPUS


def _records(root: Path) -> list[Any]:
    return [rec for name in list_files(root).names for rec in parse_file(name).records]


def _entries(held: Any) -> int:
    """How many build entries ``held`` (nested tuples, lists, dicts) holds."""
    if isinstance(held, Entry):
        return 1
    if isinstance(held, dict):
        return sum(_entries(v) for v in held.values())
    if isinstance(held, list | tuple):
        return sum(_entries(v) for v in held)
    return 0


def test_a_build_given_leftovers_puts_them_there_and_builds_the_same_graph() -> None:
    plain_log: list[Any] = []
    plain_report = LoadReport()
    plain = build_graph(_records(SAMPLE_CORPUS), plain_report, share_links=True,
                        edge_log=plain_log)
    leftovers: list[Any] = []
    log: list[Any] = []
    report = LoadReport()
    g = build_graph(_records(SAMPLE_CORPUS), report, share_links=True, edge_log=log,
                    leftovers=leftovers)
    # Every record's entry, each stub's listings.
    assert _entries(leftovers) >= report.records + report.stubs > report.stubs > 0
    assert list(g.nodes(data=True)) == list(plain.nodes(data=True))
    assert log == plain_log
    assert report.summary() == plain_report.summary()
    assert report.warnings == plain_report.warnings


@pytest.fixture
def given(monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """The leftovers list each load hands its build, as the build left it."""
    lists: list[list[Any]] = []

    def build(*args: Any, **kwargs: Any) -> Any:
        g = build_graph(*args, **kwargs)
        held = kwargs.get("leftovers")
        assert held, "the load gave its build no leftovers list, or the build put nothing there"
        lists.append(held)
        return g

    monkeypatch.setattr(graph.loader, "build_graph", build)
    return lists


def test_a_load_without_a_snapshot_to_write_frees_its_leftovers_before_it_returns(
        given: list[list[Any]]) -> None:
    kg = graph.load(SAMPLE_CORPUS)
    assert kg.report.records > 0
    assert len(given) == 1 and given[0] == []


def test_a_cold_load_s_leftovers_are_freed_by_the_snapshot_s_thread(
        tmp_path: Path, given: list[list[Any]]) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, root)
    kg = graph.load(root, cache=tmp_path / "cache")
    write = kg.snapshot_write  # type: ignore[attr-defined]
    assert write.wait(60)
    assert write.written is not None
    assert len(given) == 1 and given[0] == [] and write.leftovers is None


def test_a_snapshot_not_written_still_frees_the_leftovers(
        tmp_path: Path, given: list[list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, root)
    # The corpus "changed while it was loaded": the thread writes nothing.
    monkeypatch.setattr(graph.snapshot, "fingerprint", lambda *args, **kwargs: "changed")
    kg = graph.load(root, cache=tmp_path / "cache")
    write = kg.snapshot_write  # type: ignore[attr-defined]
    assert write.wait(60)
    assert write.written is None
    assert len(given) == 1 and given[0] == []
