"""Run a real `newsgraph serve` for a test: on a free port, until /readyz answers, then stop it.

datasette's pattern: the tests that need a real process (the example over HTTP, the
GraphQL-over-HTTP audit, the browser tests) share this one way of starting it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from schema.loadtest import SERVING

NEWSGRAPH = Path(sys.executable).with_name("newsgraph")


def free_port() -> int:
    """Return a loopback port nobody listens on, now: it is let go before it is returned,
    and another socket may take it before a server binds it. A test that starts a server
    takes :func:`serve_on_any_port` (or :func:`running_server`) instead."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def stand_in(answer: Callable[[bytes], tuple[int, bytes]], keep_alive: bool = False
             ) -> Iterator[int]:
    """A loopback HTTP server standing in for another (a newsgraph at its limits, a
    load generator's target): each POST body is answered ``answer(body)`` = (status,
    JSON bytes); HTTP/1.1 keep-alive when asked. Yields its port."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            status, body = answer(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_server(*args: str, ready_within: float = 300,
                   analytics: bool = True, env: dict[str, str] | None = None,
                   port: int | None = None) -> Iterator[str]:
    """Run `newsgraph serve ARGS --port P` until ready; yield its base URL; stop it with SIGINT.

    Ready means the graph is loaded and, unless ``analytics`` is False, the background
    analytics (storylines, centrality) are in too, so tests reading them do not race.
    ``ready_within`` is a hang guard: on a loaded 2-core machine (load 12) a server of
    3,000 records held its analytics only after 126 s.
    ``port`` serves on that port (a restart on the port a page is connected to); without
    it, a free port, chosen again should another socket take it before the server binds
    it (free_port lets it go first: a race on a shared machine).
    """
    for attempt in range(_PORT_TRIES):
        chosen = port or free_port()
        proc = subprocess.Popen([str(NEWSGRAPH), "serve", *args, "--port", str(chosen)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=env)
        base = f"http://127.0.0.1:{chosen}"
        if _wait_ready(proc, base, ready_within, analytics,
                       retry=port is None and attempt + 1 < _PORT_TRIES):
            break
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


_PORT_TRIES = 3  # a port taken between its choice and the bind, on a busy shared machine


def _wait_ready(proc: subprocess.Popen[str], base: str, within: float, analytics: bool,
                retry: bool) -> bool:
    """Wait until the server ``proc`` at ``base`` is ready: True. False when it ended
    saying its port is in use and ``retry`` allows another; else the test fails."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as r:
                status = json.load(r)
                if r.status == 200 and (not analytics
                                        or status["analytics"]["status"] == "ready"):
                    return True
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            said = proc.communicate()[1]
            if retry and proc.returncode == 2 and "it is in use" in said:
                return False
            pytest.fail(f"newsgraph serve did not become ready:\n{said}")
        time.sleep(0.1)


class Served:
    """A `newsgraph serve` started by :func:`serve_on_any_port`: its process, its base
    URL, and its stderr as read so far, a line at a time (``lines``)."""

    def __init__(self, proc: subprocess.Popen[str], base: str, lines: list[str],
                 reader: threading.Thread):
        self.proc = proc
        self.base = base
        self.port = int(base.rpartition(":")[2])
        self.lines = lines
        self._reader = reader

    def wait_for_line(self, start: str, within: float = 60) -> str:
        """Return the first line of stderr starting with ``start``, waiting up to
        ``within`` seconds (a hang guard); fail saying what it said instead."""
        deadline = time.monotonic() + within
        while True:
            found = next((line for line in list(self.lines) if line.startswith(start)), None)
            if found is not None:
                return found
            if self.proc.poll() is not None and not self._reader.is_alive() \
                    or time.monotonic() > deadline:
                pytest.fail(f"newsgraph serve never said {start!r}:\n{''.join(self.lines)}")
            time.sleep(0.05)

    def output(self, within: float = 20) -> str:
        """Return all it said on stderr: call once the process has ended."""
        self._reader.join(within)
        return "".join(self.lines)

    def stop(self, sig: int = signal.SIGINT, within: float = 20) -> int | None:
        """Send ``sig`` and wait for the end (killed past ``within``); return its status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=within)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(within)
        return self.proc.returncode


def serve_on_any_port(*args: str, env: dict[str, str] | None = None,
                      within: float = 60, port: int = 0) -> Served:
    """Start `newsgraph serve ARGS --port 0`: the system gives it a free port as it binds
    (no race with another socket, which :func:`free_port` has), and it says which. Return
    once it has said so (``within`` a hang guard); the caller stops it
    (:meth:`Served.stop`, or its own signal, then :meth:`Served.output`). ``port``: that
    port instead (a restart where clients are connected)."""
    proc = subprocess.Popen([str(NEWSGRAPH), "serve", *args, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    lines: list[str] = []
    bound = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        with proc.stderr:
            for line in proc.stderr:
                lines.append(line)
                if SERVING.match(line):
                    bound.set()
        bound.set()  # it ended without saying where: the caller fails, saying what it said

    reader = threading.Thread(target=read, name="newsgraph-serve-stderr", daemon=True)
    reader.start()
    bound.wait(within)
    found = next((m for m in map(SERVING.match, list(lines)) if m), None)
    if found is None:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(10)
        pytest.fail(f"newsgraph serve did not say where it serves:\n{''.join(lines)}")
    return Served(proc, found.group(1), lines, reader)


def run_in_own_loop(coro: Any) -> Any:
    """Run ``coro`` to completion on a new event loop in a thread of its own.

    The session's Playwright (tests/test_browser.py) keeps an event loop running in the
    main thread, where ``asyncio.run`` refuses to start another.
    """
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as e:  # handed back to the caller's thread
            out["error"] = e

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def unavailable(what: str, reason: str) -> None:
    """Skip a test whose tools are missing here; in CI, where they are installed, fail."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} cannot run in CI: {reason}")
    pytest.skip(reason)


def hold_load(monkeypatch: Any, hang_guard: float = 60) -> threading.Event:
    """Make ``graph.load`` report some parse progress, then wait until the returned event
    is set (at most ``hang_guard`` seconds, for a busy CI machine) before loading: a
    server caught while its graph loads."""
    import graph
    from graph.progress import Step

    release = threading.Event()
    real_load = graph.load

    def held_load(path: Any = None, **options: Any) -> Any:
        options["progress"](Step("parse", 3, 7, 12))
        assert release.wait(hang_guard)
        return real_load(path, **options)

    monkeypatch.setattr(graph, "load", held_load)
    return release
