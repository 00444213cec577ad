"""``newsgraph serve --workers N`` (schema/workers.py): workers forked after the load that
share its graph, restarted when they die, drained on SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from explore_corpus import ALPHA, EXPLORE, write_md
from starlette.testclient import TestClient

import graph
from bench.workers import NEWSGRAPH, children, serve, served_port, tree_memory
from schema.app import Loading
from schema.loadtest import stop_server, write_corpus
from schema.query import execute
from schema.settings import Settings
from schema.workers import loading_app

HANG_GUARD = 60  # seconds: a hang guard for a busy CI machine, not a timing assertion
# A start holds the analytics, computed after the load: at 3,000 records on a loaded
# 2-core machine (load 12) that took over 60 s. A hang guard too, never waited out.
START_GUARD = 300
QUERY = f'{{ article(id: "{ALPHA}") {{ title within(hops: 2) {{ totalCount }} }} }}'


@contextmanager
def workers(path: Path, count: int | None, *extra: str,
            watch: bool = False) -> Iterator[tuple[int, subprocess.Popen]]:
    proc = serve(path, 0, count, *extra, within=START_GUARD, watch=watch)
    port = served_port(proc)
    try:
        assert port, said(proc)
        yield port, proc
    finally:
        stop_server(proc, signal.SIGTERM, timeout=HANG_GUARD)


def said(proc: subprocess.Popen) -> str:
    proc.stderr.seek(0)
    return proc.stderr.read()


def get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.load(r)


def post(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                     data=json.dumps({"query": query}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_workers_start_share_the_socket_and_answer_as_in_process():
    expected = execute(graph.load(EXPLORE), QUERY)["data"]
    with workers(EXPLORE, 2) as (port, proc):
        kids = children(proc.pid)
        assert len(kids) == 2
        answered = set()
        for _ in range(10):
            ready = get(port, "/readyz")
            assert ready["status"] == "ready" and ready["analytics"]["status"] == "ready"
            assert ready["worker"]["workers"] == 2
            answered.add(ready["worker"]["pid"])
            assert post(port, QUERY)["data"] == expected
        assert answered <= set(kids)


def test_workers_response_caches_together_hold_one_servers_budget():
    # Each worker keeps its own stored answers: two workers with a full budget each
    # would hold twice what one server holds (lead32).
    with workers(EXPLORE, 2) as (port, proc):
        shares = {}
        for _ in range(20):
            worker = get(port, "/readyz")["worker"]
            shares[worker["pid"]] = worker["cacheBytes"]
        assert shares and all(b * 2 <= Settings().response_cache_mb * 2**20
                                  for b in shares.values()), shares


def test_workers_following_a_folder_report_one_version_for_one_state(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(EXPLORE, corpus)
    with workers(corpus, 2, watch=True) as (port, proc):
        first = get(port, "/readyz")["graphVersion"]
        write_md(corpus, "p5/new.md", {"title": "Delta", "webUrl": "https://p5.example/delta"})
        now = graph.follow(corpus).current().version
        assert now != first
        seen: dict[int, str] = {}

        def every_worker_on_the_new_version() -> bool:
            ready = get(port, "/readyz")
            seen[ready["worker"]["pid"]] = ready["graphVersion"]
            return len(seen) == 2 and set(seen.values()) == {now}

        # Each worker applies the change on its own, and names it as a cold load does.
        wait_until(every_worker_on_the_new_version, "both workers on the new version")
        assert set(seen) == set(children(proc.pid))


def test_a_second_server_on_the_port_of_workers_is_refused():
    # The workers' sockets share the port (SO_REUSEPORT); another server must not join.
    with workers(EXPLORE, 2) as (port, proc):
        done = subprocess.run([str(NEWSGRAPH), "serve", str(EXPLORE), "--workers", "2",
                               "--port", str(port)], capture_output=True, text=True,
                              timeout=HANG_GUARD)
        assert (done.returncode, done.stderr) == (
            2, f"newsgraph: error: cannot serve on 127.0.0.1:{port}: it is in use (another "
               "server listens there)\n")
        assert get(port, "/readyz")["worker"]["pid"] in children(proc.pid)


def test_a_killed_worker_is_restarted():
    with workers(EXPLORE, 2) as (port, proc):
        victim, survivor = children(proc.pid)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(kids := children(proc.pid)) == 2 and victim not in kids,
                   "a new worker")
        assert survivor in children(proc.pid)
        assert f"worker {victim} was ended by signal 9; starting another" in said(proc)
        # The new one was forked from the supervisor's graph: the analytics are in at once.
        for _ in range(6):
            ready = get(port, "/readyz")
            assert ready["worker"]["pid"] in children(proc.pid)
            assert ready["analytics"]["status"] == "ready"
        assert post(port, QUERY)["data"]["article"]["title"]


def test_sigttou_retires_a_worker_and_sigttin_adds_one():
    with workers(EXPLORE, 2) as (port, proc):
        first = children(proc.pid)
        proc.send_signal(signal.SIGTTOU)
        wait_until(lambda: len(children(proc.pid)) == 1, "one worker")
        [kept] = children(proc.pid)
        assert kept in first and get(port, "/readyz")["worker"]["pid"] == kept
        proc.send_signal(signal.SIGTTIN)
        wait_until(lambda: len(children(proc.pid)) == 2, "two workers again")
        assert kept in children(proc.pid)
        assert post(port, QUERY)["data"]["article"]["title"]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # ended, not yet reaped
    except FileNotFoundError:
        return True


def test_workers_stop_when_their_supervisor_is_killed():
    with workers(EXPLORE, 2) as (port, proc):
        kids = children(proc.pid)
        proc.kill()
        proc.wait()
        for pid in kids:
            wait_until(lambda pid=pid: _gone(pid), f"worker {pid} to stop")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def _send_half(conn: socket.socket, query: str) -> bytes:
    """Send a request's head and half its body; return the other half."""
    body = json.dumps({"query": query}).encode()
    conn.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:len(body) // 2])
    return body[len(body) // 2:]


def _response(conn: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536) or b"!"
        assert not data.endswith(b"!"), f"the connection closed: {data!r}"
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = conn.recv(65536)
        assert chunk, "the connection closed mid-body"
        body += chunk
    return int(head.split()[1]), json.loads(body)


def _data(response: tuple[int, dict]) -> tuple[int, dict]:
    return response[0], response[1]["data"]


def test_sighup_spares_and_sigterm_drains_requests_in_flight():
    expected = execute(graph.load(EXPLORE), QUERY)["data"]
    with workers(EXPLORE, 2) as (port, proc):
        with socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD) as conn:
            # A first request: the connection is a worker's before the signals come.
            rest = _send_half(conn, QUERY)
            conn.sendall(rest)
            assert _data(_response(conn)) == (200, expected)

            rest = _send_half(conn, QUERY)
            proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "SIGHUP ignored" in said(proc), "the supervisor's word")
            conn.sendall(rest)
            assert _data(_response(conn)) == (200, expected)

            rest = _send_half(conn, QUERY)
            proc.send_signal(signal.SIGTERM)
            wait_until(lambda: len(children(proc.pid)) < 2 or proc.poll() is not None,
                       "the idle worker to stop")
            assert proc.poll() is None  # the supervisor waits for the request in flight
            conn.sendall(rest)
            assert _data(_response(conn)) == (200, expected)
        assert proc.wait(timeout=HANG_GUARD) == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        assert "Traceback" not in said(proc)


