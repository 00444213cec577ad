"""Serving a followed folder: changes become versions, each request sees one version."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app, settle_delay
from schema.live import graph_of
from schema.settings import Settings
from tests.conftest import record, write_record
from tests.live_helpers import wait_for
from tests.servers import running_server

STATS = "{ stats { articles graphVersion versionMadeAt } }"


def test_a_dropped_file_becomes_a_new_version_in_answers(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    first = live.version
    with TestClient(create_app(live, Settings(), watch=True)) as client:
        body = client.post("/graphql", json={"query": STATS}).json()
        assert body["data"]["stats"]["articles"] == 1
        assert body["data"]["stats"]["graphVersion"] == first
        assert body["extensions"]["graphVersion"] == first
        ready = client.get("/readyz").json()
        assert ready["graphVersion"] == first and ready["versionMadeAt"]

        write_record(tmp_path, "b.md", record("b"))

        def newer() -> dict[str, Any] | None:
            answer = client.post("/graphql", json={"query": STATS}).json()
            return answer if answer["extensions"]["graphVersion"] != first else None

        answer = wait_for(newer, "the new file is served")
        assert answer["data"]["stats"]["articles"] == 2
        assert answer["data"]["stats"]["graphVersion"] == live.version
        assert answer["extensions"]["graphVersion"] == live.version
        assert client.get("/readyz").json()["graphVersion"] == live.version


def test_a_cached_answer_belongs_to_its_version(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    with TestClient(create_app(live, Settings())) as client:
        before = client.post("/graphql", json={"query": STATS}).json()
        assert client.post("/graphql", json={"query": STATS}).json() == before  # cached
        live.apply([write_record(tmp_path, "b.md", record("b"))])
        after = client.post("/graphql", json={"query": STATS}).json()
        assert after["data"]["stats"]["articles"] == 2
        assert after["extensions"]["graphVersion"] == live.version != before[
            "extensions"]["graphVersion"]


def test_a_request_keeps_the_version_it_took(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    app = create_app(live, Settings())
    scope: dict[str, Any] = {"app": app}
    taken = graph_of(scope)
    live.apply([write_record(tmp_path, "b.md", record("b"))])
    app.state.kg = live.current()
    assert graph_of(scope) is taken
    assert graph_of({"app": app}) is live.current() is not taken


def post(base: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_serve_follows_its_folder(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    with running_server(str(tmp_path)) as base:
        first = post(base, STATS)["extensions"]["graphVersion"]
        write_record(tmp_path, "sub/b.md", record("b", related=[record("c")]))
        seen = wait_for(lambda: (a := post(base, STATS))["data"]["stats"]["articles"] == 3 and a,
                        "serve sees the dropped file")
        assert seen["extensions"]["graphVersion"] != first
        assert seen["extensions"]["graphVersion"] == graph.follow(tmp_path).version
        shutil.rmtree(tmp_path / "sub")
        wait_for(lambda: post(base, STATS)["extensions"]["graphVersion"] == first,
                 "serve sees the deleted folder")


def test_serve_polls_when_asked(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    with running_server(str(tmp_path), "--watch-poll") as base:
        write_record(tmp_path, "b.md", record("b"))
        wait_for(lambda: post(base, STATS)["data"]["stats"]["articles"] == 2,
                 "serve --watch-poll sees the dropped file")


def test_no_failed_or_mixed_reads_while_the_folder_changes(tmp_path: Path) -> None:
    """64 loopback clients query while 50 files land: no errors, and every answer is
    consistent with the version it names (its counts are that version's counts)."""
    import threading

    corpus = tmp_path / "corpus"
    write_record(corpus, "a.md", record("a"))
    shadow = tmp_path / "shadow"  # the same states, followed here, name each version
    write_record(shadow, "a.md", record("a"))
    expected = {graph.follow(shadow).version: 1}
    query = ("{ stats { articles graphVersion } "
             "articles(where: {isStub: false}) { totalCount } }")
    answers: list[dict[str, Any]] = []
    failures: list[str] = []
    done = threading.Event()

    with running_server(str(corpus)) as base:
        def client() -> None:
            while not done.is_set():
                try:
                    answers.append(post(base, query))
                except Exception as e:  # any failed read fails the test
                    failures.append(repr(e))

        clients = [threading.Thread(target=client) for _ in range(64)]
        for c in clients:
            c.start()
        shadow_live = graph.follow(shadow)
        for i in range(50):
            # whole files only (a half-written one would be a state of its own)
            tmp = write_record(corpus, f"s/.{i}.md.tmp", record(f"s{i}"))
            os.replace(tmp, corpus / "s" / f"{i}.md")
            write_record(shadow, f"s/{i}.md", record(f"s{i}"))
            shadow_live.apply([shadow / "s" / f"{i}.md"])
            expected[shadow_live.version] = i + 2
            time.sleep(0.02)
        wait_for(lambda: post(base, query)["extensions"]["graphVersion"] == shadow_live.version,
                 "the last change is served")
        done.set()
        for c in clients:
            c.join(timeout=60)
    assert failures == []
    assert all("errors" not in a for a in answers)
    versions = set()
    for a in answers:
        version = a["extensions"]["graphVersion"]
        versions.add(version)
        assert a["data"]["stats"]["graphVersion"] == version
        assert a["data"]["stats"]["articles"] == expected[version]
        assert a["data"]["articles"]["totalCount"] == expected[version]
    assert len(versions) > 1


def test_a_subscription_event_is_budgeted_like_a_request_of_its_own(tmp_path: Path) -> None:
    """Past the request timeout, and past max_objects over all its events, a subscription
    still delivers: each event gets a fresh budget."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    app = create_app(live, Settings(timeout=0.5, max_objects=3))
    with TestClient(app) as client, client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { graphChanged { version added } }"}})
        wait_for(lambda: app.state.feed.open == 1, "the subscription is open")
        for i in range(3):
            time.sleep(0.6)  # past the 0.5 s request timeout since the subscription began
            live.apply([write_record(tmp_path, f"{i}.md", record(f"n{i}"))])
            message = ws.receive_json()
            assert message["type"] == "next", message
            assert message["payload"]["data"]["graphChanged"]["added"] == [
                f"article:https://news.example/n{i}"]


def test_under_a_stream_of_versions_the_analytics_job_waits_past_the_next_one() -> None:
    """Sustained ingest makes a version every few seconds: each version's analytics job
    waits longer than the gap between them, so none is forked (taking a core from the
    requests) only for the next version to end it; a lone change waits 1 s."""
    assert settle_delay(None) == 1.0  # the first version published
    assert settle_delay(60.0) == 1.0  # a change after a quiet minute
    assert settle_delay(0.2) == 1.0
    for gap in (1.5, 3.0, 7.0):
        assert settle_delay(gap) > gap


def _readyz(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/readyz", timeout=10) as r:
        return json.load(r)


def test_serve_with_a_cache_follows_from_the_snapshot(tmp_path: Path) -> None:
    """The first followed server writes the folder's snapshot; the next serves it at once
    and goes on following; files changed while none ran are read, never served stale."""
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    write_record(corpus, "a.md", record("a"))
    write_record(corpus, "b.md", record("b", related=[record("c")]))
    with running_server(str(corpus), "--cache", str(cache)) as base:
        first = post(base, STATS)["extensions"]["graphVersion"]
    assert any(cache.glob("*.snapshot"))
    with running_server(str(corpus), "--cache", str(cache)) as base:
        assert post(base, STATS)["extensions"]["graphVersion"] == first
        wait_for(lambda: _readyz(base)["following"] == "ready", "the follow goes on")
        write_record(corpus, "d.md", record("d", related=[record("a")]))
        seen = wait_for(lambda: (a := post(base, STATS))["data"]["stats"]["articles"] == 4 and a,
                        "a server started from the snapshot sees the dropped file")
        assert seen["extensions"]["graphVersion"] == graph.follow(corpus).version
    write_record(corpus, "e.md", record("e"))  # while no server ran: the snapshot is stale
    with running_server(str(corpus), "--cache", str(cache)) as base:
        got = post(base, STATS)
        assert got["data"]["stats"]["articles"] == 5
        assert got["extensions"]["graphVersion"] == graph.follow(corpus).version


def test_a_dropped_file_that_is_refused_says_why_in_the_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A person following the server's terminal sees why a file they dropped did not
    appear, as the first load's report says it, not only "1 files changed, 0 added"."""
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    caplog.set_level(logging.INFO, logger="newsgraph")
    with TestClient(create_app(live, Settings(), watch=True)):
        first = live.version
        bad = tmp_path / "bad.md"
        bad.write_text("---\ntitle: x\nurl: https://a.example/x\n---\n", encoding="utf-8")
        wait_for(lambda: live.version != first or None, "the new file is applied")
        said = wait_for(lambda: [r for r in caplog.records if "bad.md" in r.getMessage()]
                        or None, "the refused file is named in the log")
    [line] = said
    assert line.levelno == logging.WARNING
    assert f"{bad}:2: rejected: record has no URL" in line.getMessage()
    assert "rename it 'webUrl'" in line.getMessage()


def test_a_file_written_just_after_the_first_look_is_applied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher is running before the follow first looks at the whole folder (for
    what changed during the load): a file written right after that look is applied as
    it lands, not left unseen until some other file changes."""
    import asyncio

    from graph.watch import watch

    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    looks = []
    real_apply = live.apply

    def apply(paths: Any = None) -> Any:
        change = real_apply(paths)
        if paths is None:  # the first look: a file lands the moment it has ended
            looks.append(write_record(tmp_path, "late.md", record("late")))
        return change

    monkeypatch.setattr(live, "apply", apply)

    async def follow_until_late_is_served() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(watch(live, stop=stop))
        try:
            deadline = time.monotonic() + 20  # a hang guard, not a timing assertion
            while live.current().report.articles < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return live.current().report.articles
        finally:
            stop.set()
            await task

    assert asyncio.run(follow_until_late_is_served()) == 2
    assert looks, "the first look ran"


def test_a_burst_of_refused_files_is_named_up_to_a_count(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from graph.watch import MAX_PROBLEMS_SAID, say

    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    bad = []
    for k in range(MAX_PROBLEMS_SAID + 5):
        bad.append(tmp_path / f"bad{k}.md")
        bad[-1].write_text("---\ntitle: x\n---\n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="newsgraph")
    say(live.apply(bad))
    named = [r for r in caplog.records if ": rejected: " in r.getMessage()]
    assert len(named) == MAX_PROBLEMS_SAID
    assert caplog.records[-1].getMessage().startswith("... and 5 more problems")
    assert "loadReport" in caplog.records[-1].getMessage()
