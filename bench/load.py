"""Load a corpus in a fresh process and report time and memory as JSON.

Run as ``python -m bench.load PATH [--cache DIR] [--workers N]``: one process per
measurement, so a cold load is cold (nothing imported or cached from an earlier
one) and the peak RSS is that load's alone. ``first_answer_seconds`` runs from the
load's start to the answer of a first 2-hop query; ``phases`` is the seconds from the
start of each load phase (parse, build, index, snapshot) to the start of the next,
``cpu_phases`` the same in this process's CPU seconds, ``worker_cpu_seconds`` the CPU
seconds of the parse workers (the pool's processes, joined by the end of the load).
A cold load's snapshot, written after the load returned, is waited for after the first
answer: ``snapshot_after`` gives its thread's seconds and CPU seconds and the wall time
it went on after the answer; ``cpu_seconds_all`` is this process's CPU through it.
With ``--trace``, a line on stderr at each phase and every 50,000 records parsed: the
seconds since the load began, the phase, the records read and the resident set — where
a big load's time and memory go.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from typing import Any

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load")
    p.add_argument("path")
    p.add_argument("--cache", default=None, help="snapshot cache folder (default: no cache)")
    p.add_argument("--workers", type=int, default=None, help="parse processes (default: auto)")
    p.add_argument("--trace", action="store_true",
                   help="on stderr: time, phase, records and RSS at each phase and every "
                        "50,000 records")
    args = p.parse_args(argv)
    # newsgraph's own log lines on stderr: why a snapshot was not used or not written
    # ("the corpus changed while it was loaded": a commit to graph/ during a load counts).
    logging.basicConfig(level=logging.INFO, format="newsgraph: %(message)s", stream=sys.stderr)

    t0 = time.perf_counter()
    import graph  # the import is part of a cold start
    from bench.measure import peak_rss_bytes, rss_bytes

    began: dict[str, float] = {}
    began_cpu: dict[str, float] = {}
    traced = [-1]

    def progress(step: Any) -> None:
        now = time.perf_counter()
        new = step.phase not in began
        if new:  # the process's CPU clock read once a phase (~2 us a call, 90,000 calls)
            began[step.phase] = now
            began_cpu[step.phase] = time.process_time()
        if args.trace and (new or step.done >= step.total
                           or step.records // 50_000 > traced[0]):
            traced[0] = step.records // 50_000
            print(f"{now - t1:7.1f} s  {step.phase:<13} {step.done:>9,}/{step.total:<9,} "
                  f"{step.records:>9,} records  RSS {rss_bytes() / 2**20:8,.0f} MiB",
                  file=sys.stderr, flush=True)

    t1 = time.perf_counter()
    options: dict[str, Any] = {"progress": progress}
    if args.cache is not None:
        options["cache"] = args.cache
    if args.workers is not None:
        options["workers"] = args.workers
    cpu1 = time.process_time()
    kg = graph.load(args.path, **options)
    t2 = time.perf_counter()
    cpu2 = time.process_time()
    # Phases of the load itself (a snapshot written after it returned is reported below).
    during = {name for name, at in began.items() if at <= t2}
    marks = sorted(((n, at) for n, at in began.items() if n in during),
                   key=lambda item: item[1]) + [("end", t2)]
    phases = {name: marks[i + 1][1] - at for i, (name, at) in enumerate(marks[:-1])}
    marks = sorted(((n, at) for n, at in began_cpu.items() if n in during),
                   key=lambda item: item[1]) + [("end", cpu2)]
    cpu_phases = {name: marks[i + 1][1] - at for i, (name, at) in enumerate(marks[:-1])}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parse pool, joined
    # A server is ready when it answers: the first 2-hop query counts too.
    start = next((node for node, data in kg.nx.nodes(data=True)
                  if data.get("kind") == "article" and not data.get("is_stub")), None)
    if start is not None:
        kg.within(start, 2, mentions="facial recognition")
    t3 = time.perf_counter()
    # A cold load's snapshot is written after it returned (graph.loader.SnapshotWrite):
    # waited for here, after the first answer, so the peak RSS includes it.
    write = getattr(kg, "snapshot_write", None)
    if write is not None:
        write.wait()
    t4 = time.perf_counter()
    cpu4 = time.process_time()
    r = kg.report
    json.dump({
        "seconds": t2 - t1, "import_seconds": t1 - t0, "first_answer_seconds": t3 - t1,
        "records": r.records, "articles": r.articles, "stubs": r.stubs,
        "providers": r.providers, "topics": r.topics, "edges": r.edges,
        "errors": len(r.errors), "warnings": len(r.warnings),
        "nodes": kg.nx.number_of_nodes(), "edge_count": kg.nx.number_of_edges(),
        "from_snapshot": bool(getattr(kg, "from_snapshot", False)),
        "peak_rss": peak_rss_bytes(), "rss": rss_bytes(), "phases": phases,
        "cpu_seconds": cpu2 - cpu1, "cpu_phases": cpu_phases,
        "worker_cpu_seconds": children.ru_utime + children.ru_stime,
        "snapshot_after": None if write is None else {
            "wall_seconds_after_answer": t4 - t3, "seconds": write.seconds,
            "cpu_seconds": write.cpu_seconds, "written": write.written is not None},
        "cpu_seconds_all": cpu4 - cpu1,
    }, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
