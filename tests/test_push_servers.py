"""``newsgraph push`` against a server that is not answering as newsgraph does.

Tried by trial33 as a user pushing through a proxy, to the wrong port, or to a server
busy loading: a 502 page from a proxy, an HTML page answered 200 (another web server on
that port), a JSON answer without ``data``, a connection closed without an answer and a
server slower than push waits each ended in a Python traceback (``JSONDecodeError``,
``KeyError: 'data'``) or in "cannot reach" for a server that was reached. Each is now
one line saying what the server answered, and the usage exit status.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

import schema.push
from schema.cli import EXIT_USAGE, main

GOOD = '{"title": "Good", "webUrl": "https://push.example/good"}'

ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "proxy 502": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "html 200": (200, "text/html", b"<!doctype html><title>Welcome to nginx!</title>"),
    "json without data": (200, "application/json", b'{"hello": "world"}'),
    "error 500 empty json": (500, "application/json", b"{}"),
    "json list": (200, "application/json", b"[1, 2]"),
    "data without ingest": (200, "application/json", b'{"data": {"other": 1}}'),
    "ingest of another length": (200, "application/json",
                                 b'{"data": {"ingest": []}}'),
}

SAYS = {
    "proxy 502": "answered HTTP 502",
    "html 200": "answered HTTP 200 with text/html",
    "json without data": "not a GraphQL answer",
    "error 500 empty json": "answered HTTP 500",
    "json list": "not a GraphQL answer",
    "data without ingest": "not a GraphQL answer",
    "ingest of another length": "answered 0 outcomes for 1 record",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    answer: tuple[int, str, bytes] | None = None
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.delay:
            time.sleep(self.delay)
        if self.answer is None:  # close without a word
            self.close_connection = True
            self.connection.shutdown(2)
            return
        status, kind, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _push(tmp_path, httpd, capsys) -> tuple[int, str]:
    record = tmp_path / "a.json"
    record.write_text(GOOD, encoding="utf-8")
    status = main(["push", str(record), "--server", f"http://127.0.0.1:{httpd.server_port}"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("case", ANSWERS)
def test_a_server_answering_what_newsgraph_does_not_is_one_clear_line(
        tmp_path, capsys, server, monkeypatch, case):
    monkeypatch.setattr(_Handler, "answer", ANSWERS[case])
    status, err = _push(tmp_path, server, capsys)
    assert "Traceback" not in err, err
    assert status == EXIT_USAGE, err
    [line] = err.strip().splitlines()
    assert line.startswith("newsgraph: error: http://127.0.0.1:"), line
    assert SAYS[case] in line, line


def test_a_server_closing_without_an_answer_is_said_so(tmp_path, capsys, server, monkeypatch):
    monkeypatch.setattr(_Handler, "answer", None)
    status, err = _push(tmp_path, server, capsys)
    assert status == EXIT_USAGE and "Traceback" not in err, err
    assert "closed the connection without an answer" in err, err


def test_a_server_slower_than_push_waits_is_said_so_not_unreachable(
        tmp_path, capsys, server, monkeypatch):
    monkeypatch.setattr(_Handler, "answer", ANSWERS["json without data"])
    monkeypatch.setattr(_Handler, "delay", 3.0)
    monkeypatch.setattr(schema.push, "ANSWER_SECONDS", 0.5)
    status, err = _push(tmp_path, server, capsys)
    assert status == EXIT_USAGE and "Traceback" not in err, err
    assert "cannot reach" not in err, err
    assert "no answer within 0.5 s" in err and "pushing again is safe" in err, err


class _Loading(_Handler):
    """A newsgraph still loading its corpus (503 NOT_READY, Retry-After: 0) for the first
    ``loading`` requests, then one answering the ingest."""

    loading = 2
    seen = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen += 1
        if type(self).seen <= self.loading:
            body = (b'{"errors": [{"message": "loading: 10 of 20 files read", "extensions": '
                    b'{"code": "NOT_READY", "status": "loading"}}]}')
            status, extra = 503, [("Retry-After", "0")]
        else:
            body = (b'{"data": {"ingest": [{"status": "CREATED", "articleId": "article:https://'
                    b'push.example/good", "error": null, "warnings": []}]}}')
            status, extra = 200, []
        self.send_response(status)
        for name, value in [("Content-Type", "application/json"), *extra]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _push_to_loading(tmp_path, capsys):
    """Push to a server answering 503 NOT_READY until it has been asked enough."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Loading)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        return _push(tmp_path, httpd, capsys)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_server_still_loading_is_waited_for_as_it_says(tmp_path, capsys, monkeypatch):
    # `newsgraph serve corpus & newsgraph push new --server ...` (a script starting both)
    # failed: "refused the batch: loading: ...", while the server's 503 says Retry-After.
    status, err = _push_to_loading(tmp_path, capsys)
    assert status == 0, err
    assert "is loading its corpus (loading: 10 of 20 files read); waiting" in err, err
    assert _Loading.seen == 3


def test_a_server_loading_past_the_wait_is_said_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_Loading, "loading", 10**6)
    monkeypatch.setattr(_Loading, "seen", 0)
    monkeypatch.setattr(schema.push, "ANSWER_SECONDS", 0.5)
    status, err = _push_to_loading(tmp_path, capsys)
    assert status == EXIT_USAGE and "Traceback" not in err, err
    assert "still loading its corpus after 0.5 s" in err, err
