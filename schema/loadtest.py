"""A bounded loopback load test: a real ``newsgraph serve``, many concurrent clients.

    python -m schema.loadtest                      # 3,000 requests, 64 clients
    python -m schema.loadtest --requests 10000 --records 20000 --production

It writes a synthetic corpus with hubs (a few providers and topics hold most stories),
starts ``newsgraph serve`` on a free loopback port, and sends a fixed mix of queries
from ``--concurrency`` clients, each on its own keep-alive connection: 2-hop ``within``
from the biggest hubs, traversals with filters from random stories, neighborhoods,
paths, lists, search, lookups, and a share of broken and over-limit queries. It reports
the statuses, p50/p95/p99 latency, and the server's resident memory (RSS, read from
/proc) after the first thousand requests and after the last; it exits 1 on any 5xx, any
masked "Unexpected error." or when RSS grew by more than ``--max-rss-growth`` percent.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graph

__all__ = ["write_corpus", "query_mix", "run", "main"]


def write_corpus(folder: Path, records: int, seed: int = 0) -> Path:
    """Write ``records`` JSONL records with power-law providers and topics; return the folder."""
    rnd = random.Random(seed)
    providers = [f"p{i}.example" for i in range(max(3, records // 50))]
    topics = [f"Topic {i}" for i in range(max(5, records // 20))]

    def skewed(items: list[str]) -> str:
        return items[min(int(rnd.paretovariate(1.1)) - 1, len(items) - 1)]

    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "stories.jsonl").open("w", encoding="utf-8") as f:
        for i in range(records):
            domain = skewed(providers)
            words = rnd.sample(["city", "court", "data", "police", "school", "camera", "rail",
                                "budget", "vote", "health", "privacy", "market"], 4)
            if i % 25 == 0:
                words.insert(1, "facial recognition")
            record = {
                "title": f"Story {i}: " + " ".join(words),
                "excerpt": " ".join(rnd.sample(words, 2)),
                "webUrl": f"https://{domain}/news/{i}",
                "publishedDateTime": f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                "provider": {"name": domain.split(".")[0].upper(), "domain": domain},
                "topics": sorted({skewed(topics) for _ in range(rnd.randint(1, 3))}),
                "related": [{"title": f"Story {j}", "webUrl": f"https://{skewed(providers)}/news/{j}"}
                            for j in rnd.sample(range(records), min(3, records))],
            }
            f.write(json.dumps(record) + "\n")
    return folder


def query_mix(kg: graph.KnowledgeGraph, count: int, seed: int = 0,
              ) -> list[tuple[str, dict[str, Any]]]:
    """Return ``count`` (kind, request body) pairs: the mix described in the module docstring."""
    rnd = random.Random(seed)
    nx = kg.nx
    by_degree = sorted(nx.nodes, key=lambda n: nx.degree(n), reverse=True)
    hubs = [n for n in by_degree if not n.startswith("article:")][:10]
    stories = [n for n in nx.nodes if n.startswith("article:")]

    def hub_within() -> str:
        return (f'{{ within(from: "{rnd.choice(hubs)}", hops: 2, first: 20) {{ totalCount '
                "edges { hops node { id ... on Article { title url } } } } }")

    def story_within() -> str:
        return (f'{{ article(id: "{rnd.choice(stories)}") {{ title within(hops: '
                f'{rnd.randint(1, 3)}, where: {{mentions: "facial recognition"}}) '
                "{ totalCount edges { hops path { id } node { id } } } } }")

    def hub_neighborhood() -> str:
        return (f'{{ neighborhood(from: ["{rnd.choice(hubs)}"], hops: 1, limit: 200) '
                "{ nodes { id kind label hops } edges { source target kind } truncated } }")

    def path() -> str:
        return (f'{{ pathTo(from: "{rnd.choice(stories)}", id: "{rnd.choice(stories)}", '
                "maxHops: 4) { length nodes { id } } }")

    def search() -> str:
        text = rnd.choice(["court data", "facial", "rail vote"])
        return (f'{{ search(text: "{text}", first: 20) {{ totalCount edges '
                "{ matchedIn node { title } } } }")

    def node() -> str:
        return (f'{{ node(id: "{rnd.choice(stories)}") {{ id ... on Article {{ title '
                "related { totalCount } relatedBy { totalCount } } } }")

    kinds: list[tuple[str, int, Any]] = [
        ("within 2 hops from a hub", 20, hub_within),
        ("within with mentions", 15, story_within),
        ("neighborhood of a hub", 10, hub_neighborhood),
        ("pathTo", 10, path),
        ("articles where", 10, lambda: '{ articles(first: 50, where: {mentions: "privacy"}) '
                                       "{ totalCount edges { node { title provider { name } "
                                       "topics { name } } } } }"),
        ("search", 10, search),
        ("node", 10, node),
        ("topics with coTopics", 5, lambda: "{ topics(first: 100) { edges { node { slug "
                                            "articleCount coTopics(first: 5) { count topic "
                                            "{ slug } } } } } }"),
        ("stats", 4, lambda: "{ stats { records articles providers topics edges } }"),
        ("over the object limit", 3, lambda: "{ articles(first: 100) { edges { node { related("
                                             "first: 100) { edges { node { relatedBy(first: "
                                             "100) { totalCount } } } } } } } }"),
        ("syntax error", 3, lambda: "{ stats { records "),
    ]
    chosen = rnd.choices(kinds, [w for _, w, _ in kinds], k=count)
    return [(name, {"query": make()}) for name, _, make in chosen]


# What `newsgraph serve` says on stderr once it has bound its socket (schema/cli.py).
# Its groups: the base URL, the port.
SERVING = re.compile(r"newsgraph: serving GraphQL at (http://\S+:(\d+))/graphql ")


def bound_port(server: subprocess.Popen[str], said: list[str] | None = None) -> int:
    """Read a ``newsgraph serve ... --port 0``'s stderr up to the line saying where it
    serves (each line read appended to ``said``); return that port. The system chose it
    as the server bound it: no other socket can take it first, as one may take a port
    chosen free and let go."""
    assert server.stderr is not None
    said = [] if said is None else said
    for line in server.stderr:
        said.append(line)
        found = SERVING.match(line)
        if found:
            return int(found.group(2))
    server.wait()
    raise RuntimeError(f"newsgraph serve did not start: {''.join(said)}")


def rss_kb(pid: int) -> int:
    """Return a process's resident set size in KiB, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Report:
    """What a load test measured."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    limit_errors: int = 0
    other_errors: int = 0
    unexpected: int = 0  # masked "Unexpected error.": an exception nobody expected
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    rss_first_kb: int = 0
    rss_last_kb: int = 0

    def percentile(self, p: float, kind: str | None = None) -> float:
        ordered = sorted(self.latencies_ms if kind is None else self.by_kind[kind])
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500) + len(self.failures)

    @property
    def rss_growth(self) -> float:
        return (self.rss_last_kb - self.rss_first_kb) / self.rss_first_kb * 100

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "statuses": dict(sorted(self.statuses.items())),
            "5xx": self.server_errors, "limit_errors": self.limit_errors,
            "other_graphql_errors": self.other_errors, "unexpected_errors": self.unexpected,
            "failures": self.failures[:5],
            "seconds": round(self.seconds, 2),
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0,
            "latency_ms": {f"p{p}": round(self.percentile(p), 1) for p in (50, 95, 99)}
            | {"max": round(max(self.latencies_ms, default=0), 1)},
            "p99_ms_by_kind": {k: round(self.percentile(99, k), 1) for k in sorted(self.by_kind)},
            "rss_mb": {"after_first_1000": round(self.rss_first_kb / 1024, 1),
                       "after_last": round(self.rss_last_kb / 1024, 1),
                       "growth_percent": round(self.rss_growth, 1)},
        }


def run(data: Path, bodies: list[tuple[str, dict[str, Any]]], concurrency: int,
        serve_flags: list[str] = ()) -> Report:  # type: ignore[assignment]
    """Serve ``data`` with ``newsgraph serve`` and send ``bodies`` from ``concurrency`` clients."""
    command = [str(Path(sys.executable).with_name("newsgraph")), "serve", str(data),
               "--port", "0", *serve_flags]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    try:
        port = bound_port(server)
        _wait_ready(port, server)
        return _send(port, server.pid, bodies, concurrency)
    finally:
        stop_server(server, signal.SIGINT, timeout=15)


def stop_server(server: subprocess.Popen[Any], sig: int = signal.SIGTERM,
                timeout: float = 30) -> None:
    """Ask a server process to stop with ``sig``, kill it past ``timeout`` seconds, and
    close its stderr pipe."""
    server.send_signal(sig)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if server.stderr is not None:
        server.stderr.close()


def _wait_ready(port: int, server: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"newsgraph serve did not become ready: {server.communicate()[1]}")
        time.sleep(0.1)


def _send(port: int, pid: int, bodies: list[tuple[str, dict[str, Any]]],
          concurrency: int) -> Report:
    report = Report()
    lock = threading.Lock()
    work: Iterator[tuple[str, dict[str, Any]]] = iter(bodies)
    marks = {"first": min(1000, len(bodies)), "last": len(bodies)}

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(work, None)
            if item is None:
                break
            kind, body = item
            payload = json.dumps(body).encode()
            started = time.perf_counter()
            try:
                connection.request("POST", "/graphql", body=payload,
                                   headers={"content-type": "application/json"})
                response = connection.getresponse()
                text = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as e:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    report.failures.append(f"{type(e).__name__}: {e}")
                    report.requests += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            errors = json.loads(text).get("errors") or [] if status < 500 else []
            with lock:
                report.requests += 1
                report.statuses[status] += 1
                report.latencies_ms.append(elapsed)
                report.by_kind.setdefault(kind, []).append(elapsed)
                for error in errors:
                    limited = (error.get("extensions") or {}).get("code") == "LIMIT_EXCEEDED"
                    report.limit_errors += limited
                    report.other_errors += not limited
                    report.unexpected += error.get("message") == "Unexpected error."
                if report.requests == marks["first"]:
                    report.rss_first_kb = rss_kb(pid)
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(client) for _ in range(concurrency)]:
            future.result()
    report.seconds = time.perf_counter() - started
    report.rss_last_kb = rss_kb(pid)
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the load test from the command line; exit 1 on a 5xx or RSS growth."""
    p = argparse.ArgumentParser(prog="python -m schema.loadtest",
                                description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--data", type=Path, default=None,
                   help="records to serve (default: a synthetic corpus of --records stories)")
    p.add_argument("--records", type=int, default=5000, help="synthetic stories (default: 5000)")
    p.add_argument("--requests", type=int, default=3000, help="requests to send (default: 3000)")
    p.add_argument("--concurrency", type=int, default=64, help="concurrent clients (default: 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--production", action="store_true", help="serve in production mode")
    p.add_argument("--max-rss-growth", type=float, default=10.0, metavar="PERCENT",
                   help="fail when RSS grows more than this after the first 1000 (default: 10)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsgraph-load-") as scratch:
        data = args.data or write_corpus(Path(scratch) / "corpus", args.records, args.seed)
        kg = graph.load(data)
        bodies = query_mix(kg, args.requests, args.seed)
        del kg
        report = run(data, bodies, args.concurrency, ["--production"] if args.production else [])
    summary = report.as_dict()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        lat = summary["latency_ms"]
        rss = summary["rss_mb"]
        print(f"{report.requests} requests from {args.concurrency} clients in "
              f"{summary['seconds']} s ({summary['requests_per_second']}/s); statuses "
              f"{summary['statuses']}; 5xx: {summary['5xx']}; limit errors "
              f"{report.limit_errors}, other GraphQL errors {report.other_errors} "
              f"({report.unexpected} unexpected)")
        print(f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, "
              f"max {lat['max']} ms")
        print("p99 by kind: " + ", ".join(f"{k} {v} ms"
                                          for k, v in summary["p99_ms_by_kind"].items()))
        print(f"server RSS {rss['after_first_1000']} MB after the first 1000 requests, "
              f"{rss['after_last']} MB after the last ({rss['growth_percent']:+} %)")
    ok = (report.server_errors == 0 and report.unexpected == 0
          and report.rss_growth <= args.max_rss_growth)
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
