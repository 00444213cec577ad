"""Exit statuses that mean something: a path holding no record, load errors behind a
query, and ``--allow-empty`` / ``--ignore-load-errors`` to say that is fine."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from servers import running_server

from schema.cli import EXIT_EMPTY, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, main

GOOD = '{"title": "Good", "webUrl": "https://cli.example/good"}'
QUERY = "{ articles { edges { node { title } } } }"


@pytest.fixture
def empty(tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


@pytest.fixture
def not_records(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "hostname").write_text("box\n", encoding="utf-8")
    (folder / "readme.txt").write_text("no front matter\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("where", ["empty", "not_records", "one_file"])
@pytest.mark.parametrize("command", ["load", "serve", "query"])
def test_a_path_holding_no_record_is_a_clear_non_zero_exit(request, tmp_path, capsys, command,
                                                           where):
    if where == "one_file":
        path = tmp_path / "hostname"
        path.write_text("box\n", encoding="utf-8")
    else:
        path = request.getfixturevalue(where)
    argv = {"load": ["load", str(path)], "serve": ["serve", str(path), "--port", "0"],
            "query": ["query", QUERY, "--data", str(path)]}[command]
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == EXIT_EMPTY != EXIT_OK
    assert f"no record found in {str(path)!r}" in err
    if command == "serve":
        assert "--allow-empty" in err
    assert out == "" or command == "load"


@pytest.mark.parametrize("command", ["load", "serve", "query"])
def test_a_path_whose_every_record_is_rejected_says_so_not_that_none_was_found(
        tmp_path, capsys, command):
    # Every record rejected (here: one without a URL) was told "no record found in ...
    # Records are files ending .json, ...": a record was found, in a file of the right kind,
    # and what to fix is in its errors.
    folder = tmp_path / "rejected"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: No URL here\n---\nbody\n", encoding="utf-8")
    argv = {"load": ["load", str(folder)], "serve": ["serve", str(folder), "--port", "0"],
            "query": ["query", QUERY, "--data", str(folder)]}[command]
    status = main(argv)
    _, err = capsys.readouterr()
    assert status == EXIT_EMPTY
    assert f"no record loaded from {str(folder)!r}: every record found was rejected" in err
    assert "(1 error in 1 files read, 0 skipped); the first: " in err
    assert f"{folder / 'a.md'}:2: record has no URL" in err
    assert "Records are files ending" not in err


def test_load_json_of_a_path_holding_no_record_prints_the_report_as_json(not_records, capsys):
    # `newsgraph load PATH --json` printed the human summary line on stdout when PATH held
    # no record: a program reading the report as JSON got text it could not parse.
    status = main(["load", str(not_records), "--json"])
    out, err = capsys.readouterr()
    assert status == EXIT_EMPTY
    report = json.loads(out)
    assert report["records"] == 0
    assert [p["path"] for p in report["skipped"]] == [str(not_records / "hostname"),
                                                      str(not_records / "readme.txt")]
    assert f"no record found in {str(not_records)!r}" in err


@pytest.mark.parametrize("command", ["load", "serve", "query"])
def test_a_path_that_does_not_exist_is_a_usage_error_before_anything_starts(tmp_path, capsys,
                                                                            command):
    # `newsgraph serve NOPE` bound its port, said it was serving, then failed in the load
    # thread with exit status 1, where load and query say so at once with 2 (a usage
    # error: docs/records.md's exit statuses).
    path = str(tmp_path / "nope")
    argv = {"load": ["load", path], "serve": ["serve", path, "--port", "0"],
            "query": ["query", QUERY, "--data", path]}[command]
    assert main(argv) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert err == f"newsgraph: error: no such file or folder: {path!r}\n"
    assert out == ""


def test_serve_allow_empty_serves_an_empty_graph(empty):
    with running_server(str(empty), "--allow-empty") as base:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
            assert json.load(r)["records"] == 0


def test_query_prints_load_errors_on_stderr_and_exits_1(tmp_path, capsys):
    (tmp_path / "good.json").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    status = main(["query", QUERY, "--data", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == EXIT_REJECTED
    assert json.loads(out)["data"]["articles"]["edges"] == [{"node": {"title": "Good"}}]
    assert f"{tmp_path / 'bad.json'}:1: invalid JSON" in err
    status = main(["query", QUERY, "--data", str(tmp_path), "--ignore-load-errors"])
    out, err = capsys.readouterr()
    assert status == EXIT_OK and json.loads(out)["data"]
    assert "bad.json" in err  # still said, only not fatal


def test_query_on_a_clean_folder_exits_0_and_says_nothing(tmp_path, capsys):
    (tmp_path / "good.json").write_text(GOOD, encoding="utf-8")
    assert main(["query", QUERY, "--data", str(tmp_path)]) == EXIT_OK
    assert capsys.readouterr().err == ""


def test_load_and_query_take_include_and_follow_symlinks(tmp_path, capsys):
    (tmp_path / "page.html").write_text(
        "---\ntitle: Page\nwebUrl: https://cli.example/page\n---\n", encoding="utf-8")
    assert main(["load", str(tmp_path)]) == EXIT_EMPTY
    assert main(["load", str(tmp_path), "--include", "*.html", "--follow-symlinks"]) == EXIT_OK
    capsys.readouterr()
    assert main(["query", QUERY, "--data", str(tmp_path), "--include", "*.html"]) == EXIT_OK
    assert "Page" in capsys.readouterr().out


def test_a_token_on_the_command_line_is_refused_without_being_echoed(capsys):
    # `--ingest-token SECRET` was taken as an abbreviation of --ingest-token-file, and the
    # user was told the file SECRET did not exist (the token printed on the terminal).
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--ingest", "--ingest-token", "s3cret-t0ken"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "s3cret-t0ken" not in err
    assert "NEWSGRAPH_INGEST_TOKEN" in err and "--ingest-token-file" in err


@pytest.mark.parametrize("command", ["load", "export", "query", "push", "serve"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-1"])
def test_max_file_mb_that_is_not_a_positive_number_is_refused(tmp_path, capsys, command,
                                                             value):
    # float('nan') <= 0 is False: --max-file-mb nan (or inf) passed the check and ended
    # in a traceback (int() of it) instead of saying what is allowed.
    (tmp_path / "a.json").write_text(GOOD, encoding="utf-8")
    args = {"load": ["load", str(tmp_path)],
            "export": ["export", str(tmp_path), "--format", "graphml", "-o",
                       str(tmp_path / "out.graphml")],
            "query": ["query", QUERY, "--data", str(tmp_path)],
            "push": ["push", str(tmp_path / "a.json"), "--server", "http://127.0.0.1:9"],
            "serve": ["serve", str(tmp_path), "--port", "0", "--no-cache"]}[command]
    with pytest.raises(SystemExit) as exit_:
        main([*args, f"--max-file-mb={value}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--max-file-mb: expected a positive number of megabytes" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("walk", [["--hops", "2"], ["--hops", "1"]])
def test_export_hops_without_from_is_refused_before_the_load(walk, capsys, monkeypatch):
    # `newsgraph export --hops 2` without --from exported the whole graph, the hops
    # silently ignored (trial29's found-and-left): a walk needs a place to start.
    import graph

    def no_load(*args, **kwargs):
        raise AssertionError("loaded the corpus before refusing its arguments")

    monkeypatch.setattr(graph, "load", no_load)
    assert main(["export", "--format", "graphml", *walk]) == 2
    err = capsys.readouterr().err
    assert "--hops says how far to walk from the --from nodes, and no --from was given" in err
    assert "--from ID" in err


# -- a new user's first commands (trial33) --------------------------------------------------------

def test_version_is_printed_not_a_missing_command(capsys):
    # `newsgraph --version` said "the following arguments are required: command", exit 2.
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == EXIT_OK
    assert capsys.readouterr().out.strip() == f"newsgraph {version('newsgraph')}"


@pytest.mark.parametrize(("argv", "says"), [
    (["load", "--jsn"], "unrecognized argument '--jsn'; did you mean --json?"),
    (["serve", "--prot", "8000"], "unrecognized argument '--prot'; did you mean --port?"),
    (["export", "--format", "gexf", "--hosp", "2"],
     "unrecognized argument '--hosp'; did you mean --hops?"),
    (["query", "{ stats { articles } }", "--varaibles={}"],
     "unrecognized argument '--varaibles={}'; did you mean --variables?"),
    (["schema", "extra"], "unrecognized argument 'extra'; it takes no argument"),
    (["load", "a", "b"], "unrecognized argument 'b'"),
])
def test_an_unknown_flag_is_named_with_its_command_and_the_nearest_one(capsys, argv, says):
    # Reported by the top parser, with its usage (`newsgraph [-h] {load,serve,...}`) and
    # no word of which command or what it takes.
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    command = argv[0]
    assert f"newsgraph {command}: error: {says}" in err, err
    assert f"usage: newsgraph {command}" in err and f"`newsgraph {command} --help`" in err, err


@pytest.mark.parametrize("content, said", [
    (b"", "is empty"),                              # push fell back to no token, silently
    (b"\xff\xfetoken", "is not UTF-8 text"),        # a traceback: UnicodeDecodeError
    (b"one\ntwo\n", "holds more than one line"),    # sent as a header no server takes
    (b"tok\x00en", "holds a control character"),
])
@pytest.mark.parametrize("command", ["push", "serve"])
def test_a_token_file_no_token_can_be_read_from_is_refused_saying_why(
        tmp_path, capsys, monkeypatch, command, content, said):
    monkeypatch.setenv("NEWSGRAPH_INGEST_TOKEN", "from-the-environment")
    (tmp_path / "a.json").write_text(GOOD, encoding="utf-8")
    token = tmp_path / "token"
    token.write_bytes(content)
    args = {"push": ["push", str(tmp_path / "a.json"), "--server", "http://127.0.0.1:9",
                     "--token-file", str(token)],
            "serve": ["serve", str(tmp_path), "--port", "0", "--no-cache",
                      "--ingest-token-file", str(token)]}[command]
    assert main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    option = "--token-file" if command == "push" else "--ingest-token-file"
    assert err.startswith(f"newsgraph: error: {option} {str(token)!r} {said}"), err
    assert "one line" in err and "Traceback" not in err


@pytest.mark.parametrize("content", [b"tok-123\n", b"tok-123\r\n", b"  tok-123  \n\n"])
def test_a_token_file_ending_in_a_newline_or_spaces_is_read_as_its_token(tmp_path, content):
    from schema.cli import _token_from_file

    token = tmp_path / "token"
    token.write_bytes(content)
    assert _token_from_file(token, "--token-file") == "tok-123"


def test_help_lists_the_exit_statuses_main_returns(capsys):
    # `newsgraph --help` said nothing of them: a script had to find docs/records.md.
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    for status, meaning in ((EXIT_OK, "done"), (EXIT_REJECTED, "something was rejected"),
                            (EXIT_USAGE, "a usage error"), (EXIT_EMPTY, "no record")):
        assert f"{status} {meaning}" in out, out


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False),
                                              (0o400, False)])
def test_a_token_file_others_may_read_is_used_with_a_warning(tmp_path, capsys, mode, warned):
    # A token file readable by the group or everyone was used without a word: whoever
    # can read it may ingest and retract stories (ssh refuses such a key; warned here).
    from schema.cli import _token_from_file

    token = tmp_path / "token"
    token.write_bytes(b"tok-123\n")
    token.chmod(mode)
    assert _token_from_file(token, "--token-file") == "tok-123"
    err = capsys.readouterr().err
    if warned:
        assert err == (f"newsgraph: warning: --token-file {str(token)!r} can be read by other "
                       f"users (mode {mode:04o}): chmod 600 {str(token)!r}\n"), err
    else:
        assert err == ""
