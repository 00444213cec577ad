"""``newsgraph bench`` and ``newsgraph generate``: commands bench/ adds through entry points,
loaded only when they run (schema/ never imports bench/)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import graph
from schema.cli import added_commands, main


def test_bench_adds_its_two_commands():
    assert {n: e.value for n, e in added_commands().items()} == {
        "bench": "bench.commands:bench", "generate": "bench.commands:generate"}


def test_the_command_lists_them(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    listing = capsys.readouterr().out
    assert "newsgraph bench --help" in listing and "newsgraph generate --help" in listing


def test_generate_writes_a_corpus_that_loads(tmp_path, capsys):
    assert main(["generate", "12", str(tmp_path), "--seed", "3"]) == 0
    assert capsys.readouterr().out.startswith("wrote 12 records (0 repeated) in ")
    assert graph.load(tmp_path).report.records == 12


def test_generate_refuses_a_count_below_one(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "0", str(tmp_path)])
    assert exit_.value.code == 2
    assert "newsgraph generate: error: n must be at least 1, got 0" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_generate_into_a_file_is_one_line_not_a_traceback(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "3", str(tmp_path / "taken")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"newsgraph generate: error: cannot write to {str(tmp_path / 'taken')!r}: " in err
    assert "Traceback" not in err
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file\n"


def test_bench_parses_its_own_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: newsgraph bench") and "--sizes" in out


def test_other_commands_never_import_bench():
    code = ("import sys, json; from schema.cli import build_parser, main; build_parser(); "
            "main(['schema']); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'bench')), "
            "file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
