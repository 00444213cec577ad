"""docs/scaling.md on loopback: replicas of one snapshot behind HAProxy, which sends
traffic only to the replicas whose /readyz says ready. The HAProxy configuration is the
one docs/scaling.md shows, with the ports changed."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from explore_corpus import ALPHA, EXPLORE

import graph
from bench.workers import NEWSGRAPH
from schema.loadtest import SERVING, stop_server
from schema.query import execute
from tests.servers import unavailable

HANG_GUARD = 60  # seconds: a hang guard for a busy CI machine, not a timing assertion
DOC = Path(__file__).parent.parent / "docs" / "scaling.md"
COUNTS = ("records", "articles", "stubs", "providers", "topics", "edges")
QUERY = f'{{ article(id: "{ALPHA}") {{ title within(hops: 2) {{ totalCount }} }} }}'


def haproxy_config() -> str:
    """The configuration docs/scaling.md shows."""
    [config] = re.findall(r"```haproxy\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return config


class _Loading(BaseHTTPRequestHandler):
    """A replica still loading: /readyz 503 (counted); anything else a wrong answer."""

    checks = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/readyz":
            type(self).checks += 1
            self._send(503, b'{"status": "loading"}')
        else:
            self._send(200, b'{"data": "from a replica that is not ready"}')

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._send(200, b'{"data": "from a replica that is not ready"}')

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except ConnectionError:  # HAProxy's check may close once it has the status line
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def loading_replica() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Loading)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def said_port(log: Path) -> int:
    """Return the port a `newsgraph serve --port 0` logging to ``log`` says it bound."""
    found: list[int] = []

    def said() -> bool:
        match = SERVING.search(log.read_text())
        if match:
            found.append(int(match.group(2)))
        return bool(match)

    wait_until(said, f"the port in {log.name}")
    return found[0]


@contextmanager
def process(command: list[str], log: Path, pass_fds: tuple[int, ...] = ()
            ) -> Iterator[subprocess.Popen]:
    with log.open("w") as said:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=said, text=True,
                                pass_fds=pass_fds)
        try:
            yield proc
        finally:
            stop_server(proc, signal.SIGTERM, timeout=HANG_GUARD)


def post(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                     data=json.dumps({"query": query}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=HANG_GUARD) as r:
        return json.load(r)


def ready(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            return json.load(r)
    except OSError:
        return None


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


SLOW_REQUEST_TIMEOUT = 2  # seconds, in place of the documented 10 s, to keep the test short


def _slow_client_cut_after(port: int) -> float:
    """Send a request's header lines one a second until the peer closes; return how long
    that took (the hang guard if it never does)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD) as conn:
        conn.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
        line = 0
        while time.monotonic() - started < HANG_GUARD:
            try:
                conn.sendall(f"X-Slow-{line}: 1\r\n".encode())
            except OSError:  # reset or closed by the proxy
                break
            line += 1
            conn.settimeout(1.0)
            try:
                if conn.recv(4096) == b"":
                    break
                break  # an answer (HAProxy's 408) and then the close
            except TimeoutError:
                continue
            except OSError:
                break
    return time.monotonic() - started


def test_replicas_of_one_snapshot_behind_haproxy(tmp_path):
    if shutil.which("haproxy") is None:
        unavailable("the HAProxy test", "haproxy is not installed (apt-get install haproxy)")
    cache = tmp_path / "cache"
    subprocess.run([str(NEWSGRAPH), "load", str(EXPLORE), "--cache", str(cache)],
                   check=True, capture_output=True, timeout=HANG_GUARD)
    expected = execute(graph.load(EXPLORE), QUERY)["data"]
    # The replicas bind port 0 and say the port the system gave (no other socket can take
    # it first); HAProxy's front is a socket bound here to port 0 and handed to it as
    # `bind fd@N` (a port chosen free beforehand could be taken by another socket of a
    # shared machine before HAProxy bound it: "Some protocols failed to start their
    # listeners", reproduced by trial33).
    front_socket = socket.socket()
    front_socket.bind(("127.0.0.1", 0))
    front_socket.listen(128)
    front_socket.set_inheritable(True)
    front = front_socket.getsockname()[1]
    logs = [tmp_path / "replica-1.log", tmp_path / "replica-2.log"]
    with ExitStack() as stack:
        stack.callback(front_socket.close)
        replicas = [stack.enter_context(process(
            [str(NEWSGRAPH), "serve", str(EXPLORE), "--cache", str(cache), "--no-watch",
             "--port", "0"], log)) for log in logs]
        first, second = (said_port(log) for log in logs)
        not_ready = stack.enter_context(loading_replica())
        config = (haproxy_config().replace("127.0.0.1:8000", f"fd@{front_socket.fileno()}")
                  .replace("timeout http-request 10s",
                           f"timeout http-request {SLOW_REQUEST_TIMEOUT}s")
                  .replace("127.0.0.1:8001", f"127.0.0.1:{first}")
                  .replace("127.0.0.1:8002", f"127.0.0.1:{second}")
                  + f"    server loading 127.0.0.1:{not_ready} check\n")
        (tmp_path / "haproxy.cfg").write_text(config)
        checked = subprocess.run(["haproxy", "-c", "-f", str(tmp_path / "haproxy.cfg")],
                                 capture_output=True, text=True, timeout=HANG_GUARD,
                                 pass_fds=(front_socket.fileno(),))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        stack.enter_context(process(["haproxy", "-db", "-f", str(tmp_path / "haproxy.cfg")],
                                    tmp_path / "haproxy.log",
                                    pass_fds=(front_socket.fileno(),)))
        for port in (first, second):
            wait_until(lambda port=port: (ready(port) or {}).get("status") == "ready",
                       f"the replica on {port}")
        # Each replica started from the snapshot: the same graph, and no load of its own.
        counts = [{k: v for k, v in ready(port).items() if k in COUNTS} for port in
                  (first, second)]
        assert counts[0] == counts[1] and counts[0]["articles"] == 7
        for log in logs:  # each says so when a snapshot is not used
            assert "snapshot not" not in log.read_text()
        # HAProxy marks a server down after two failed checks ("fall 2"): a third check
        # means the second one's answer was taken.
        wait_until(lambda: _Loading.checks >= 3, "HAProxy's checks of the loading replica")
        wait_until(lambda: ready(front) is not None, "HAProxy")
        for _ in range(20):
            assert post(front, QUERY)["data"] == expected
            assert {k: v for k, v in ready(front).items() if k in COUNTS} == counts[0]
        # A slow client (one header line a second, as slowloris sends) is cut off by the
        # proxy's `timeout http-request`; newsgraph itself (uvicorn) has no such timeout.
        assert _slow_client_cut_after(front) <= SLOW_REQUEST_TIMEOUT + 5
        # A replica stopped (a deploy, a crash): its requests go to the other one.
        replicas[0].send_signal(signal.SIGTERM)
        assert replicas[0].wait(timeout=HANG_GUARD) in (0, -signal.SIGTERM)
        for _ in range(20):
            assert post(front, QUERY)["data"] == expected
