"""``newsgraph push --concurrency N``: several batches in flight at once, the summary the
same as one batch after another, and a record never overtaking an earlier one of its URL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import graph
from schema.cli import EXIT_USAGE, main
from schema.push import push
from tests.conftest import record, write_record
from tests.servers import stand_in

TOKEN = "push-token"


class _StandIn:
    """An ingest endpoint that answers every record CREATED, holding each request until
    ``together`` requests are in flight at once (or ``guard`` seconds pass: a hang guard,
    after which it answers anyway), and notes how many were in flight at each arrival."""

    def __init__(self, together: int, guard: float = 5.0) -> None:
        self.together, self.guard = together, guard
        self.lock = threading.Condition()
        self.flying: list[list[str]] = []  # the URLs of each request in flight
        # each request's URLs, how many requests were in flight with it on its arrival,
        # and the other requests' URLs then
        self.seen: list[tuple[list[str], int, set[str]]] = []

    def handle(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        urls = [r["webUrl"] for r in records]
        with self.lock:
            self.seen.append((urls, len(self.flying) + 1, {u for f in self.flying for u in f}))
            self.flying.append(urls)
            self.lock.notify_all()
            self.lock.wait_for(lambda: len(self.flying) >= self.together, timeout=self.guard)
        try:
            return [{"status": "CREATED", "articleId": f"article:{r['webUrl']}", "error": None,
                     "warnings": []} for r in records]
        finally:
            with self.lock:
                self.flying.remove(urls)

    @contextmanager
    def serving(self) -> Iterator[str]:
        def answer(body: bytes) -> tuple[int, bytes]:
            records = json.loads(body)["variables"]["r"]
            return 200, json.dumps({"data": {"ingest": self.handle(records)}}).encode()

        with stand_in(answer) as port:
            yield f"http://127.0.0.1:{port}"


def test_push_keeps_several_batches_in_flight(tmp_path: Path) -> None:
    """With --concurrency 3, three batches are at the server at once (before, the next
    batch went only after the previous one's answer)."""
    write_record(tmp_path, "many.jsonl", [record(f"r{i}") for i in range(12)], form="jsonl")
    stand_in = _StandIn(together=3)
    with stand_in.serving() as base:
        done = push([tmp_path], base, TOKEN, batch=2, concurrency=3, out=io.StringIO())
    assert max(n for _, n, _ in stand_in.seen) == 3
    assert done.statuses == {"CREATED": 12} and done.ok
    assert sorted(u for urls, _, _ in stand_in.seen for u in urls) == sorted(
        f"https://news.example/r{i}" for i in range(12))


def test_a_batch_holding_a_url_in_flight_waits_for_it(tmp_path: Path) -> None:
    """A record never overtakes an earlier record of its URL: the batch holding the second
    is sent only once the batch holding the first is answered, so the last one sent is
    the one the server keeps; the batches after it go beside it."""
    write_record(tmp_path, "many.jsonl", [
        record("x", title="First"), record("y"),
        record("z"), record("x", title="Second"),   # x again: after the first batch
        record("w"), record("v"),
    ], form="jsonl")
    stand_in = _StandIn(together=2, guard=1.0)
    with stand_in.serving() as base:
        done = push([tmp_path], base, TOKEN, batch=2, concurrency=3, out=io.StringIO())
    assert done.statuses == {"CREATED": 6}
    x = "https://news.example/x"
    arrivals = {tuple(urls): (i, others) for i, (urls, _, others) in enumerate(stand_in.seen)}
    first, _ = arrivals[(x, "https://news.example/y")]
    second, beside = arrivals[("https://news.example/z", x)]
    assert first < second and x not in beside  # the first x answered before the second went
    assert max(n for _, n, _ in stand_in.seen) == 2  # the last batch went beside it


@pytest.mark.parametrize("bad", ["0", "-2", "many"])
def test_concurrency_below_one_is_a_usage_error(tmp_path: Path, capsys: Any, bad: str) -> None:
    write_record(tmp_path, "a.md", record("a"))
    with pytest.raises(SystemExit) as exited:
        main(["push", str(tmp_path), "--server", "http://127.0.0.1:9", f"--concurrency={bad}"])
    assert exited.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--concurrency" in err and "at least 1" in err, err


def test_push_with_batches_in_flight_against_a_real_server(tmp_path: Path) -> None:
    """Against a real `newsgraph serve`: the same summary, problems and progress, in the
    same order, with four batches in flight as with one at a time; a URL sent twice
    holds its later record."""
    from tests.servers import running_server

    corpus, outbox = tmp_path / "corpus", tmp_path / "outbox"
    write_record(corpus, "a.md", record("a"))
    for f in range(4):
        rows: list[Any] = [record(f"f{f}r{r}") for r in range(5)]
        rows.insert(2, {"title": f"no url {f}"})
        write_record(outbox, f"part{f}.jsonl", rows, form="jsonl")
    write_record(outbox, "part4.jsonl", [record("f0r1", title="Sent again later")],
                 form="jsonl")
    write_record(outbox, "part5.md", {"title": "broken", "webUrl": "nope"})
    newsgraph = str(Path(sys.executable).with_name("newsgraph"))
    env = {**os.environ, "NEWSGRAPH_INGEST_TOKEN": TOKEN}
    with running_server(str(corpus), env=env, analytics=False) as base:
        runs = {n: subprocess.run([newsgraph, "push", str(outbox), "--server", base,
                                   "--batch", "3", "--concurrency", str(n)],
                                  env=env, capture_output=True, text=True, timeout=120)
                for n in (4, 1)}
    four, one = runs[4], runs[1]
    assert four.stdout == ("pushed 22 records from 6 files: 20 created, 1 rejected, "
                           "1 updated; 5 problems\n"), four
    # the second push: f0r1's first record finds the later one in its file
    assert one.stdout == ("pushed 22 records from 6 files: 1 rejected, 19 unchanged, "
                          "2 updated; 5 problems\n"), one
    assert four.returncode == one.returncode == 1
    assert four.stderr == one.stderr  # progress and problems, line by line
    assert "part1.jsonl:3: record has no URL" in four.stderr
    kg = graph.load(corpus)
    assert kg["article:https://news.example/f0r1"]["title"] == "Sent again later"
    assert all(kg.article(f"https://news.example/f{f}r{r}") is not None
               for f in range(4) for r in range(5))
