"""The benchmark runner: one run, every figure measured side by side, one table, one JSON.

1. cold load (records/s, wall time) at each size, a serial baseline, and a warm
   start from the snapshot cache;
2. peak RSS and RSS per article at the largest size;
3. ``within(hops=2, mentions="facial recognition")`` from 20 starts of each kind,
   fast path against networkx's BFS plus a text scan — checked identical;
4. the same query in Kuzu, an embedded graph database, from the same starts: Cypher
   ``[*1..2]`` over the same nodes and edges, checked identical (bench/kuzudb.py);
   skipped, saying so, when kuzu is not installed;
5. the same through the GraphQL schema in-process against plain-Python JSON;
6. over HTTP on loopback: distinct starts, one repeated query, a bare Starlette
   endpoint returning the same bytes, and one doing the same walk for distinct starts
   and building the same JSON by hand;
7. ``search(text:)`` for the 20 commonest words: the index (built once, timed) against
   the scan it replaced, checked identical;
8. serving (bench/noisy.py): time to the first /healthz answer, to ready and to the
   background analytics; cheap-query p50/p99 idle and beside each heavy query;
9. ``serve --workers 2`` against one server: throughput and memory (bench/workers.py);
10. sustained ingest (bench/ingest.py): records/s through the ``ingest`` mutation in
    batches of 100 while ``--connections`` clients send the 2-hop query, their p99
    against idle, and every acknowledged record found through the API at the end;
11. with ``--million``: cold load, warm start, RSS and the query's p50 from each kind of
    start at 1M records, checked against the naive way on a sample of starts.

Ratios compare figures taken in the same run on the same machine, which is what
stays meaningful on a shared, noisy box.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from bench.generate import MANIFEST_NAME, PHRASE, STYLES, generate
from bench.measure import percentile, timed, timed_cpu
from schema.cli import positive_number
from schema.loadtest import stop_server

__all__ = ["main", "add_arguments", "run", "bench_starts"]

MILLION = 1_000_000
MILLION_CHECKED = 5  # starts of each kind checked against the naive way at 1M
TARGETS = {
    "load_records_per_s": 10_000,
    "warm_start_s": 1.0,  # issue 14: warm start ≤ 1 s, serving RSS ≤ 400 MiB at 100k
    "rss_bytes": 400 << 20,
    "within_article_p50_ms": 1.0,
    "within_topic_p50_ms": 5.0,
    "within_speedup": 20.0,
    "kuzu_ratio": 20.0,
    "million_warm_start_s": 10.0,
    "million_rss_bytes": 4 << 30,
    "million_within_p50_ms": 5.0,
    "graphql_ratio": 2.0,
    "http_distinct_share": 0.40,
    "http_distinct_walk_share": 0.50,
    "http_repeated_share": 0.80,
    "live_p50_ms": 500.0,
    "live_p99_ms": 2000.0,
    "live_rss_ratio": 1.10,
    "workers_throughput": 1.7,  # --workers 2 over --workers 1, distinct within over HTTP
    "workers_pss": 1.3,  # --workers 2's process tree over one server, PSS summed
    "ingest_records_per_s": 1000.0,  # issue 15: batches of 100 while 16 clients query
    "ingest_p99_ratio": 2.0,  # their 2-hop p99 under ingest over idle
}


_seconds = positive_number("seconds", "3 or 0.5")


def _count(least: int) -> Callable[[str], int]:
    """A whole-number argument of at least ``least``."""
    def count(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = least - 1
        if n < least:
            raise argparse.ArgumentTypeError(
                f"must be a whole number, at least {least}, got {text!r}")
        return n
    return count


def _sizes(text: str) -> list[int]:
    """Corpus sizes: record counts of at least 1, comma-separated; sorted, each once."""
    parts = [s.strip() for s in text.split(",") if s.strip()]
    try:
        sizes = sorted({int(s) for s in parts})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(
            "expected record counts, whole numbers of at least 1, comma-separated "
            f"(like 10000,100000), got {text!r}")
    return sizes


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the runner's options to an argument parser (``newsgraph bench`` shares them)."""
    p.add_argument("--sizes", type=_sizes, default=[10_000, 100_000],
                   help="corpus sizes in records, comma-separated (default: 10000,100000)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default: %(default)s)")
    p.add_argument("--style", choices=STYLES, default="mixed",
                   help="how the corpus is written: one writer's YAML or JSON dialect, or "
                        "mixed (default: %(default)s)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where corpora and snapshots live (default: a folder in $TMPDIR); "
                        "a corpus already there with the same size, seed and style is reused")
    p.add_argument("--json", type=Path, default=None, metavar="PATH",
                   help="write the figures here (default: WORKDIR/results.json)")
    p.add_argument("--baseline-max", type=_count(0), default=10_000, metavar="N",
                   help="time the serial, single-process load at sizes up to N "
                        "(default: %(default)s)")
    p.add_argument("--repeat", type=_count(1), default=5,
                   help="fast-path calls per start (default: %(default)s)")
    p.add_argument("--http-seconds", type=_seconds, default=3.0,
                   help="length of each HTTP phase (default: %(default)s)")
    p.add_argument("--connections", type=_count(1), default=16,
                   help="HTTP client connections (default: %(default)s)")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    p.add_argument("--no-workers", action="store_true",
                   help="skip serve --workers 2 against one server (memory, throughput)")
    p.add_argument("--no-serving", action="store_true",
                   help="skip the start-up and noisy-neighbour measurements")
    p.add_argument("--attack-seconds", type=_seconds, default=5.0,
                   help="length of each noisy-neighbour phase (default: %(default)s)")
    p.add_argument("--live-changes", type=_count(1), default=20, metavar="N",
                   help="new files dropped into a followed copy of the largest corpus, "
                        "each timed from landing to visible (default: %(default)s)")
    p.add_argument("--live-rss-changes", type=_count(1), default=1000, metavar="N",
                   help="single-record changes applied before the followed corpus's memory "
                        "is compared with a cold load's (default: %(default)s)")
    p.add_argument("--no-live", action="store_true",
                   help="skip the live (followed corpus) measurements")
    p.add_argument("--ingest-records", type=_count(1), default=2000, metavar="N",
                   help="records sent through the ingest mutation, in batches of 100, to a "
                        "server of a copy of the largest corpus while --connections clients "
                        "query (default: %(default)s)")
    p.add_argument("--ingest-idle-seconds", type=_seconds, default=5.0,
                   help="length of the clients' idle phase before the ingest "
                        "(default: %(default)s)")
    p.add_argument("--no-ingest", action="store_true",
                   help="skip the sustained-ingest measurement")
    p.add_argument("--million", action="store_true",
                   help="also generate, load and query 1M records (takes many minutes)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite from the command line; return the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the suite with parsed options; print the table and write the JSON."""
    sizes = sorted(set(args.sizes) | ({MILLION} if args.million else set()))
    workdir = args.workdir or Path(tempfile.gettempdir()) / "newsgraph-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": _machine(), "seed": args.seed, "style": args.style,
                               "sizes": sizes,
                               "phrase": PHRASE, "loads": {}}
    for n in sizes:
        corpus = _corpus(workdir, n, args.seed, args.style)
        results["loads"][str(n)] = _loads(workdir, corpus, n, args.baseline_max)
    largest = sizes[-1] if not args.million else sizes[-2] if len(sizes) > 1 else sizes[-1]
    corpus = _corpus_path(workdir, largest, args.seed, args.style)
    cache = workdir / "cache"
    results["query_size"] = largest
    results.update(_queries(corpus, cache, args))
    if not args.no_http:
        results["http"] = _http(corpus, cache, args)
    if not args.no_http and not args.no_workers:
        from bench.workers import measure

        print("serve --workers 2 and one server: memory and throughput ...", file=sys.stderr,
              flush=True)
        results["workers"] = measure(corpus, cache, cache.parent / "http-starts.json",
                                     seconds=args.http_seconds, connections=args.connections)
    if not args.no_serving:
        results["serving"] = _serving(corpus, args)
    if not args.no_live:
        results["live"] = _live(corpus, args)
    if not args.no_ingest:
        results["ingest"] = _ingest(corpus, args)
    if args.million:
        results["million"] = _million(workdir, args, results["loads"][str(MILLION)])
    results["targets"] = _verdicts(results)
    out = args.json or workdir / "results.json"
    out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(render(results))
    print(f"\nfigures written to {out}")
    same = results.get("identical", True) and results.get("million", {}).get("identical", True)
    return 0 if same else 1


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0],
            "platform": sys.platform, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}


