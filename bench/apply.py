"""The apply of ingest batches in one process, without a server: what a batch costs the
live graph itself.

``python -m bench.apply CORPUS --batches 10`` copies CORPUS to a temporary folder,
follows it (``graph.follow``), then sends ``--batches`` batches of ``--batch`` new
records (the records ``bench.ingest`` sends: new URLs under one provider, some relating
earlier stories) through :func:`graph.ingest.ingest` — validation, the durable writes
and the apply of the batch as one version — and prints each batch's time and the p50
of all but the first (the first also computes the analytics the next ones carry over).
No HTTP and no querying clients: the figure to compare between two versions of the
apply on one corpus. Run it under ``nice -n 10`` on a shared machine.
"""

from __future__ import annotations

import argparse
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
                                description=__doc__.split("\n")[0])
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
        for b in range(args.batches):
            records = [new_record("apply", b * args.batch + k, existing, rng)
                       for k in range(args.batch)]
            started = time.perf_counter()
            outcomes = ingest(live, records)
            times.append(time.perf_counter() - started)
            bad = [o for o in outcomes if o.status != "CREATED"]
            if bad:
                print(f"batch {b}: {len(bad)} records not created, the first: {bad[0]}")
                return 1
        print("batch ms:", ", ".join(f"{t * 1000:.0f}" for t in times))
        rest = times[1:] or times
        print(f"{args.batches} batches of {args.batch}: p50 {statistics.median(rest) * 1000:.0f} ms"
              f" after the first ({len(g):,} nodes before)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
