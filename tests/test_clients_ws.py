"""graphql-ws from npm (tests/clients/graphqlws.mjs) against a real `newsgraph serve`
following a temp folder: a story entering the two-hop zone, a restart the client rides out
by reconnecting and resubscribing, and a client that drops its socket mid-stream, with no
traceback in the server's log. docs/live.md says it was tried with this client: this is
where CI checks it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import record
from tests.live_helpers import wait_for, write_whole
from tests.servers import serve_on_any_port, unavailable
from tests.test_clients import CLIENTS, NODE
from tests.test_subscriptions import SEED, corpus, subscriptions_open

pytestmark = [pytest.mark.slow, pytest.mark.clients]

R1 = "article:https://r1.example/r1"


def _open(base: str) -> int | None:
    """The subscriptions /readyz counts; None while the server is not ready."""
    try:
        return subscriptions_open(base)
    except urllib.error.HTTPError:
        return None


def _node_lines(proc: subprocess.Popen[str]
                ) -> tuple[list[dict[str, Any]], threading.Thread]:
    """What the script says, a JSON line at a time, as it says it; and its reader."""
    lines: list[dict[str, Any]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _said(lines: list[dict[str, Any]], key: str, what: str) -> dict[str, Any]:
    return wait_for(lambda: next((line for line in list(lines) if key in line), None),
                    f"graphqlws.mjs says {what}", within=60)[key]


def test_graphql_ws_rides_a_restart_and_sees_stories_enter_the_two_hop_zone(tmp_path: Path):
    if NODE is None or not (CLIENTS / "node_modules" / "graphql-ws").is_dir():
        unavailable("the graphql-ws client", "run `npm ci --prefix tests/clients`")
    corpus(tmp_path)
    first = serve_on_any_port(str(tmp_path))
    second = None
    node = subprocess.Popen([str(NODE), "graphqlws.mjs", f"article:{SEED}", "2"], cwd=CLIENTS,
                            env={**os.environ, "NEWSGRAPH_URL": first.base},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines, reader = _node_lines(node)
        wait_for(lambda: _open(first.base) == 3, "three subscriptions open")
        # 1. a new facial-recognition story relating the start's related story R1
        write_whole(tmp_path, "new.md", record("n", "n.example",
                                                title="New facial recognition story",
                                                related=[record("r1", "r1.example")]))
        one = _said(lines, "storyAdded", "the first story")
        _said(lines, "left", "the second client left mid-stream")
        wait_for(lambda: subscriptions_open(first.base) == 2, "the server lets it go")
        # 2. a restart: the client is closed with 1012 and comes back by itself
        first.stop(signal.SIGINT)
        said = first.output()
        second = serve_on_any_port(str(tmp_path), port=first.port)
        _said(lines, "closed", "the client saw the close")
        wait_for(lambda: _open(second.base) == 2, "both resubscribed")
        write_whole(tmp_path, "again.md", record("a", "a.example",
                                                  title="Another facial recognition story",
                                                  related=[record("r1", "r1.example")]))
        wait_for(lambda: node.poll() is not None, "graphqlws.mjs ends", within=120)
        assert node.returncode == 0, node.stderr.read() if node.stderr else None
        got = wait_for(lambda: next((line for line in list(lines) if "warnings" in line),
                                    None), "graphqlws.mjs reports")
    finally:
        if node.poll() is None:
            node.kill()
        node.wait()
        reader.join(10)
        for pipe in (node.stdout, node.stderr):
            assert pipe is not None
            pipe.close()
        for served in (first, second):
            if served is not None:
                served.stop()
    assert second is not None
    said += second.output()
    assert "Traceback" not in said, said
    assert got["errors"] == []
    assert got["warnings"] == []
    one_, two = got["storyAdded"]
    assert one_ == one
    assert one["article"]["id"] == "article:https://n.example/n"
    assert one["reason"] == "ADDED" and one["hops"] == 2
    assert one["path"] == [f"article:{SEED}", R1, "article:https://n.example/n"]
    assert two["article"]["id"] == "article:https://a.example/a"
    assert two["reason"] == "ADDED" and two["hops"] == 2
    assert two["path"] == [f"article:{SEED}", R1, "article:https://a.example/a"]
    assert got["connected"] == 2 and got["closed"][0] == 1012
    changed = got["graphChanged"]
    assert [c["added"] for c in changed] == [["article:https://n.example/n"],
                                             ["article:https://a.example/a"]]
    assert got["leaverGraphChanged"] == changed[:1]
