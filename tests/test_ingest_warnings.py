"""What the file rules drop from a pushed record is said to the one who pushed it: the ingest
answer carries each record's warnings, and `newsgraph push` prints them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import graph
from graph import ingest as files
from tests.conftest import record, write_record
from tests.servers import running_server
from tests.test_ingest import TOKEN, _client

# Written as another writer would: a date newsgraph cannot read, a score out of range, a
# field under another name. Each is dropped (or kept in extra) with a warning by a load.
SLOPPY = record("sloppy", publishedDateTime="next Tuesday", quality=400, tags=["AI"])
WARNED = ["publishedDateTime dropped", "quality dropped", "field 'tags'"]


def _has_each(warnings, words) -> bool:
    return all(any(w in text for text in warnings) for w in words)


def test_ingest_answers_each_records_warnings(tmp_path: Path) -> None:
    # They went to the server's load report only: the record was CREATED with no word that
    # its date and quality were dropped.
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    sloppy, clean = files.ingest(live, [SLOPPY, record("clean")])
    assert sloppy.status == "CREATED" and _has_each(sloppy.warnings, WARNED), sloppy.warnings
    assert clean.status == "CREATED" and clean.warnings == ()
    reported = [p.reason for p in live.current().report.warnings]
    assert all(any(w in r for r in reported) for w in sloppy.warnings)


def test_the_ingest_mutation_answers_warnings(tmp_path: Path) -> None:
    query = "mutation($r: [JSON!]!) { ingest(records: $r) { status warnings } }"
    with _client(tmp_path) as client:
        body = client.post("/graphql", json={"query": query, "variables": {"r": [SLOPPY]}},
                           headers={"authorization": f"Bearer {TOKEN}"}).json()
    assert "errors" not in body, body
    [answer] = body["data"]["ingest"]
    assert answer["status"] == "CREATED" and _has_each(answer["warnings"], WARNED)


def test_push_prints_the_warnings_of_what_it_sent(tmp_path: Path) -> None:
    corpus, outbox = tmp_path / "corpus", tmp_path / "outbox"
    write_record(corpus, "a.md", record("a"))
    write_record(outbox, "sloppy.yaml", SLOPPY, form="yaml")
    write_record(outbox, "fine.md", record("fine"))
    newsgraph = str(Path(sys.executable).with_name("newsgraph"))
    env = {**os.environ, "NEWSGRAPH_INGEST_TOKEN": TOKEN}
    with running_server(str(corpus), env=env, analytics=False) as base:
        done = subprocess.run([newsgraph, "push", str(outbox), "--server", base],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # written: warnings are no failure
    assert done.stdout == "pushed 2 records from 2 files: 2 created; 0 problems; 3 warnings\n"
    for words in WARNED:
        assert "sloppy.yaml:1: warning: " in done.stderr and words in done.stderr, done.stderr


def test_a_record_that_loses_to_an_existing_file_of_its_article_says_so(tmp_path: Path
                                                                        ) -> None:
    # (trial33) A pushed record whose URL normalizes to an article another file of the
    # corpus holds was answered CREATED with no warning, while the version served kept
    # the other file's record (published later): the pusher's title never showed.
    write_record(tmp_path, "a.md", record("a", title="Kept", publishedDateTime="2022-02-21"))
    live = graph.follow(tmp_path)
    pushed = record("a", title="Pushed")
    pushed["webUrl"] = "HTTPS://NEWS.example/a/?utm_source=x#top"
    [outcome] = files.ingest(live, [pushed])
    assert outcome.status == "CREATED" and outcome.visible
    assert _title(live) == "Kept"
    [said] = outcome.warnings
    assert said.startswith("not the record served: duplicate of ") and "a.md" in said, said
    assert "a.md:2 wins: it has a publication date" in said, said
    # One that wins says nothing of the other (the load report does)
    [outcome] = files.ingest(live, [record("a", title="Newer",
                                           publishedDateTime="2023-01-01")])
    assert outcome.warnings == () and _title(live) == "Newer"


def _title(live: graph.LiveGraph) -> str:
    return live.current().nx.nodes["article:https://news.example/a"]["title"]
