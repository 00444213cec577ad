"""The apply of ingest batches in one process, without a server: what a batch costs the
live graph itself.

``python -m bench.apply CORPUS --batches 10`` copies CORPUS to a temporary folder,
follows it (``graph.follow``), then sends ``--batches`` batches of ``--batch`` new
records (the records ``bench.ingest`` sends: new URLs under one provider, some relating
earlier stories) through :func:`graph.ingest.ingest` — validation, the durable writes
and the apply of the batch as one version — and prints each batch's time and the p50
of all but the first (the first also computes the analytics the next ones carry over),
and how much of the batches after the first the cyclic garbage collector took
(``gc.callbacks``: every pass that ran while they did, by generation). No HTTP and no
querying clients: the figure to compare between two versions of the apply on one corpus.
Run it under ``nice -n 10`` on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import graph
from bench.ingest import new_record
from graph.build import ARTICLE
from graph.ingest import ingest


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.apply",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", type=Path, help="a folder of record files (copied, not changed)")
    p.add_argument("--batches", type=int, default=10, help="batches to send (default 10)")
    p.add_argument("--batch", type=int, default=100, help="records per batch (default 100)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, root)
        started = time.perf_counter()
        live = graph.follow(root)
        g = live.current().nx
        print(f"followed {len(g):,} nodes in {time.perf_counter() - started:.1f} s")
        existing = [(n, d["url"]) for n, d in g.nodes(data=True)
                    if d["kind"] == ARTICLE and not d["is_stub"]][:5000]
        rng = random.Random(0)
        times = []
        collector = _Collector()
        for b in range(args.batches):
            if b == 1:
                gc.callbacks.append(collector)
            records = [new_record("apply", b * args.batch + k, existing, rng)
                       for k in range(args.batch)]
            started = time.perf_counter()
            outcomes = ingest(live, records)
            times.append(time.perf_counter() - started)
            bad = [o for o in outcomes if o.status != "CREATED"]
            if bad:
                print(f"batch {b}: {len(bad)} records not created, the first: {bad[0]}")
                return 1
        if collector in gc.callbacks:
            gc.callbacks.remove(collector)
        print("batch ms:", ", ".join(f"{t * 1000:.0f}" for t in times))
        rest = times[1:] or times
        print(f"{args.batches} batches of {args.batch}: p50 {statistics.median(rest) * 1000:.0f} ms"
              f" after the first ({len(g):,} nodes before)")
        if len(times) > 1:
            print(f"the garbage collector: {sum(collector.ms.values()):.0f} ms of "
                  f"{sum(rest) * 1000:.0f} ms after the first ("
                  + ", ".join(f"gen{k}: {collector.passes[k]} passes, {collector.ms[k]:.0f} ms"
                              for k in sorted(collector.ms)) + ")")
    return 0


class _Collector:
    """A ``gc.callbacks`` entry timing each pass of the collector, by generation."""

    def __init__(self) -> None:
        self.ms: dict[int, float] = {0: 0.0, 1: 0.0, 2: 0.0}
        self.passes: dict[int, int] = {0: 0, 1: 0, 2: 0}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.ms[info["generation"]] += (time.perf_counter() - self._started) * 1000
        self.passes[info["generation"]] += 1


if __name__ == "__main__":
    raise SystemExit(main())
