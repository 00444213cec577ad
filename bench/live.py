"""How long a new record's file takes from landing in a followed folder to being visible.

``python -m bench.live CORPUS --changes 20`` follows CORPUS (as ``newsgraph serve``
does), then drops new record files into it one at a time, with the watcher running,
and times each from the file's rename into place to the version that holds it
becoming current. It prints p50/p99 and the targets (500 ms / 2 s), met or not.
The new files are removed at the end, after the watcher stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import graph
from graph.build import article_id
from graph.watch import watch

TARGET_P50, TARGET_P99 = 0.5, 2.0


def _record(i: int) -> str:
    return ("---\n"
            f"title: Live story {i} about facial recognition\n"
            f"webUrl: https://live.example/story-{i}\n"
            "topics: [Facial Recognition]\n"
            "related:\n"
            f"  - title: Earlier story {i}\n"
            f"    webUrl: https://live.example/earlier-{i}\n"
            "---\nA new story.\n")


async def _measure(live: graph.LiveGraph, changes: int) -> list[float]:
    stop = asyncio.Event()
    task = asyncio.create_task(watch(live, stop=stop))
    await asyncio.sleep(0.5)  # the watcher's first scan
    times = []
    folder = live.root / "live-bench"
    folder.mkdir(exist_ok=True)
    try:
        for i in range(changes):
            path = folder / f"story-{i}.md"
            tmp = folder / f".story-{i}.md.tmp"
            tmp.write_text(_record(i), encoding="utf-8")
            node = article_id(f"https://live.example/story-{i}")
            start = time.perf_counter()
            os.replace(tmp, path)
            while node not in live.current():
                await asyncio.sleep(0.002)
            times.append(time.perf_counter() - start)
            print(f"  new file {i + 1}: visible after {times[-1] * 1000:.0f} ms", flush=True)
    finally:
        stop.set()
        task.cancel()  # an apply under way finishes in its thread; nothing waits for it
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for i in range(changes):  # the corpus as it was (no version is made for this)
            (folder / f"story-{i}.md").unlink(missing_ok=True)
        folder.rmdir()
    return times


def main(argv: Sequence[str] | None = None) -> int:
    """Measure file-landing-to-visible times; print them."""
    p = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n")[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("--changes", type=int, default=20)
    args = p.parse_args(argv)
    start = time.perf_counter()
    live = graph.follow(args.corpus)
    print(f"followed {args.corpus}: {live.current().report.records:,} records in "
          f"{time.perf_counter() - start:.1f} s, version {live.version}", flush=True)
    times = sorted(asyncio.run(_measure(live, args.changes)))
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"file landing -> visible, {len(times)} new files: p50 {p50 * 1000:.0f} ms "
          f"({'met' if p50 <= TARGET_P50 else 'NOT met'}: target 500 ms), "
          f"p99 {p99 * 1000:.0f} ms ({'met' if p99 <= TARGET_P99 else 'NOT met'}: target 2 s), "
          f"max {times[-1] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
