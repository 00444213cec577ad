"""Progress while loading, writing snapshots and generating: every phase reported in
order through ``graph.load(progress=...)``; drawn on a terminal, silent otherwise or
with ``--quiet``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import graph
from bench.generate import generate
from graph.progress import PHASES, Step
from schema.cli import main
from schema.progress import TerminalProgress, terminal_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress")
    generate(60, out, seed=2, style="mixed")
    return out


def _phases(steps: list[Step]) -> list[tuple[str, int, int]]:
    """The steps with the parse phase's middle updates left out."""
    return [(s.phase, s.done, s.total) for s in steps
            if s.phase != "parse" or s.done in (0, s.total)]


def test_a_load_reports_every_phase_in_order(corpus: Path, tmp_path: Path) -> None:
    steps: list[Step] = []
    kg = graph.load(corpus, progress=steps.append, cache=tmp_path)
    # The snapshot is written after the load returned, its steps from the writing thread.
    assert kg.snapshot_write.wait(60)  # type: ignore[attr-defined]
    files = steps[0].total
    assert files > 0
    assert _phases(steps) == [("parse", 0, files), ("parse", files, files),
                              ("build", 0, 1), ("build", 1, 1), ("index", 0, 1),
                              ("index", 1, 1), ("snapshot", 0, 1), ("snapshot", 1, 1)]
    parsed = [s for s in steps if s.phase == "parse"]
    assert [s.done for s in parsed] == list(range(files + 1))  # one update per file
    assert [s.records for s in parsed] == sorted(s.records for s in parsed)
    assert parsed[-1].records == kg.report.records == steps[-1].records
    assert {s.phase for s in steps} <= set(PHASES)

    warm: list[Step] = []
    again = graph.load(corpus, progress=warm.append, cache=tmp_path)
    assert again.from_snapshot  # type: ignore[attr-defined]
    assert warm == [Step("snapshot-read", 0, 1), Step("snapshot-read", 1, 1,
                                                     kg.report.records)]


def test_the_terminal_shows_rate_and_time_left_then_a_line_per_phase() -> None:
    screen = _Terminal()
    show = TerminalProgress(screen, interval=0)
    show(Step("parse", 0, 100))
    show(Step("parse", 40, 100, 50))
    show(Step("parse", 100, 100, 120))
    show(Step("build", 0, 1, 120))
    show(Step("build", 1, 1, 120))
    text = screen.getvalue()
    status = text.split("\r")[2]
    assert status.startswith("\x1b[Kparsing 40/100 files · 50 records · ")
    assert "records/s · ETA " in status
    lines = text.replace("\x1b[K", "").split("\n")
    assert lines[0].rsplit("\r", 1)[-1].startswith("parsed 100 files, 120 records in ")
    assert lines[1].rsplit("\r", 1)[-1].startswith("built the graph in ")
    assert lines[2] == ""


def test_no_progress_off_a_terminal_or_when_quiet() -> None:
    assert terminal_progress(stream=io.StringIO()) is None
    assert terminal_progress(quiet=True, stream=_Terminal()) is None
    assert isinstance(terminal_progress(stream=_Terminal()), TerminalProgress)


def test_the_generator_reports_records_written(tmp_path: Path) -> None:
    screen = _Terminal()
    show = TerminalProgress(screen, interval=0)
    seen: list[tuple[int, int]] = []

    def both(done: int, total: int) -> None:
        seen.append((done, total))
        show.records(done, total)

    manifest = generate(40, tmp_path, seed=1, progress=both)
    assert seen == [(k, 40) for k in range(1, 41)]
    assert manifest.records == 40
    assert "generated 40 records in " in screen.getvalue()


@pytest.mark.parametrize("args", [["load", "--quiet"], ["load", "-q", "--json"], ["load"]])
def test_the_cli_writes_no_progress_when_not_on_a_terminal(
        corpus: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, str(corpus)]) == 0
    err = capsys.readouterr().err
    assert "parsing" not in err and "\r" not in err


def test_generate_takes_a_style_and_quiet(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "30", str(tmp_path), "--style", "flow", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert any(p.suffix == ".md" and p.read_text().startswith(("---\n{", "---\ncategory"))
               for p in tmp_path.rglob("*"))


def test_a_follow_reports_its_first_load_as_a_load_does(corpus: Path, tmp_path: Path) -> None:
    # `newsgraph serve` follows its folder by default: its /readyz said "starting", 0 of
    # 0, for the whole of a cold load (38 s at 20k records), the follow taking no progress.
    steps: list[Step] = []
    live = graph.follow(corpus, progress=steps.append, cache=tmp_path)
    files = steps[0].total
    assert files > 0
    assert _phases(steps) == [("parse", 0, files), ("parse", files, files),
                              ("build", 0, 1), ("build", 1, 1),
                              ("snapshot", 0, 1), ("snapshot", 1, 1)]
    parsed = [s for s in steps if s.phase == "parse"]
    assert [s.done for s in parsed] == list(range(files + 1))
    assert parsed[-1].records == live.current().report.records == steps[-1].records
    assert {s.phase for s in steps} <= set(PHASES)

    warm: list[Step] = []
    graph.follow(corpus, progress=warm.append, cache=tmp_path)
    assert warm == [Step("snapshot-read", 0, 1),
                    Step("snapshot-read", 1, 1, live.current().report.records)]
