"""What a change costs the server's storyAdded subscriptions: before subs40 and now, side
by side on the same corpus, the same changes, in one run.

``python -m bench.subscriptions CORPUS --subscriptions 20 --changes 10 [--distinct]``
follows CORPUS (as ``newsgraph serve`` does) and opens N subscriptions of the docs'
example, ``storyAdded(where: {mentions: "facial recognition"}, near: {from: X, hops:
2})``: all near one story, or with ``--distinct`` each near its own. Then it drops
CHANGES new facial-recognition stories into ``CORPUS/subs-bench/`` one at a time, each
tagged with a topic of a start and relating one of its related stories (two hops away:
each is pushed), applies it, and times the work of the subscriptions on it, in this
thread's CPU time:

* **before**: each subscription its own watch, walking its whole zone again and comparing
  every article in it (:class:`bench.naive.NaiveStoryWatch`, the code before subs40);
* **after**: the server's :class:`schema.subscriptions.ChangeFeed` fanning the change out,
  identical subscriptions sharing one :class:`graph.arrivals.StoryWatch`.

It checks that both push the same arrivals, and prints ms per change (median and range).
The files it adds are removed at the end.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graph
from bench.naive import NaiveStoryWatch
from graph.build import topic_id
from graph.select import Selection
from schema.settings import Settings
from schema.subscriptions import ChangeFeed

__all__ = ["main", "run"]

PHRASE = "facial recognition"
FOLDER = "subs-bench"


def _starts(kg: graph.KnowledgeGraph, n: int, rng: random.Random) -> list[str]:
    """Return ``n`` stories with a topic and a related story (one when not ``distinct``)."""
    g = kg.nx
    out = []
    for node in kg.index.ids:
        data = g.nodes[node]
        if data.get("kind") == graph.ARTICLE and not data.get("is_stub") \
                and data.get("topics") and any(k == graph.RELATED for _, _, k in
                                               g.out_edges(node, keys=True)):
            out.append(node)
    rng.shuffle(out)
    return out[:n]


def _story(kg: graph.KnowledgeGraph, start: str, i: int, rng: random.Random) -> str:
    """A new facial-recognition story two hops from ``start``: one of its topics, and
    relating one of its related stories."""
    g = kg.nx
    data = g.nodes[start]
    topic = g.nodes[topic_id(rng.choice(sorted(data["topics"])))]["name"]
    related = sorted(v for _, v, k in g.out_edges(start, keys=True) if k == graph.RELATED)
    url = g.nodes[rng.choice(related)]["url"]
    return (f"---\ntitle: \"Facial recognition, arriving {i}\"\n"
            f"webUrl: https://subs-bench.example/{i}\n"
            f"publishedDateTime: 2030-01-01T00:00:{i % 60:02d}Z\n"
            "provider: {name: Subs Bench, domain: subs-bench.example}\n"
            f"topics: [{topic!r}]\nrelated: [{{title: A related story, webUrl: '{url}'}}]\n"
            f"---\nA story about facial recognition, number {i}.\n")


def run(corpus: Path, subscriptions: int, changes: int, distinct: bool,
        seed: int = 0) -> dict[str, Any]:
    """Return the before/after figures (ms of CPU per change) on ``corpus``."""
    rng = random.Random(seed)
    folder = corpus / FOLDER
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    live = graph.follow(corpus)
    loaded = time.perf_counter() - started
    kg = live.current()
    starts = _starts(kg, subscriptions if distinct else 1, rng)
    if not starts:
        raise SystemExit(f"{corpus}: no story with a topic and a related story to start from")
    near = [starts[i % len(starts)] for i in range(subscriptions)]
    selection = Selection(mentions=PHRASE)
    settings = Settings()
    feed = ChangeFeed(live, max_subscriptions=settings.max_subscriptions, max_seconds=3600)
    before = [NaiveStoryWatch(kg, selection, x, 2) for x in near]
    shared, opened, streams = [], [], []
    for x in near:  # one at a time, as the server opens them: identical ones share
        shared.append(feed.watch(kg, settings, selection, x, 2))
        opened.append(feed.subscribe(changes + 1, shared[-1]))
        streams.append(opened[-1].__enter__())
    old_ms: list[float] = []
    new_ms: list[float] = []
    pushed = 0
    watches = {id(s): s.watch for s in shared}.values()
    walks = sum(w.walks for w in watches)
    folder.mkdir()
    try:
        for i in range(changes):
            path = folder / f"story-{i}.md"
            path.write_text(_story(kg, near[i % len(near)], i, rng), encoding="utf-8")
            change = live.apply([path])
            assert change is not None and change.graph is not None
            kg = change.graph
            t = time.thread_time()
            expected = [w.arrivals(change) for w in before]
            old_ms.append((time.thread_time() - t) * 1000)
            t = time.thread_time()
            feed._fan_out(change)
            new_ms.append((time.thread_time() - t) * 1000)
            got = [s.pending.popleft()[1] for s in streams]
            if got != expected:
                raise SystemExit(f"change {i}: the subscriptions pushed other arrivals than "
                                 "before: a bug")
            pushed += sum(map(len, got))
    finally:
        for o in opened:
            o.__exit__(None, None, None)
        shutil.rmtree(folder, ignore_errors=True)
    return {"corpus": str(corpus), "articles": kg.report.articles, "loaded_s": loaded,
            "subscriptions": subscriptions, "distinct": distinct, "changes": changes,
            "watches": len({id(s) for s in shared}), "zone": [len(w.zone) for w in before],
            "pushed": pushed, "before_ms": old_ms, "after_ms": new_ms,
            "walks_after": sum(w.walks for w in watches) - walks}


def _line(ms: Sequence[float]) -> str:
    return (f"median {statistics.median(ms):.1f} ms (range {min(ms):.1f}–{max(ms):.1f})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.subscriptions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--distinct", action="store_true",
                        help="each subscription near its own story (default: all identical)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.subscriptions < 1 or args.changes < 1:
        parser.error("--subscriptions and --changes must be at least 1")
    r = run(args.corpus, args.subscriptions, args.changes, args.distinct, args.seed)
    kind = "distinct" if r["distinct"] else "identical"
    zones = r["zone"]
    print(f"{r['corpus']}: {r['articles']:,} articles, followed in {r['loaded_s']:.1f} s; "
          f"{r['subscriptions']} {kind} storyAdded subscriptions ({r['watches']} watches), "
          f"zones of {min(zones):,}–{max(zones):,} articles; {r['changes']} changes, "
          f"{r['pushed']} arrivals pushed, the same before and after")
    print(f"  before (a walk per subscription): {_line(r['before_ms'])} of CPU per change, "
          f"{r['subscriptions'] * r['changes']} zone walks")
    print(f"  after  (shared, incremental):     {_line(r['after_ms'])} of CPU per change, "
          f"{r['walks_after']} zone walks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
