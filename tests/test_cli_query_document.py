"""``newsgraph query`` with no document: an empty argument or an empty ``@FILE`` (trial34)
ended in a Python traceback (strawberry's MissingQueryError), not one line and a status."""

from __future__ import annotations

import pytest

from schema.cli import EXIT_USAGE, main
from tests.conftest import record, write_record


@pytest.mark.parametrize("given", ["", "@empty.graphql"], ids=["argument", "file"])
def test_an_empty_query_is_one_line_and_a_usage_status(tmp_path, capsys, monkeypatch, given):
    write_record(tmp_path, "corpus/a.md", record("a"))
    (tmp_path / "empty.graphql").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["query", given, "--data", "corpus"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "the query is empty" in err and "{ stats { articles } }" in err
