"""``newsgraph push``'s arguments: a server that is no web URL is a usage error that says
what is allowed, before any file is read or anything is sent."""

from __future__ import annotations

import pytest

from schema.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, main

GOOD = '{"title": "Good", "webUrl": "https://cli.example/good"}'


@pytest.mark.parametrize("server", [
    "notaurl",              # raised ValueError: unknown url type (a traceback)
    "127.0.0.1:8000",       # no scheme: read as the scheme '127.0.0.1'
    "http://[::1",          # raised ValueError: Invalid IPv6 URL
    "http://",              # 'cannot reach http:/graphql: no host given'
    "file:///etc/passwd",   # was opened as a local file
    "ftp://news.example/",  # was tried over FTP
    "http://127.0.0.1:99999",
])
def test_a_server_that_is_no_web_url_is_a_usage_error(tmp_path, capsys, server):
    record = tmp_path / "a.json"
    record.write_text(GOOD, encoding="utf-8")
    assert main(["push", str(record), "--server", server]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("newsgraph: error: --server") and "Traceback" not in err
    assert repr(server) in err and "'http://127.0.0.1:8000'" in err, err


def _imported_by_a_push(tmp_path, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (modules, or packages by their first part) a ``newsgraph
    push`` of one record imports, run in a process of its own (to a server that is not
    there)."""
    import json
    import subprocess
    import sys

    record = tmp_path / "a.json"
    record.write_text(GOOD, encoding="utf-8")
    code = ("import sys, json\nfrom schema.cli import main\n"
            f"main(['push', {str(record)!r}, '--server', 'http://127.0.0.1:1'])\n"
            "loaded = set(sys.modules) | {m.split('.')[0] for m in sys.modules}\n"
            f"print(json.dumps(sorted(loaded & set({names!r}))), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "cannot reach" in done.stderr or "refused" in done.stderr, done.stderr
    found: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return found


def test_push_imports_no_graph_engine(tmp_path):
    """``newsgraph push`` reads and sends records: it starts without numpy, networkx or the
    server's libraries (importing them took ~0.7 s of a push's ~1 s on a busy machine,
    the larger part of a pushed story's way to the explorer's page)."""
    heavy = ("numpy", "networkx", "strawberry", "starlette", "scipy")
    assert _imported_by_a_push(tmp_path, heavy) == []


def test_push_imports_only_what_a_push_runs(tmp_path):
    """``newsgraph push`` runs in a process started for one story (the explorer's "push
    it and see it arrive"): it imports none of what only the other commands need. The
    installed distributions' entry points (importlib.metadata reads every one's metadata
    on each start: the commands bench/ adds), the process starter and serve's settings,
    the snapshot cache folder, the terminal's progress: each was imported, and run, by
    every push; on a busy machine the start was most of a push's way to the page."""
    unneeded = ("importlib.metadata", "multiprocessing", "schema.settings",
                "graph.cachefolder", "schema.progress", "difflib", "graph.budget")
    assert _imported_by_a_push(tmp_path, unneeded) == []


def test_a_path_that_does_not_exist_is_said_so(tmp_path, capsys):
    # A mistyped file name was "nothing.md: cannot read folder: No such file or
    # directory", as though the user had named a folder.
    missing = tmp_path / "nothing.md"
    assert main(["push", str(missing), "--server", "http://127.0.0.1:9"]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert f"{missing}: no such file or folder" in err, err
    assert "cannot read folder" not in err


def test_a_file_skipped_is_said_with_its_reason(tmp_path, capsys):
    # `newsgraph push notes.md story.htm` printed 'pushed 0 records from 0 files: nothing
    # sent; 0 problems': the files named were skipped without a word of why.
    note = tmp_path / "notes.md"
    note.write_text("Notes from the desk\n", encoding="utf-8")
    page = tmp_path / "story.htm"
    page.write_text(GOOD, encoding="utf-8")
    assert main(["push", str(note), str(page), "--server", "http://127.0.0.1:9"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert f"  {note}: skipped: no YAML front matter: 'notes.md' is not a record" in err, err
    assert f"  {page}: skipped: not a record file: expected one of .json" in err, err
    assert out.strip() == "pushed 0 records from 0 files: nothing sent; 0 problems; 2 skipped"
