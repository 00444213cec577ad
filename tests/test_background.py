"""Whole-graph analytics off the request path (graph/background.py) and a server that
starts like one: it answers while it loads, and says how far it is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from explore_corpus import ALPHA, EXPLORE
from starlette.testclient import TestClient

import graph
from graph.analytics import WHOLE_GRAPH, Analytics, storyline_id
from graph.background import BackgroundAnalytics
from graph.select import search
from schema.app import create_app
from schema.query import execute
from tests.servers import hold_load, serve_on_any_port

HANG_GUARD = 60  # seconds: a hang guard for a busy CI machine, not a timing assertion
NEWSGRAPH = Path(sys.executable).with_name("newsgraph")


def _lazy_parts(path: Path) -> dict:
    kg = graph.load(path)
    return {name: getattr(kg.analytics, name) for name in WHOLE_GRAPH}


def test_deferred_fields_answer_at_once_with_not_ready_and_progress():
    kg = graph.load(EXPLORE)
    kg.analytics.defer(lambda: {"status": "computing", "stage": "storylines", "seconds": 3.0})
    response = execute(kg, "{ stats { articles } storylines(first: 2) { totalCount } "
                           f'article(id: "{ALPHA}") {{ title centrality }} }}')
    assert response["data"]["stats"] == {"articles": 7}
    assert response["data"]["storylines"] is None
    assert response["data"]["article"] == {"title": "Alpha city bans face scanners",
                                           "centrality": None}
    errors = {tuple(e["path"]): e for e in response["errors"]}
    assert set(errors) == {("storylines",), ("article", "centrality")}
    error = errors[("storylines",)]
    assert "not ready yet" in error["message"] and "storylines" in error["message"]
    assert error["extensions"] == {"code": "NOT_READY", "status": "computing",
                                   "stage": "storylines", "seconds": 3.0}
    assert kg.analytics.peek("storylines") is None  # nothing was computed on the way


def test_a_failed_job_says_why_in_every_field_that_needs_it():
    kg = graph.load(EXPLORE)
    kg.analytics.defer(lambda: {"status": "failed", "error": "MemoryError: out of memory"})
    response = execute(kg, "{ centralArticles(first: 1) { totalCount } }")
    [error] = response["errors"]
    assert "could not be computed" in error["message"] and "MemoryError" in error["message"]


@pytest.mark.parametrize("use_fork", [True, False], ids=["forked", "thread"])
def test_the_background_job_installs_what_a_lazy_load_computes(use_fork):
    kg = graph.load(EXPLORE)
    job = BackgroundAnalytics(kg, use_fork=use_fork).start()
    assert job.wait(HANG_GUARD), job.status()
    assert job.status()["status"] == "ready" and kg.analytics.ready
    expected = _lazy_parts(EXPLORE)
    for name in WHOLE_GRAPH:
        if name != "search_index":
            assert getattr(kg.analytics, name) == expected[name], name
    lazy = graph.load(EXPLORE)
    for text in ("alpha", "face scanners", "weather"):
        assert list(search(kg, text)) == list(search(lazy, text)) != []
    assert kg.analytics.storyline_of[ALPHA].id == storyline_id(ALPHA)


def test_a_forked_job_installs_parts_holding_the_graphs_own_node_ids():
    """What the child sends back names nodes by the server's own id strings, not copies of
    them (at 100k records a copy of every article id per part was tens of MiB)."""
    kg = graph.load(EXPLORE)
    job = BackgroundAnalytics(kg, use_fork=True).start()
    assert job.wait(HANG_GUARD), job.status()
    own = {id(node) for node in kg.nx}
    a = kg.analytics
    named = list(a.pagerank) + list(a.central_articles)
    for s in a.storylines:
        named += [*s.articles, s.central, *(t for t, _ in s.topics),
                  *(p for p, _ in s.providers)]
    for table in (a.co_topics, a.provider_overlap):
        named += list(table) + [row[0] for rows in table.values() for row in rows]
    assert named and all(id(node) in own for node in named)


def test_a_job_stopped_before_its_delay_never_forks_and_one_left_alone_runs():
    """A followed folder changing many times a second makes a version each time: a job
    started with a delay and stopped by the next version costs nothing (no process)."""
    kg = graph.load(EXPLORE)
    superseded = BackgroundAnalytics(kg).start(delay=HANG_GUARD)
    assert superseded.status()["status"] == "computing"
    assert "waiting" in superseded.status()["stage"]
    superseded.stop()
    assert superseded.pid is None
    assert superseded.status()["status"] == "failed"
    assert "newer graph version" in superseded.status()["error"]
    settled = BackgroundAnalytics(graph.load(EXPLORE)).start(delay=0.05)
    assert settled.wait(HANG_GUARD) and settled.pid is not None


def test_a_killed_job_is_reported_failed_and_the_server_keeps_its_graph(monkeypatch):
    started = threading.Event()

    def slow(self, stage=lambda what: None):  # runs in the forked child only
        stage("storylines")
        time.sleep(HANG_GUARD)
        yield from ()

    monkeypatch.setattr(Analytics, "compute_each", slow)
    kg = graph.load(EXPLORE)
    job = BackgroundAnalytics(kg, use_fork=True).start()
    deadline = time.monotonic() + HANG_GUARD
    while job.pid is None or job.status().get("stage") != "storylines":
        assert time.monotonic() < deadline, job.status()
        started.wait(0.05)
    assert job.status()["status"] == "computing"
    os.kill(job.pid, signal.SIGKILL)
    assert not job.wait(HANG_GUARD)
    status = job.status()
    assert status["status"] == "failed" and "signal 9" in status["error"]
    response = execute(kg, "{ storylines { totalCount } stats { articles } }")
    assert response["data"]["stats"] == {"articles": 7}
    assert "signal 9" in response["errors"][0]["message"]


def test_a_server_answers_while_it_loads_and_reports_progress(monkeypatch):
    release = hold_load(monkeypatch, HANG_GUARD)
    with TestClient(create_app(EXPLORE, background=True)) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        loading = c.get("/readyz")
        assert loading.status_code == 503
        assert loading.json()["status"] == "loading"
        assert loading.json()["phase"] == "parse"
        assert (loading.json()["done"], loading.json()["total"]) == (3, 7)
        answer = c.post("/graphql", json={"query": "{ stats { articles } }"})
        assert answer.status_code == 503
        [error] = answer.json()["errors"]
        assert "still loading (3 of 7 files read, 12 records)" in error["message"]
        assert error["extensions"]["code"] == "NOT_READY"
        assert c.get("/export/graph.graphml").status_code == 503
        release.set()
        deadline = time.monotonic() + HANG_GUARD
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert c.post("/graphql", json={"query": "{ stats { articles } }"}).json()["data"] == {
            "stats": {"articles": 7}}
        app_job = c.app.state.analytics  # type: ignore[attr-defined]
        assert app_job.wait(HANG_GUARD)
        ready = c.get("/readyz").json()
        assert ready["analytics"]["status"] == "ready"
        storylines = c.post("/graphql", json={"query": "{ storylines { totalCount } }"})
        assert storylines.json()["data"]["storylines"]["totalCount"] >= 1


def test_a_load_that_fails_is_said_by_readyz_and_graphql():
    with TestClient(create_app("/no/such/corpus", background=True)) as c:
        deadline = time.monotonic() + HANG_GUARD
        while c.get("/readyz").json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        failed = c.get("/readyz").json()
        assert failed["status"] == "failed" and "no such file" in failed["error"]
        [error] = c.post("/graphql", json={"query": "{ stats { articles } }"}).json()["errors"]
        assert error["message"].startswith("the graph could not be loaded: no such file")


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEWSGRAPH), "serve", *args], capture_output=True, text=True,
                          timeout=HANG_GUARD)


def test_serve_says_a_port_in_use_in_one_line_before_loading_anything(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The folder holds no record: had serve loaded first, it would say that instead.
        done = _serve(str(tmp_path), "--port", str(port))
    assert done.returncode == 2
    assert done.stderr == (f"newsgraph: error: cannot serve on 127.0.0.1:{port}: it is in "
                           "use (another server listens there)\n")


@pytest.mark.parametrize(("args", "said"), [
    (["--port", "99999"], "newsgraph: error: --port must be from 0 to 65535, got 99999\n"),
    (["--host", "no-such-host.invalid"], "newsgraph: error: cannot serve on host "
                                         "'no-such-host.invalid': "),
])
def test_serve_says_a_bad_port_or_host_in_one_line(tmp_path, args, said):
    done = _serve(str(tmp_path), *args)  # no record: a load would say so instead
    assert done.returncode == 2 and done.stderr.startswith(said)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_serve_drains_on_sigterm_and_survives_sighup():
    import json
    import urllib.request

    served = serve_on_any_port(str(EXPLORE))
    proc, base = served.proc, served.base
    try:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                    assert json.load(r) == {"status": "ok"}
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
            assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        # uvicorn finishes the requests in flight, then ends by the signal it was sent.
        assert proc.wait(timeout=HANG_GUARD) in (0, -signal.SIGTERM)
    finally:
        served.stop(signal.SIGKILL)  # a no-op once it has ended
    err = served.output()
    assert "SIGHUP ignored" in err


def test_a_followed_server_reports_progress_while_it_loads(monkeypatch):
    import graph.live

    release = threading.Event()
    real_parse = graph.live.parse_files

    def held_parse(names, *args, **kwargs):
        parses = real_parse(names, *args, **kwargs)
        yield next(iter(parses))
        assert release.wait(HANG_GUARD)
        yield from parses

    monkeypatch.setattr(graph.live, "parse_files", held_parse)
    with TestClient(create_app(EXPLORE, background=True, follow=True)) as c:
        deadline = time.monotonic() + HANG_GUARD
        while (loading := c.get("/readyz").json())["done"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert loading["status"] == "loading" and loading["phase"] == "parse"
        assert loading["total"] == len(list(EXPLORE.rglob("*.md"))) > 1
        [error] = c.post("/graphql", json={"query": "{ stats { articles } }"}).json()["errors"]
        assert f"1 of {loading['total']} files read" in error["message"]
        release.set()
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.02)
