"""``newsgraph load PATH [--json]``: the report, its JSON shape and the exit status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import record, write_record

import graph
from schema.cli import main

REPORT_KEYS = {"records", "articles", "stubs", "providers", "topics", "edges", "skipped",
               "errors", "warnings"}


@pytest.fixture
def clean(tmp_path):
    """A folder of two good records, one listing a related story (a stub)."""
    write_record(tmp_path, "a.md", record(
        "a", topics=["Privacy"],
        related=[{"title": "Elsewhere", "webUrl": "https://other.example/r"}]))
    write_record(tmp_path, "b.json", record("b", topics=["privacy"]), form="json")
    (tmp_path / "notes.txt").write_text("not a record\n", encoding="utf-8")
    return tmp_path


def _run_json(capsys, *args):
    status = main(["load", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    return status, json.loads(out), err


def test_load_json_report_of_a_clean_folder(capsys, clean):
    status, report, _ = _run_json(capsys, clean)
    assert status == 0
    assert REPORT_KEYS <= set(report) <= REPORT_KEYS | {"files"}
    assert {k: report[k] for k in ("records", "articles", "stubs", "providers", "topics")} == {
        "records": 2, "articles": 3, "stubs": 1, "providers": 2, "topics": 1}
    assert report["edges"] == {"RELATED": 1, "PUBLISHED_BY": 3, "TAGGED": 2}
    assert report["errors"] == [] and report["warnings"] == []
    assert report["skipped"] == [{"path": str(clean / "notes.txt"), "line": None,
                                  "reason": report["skipped"][0]["reason"]}]
    assert report["skipped"][0]["reason"]


def test_load_json_reports_rejected_files_and_exits_1(capsys, clean):
    (clean / "broken.json").write_text('{\n  "title": "x",\n  "webUrl":\n}\n', encoding="utf-8")
    write_record(clean, "untitled.yaml", {"excerpt": "no title, no URL"}, form="yaml")
    status, report, _ = _run_json(capsys, clean)
    assert status == 1
    assert report["records"] == 2  # the good records still load
    assert [set(e) for e in report["errors"]] == [{"path", "line", "reason"}] * 2
    assert [(e["path"], e["line"]) for e in report["errors"]] == [
        (str(clean / "broken.json"), 4), (str(clean / "untitled.yaml"), 1)]
    assert all(isinstance(e["reason"], str) and e["reason"] for e in report["errors"])


def test_load_json_reports_warnings(capsys, clean):
    write_record(clean, "c.md", record("a", publishedDateTime="2000-01-01"))  # a duplicate
    status, report, _ = _run_json(capsys, clean)
    assert status == 0
    assert [set(w) for w in report["warnings"]] == [{"path", "line", "reason"}]
    assert "duplicate" in report["warnings"][0]["reason"]


def test_load_of_one_file(capsys, clean):
    status, report, _ = _run_json(capsys, clean / "b.json")
    assert (status, report["records"], report["skipped"]) == (0, 1, [])


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_load_missing_path_is_a_usage_error(capsys, tmp_path, json_flag):
    missing = tmp_path / "no-such-folder"
    status = main(["load", str(missing), *json_flag])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert str(missing) in err and len(err.strip().splitlines()) == 1


def test_load_bad_option_is_a_usage_error(capsys, clean):
    with pytest.raises(SystemExit) as exit_:
        main(["load", str(clean), "--no-such-option"])
    assert exit_.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_load_max_file_mb_rejects_bigger_files(capsys, clean):
    write_record(clean, "big.md", record("big"), body="word " * 400)
    status, report, _ = _run_json(capsys, clean, "--max-file-mb", "0.001")
    assert status == 1
    assert str(clean / "big.md") in [e["path"] for e in report["errors"]]


def test_query_takes_max_file_mb_as_load_does(capsys, clean):
    # `newsgraph query ... --max-file-mb` was refused (load, serve and export took it).
    big = clean / "big.md"
    write_record(clean, "big.md", record("big"), body="word " * 40_000)
    document = "{ stats { records } }"
    assert main(["query", document, "--data", str(clean), "--max-file-mb", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["stats"]["records"] == 3
    status = main(["query", document, "--data", str(clean), "--max-file-mb", "0.1"])
    out, err = capsys.readouterr()
    assert status == 1 and json.loads(out)["data"]["stats"]["records"] == 2
    assert str(big) in err


def test_load_text_report(capsys, clean):
    # front matter without its '---' lines: a record meant, an error (a note is skipped)
    (clean / "broken.md").write_text("title: Broken\nwebUrl: https://news.example/b\n",
                                     encoding="utf-8")
    status = main(["load", str(clean)])
    out, _ = capsys.readouterr()
    assert status == 1
    assert "2 records" in out
    assert f"{clean / 'broken.md'}:1: no YAML front matter" in out


def _console_script() -> str:
    found = shutil.which("newsgraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "newsgraph")
    assert found, "the newsgraph console script is not installed"
    return found


def test_newsgraph_console_script_load_json(clean):
    (clean / "empty.md").write_text("", encoding="utf-8")
    done = subprocess.run([_console_script(), "load", str(clean), "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert REPORT_KEYS <= set(report)
    assert report["records"] == 2
    assert [(e["path"], e["line"]) for e in report["errors"]] == [(str(clean / "empty.md"), None)]


@pytest.mark.parametrize("argv", [["load", ""], ["query", "{ stats { articles } }", "--data", ""],
                                  ["export", "", "--format", "graphml"],
                                  ["push", "", "--server", "http://127.0.0.1:8000"]])
def test_an_empty_path_is_a_usage_error_not_the_current_folder(capsys, tmp_path, monkeypatch,
                                                                argv):
    # `newsgraph load "$CORPUS"` with CORPUS unset loaded the current folder (argparse's
    # Path("") is "."), whatever it held; graph.load("") did too.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "an empty path" in capsys.readouterr().err


@pytest.mark.parametrize("entry", ["load", "follow"])
def test_an_empty_path_is_refused_by_the_python_api(tmp_path, monkeypatch, entry):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.md").write_text("---\ntitle: A\nwebUrl: https://a.example/a\n---\n",
                                   encoding="utf-8")
    with pytest.raises(graph.NewsgraphError, match="an empty path"):
        getattr(graph, entry)("")