def _corpus_path(workdir: Path, n: int, seed: int, style: str) -> Path:
    return workdir / f"corpus-{n}-s{seed}-{style}"


def _corpus(workdir: Path, n: int, seed: int, style: str) -> Path:
    path = _corpus_path(workdir, n, seed, style)
    manifest = path / MANIFEST_NAME
    if manifest.exists():
        try:
            known = json.loads(manifest.read_text(encoding="utf-8"))
            if (known.get("records"), known.get("seed"), known.get("style")) == (n, seed, style):
                return path
        except ValueError:
            pass
    print(f"generating {n:,} records ({style}) in {path} ...", file=sys.stderr, flush=True)
    from schema.progress import terminal_progress

    printer = terminal_progress()
    generate(n, path, seed=seed, style=style,
             progress=printer.records if printer is not None else None)
    return path


def _probe(path: Path, *options: str, trace: bool = False) -> dict[str, Any]:
    # With ``trace``, the load's phases, records and RSS go to our stderr as it runs.
    cmd = [sys.executable, "-m", "bench.load", str(path), *options, *(["--trace"] * trace)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if trace else subprocess.PIPE,
                          text=True, check=False, env=_env())
    if done.returncode != 0:
        why = "its trace is above" if trace else done.stderr
        raise RuntimeError(f"{' '.join(cmd)} failed (exit status {done.returncode}):\n{why}")
    return json.loads(done.stdout)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _loads(workdir: Path, corpus: Path, n: int, baseline_max: int) -> dict[str, Any]:
    cache = workdir / "cache"
    out: dict[str, Any] = {}
    if n < MILLION:
        print(f"loading {n:,} records: cold, warm ...", file=sys.stderr, flush=True)
        out["cold"] = _probe(corpus)
    if n <= baseline_max:
        out["serial"] = _probe(corpus, "--workers", "1")
    out["snapshot_write"] = _probe(corpus, "--cache", str(cache), trace=n >= MILLION)
    if n >= MILLION:
        # One cold load, not two, at a million: the snapshot-writing load, less the time
        # it spent writing the snapshot.
        print(f"loaded {n:,} records cold (with the snapshot write); warm ...",
              file=sys.stderr, flush=True)
        cold = dict(out["snapshot_write"])
        cold["seconds"] -= cold["phases"].get("snapshot", 0.0)
        cold["first_answer_seconds"] -= cold["phases"].get("snapshot", 0.0)
        out["cold"] = cold
    out["warm"] = _probe(corpus, "--cache", str(cache), trace=n >= MILLION)
    cold, warm = out["cold"], out["warm"]
    out["warm_matches_cold"] = all(
        cold[k] == warm[k] for k in ("records", "articles", "stubs", "providers", "topics",
                                     "edges", "nodes", "edge_count", "warnings", "errors"))
    return out