def test_two_workers_share_the_graph_by_pss(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", 3000)
    kg = graph.load(corpus)
    starts = sorted(n for n in kg.nx if n.startswith("article:"))[:300]
    del kg

    def measured(count: int | None) -> dict:
        with workers(corpus, count) as (port, proc):
            for start in starts:  # reading objects writes their reference counts
                body = post(port, f'{{ article(id: "{start}") {{ within(hops: 2) '
                                  "{ totalCount edges { node { id } } } } }")
                assert "errors" not in body
            memory = tree_memory(proc.pid)
            assert len(memory["processes"]) == (1 if count is None else count + 1)
            return memory

    one, two = measured(None), measured(2)
    # Had each worker a graph of its own (uvicorn --workers), the tree's PSS would be
    # about three servers' (the supervisor and two workers), and PSS about RSS. The
    # issue's target, 1.3x one server, is judged by `newsgraph bench` at 20k and 100k
    # records: at 3,000 the interpreter's pages each worker writes to weigh too much.
    assert two["total"]["pss"] <= 1.75 * one["total"]["pss"], (one["total"], two["total"])
    # RSS counts the shared pages once per process; PSS divides them among their mappers.
    assert two["total"]["pss"] <= 0.6 * two["total"]["rss"], two["total"]
    for pid, worker in two["processes"].items():
        if int(pid) != two["pid"]:  # the workers, not the supervisor
            assert worker["shared"] > 2 * worker["uss"], worker


def test_the_supervisor_answers_while_it_loads():
    loading = Loading()
    with TestClient(loading_app(loading)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "loading"
        answer = client.post("/graphql", json={"query": "{ stats { articles } }"})
        assert answer.status_code == 503
        [error] = answer.json()["errors"]
        assert error["extensions"]["code"] == "NOT_READY"
        assert "still loading" in error["message"]


@pytest.mark.parametrize(("args", "said_"), [
    (["--workers", "0"], "newsgraph: error: --workers must be from 1 to 64, got 0\n"),
    (["--workers", "2", "--no-watch", "--ingest"],
     "newsgraph: error: --workers with ingest on needs the folder watched, so that every "
     "worker sees what one ingests: drop --no-watch, or --no-ingest\n"),
])
def test_serve_says_a_bad_workers_option_in_one_line(args, said_):
    done = subprocess.run([str(NEWSGRAPH), "serve", str(EXPLORE), "--port", "0", *args],
                          capture_output=True, text=True, timeout=HANG_GUARD,
                          env={**os.environ, "NEWSGRAPH_INGEST_TOKEN": "t" * 32})
    assert (done.returncode, done.stderr) == (2, said_)


@pytest.mark.parametrize("workers", [False, True], ids=["one process", "workers"])
def test_served_connections_send_answers_without_nagle_delay(workers: bool) -> None:
    """Every connection a server accepts has Nagle's algorithm off (TCP_NODELAY), with
    or without workers: with it on, each answer on a kept-alive connection waited for
    the client's delayed ACK (~40 ms). asyncio sets it on the connections of a
    listening socket whose protocol says TCP."""
    import asyncio

    from schema.cli import _bind, _listener

    bound = _bind("127.0.0.1", 0)
    listener = _listener(bound)() if workers else bound

    async def accepted_nodelay() -> int:
        got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            got.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connection, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            try:
                return await asyncio.wait_for(got, 60)
            finally:
                writer.close()

    assert asyncio.run(accepted_nodelay()) != 0


@pytest.mark.parametrize("count", [None, 2], ids=["one process", "workers"])
def test_served_requests_go_through_the_c_parser_and_the_libuv_loop(count: int | None) -> None:
    """`serve` answers through httptools and uvloop, with or without workers: uvicorn's
    "auto" falls back to h11 and asyncio's own loop without a word, and those cost ~0.58 M
    instructions more a request (a third of a distinct `within`'s HTTP overhead)."""
    with workers(EXPLORE, count) as (port, proc):
        assert post(port, QUERY)["data"]["article"]["title"]
        server = get(port, "/readyz").get("worker", {}).get("pid", proc.pid)
        assert server == proc.pid or server in children(proc.pid)
        maps = Path(f"/proc/{server}/maps").read_text(encoding="utf-8")
        assert "/uvloop/" in maps and "/httptools/" in maps


def test_a_server_that_never_became_ready_leaves_no_file_open(tmp_path):
    """bench.workers.serve keeps the server's stderr in a temporary file: a start that
    failed (here the server ends at once) left it open, and the ResourceWarning its
    collection raised failed whichever later test ran the collector (a snapshot test
    under load, its snapshot then held by that warning's frames)."""
    import gc

    with pytest.raises(RuntimeError, match="did not become ready"):
        serve(tmp_path / "no-such-corpus", 0, None, within=HANG_GUARD)
    gc.collect()  # an unclosed file: a ResourceWarning, an error here (filterwarnings)


def test_prewarm_builds_before_the_fork_what_a_workers_first_requests_keep():
    # What a worker builds and keeps is its own copy, paid once per worker (lead32);
    # built before the fork it is in pages every worker shares.
    import gc
    import tracemalloc

    from schema.workers import FIRST_REQUESTS, prewarm

    def kept_by_graph(warmed: bool) -> int:
        kg = graph.load(EXPLORE)
        articles = sorted(n for n in kg.nx if n.startswith("article:"))
        if warmed:
            prewarm(kg)
        execute(kg, "{ stats { articles } }")  # the schema's own first use, in both
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            for start in articles[-3:]:  # not the one prewarm asked about
                for document in FIRST_REQUESTS[1:3]:
                    assert "errors" not in execute(kg, document, {"id": start})
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        return sum(s.size_diff for s in after.compare_to(before, "filename")
                   if f"{os.sep}graph{os.sep}" in s.traceback[0].filename and s.size_diff > 0)

    cold, warmed = kept_by_graph(False), kept_by_graph(True)
    assert cold > 1000  # the walks' rows, the decoded columns: what the test looks for
    assert warmed < 256, (cold, warmed)  # a few bytes of a bounded cache's bookkeeping
