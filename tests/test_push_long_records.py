"""A long record, ingested and pushed: the ingest token's own size allowance.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

from pathlib import Path

import graph

# -- a long record, pushed ----------------------------------------------------------------------

TOKEN = "ingest-token"
INGEST = "mutation($r: [JSON!]!) { ingest(records: $r) { status articleId error } }"
LONG_READ = {"title": "A long read", "webUrl": "https://long.example/read",
             "body": "word " * 40_000}  # 200 KB: a long-form story with its text


def _app(tmp_path: Path, **settings):
    from schema.app import create_app
    from schema.settings import Settings
    from tests.conftest import record, write_record

    write_record(tmp_path, "a.md", record("a"))
    return create_app(graph.follow(tmp_path), Settings(**settings), ingest_token=TOKEN)


def test_an_ingest_request_takes_a_record_a_load_takes(tmp_path):
    # The 64 KB body limit of every request refused a 200 KB record (413), though the same
    # record as a file loads (up to 10 MB): a long read could never be ingested.
    from starlette.testclient import TestClient

    with TestClient(_app(tmp_path)) as client:
        ok = client.post("/graphql", json={"query": INGEST, "variables": {"r": [LONG_READ]}},
                         headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["data"]["ingest"][0]["status"] == "CREATED"
        # Anyone else keeps the small limit: the allowance needs the token.
        for headers in ({}, {"authorization": "Bearer wrong"}):
            refused = client.post("/graphql", headers=headers,
                                  json={"query": INGEST, "variables": {"r": [LONG_READ]}})
            assert refused.status_code == 413
            assert "maxBodyBytes" in refused.json()["errors"][0]["message"]
    assert graph.load(tmp_path)["article:https://long.example/read"]["body"].startswith("word")


def test_an_ingest_request_past_its_own_limit_names_it(tmp_path):
    from starlette.testclient import TestClient

    with TestClient(_app(tmp_path, max_ingest_bytes=100_000)) as client:
        refused = client.post("/graphql", json={"query": INGEST, "variables": {"r": [LONG_READ]}},
                              headers={"authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 413
    [error] = refused.json()["errors"]
    assert "maxIngestBytes" in error["message"] and "NEWSGRAPH_MAX_INGEST_BYTES" in error["message"]
    assert error["extensions"]["limit"] == "maxIngestBytes"


def test_push_sends_a_long_record_and_every_other_one(tmp_path):
    # `newsgraph push` of a folder holding a 200 KB record stopped at it ("refused the batch:
    # The request body is 200,185 bytes or more"), exit 2, and the records after it were
    # never sent.
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import record, write_record
    from tests.servers import running_server

    corpus, outbox = tmp_path / "corpus", tmp_path / "outbox"
    write_record(corpus, "a.md", record("a"))
    outbox.mkdir()
    (outbox / "a-long.json").write_text(json.dumps(LONG_READ), encoding="utf-8")
    write_record(outbox, "b-small.md", record("b"))
    newsgraph = str(Path(sys.executable).with_name("newsgraph"))
    env = {**os.environ, "NEWSGRAPH_INGEST_TOKEN": TOKEN}
    with running_server(str(corpus), env=env) as base:
        done = subprocess.run([newsgraph, "push", str(outbox), "--server", base],
                              env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "pushed 2 records from 2 files: 2 created; 0 problems\n"
    kg = graph.load(corpus)
    assert kg.article("https://long.example/read") is not None
    assert kg.article("https://news.example/b") is not None


def test_push_reads_a_file_past_the_default_size_when_told(tmp_path):
    # The refusal of a 12 MB feed dump said "(--max-file-mb, ...) raises it", and push had
    # no such flag: argparse refused it.
    import io
    import json

    from schema.cli import main

    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps([{"title": f"Story {i}", "webUrl": f"https://feed.example/{i}",
                                 "body": "x" * 6000} for i in range(2000)]), encoding="utf-8")
    assert feed.stat().st_size > 10 * 2**20
    out, err = io.StringIO(), io.StringIO()
    from contextlib import redirect_stderr, redirect_stdout

    with redirect_stdout(out), redirect_stderr(err):
        status = main(["push", str(feed), "--server", "http://127.0.0.1:9", "--max-file-mb", "20"])
    # The file is read (no size problem); the server is not there, which is the error.
    assert "over the 10.0 MB limit" not in err.getvalue()
    assert "cannot reach" in err.getvalue() and status == 2