def bench_starts(kg: Any, rng: random.Random) -> dict[str, list[str]]:
    """Twenty starts of each kind: random full articles, the biggest topics (hubs) and
    the biggest providers."""
    g = kg.nx
    articles = sorted(n for n, d in g.nodes(data=True)
                      if d["kind"] == "article" and not d.get("is_stub"))
    by_degree = {}
    for kind in ("topic", "provider"):
        nodes = [n for n, d in g.nodes(data=True) if d["kind"] == kind]
        nodes.sort(key=lambda n: (-g.in_degree(n), n))
        by_degree[kind] = nodes[:20]
    return {"article": rng.sample(articles, min(20, len(articles))),
            "topic": by_degree["topic"], "provider": by_degree["provider"]}


def _queries(corpus: Path, cache: Path, args: argparse.Namespace) -> dict[str, Any]:
    import graph

    print("querying in-process: fast path, naive, GraphQL, plain ...", file=sys.stderr,
          flush=True)
    kg = graph.load(corpus, cache=cache)
    gc.freeze()  # as the server does once its graph is loaded: no collector pauses
    try:
        return _measure_queries(kg, cache, args)
    finally:
        gc.unfreeze()


def _measure_queries(kg: Any, cache: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.naive import naive_within
    from bench.queries import WITHIN_QUERY, plain_within_json, within_variables
    from schema.query import execute

    rng = random.Random(args.seed)
    starts = bench_starts(kg, rng)
    # The naive way on networkx's own dicts, as a notebook would have it: kg.nx reads the
    # loaded edge arrays through views (graph/compact.py), slower to walk.
    plain = kg.nx.copy()
    within: dict[str, Any] = {}
    identical = True
    for kind, nodes in starts.items():
        fast_times: list[float] = []
        naive_times: list[float] = []
        counts = []
        for node in nodes:
            kg.within(node, 2, mentions=PHRASE)  # first call warms the phrase cache
            times, fast = timed(partial(kg.within, node, 2, mentions=PHRASE), args.repeat)
            fast_times += times
            times, slow = timed(partial(naive_within, plain, node, 2, PHRASE))
            naive_times += times
            counts.append(len(fast))
            if fast != slow:
                identical = False
                print(f"MISMATCH from {node}: fast {len(fast)} vs naive {len(slow)}",
                      file=sys.stderr)
        within[kind] = {
            "starts": len(nodes), "results_mean": sum(counts) / max(1, len(counts)),
            "p50_ms": percentile(fast_times, 50) * 1e3, "p99_ms": percentile(fast_times, 99) * 1e3,
            "naive_p50_ms": percentile(naive_times, 50) * 1e3,
            "naive_p99_ms": percentile(naive_times, 99) * 1e3,
        }
        within[kind]["speedup"] = within[kind]["naive_p50_ms"] / within[kind]["p50_ms"]

    gql_times: list[float] = []
    standard_times: list[float] = []
    plain_times: list[float] = []
    cpu: dict[str, list[float]] = {"planned": [], "standard": [], "plain": []}
    same_json = True
    for node in starts["article"] + starts["topic"]:
        variables = within_variables(node)

        def via_graphql(variables: dict[str, Any] = variables) -> str:
            return json.dumps(execute(kg, WITHIN_QUERY, variables))

        def via_standard(variables: dict[str, Any] = variables) -> str:
            return json.dumps(execute(kg, WITHIN_QUERY, variables, planned=False))

        def via_plain(node: str = node) -> str:
            return json.dumps(plain_within_json(kg, node))

        via_graphql()
        via_standard()
        via_plain()
        times, used, a = timed_cpu(via_graphql, args.repeat)
        gql_times += times
        cpu["planned"] += used
        times, used, c = timed_cpu(via_standard, args.repeat)
        standard_times += times
        cpu["standard"] += used
        times, used, b = timed_cpu(via_plain, args.repeat)
        plain_times += times
        cpu["plain"] += used
        if not json.loads(a) == json.loads(b) == json.loads(c):
            same_json = False
            print(f"GraphQL and plain JSON differ from {node}", file=sys.stderr)
    kuzu = _kuzu(kg, starts, within, args.repeat)
    identical = identical and kuzu.get("identical", True)
    graphql = {
        "p50_ms": percentile(gql_times, 50) * 1e3, "p99_ms": percentile(gql_times, 99) * 1e3,
        "plain_p50_ms": percentile(plain_times, 50) * 1e3,
        "plain_p99_ms": percentile(plain_times, 99) * 1e3, "same_json": same_json,
        "standard_p50_ms": percentile(standard_times, 50) * 1e3,
        "standard_p99_ms": percentile(standard_times, 99) * 1e3,
    }
    graphql["ratio"] = graphql["p50_ms"] / graphql["plain_p50_ms"]
    graphql["standard_ratio"] = graphql["standard_p50_ms"] / graphql["plain_p50_ms"]
    for name, used in cpu.items():
        graphql[f"{name}_cpu_p50_ms"] = percentile(used, 50) * 1e3
    plain_cpu = graphql["plain_cpu_p50_ms"] or float("nan")
    graphql["cpu_ratio"] = graphql["planned_cpu_p50_ms"] / plain_cpu
    graphql["standard_cpu_ratio"] = graphql["standard_cpu_p50_ms"] / plain_cpu
    search = _search(kg)
    article_starts = sorted(n for n, d in kg.nx.nodes(data=True)
                            if d["kind"] == "article" and not d.get("is_stub"))
    rng.shuffle(article_starts)
    (cache.parent / "http-starts.json").write_text(json.dumps(article_starts[:20000]))
    identical = identical and search["identical"]
    return {"within": within, "identical": identical, "kuzu": kuzu, "graphql": graphql,
            "search": search}


def _kuzu(kg: Any, starts: dict[str, list[str]], within: dict[str, Any],
          repeat: int) -> dict[str, Any]:
    """Time the 2-hop query in Kuzu from the same starts; check its answers are
    newsgraph's; the ratio is Kuzu's p50 over newsgraph's, kind by kind."""
    from bench import kuzudb

    if not kuzudb.available():
        print(f"kuzu row skipped: {kuzudb.MISSING}", file=sys.stderr, flush=True)
        return {"skipped": kuzudb.MISSING}
    print("kuzu: importing the graph, then the same starts ...", file=sys.stderr, flush=True)
    out: dict[str, Any] = {"identical": True}
    with kuzudb.open_kuzu(kg.nx, PHRASE) as kz:
        out["import_s"] = kz.import_s
        for kind, nodes in starts.items():
            times: list[float] = []
            for node in nodes:
                kz.within(node)  # warm Kuzu's caches, as newsgraph's are warmed
                t, found = timed(partial(kz.within, node), repeat)
                times += t
                if found != sorted(kg.within(node, 2, mentions=PHRASE)):
                    out["identical"] = False
                    print(f"MISMATCH from {node}: Kuzu {len(found)} results", file=sys.stderr)
            p50 = percentile(times, 50) * 1e3
            out[kind] = {"starts": len(nodes), "p50_ms": p50,
                         "p99_ms": percentile(times, 99) * 1e3,
                         "ratio": p50 / within[kind]["p50_ms"]}
    return out


def _search(kg: Any) -> dict[str, Any]:
    """Time ``search(text:)`` for the 20 commonest words: index build, then each word
    through the index; the scan it replaced for three of them, checked identical."""
    from collections import Counter

    from graph.normalize import tokens
    from graph.search import build_search_index
    from graph.select import search, search_by_scan

    print("search: building the index, the 20 commonest words ...", file=sys.stderr,
          flush=True)
    began = time.perf_counter()
    kg.analytics.install({"search_index": build_search_index(kg)})
    build_s = time.perf_counter() - began
    counts: Counter[str] = Counter()
    index = kg.index
    for i in range(0, len(index.ids), max(1, len(index.ids) // 5000)):  # a sample
        if index.kind[i] == "article":
            counts.update(set(tokens(" ".join(index.texts(i)))))
    words = [w for w, _ in counts.most_common(20)]
    times: list[float] = []
    for word in words:
        t, _ = timed(partial(search, kg, word), 5)
        times += t
    scan: list[float] = []
    identical = True
    for word in words[:3]:
        t, want = timed(partial(search_by_scan, kg, word))
        scan += t
        identical = identical and list(search(kg, word)) == want
    return {"words": words, "build_s": build_s, "p50_ms": percentile(times, 50) * 1e3,
            "p99_ms": percentile(times, 99) * 1e3, "scan_p50_ms": percentile(scan, 50) * 1e3,
            "identical": identical}


def _serving(corpus: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.measure import rss_of
    from bench.noisy import attack, heavy_requests, start

    print("serving: start-up, then cheap queries beside each heavy one ...",
          file=sys.stderr, flush=True)
    out: dict[str, Any] = {}
    with start(corpus, wait_analytics=True, within=3600) as served:
        out.update(first_health_s=served.first_health_s, ready_s=served.ready_s,
                   analytics_s=served.analytics_s)
        # `newsgraph serve`'s own resident set: with its analytics in, and after it
        # served every phase below (its answer cache, plans and decoded columns in).
        out["rss_analytics"] = rss_of(served.process.pid)
        phases = {"idle": attack(served.port, args.attack_seconds).summary()}
        for name, heavy in heavy_requests(served.port).items():
            phases[name] = attack(served.port, args.attack_seconds, heavy=heavy).summary()
        out["phases"] = phases
        out["rss_after"] = rss_of(served.process.pid)
    return out


def _live(corpus: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Follow a copy of the corpus (bench/live.py adds and removes files in what it
    follows) and time new files from landing to visible, then memory after changes."""
    from bench.live import measure

    print("live: following a copy of the corpus, dropping files into it ...",
          file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="newsgraph-live-") as tmp:
        copy = Path(tmp) / corpus.name
        shutil.copytree(corpus, copy)
        return measure(copy, args.live_changes, args.live_rss_changes)


def _ingest(corpus: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Serve a copy of the corpus (ingest writes into it) and measure sustained ingest
    beside querying clients (bench/ingest.py)."""
    from bench.ingest import measure_copy

    print(f"ingest: {args.ingest_records:,} records in batches of 100 while "
          f"{args.connections} clients query ...", file=sys.stderr, flush=True)
    return measure_copy(corpus, records=args.ingest_records, clients=args.connections,
                        idle_seconds=args.ingest_idle_seconds)


def _http(corpus: Path, cache: Path, args: argparse.Namespace) -> dict[str, Any]:
    print("serving over HTTP on loopback ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryFile("w+") as errors, subprocess.Popen(
        [sys.executable, "-m", "bench.http", "serve", str(corpus), "--port", "0",
         "--cache", str(cache)],
        stdout=subprocess.PIPE, stderr=errors, text=True, env=_env(),
    ) as server:
        try:
            assert server.stdout is not None
            said, _, port_text = server.stdout.readline().strip().partition(" ")
            if said != "READY" or not port_text.isdigit():
                server.wait(timeout=30)
                errors.seek(0)
                raise RuntimeError(f"bench server did not start:\n{errors.read()}")
            port = int(port_text)  # bound by the server: the system chose it
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            done = subprocess.run(
                [sys.executable, "-m", "bench.http", "client", "--port", str(port),
                 "--starts", str(cache.parent / "http-starts.json"),
                 "--seconds", str(args.http_seconds), "--connections", str(args.connections)],
                capture_output=True, text=True, check=False, env=_env(),
                timeout=60 + 4 * args.http_seconds)
            if done.returncode != 0:
                raise RuntimeError(f"bench client failed:\n{done.stderr}")
            out = json.loads(done.stdout)
        finally:
            stop_server(server, timeout=10)
    ceiling = out["plain"]["rps"] or float("nan")
    out["distinct_share"] = out["graphql_distinct"]["rps"] / ceiling
    out["distinct_walk_share"] = (out["graphql_distinct"]["rps"]
                                  / (out["plain_within"]["rps"] or float("nan")))
    out["repeated_share"] = out["graphql_repeated"]["rps"] / ceiling
    return out


def _million(workdir: Path, args: argparse.Namespace, load: dict[str, Any]) -> dict[str, Any]:
    """At a million records: the loads measured with the other sizes, then a warm load in
    this process and the 2-hop query from each kind of start, the first few of each
    checked against the naive way."""
    import graph
    from bench.measure import peak_rss_bytes, rss_bytes
    from bench.naive import naive_within

    print("1M: warm load in-process, 2-hop queries, naive check ...", file=sys.stderr,
          flush=True)
    corpus = _corpus_path(workdir, MILLION, args.seed, args.style)
    before = rss_bytes()
    kg = graph.load(corpus, cache=workdir / "cache")
    gc.freeze()
    out: dict[str, Any] = {"load": load, "rss_growth": rss_bytes() - before,
                           "identical": True, "checked": 0, "within": {}}
    try:
        starts = bench_starts(kg, random.Random(args.seed))
        for kind, nodes in starts.items():
            times: list[float] = []
            cpu: list[float] = []  # each call's CPU too: on a busy box most wall time is not ours
            for i, node in enumerate(nodes):
                kg.within(node, 2, mentions=PHRASE)
                t, c, fast = timed_cpu(partial(kg.within, node, 2, mentions=PHRASE),
                                       args.repeat)
                times += t
                cpu += c
                if i < MILLION_CHECKED:
                    out["checked"] += 1
                    if fast != naive_within(kg.nx, node, 2, PHRASE):
                        out["identical"] = False
                        print(f"MISMATCH at 1M from {node}", file=sys.stderr)
            out["within"][kind] = {"starts": len(nodes), "p50_ms": percentile(times, 50) * 1e3,
                                   "p99_ms": percentile(times, 99) * 1e3,
                                   "cpu_p50_ms": percentile(cpu, 50) * 1e3,
                                   "cpu_p99_ms": percentile(cpu, 99) * 1e3}
    finally:
        gc.unfreeze()
    out["runner_peak_rss"] = peak_rss_bytes()
    return out


def _verdicts(r: dict[str, Any]) -> dict[str, Any]:
    size = str(r["query_size"])
    load = r["loads"][size]
    v: dict[str, Any] = {}

    def check(name: str, value: float, ok: bool) -> None:
        v[name] = {"value": value, "target": TARGETS[name], "met": bool(ok)}

    # To the first answered query, not only to the end of graph.load.
    cold = load["cold"]
    rate = cold["records"] / cold.get("first_answer_seconds", cold["seconds"])
    check("load_records_per_s", rate, rate >= TARGETS["load_records_per_s"])
    check("warm_start_s", load["warm"]["seconds"],
          load["warm"]["seconds"] <= TARGETS["warm_start_s"] and load["warm_matches_cold"])
    # Serving: `newsgraph serve`'s resident set after the serving phases, else the bench's
    # HTTP server's after its phases (it holds a second route's answers), else the warm
    # process's.
    rss = (r.get("serving", {}).get("rss_after") or r.get("http", {}).get("server", {})
           .get("rss") or load["warm"]["rss"])
    check("rss_bytes", rss, rss <= TARGETS["rss_bytes"])
    w = r["within"]
    check("within_article_p50_ms", w["article"]["p50_ms"],
          w["article"]["p50_ms"] <= TARGETS["within_article_p50_ms"])
    check("within_topic_p50_ms", w["topic"]["p50_ms"],
          w["topic"]["p50_ms"] <= TARGETS["within_topic_p50_ms"])
    speedup = min(w[k]["speedup"] for k in ("article", "topic"))
    check("within_speedup", speedup, speedup >= TARGETS["within_speedup"] and r["identical"])
    kz = r.get("kuzu", {})
    if "skipped" not in kz:
        ratio = min(kz[k]["ratio"] for k in ("article", "topic", "provider"))
        check("kuzu_ratio", ratio, ratio >= TARGETS["kuzu_ratio"] and kz["identical"])
    check("graphql_ratio", r["graphql"]["ratio"],
          r["graphql"]["ratio"] <= TARGETS["graphql_ratio"] and r["graphql"]["same_json"])
    if "live" in r:
        lv = r["live"]
        check("live_p50_ms", lv["p50_ms"], lv["p50_ms"] <= TARGETS["live_p50_ms"])
        check("live_p99_ms", lv["p99_ms"], lv["p99_ms"] <= TARGETS["live_p99_ms"])
        if "rss" in lv:
            ratio = lv["rss"] / lv["load_rss"]
            check("live_rss_ratio", ratio, ratio <= TARGETS["live_rss_ratio"])
    if "ingest" in r:
        ig = r["ingest"]
        rate = ig["ingest"]["records_per_s"]
        check("ingest_records_per_s", rate, rate >= TARGETS["ingest_records_per_s"]
              and ig["all_present"] and not ig["ingest"]["problems"])
        check("ingest_p99_ratio", ig["p99_ratio"], ig["p99_ratio"] <= TARGETS["ingest_p99_ratio"]
              and not ig["under_ingest"]["failures"])
    if "million" in r:
        m = r["million"]
        warm = m["load"]["warm"]
        check("million_warm_start_s", warm["seconds"],
              warm["seconds"] <= TARGETS["million_warm_start_s"])
        rss = warm["rss"]
        check("million_rss_bytes", rss, rss <= TARGETS["million_rss_bytes"])
        p50 = max(w["p50_ms"] for w in m["within"].values())
        check("million_within_p50_ms", p50,
              p50 <= TARGETS["million_within_p50_ms"] and m["identical"])
    if "http" in r:
        h = r["http"]
        check("http_distinct_share", h["distinct_share"],
              h["distinct_share"] >= TARGETS["http_distinct_share"])
        if "distinct_walk_share" in h:
            check("http_distinct_walk_share", h["distinct_walk_share"],
                  h["distinct_walk_share"] >= TARGETS["http_distinct_walk_share"])
        check("http_repeated_share", h["repeated_share"],
              h["repeated_share"] >= TARGETS["http_repeated_share"]
              and not h["graphql_repeated"]["mismatches"])
    if "workers" in r:
        w = r["workers"]
        check("workers_throughput", w["throughput_ratio"],
              w["throughput_ratio"] >= TARGETS["workers_throughput"])
        check("workers_pss", w["pss_ratio"], w["pss_ratio"] <= TARGETS["workers_pss"])
    return v


def _cpu_per_request(w: dict[str, Any]) -> str:
    """The servers' CPU a request with 2 and 1 workers, and the client's (which shares
    the machine's cores with them), from bench/workers.py's phases."""
    def ms(phase: dict[str, Any], key: str) -> str:
        used = phase.get(key)
        return f"{used / phase['requests'] * 1e3:.2f}" if used and phase["requests"] else "?"

    two, one = w["workers2"]["http"], w["workers1"]["http"]
    return (f"{ms(two, 'server_cpu_s')} / {ms(one, 'server_cpu_s')} ms, "
            f"{two.get('client', '?')} {ms(two, 'client_cpu_s')} ms")


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def render(r: dict[str, Any]) -> str:
    """Return the results as one plain-text table."""
    rows: list[tuple[str, str, str, str]] = []
    for n, load in r["loads"].items():
        cold = load["cold"]
        rate = cold["records"] / cold["seconds"]
        base = ""
        if "serial" in load:
            s = load["serial"]
            serial = s["records"] / s["seconds"]
            base = f"serial {serial:,.0f} rec/s ({rate / serial:.1f}x); "
        first = cold.get("first_answer_seconds", cold["seconds"])
        base += f"first answer {first:.2f} s ({cold['records'] / first:,.0f} rec/s)"
        rows.append((f"cold load {int(n):,} records", f"{cold['seconds']:.2f} s, {rate:,.0f} rec/s",
                     base, "≥ 10,000 rec/s at 100k"))
        warm = load["warm"]
        rows.append((f"warm start {int(n):,} records", f"{warm['seconds']:.2f} s",
                     f"cold {cold['seconds']:.2f} s ({cold['seconds'] / warm['seconds']:.1f}x)"
                     + ("" if load["warm_matches_cold"] else " MISMATCH"), "≤ 1 s at 100k"))
        rows.append((f"peak RSS {int(n):,} records", f"cold {_mb(cold['peak_rss'])}, "
                     f"warm {_mb(warm['peak_rss'])}",
                     f"{warm['rss'] / max(1, warm['articles']) / 1024:.1f} KB/article (warm)",
                     "≤ 400 MB at 100k"))
    n = r["query_size"]
    for kind, w in r["within"].items():
        rows.append((f"within 2 hops from {kind}s ({n:,})",
                     f"p50 {w['p50_ms']:.2f} ms, p99 {w['p99_ms']:.2f} ms",
                     f"naive p50 {w['naive_p50_ms']:.1f} ms ({w['speedup']:.0f}x)",
                     {"article": "≤ 1 ms, ≥ 20x", "topic": "≤ 5 ms, ≥ 20x"}.get(kind, "")))
    rows.append(("within: fast == naive", "identical" if r["identical"] else "DIFFERENT", "", ""))
    kz = r.get("kuzu", {})
    if "skipped" in kz:
        rows.append(("Kuzu, same 2-hop query", "skipped", kz["skipped"], "≥ 20x Kuzu"))
    elif kz:
        for kind in ("article", "topic", "provider"):
            k = kz[kind]
            rows.append((f"Kuzu 2 hops from {kind}s ({n:,})",
                         f"p50 {k['p50_ms']:.2f} ms, p99 {k['p99_ms']:.2f} ms",
                         f"newsgraph {k['ratio']:.1f}x faster"
                         + ("" if kz["identical"] else " DIFFERENT"), "≥ 20x Kuzu"))
    gq = r["graphql"]
    rows.append(("GraphQL within, 20 results", f"p50 {gq['p50_ms']:.2f} ms",
                 f"plain JSON p50 {gq['plain_p50_ms']:.2f} ms ({gq['ratio']:.1f}x)"
                 + ("" if gq["same_json"] else " DIFFERENT"), "≤ 2x plain"))
    if "standard_p50_ms" in gq:
        rows.append(("GraphQL within, standard executor", f"p50 {gq['standard_p50_ms']:.2f} ms",
                     f"plain JSON p50 {gq['plain_p50_ms']:.2f} ms "
                     f"({gq['standard_ratio']:.1f}x); planned {gq['ratio']:.1f}x", ""))
    if "cpu_ratio" in gq:
        rows.append(("GraphQL within, CPU time", f"p50 {gq['planned_cpu_p50_ms']:.2f} ms",
                     f"plain JSON {gq['plain_cpu_p50_ms']:.2f} ms ({gq['cpu_ratio']:.1f}x); "
                     f"standard {gq['standard_cpu_p50_ms']:.2f} ms "
                     f"({gq['standard_cpu_ratio']:.1f}x)", "≤ 2x plain"))
    if "search" in r:
        sr = r["search"]
        rows.append((f"search, 20 commonest words ({n:,})",
                     f"p50 {sr['p50_ms']:.3f} ms, p99 {sr['p99_ms']:.3f} ms",
                     f"scan p50 {sr['scan_p50_ms']:.0f} ms; index built in "
                     f"{sr['build_s']:.1f} s" + ("" if sr["identical"] else " DIFFERENT"),
                     "p50 ≤ 5 ms at 100k"))
    if "serving" in r:
        sv = r["serving"]
        rows.append(("serve: first /healthz, ready, analytics in",
                     f"{sv['first_health_s']:.1f} s, {sv['ready_s']:.1f} s, "
                     f"{sv['analytics_s'] or float('nan'):.0f} s", "", "healthz at once"))
        if sv.get("rss_after"):
            rows.append(("newsgraph serve RSS, after serving", _mb(sv["rss_after"]),
                         f"analytics in {_mb(sv.get('rss_analytics') or 0)}; then every "
                         "phase below", "≤ 400 MB at 100k"))
        idle = sv["phases"]["idle"]
        for name, ph in sv["phases"].items():
            fails = sum(ph["cheap_failures"].values())
            heavy = (f"heavy: {ph['heavy']} done, longest {ph['heavy_max_s']:.1f} s"
                     if "heavy" in ph else "")
            rows.append((f"cheap query, {name}",
                         f"p50 {ph['cheap_p50_ms']:.1f} ms, p99 {ph['cheap_p99_ms']:.1f} ms"
                         + (f", {fails} failed" if fails else ""),
                         heavy + (f" (p99 {ph['cheap_p99_ms'] / idle['cheap_p99_ms']:.1f}x "
                                  "idle)" if name != "idle" else ""),
                         "" if name == "idle" else "p99 ≤ 3x idle"))
    if "http" in r:
        h = r["http"]
        plain = h["plain"]
        phases = (("distinct", "graphql_distinct", "distinct_share", "≥ 40%"),
                  ("repeated", "graphql_repeated", "repeated_share", "≥ 80%"))
        for name, key, share, target in phases:
            ph = h[key]
            rows.append((f"HTTP GraphQL, {name} queries",
                         f"{ph['rps']:,.0f} req/s, p99 {ph['p99_ms']:.1f} ms",
                         f"plain {plain['rps']:,.0f} req/s, p99 {plain['p99_ms']:.1f} ms "
                         f"({h[share]:.0%})", f"{target} of plain"))
        if "plain_within" in h:
            pw, gd = h["plain_within"], h["graphql_distinct"]
            rows.append(("HTTP GraphQL, distinct, vs same walk",
                         f"{gd['rps']:,.0f} req/s, p99 {gd['p99_ms']:.1f} ms",
                         f"bare walk + JSON {pw['rps']:,.0f} req/s, p99 {pw['p99_ms']:.1f} ms "
                         f"({h['distinct_walk_share']:.0%})", "≥ 50% of bare walk"))
        if "graphql_distinct_standard" in h:
            sd = h["graphql_distinct_standard"]
            rows.append(("HTTP GraphQL, distinct, standard executor",
                         f"{sd['rps']:,.0f} req/s, p99 {sd['p99_ms']:.1f} ms",
                         f"{sd['rps'] / (pw['rps'] or float('nan')):.0%} of bare walk; "
                         f"planned {gd['rps'] / (sd['rps'] or float('nan')):.2f}x it", ""))
        if "server" in h:
            rows.append(("bench HTTP server RSS, after its phases",
                         _mb(h["server"].get("rss", 0)),
                         f"peak {_mb(h['server']['peak_rss'])}; two routes' answer caches",
                         "" if r.get("serving", {}).get("rss_after") else "≤ 400 MB at 100k"))
    if "live" in r:
        lv = r["live"]
        rows.append((f"live: file landing -> visible ({lv['records']:,})",
                     f"p50 {lv['p50_ms']:.0f} ms, p99 {lv['p99_ms']:.0f} ms",
                     f"{lv['changes']} new files, max {lv['max_ms']:.0f} ms",
                     "p50 ≤ 500 ms, p99 ≤ 2 s at 100k"))
        if "rss" in lv:
            rows.append((f"live: RSS after {lv['rss_changes']:,} changes", _mb(lv["rss"]),
                         f"cold load {_mb(lv['load_rss'])} "
                         f"({lv['rss'] / lv['load_rss']:.2f}x), fresh follow "
                         f"{_mb(lv['follow_rss'])}", "within 10% of a cold load"))
    if "ingest" in r:
        ig = r["ingest"]
        ing, idle, busy = ig["ingest"], ig["idle"], ig["under_ingest"]
        rows.append((f"ingest, batches of {ig['batch']} ({ig['records']:,})",
                     f"{ing['records_per_s']:,.0f} records/s",
                     f"{ig['acknowledged']:,} acknowledged in {ing['seconds']:.1f} s; "
                     f"{ig['present']:,} present at the end"
                     + ("" if ig["all_present"] else " MISSING")
                     + (f"; {len(ing['problems'])} problems" if ing["problems"] else ""),
                     "≥ 1,000 records/s"))
        fails = sum(busy["failures"].values())
        visible = ig["last_visible_ms"]
        rows.append((f"2-hop query, {ig['clients']} clients, under ingest",
                     f"p50 {busy['p50_ms']:.1f} ms, p99 {busy['p99_ms']:.1f} ms"
                     + (f", {fails} failed" if fails else ""),
                     f"idle p50 {idle['p50_ms']:.1f} ms, p99 {idle['p99_ms']:.1f} ms "
                     f"(p99 {ig['p99_ratio']:.1f}x); last record visible "
                     + (f"{visible:.0f} ms after its ack" if visible is not None else "never"),
                     "p99 ≤ 2x idle"))
    if "workers" in r:
        w = r["workers"]
        rps = {k: w[k]["http"]["rps"] for k in ("single", "workers1", "workers2")}
        rows.append(("HTTP distinct, --workers 2 / 1", f"{rps['workers2']:,.0f} / "
                     f"{rps['workers1']:,.0f} req/s ({w['throughput_ratio']:.2f}x)",
                     f"one server {rps['single']:,.0f} req/s", "≥ 1.7x"))
        rows.append(("… CPU a request: server 2 / 1, client", _cpu_per_request(w), "", ""))
        one, two = w["single"]["memory"]["total"], w["workers2"]["memory"]["total"]
        rows.append(("memory, --workers 2 / one server", f"PSS {_mb(two['pss'])} / "
                     f"{_mb(one['pss'])} ({w['pss_ratio']:.2f}x)",
                     f"RSS summed {_mb(two['rss'])} / {_mb(one['rss'])} "
                     f"({w['rss_ratio']:.2f}x)", "PSS ≤ 1.3x"))
    if "million" in r:
        m = r["million"]
        for kind, w in m["within"].items():
            rows.append((f"within 2 hops from {kind}s ({MILLION:,})",
                         f"p50 {w['p50_ms']:.2f} ms, p99 {w['p99_ms']:.2f} ms",
                         f"CPU p50 {w['cpu_p50_ms']:.2f} ms, p99 {w['cpu_p99_ms']:.2f} ms",
                         "≤ 5 ms"))
        rows.append((f"within at {MILLION:,}: fast == naive",
                     "identical" if m["identical"] else "DIFFERENT",
                     f"{m['checked']} starts checked", ""))
    widths = [max(len(row[i]) for row in rows + [("measure", "figure", "side by side", "target")])
              for i in range(4)]
    lines = []
    for row in [("measure", "figure", "side by side", "target")] + rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if row[0] == "measure":
            lines.append("  ".join("-" * w for w in widths))
    verdicts = r.get("targets", {})
    if verdicts:
        lines.append("")
        lines.append("targets: " + ", ".join(
            f"{k} {'met' if v['met'] else 'MISSED'}" for k, v in verdicts.items()))
    return "\n".join(lines)
