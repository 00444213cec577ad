"""One real process: `newsgraph serve` on a free port, queried over HTTP, then stopped."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import graph

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
START = "https://www.sixthtone.com/news/1/school-scanners"
NEWSGRAPH = Path(sys.executable).with_name("newsgraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    port = free_port()
    proc = subprocess.Popen(
        [str(NEWSGRAPH), "serve", str(CORPUS), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"newsgraph serve did not become ready:\n{err}")
        time.sleep(0.1)
    yield base, proc
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def post(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_serve_answers_the_example_over_http_as_kg_within_does(server):
    base, proc = server
    data = post(base, f'{{ article(url: "{START}") {{ within(hops: 2, where: '
                      '{mentions: "facial recognition"}) { totalCount edges { hops node { id } } } } }')
    got = [(e["node"]["id"], e["hops"]) for e in data["data"]["article"]["within"]["edges"]]
    kg = graph.load(CORPUS)
    assert got == kg.within(START, hops=2, mentions="facial recognition")
    assert len(got) == 2
    ready = json.load(urllib.request.urlopen(f"{base}/readyz", timeout=5))
    assert ready["articles"] == 9

