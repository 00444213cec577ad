"""The 2-hop query of ``newsgraph bench`` timed in one process against an older revision's
traversal: the graph is loaded once, then the old ``graph/walk.py`` and
``graph/traverse.py`` (read from git) and the current ones answer the same starts in
turn, their answers checked equal (and against the naive way on a few starts); each
kind's p50 in wall-clock time and in this thread's CPU time (what a busy machine's other
work does not add to).

    python -m bench.within_ab CORPUS CACHE REV [--snapshot-of REV2] [--repeat 5]

``--snapshot-of`` reads the snapshot a revision's ``graph/`` wrote (its code digest),
so a large corpus need not be loaded cold again; the snapshot's data are the same.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def _code_digest_at(rev: str) -> str:
    """The digest graph.snapshot gives the ``graph`` package as it was at ``rev``."""
    h = hashlib.sha256()
    names = sorted(p for p in _git("ls-tree", "--name-only", rev, "graph/").split()
                   if p.endswith(".py") and "/" not in p[len("graph/"):])
    for path in names:
        h.update(Path(path).name.encode())
        h.update(subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                                capture_output=True).stdout)
    return h.hexdigest()


def _old_traverse(rev: str, where: Path) -> ModuleType:
    """Import ``rev``'s graph/walk.py and graph/traverse.py as modules of their own."""
    (where / "walk_at_rev.py").write_text(_git("show", f"{rev}:graph/walk.py"))
    text = _git("show", f"{rev}:graph/traverse.py")
    (where / "traverse_at_rev.py").write_text(
        text.replace("from graph.walk import", "from walk_at_rev import"))
    sys.path.insert(0, str(where))
    spec = importlib.util.spec_from_file_location("traverse_at_rev",
                                                  where / "traverse_at_rev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["traverse_at_rev"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; print one line per kind of start."""
    parser = argparse.ArgumentParser(prog="python -m bench.within_ab")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("cache", type=Path)
    parser.add_argument("rev", help="the revision whose traversal is compared")
    parser.add_argument("--snapshot-of", help="read the snapshot this revision wrote")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive", type=int, default=3, help="starts of each kind checked")
    args = parser.parse_args(argv)

    import graph
    from bench.generate import PHRASE
    from bench.naive import naive_within
    from bench.run import bench_starts
    from graph import snapshot, traverse

    if args.snapshot_of:
        digest = _code_digest_at(args.snapshot_of)
        snapshot.code_digest = lambda: digest
    t = time.perf_counter()
    kg = graph.load(args.corpus, cache=args.cache)
    print(f"loaded in {time.perf_counter() - t:.1f} s", flush=True)
    gc.freeze()
    old = _old_traverse(args.rev, Path(tempfile.mkdtemp(prefix="within_ab-")))
    starts = bench_starts(kg, random.Random(0))

    def page(module: Any) -> Callable[[str], Any]:
        def run(start: str) -> Any:  # what a GraphQL page of 20 reads: the count, 20 pairs
            found, _ = module.within_lazy_paths(kg, start, 2, mentions=PHRASE)
            return len(found), found[:20]
        return run

    def whole(module: Any) -> Callable[[str], Any]:
        return lambda start: module.within(kg, start, 2, mentions=PHRASE)

    runs = {"old list": whole(old), "new list": whole(traverse),
            "old page": page(old), "new page": page(traverse)}
    checked = 0
    for kind, nodes in starts.items():
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        for i, node in enumerate(nodes):
            answer = runs["old list"](node)
            assert runs["new list"](node) == answer, node
            assert runs["old page"](node) == runs["new page"](node), node
            if i < args.naive:
                assert answer == naive_within(kg.nx, node, 2, PHRASE), node
                checked += 1
            for _ in range(args.repeat):
                for name, run in runs.items():  # alternated on the same start
                    t, c = time.perf_counter(), time.thread_time()
                    run(node)  # the answer is let go in the timing, as bench.measure.timed does
                    cpu[name].append(time.thread_time() - c)
                    times[name].append(time.perf_counter() - t)
        for what, seconds in (("p50 ms", times), ("CPU p50", cpu)):
            p50 = {name: statistics.median(v) * 1e3 for name, v in seconds.items()}
            print(f"{kind:8} {what}: " + ", ".join(f"{k} {v:.2f}" for k, v in p50.items())
                  + f"; list {p50['old list'] / p50['new list']:.2f}x,"
                  f" page {p50['old page'] / p50['new page']:.2f}x", flush=True)
    print(f"old == new on {sum(len(v) for v in starts.values())} starts,"
          f" == naive on {checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
