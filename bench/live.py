"""How long a new record's file takes from landing in a followed folder to being visible,
and how much memory a followed corpus holds after many changes.

``python -m bench.live CORPUS --changes 20`` follows CORPUS (as ``newsgraph serve``
does), then drops new record files into it one at a time, with the watcher running,
and times each from the file's rename into place to the version that holds it
becoming current. It prints p50/p99 and the targets (500 ms / 2 s), met or not.
Before those, one file is dropped 0.3 s after the watcher starts, while its first look
at every file runs (as a file dropped when a server just said it is ready), and timed
the same way.

``--rss-changes 1000`` then applies that many single-record changes (each edits one
record file of ``live-bench/`` and applies it), and compares the process's resident
set with a fresh process's after ``graph.follow`` and after ``graph.load`` of the
folder as it then is (the target: within 10% of a cold load).

``--cache DIR`` follows as ``newsgraph serve CORPUS --cache DIR`` does: from the
folder's snapshot when it is fresh (else reading the folder and writing it), going on
from the build state it holds; the fresh follow it is compared with does the same
(after the changes the snapshot is stale: it reads the folder and writes a new one).

The files it adds are removed at the end, after the watcher stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graph
from bench.measure import percentile, rss_bytes
from graph.background import warm
from graph.build import article_id
from graph.watch import watch

__all__ = ["measure", "TARGET_P50", "TARGET_P99", "TARGET_RSS_RATIO"]

TARGET_P50, TARGET_P99, TARGET_RSS_RATIO = 0.5, 2.0, 1.10
_FOLDER = "live-bench"
_FIRST, _FIRST_DROP_AFTER = 10**6, 0.3  # the file dropped as the first look runs


def _record(i: int, edit: int = 0) -> str:
    return ("---\n"
            f"title: Live story {i} about facial recognition{f' (edit {edit})' if edit else ''}\n"
            f"webUrl: https://live.example/story-{i}\n"
            "topics: [Facial Recognition]\n"
            "related:\n"
            f"  - title: Earlier story {i}\n"
            f"    webUrl: https://live.example/earlier-{i}\n"
            "---\nA new story.\n")


def _land(folder: Path, i: int, edit: int = 0) -> Path:
    path = folder / f"story-{i}.md"
    tmp = folder / f".story-{i}.md.tmp"
    tmp.write_text(_record(i, edit), encoding="utf-8")
    os.replace(tmp, path)
    return path


async def _landing(live: graph.LiveGraph, changes: int, out: dict[str, Any]) -> list[float]:
    stop = asyncio.Event()
    folder = live.root / _FOLDER
    folder.mkdir(exist_ok=True)
    task = asyncio.create_task(watch(live, stop=stop))
    # A file dropped as a server says it is ready: the watcher has started and its first
    # look at every file (seconds at 100k) is under way.
    await asyncio.sleep(_FIRST_DROP_AFTER)
    looking = live._applied == 0
    node = article_id(f"https://live.example/story-{_FIRST}")
    start = time.perf_counter()
    _land(folder, _FIRST)
    while node not in live.current() and not task.done():
        await asyncio.sleep(0.002)
    out.update(first_look_ms=(time.perf_counter() - start) * 1e3, first_look_running=looking)
    print(f"  a file dropped {_FIRST_DROP_AFTER:g} s after the watcher started "
          f"({'during' if looking else 'after'} its first look): visible after "
          f"{out['first_look_ms']:.0f} ms", flush=True)
    while live._applied == 0 and not task.done():  # the watcher's first scan of the folder
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # and its watches set up
    times = []
    try:
        for i in range(changes):
            node = article_id(f"https://live.example/story-{i}")
            start = time.perf_counter()
            _land(folder, i)
            while node not in live.current():
                await asyncio.sleep(0.002)
            times.append(time.perf_counter() - start)
            print(f"  new file {i + 1}: visible after {times[-1] * 1000:.0f} ms", flush=True)
    finally:
        stop.set()
        task.cancel()  # an apply under way finishes in its thread; nothing waits for it
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return times


def _fresh(corpus: Path, how: str, cache: Path | None = None) -> tuple[int, int]:
    """Return the resident set of a new process after ``graph.follow`` or ``graph.load``
    (a follow with ``cache`` from its snapshot, made ready for changes), and the nodes of
    the graph it then holds (counted after the resident set is read: the graph is alive
    when it is read)."""
    call = ("graph.follow(sys.argv[1]" + (f", cache={str(cache)!r}" if cache is not None else "")
            + ")" if how == "follow" else "graph.load(sys.argv[1])")
    code = ("import gc, json, sys, graph\n"
            "from bench.measure import rss_bytes\n"
            f"held = {call}\n"
            "if hasattr(held, 'resume'):\n"
            "    held.resume()\n"
            "gc.collect()\n"
            "rss = rss_bytes()\n"
            "kg = held.current() if hasattr(held, 'current') else held\n"
            "print(json.dumps([rss, kg.nx.number_of_nodes()]))\n")
    done = subprocess.run([sys.executable, "-c", code, str(corpus)], capture_output=True,
                          text=True, check=True)
    rss, nodes = json.loads(done.stdout.strip().splitlines()[-1])
    return int(rss), int(nodes)


def _fresh_rss(corpus: Path, how: str, cache: Path | None = None) -> int:
    """The resident set of :func:`_fresh`."""
    return _fresh(corpus, how, cache)[0]


def measure(corpus: Path, changes: int = 20, rss_changes: int = 0,
            cache: Path | None = None) -> dict[str, Any]:
    """Follow ``corpus``, time ``changes`` new files and, with ``rss_changes``, measure
    memory after that many single-record changes; return the figures."""
    start = time.perf_counter()
    live = graph.follow(corpus, cache=cache)
    served = time.perf_counter() - start
    live.resume()  # as newsgraph serve does once it serves
    out: dict[str, Any] = {"records": live.current().report.records,
                           "follow_s": time.perf_counter() - start, "served_s": served,
                           # how the follow started (a catch-up's version is a new one)
                           "from_snapshot": live.from_cache, "caught_up": live.caught_up}
    warm(live.current())  # as newsgraph serve does before it says ready
    gc.freeze()
    behind = f" {live.caught_up:,} files behind, caught up" if live.caught_up else ""
    print(f"followed {corpus}: {out['records']:,} records in {out['follow_s']:.1f} s "
          f"(served after {served:.1f} s{', from the snapshot' if out['from_snapshot'] else ''}"
          f"{behind}),"
          f" version {live.version}", flush=True)
    folder = corpus / _FOLDER
    try:
        times = asyncio.run(_landing(live, changes, out))
        out.update(changes=len(times), p50_ms=percentile(times, 50) * 1e3,
                   p99_ms=percentile(times, 99) * 1e3, max_ms=max(times) * 1e3)
        if rss_changes:
            applied = []
            for k in range(rss_changes):
                t = time.perf_counter()
                live.apply([_land(folder, k % max(changes, 1), edit=k + 1)])
                applied.append(time.perf_counter() - t)
            del t
            gc.collect()
            out.update(rss_changes=rss_changes, apply_p50_ms=percentile(applied, 50) * 1e3,
                       apply_p99_ms=percentile(applied, 99) * 1e3, rss=rss_bytes(),
                       follow_rss=_fresh_rss(corpus, "follow", cache),
                       load_rss=_fresh_rss(corpus, "load"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the corpus as it was
    return out


def report(r: dict[str, Any]) -> str:
    """Return the figures as lines, each target said met or NOT met."""
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = [f"a file dropped as the watcher's first look began "
             f"({'under way' if r['first_look_running'] else 'already done'}): visible after "
             f"{r['first_look_ms']:.0f} ms"] if "first_look_ms" in r else []
    lines += [f"file landing -> visible, {r['changes']} new files: p50 {r['p50_ms']:.0f} ms "
             f"({met(r['p50_ms'] <= TARGET_P50 * 1e3)}: target 500 ms), p99 "
             f"{r['p99_ms']:.0f} ms ({met(r['p99_ms'] <= TARGET_P99 * 1e3)}: target 2 s), "
             f"max {r['max_ms']:.0f} ms"]
    if "rss" in r:
        mb = 2**20
        ratio = r["rss"] / r["load_rss"]
        lines.append(f"{r['rss_changes']:,} single-record changes applied: p50 "
                     f"{r['apply_p50_ms']:.0f} ms, p99 {r['apply_p99_ms']:.0f} ms each")
        lines.append(f"RSS after them {r['rss'] / mb:,.0f} MB; a fresh process: "
                     f"{r['follow_rss'] / mb:,.0f} MB after graph.follow, "
                     f"{r['load_rss'] / mb:,.0f} MB after graph.load "
                     f"({ratio:.2f}x the load: {met(ratio <= TARGET_RSS_RATIO)}: target "
                     f"within 10%; {r['rss'] / r['follow_rss']:.2f}x the fresh follow)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure file-landing-to-visible times (and memory); print them."""
    p = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", type=Path, help="the folder to follow (files are added to it "
                   "under live-bench/ and removed at the end)")
    p.add_argument("--changes", type=int, default=20,
                   help="new record files dropped in one at a time and timed (default: 20)")
    p.add_argument("--rss-changes", type=int, default=0, metavar="N",
                   help="also apply N single-record changes and compare memory")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="follow from (and write) the folder's snapshot in DIR, as `newsgraph "
                        "serve CORPUS --cache DIR` does")
    args = p.parse_args(argv)
    print(report(measure(args.corpus, args.changes, args.rss_changes, args.cache)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
