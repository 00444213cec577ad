"""``--include`` / ``include=`` patterns that name no file (trial37).

``--include ''`` (an empty variable in a script, ``--include "$EXTRA"``) and ``--include .``
made every file the suffixes did not take an error of its own, "could not be read:
ValueError: empty pattern"; now refused before anything is read, saying what a pattern is.
"""

from __future__ import annotations

import pytest

import graph
from schema.cli import main
from tests.conftest import record, write_record

SAYS = ("include pattern {!r} names no file: give a glob matched against the end of each "
        "path, such as '*.html' or 'pages/*.htm'")


@pytest.mark.parametrize("pattern", ["", "."])
def test_an_include_naming_no_file_is_refused_before_the_load(tmp_path, pattern):
    write_record(tmp_path, "corpus/a.md", record("a"))
    (tmp_path / "corpus" / "b.note").write_text("a note", encoding="utf-8")
    with pytest.raises(graph.NewsgraphError) as e:
        graph.load(tmp_path / "corpus", include=[pattern])
    assert str(e.value) == SAYS.format(pattern)
    with pytest.raises(graph.NewsgraphError):
        graph.follow(tmp_path / "corpus", include=[pattern])


@pytest.mark.parametrize("pattern", ["", "."])
def test_newsgraph_load_says_it_in_one_line(tmp_path, capsys, pattern):
    write_record(tmp_path, "corpus/a.md", record("a"))
    (tmp_path / "corpus" / "b.note").write_text("a note", encoding="utf-8")
    status = main(["load", str(tmp_path / "corpus"), "--no-cache", "--include", pattern])
    err = capsys.readouterr().err
    assert status != 0
    assert "ValueError" not in err
    assert SAYS.format(pattern) in err


def test_newsgraph_serve_refuses_it_before_it_serves(tmp_path, capsys):
    write_record(tmp_path, "corpus/a.md", record("a"))
    status = main(["serve", str(tmp_path / "corpus"), "--include", "", "--port", "0",
                   "--no-cache"])
    err = capsys.readouterr().err
    assert status != 0
    assert "serving" not in err
    assert SAYS.format("") in err
