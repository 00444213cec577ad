"""What ``newsgraph serve --workers N`` costs in memory and gains in throughput.

``python -m bench.workers PATH --workers N [--cache DIR] [--queries K]`` starts
``newsgraph serve PATH --no-watch --workers N`` on a free loopback port, waits until the
workers hold the analytics, optionally sends K distinct ``within`` queries (reading
objects writes their reference counts, which unshares pages: memory is measured after
serving, not only after start), and prints the memory of the whole process tree as
JSON, from ``/proc/PID/smaps_rollup``:

* RSS counts every page a process maps, so forked workers count the pages they share
  with the supervisor once each: summed over the tree, it over-states the cost;
* PSS divides each shared page among the processes that map it: summed over the tree,
  it is what the tree costs the machine (the figure the ≤ 1.3x target is judged by);
* USS (private clean + dirty) is what a process would give back if it ended.

Without ``--workers`` it measures one ``newsgraph serve`` process, the comparison.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["process_memory", "tree_memory", "tree_cpu", "children", "serve", "measure",
           "served_port", "main"]

NEWSGRAPH = Path(sys.executable).with_name("newsgraph")


def process_memory(pid: int) -> dict[str, int]:
    """Return ``{"rss", "pss", "uss", "shared"}`` of a process in bytes, from smaps_rollup."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
        for line in f:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":
                fields[name] = int(parts[0]) * 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields["Private_Clean"] + fields["Private_Dirty"],
            "shared": fields["Shared_Clean"] + fields["Shared_Dirty"]}


def children(pid: int) -> list[int]:
    """Return the pids of a process's children (all its threads'), from /proc."""
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                out += [int(p) for p in f.read().split()]
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return sorted(set(out))


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().rsplit(")", 1)[1].split()  # fields from the state on


def _niced(pid: int) -> bool:
    """True for a process running at a lower priority than its parent: the analytics."""
    try:
        fields = _stat(pid)
        return int(fields[16]) > int(_stat(int(fields[1]))[16])
    except FileNotFoundError:
        return False


def tree_memory(pid: int, *, analytics: bool = True) -> dict[str, Any]:
    """Return the memory of a process (``pid``) and its children, each and summed.

    Without ``analytics``, the (niced) background analytics process is left out of the
    sums but for its share of the pages it shares with the server (they are the
    server's: summed PSS is then what the tree would cost had that process never run)."""
    processes = {pid: process_memory(pid)}
    left_out = []
    for child in children(pid):
        try:
            processes[child] = process_memory(child)
        except FileNotFoundError:
            continue
        if not analytics and _niced(child):
            left_out.append(child)
    counted = [m for p, m in processes.items() if p not in left_out]
    total = {k: sum(m[k] for m in counted) for k in ("rss", "pss", "uss")}
    total["pss"] += sum(processes[p]["pss"] - processes[p]["uss"] for p in left_out)
    return {"pid": pid, "processes": {str(p): m for p, m in processes.items()},
            "left_out": left_out, "total": total}


def served_port(proc: subprocess.Popen[str]) -> int | None:
    """Return the port a server started by :func:`serve` said it bound, None before."""
    from schema.loadtest import SERVING

    assert proc.stderr is not None
    proc.stderr.seek(0)
    found = SERVING.search(proc.stderr.read())
    return int(found.group(2)) if found else None


def _readyz(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            return dict(json.load(r))
    except OSError:
        return None


def serve(path: Path, port: int, workers: int | None, *extra: str,
          within: float = 3600, watch: bool = False,
          analytics: bool = True) -> subprocess.Popen[str]:
    """Start ``newsgraph serve`` and return once its workers (or it) hold the analytics.
    ``port`` 0: the port the system gives as the server binds (no other socket can take
    it first, as one may take a port chosen free before the bind), :func:`served_port`.

    With workers: once the supervisor said every worker holds them (the first ones
    retired); its stderr goes to a temporary file, ``proc.stderr``. Without ``watch``,
    ``--no-watch``. Without ``analytics``, return once the graph is loaded (the workers
    forked), while the analytics are still being computed."""
    from schema.workers import WORKERS_HOLD

    command = [str(NEWSGRAPH), "serve", str(path), "--port", str(port), "--quiet", *extra]
    if not {"--cache", "--no-cache"} & {a.split("=")[0] for a in extra}:
        command.append("--no-cache")  # as bench/noisy.py's start
    if not watch:
        command.append("--no-watch")
    if workers is not None:
        command += ["--workers", str(workers)]
    said = tempfile.TemporaryFile("w+", encoding="utf-8")
    # The server writes where the file's one offset stands, which this process's seek and
    # read move (one open file, shared): a line written between them landed at the start,
    # over what was said first (the port it bound, found missing). Appended, each goes on.
    fcntl.fcntl(said.fileno(), fcntl.F_SETFL, fcntl.fcntl(said.fileno(), fcntl.F_GETFL)
                | os.O_APPEND)
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=said, text=True)
    proc.stderr = said
    deadline = time.monotonic() + within
    while True:
        said.seek(0)
        if workers is not None and WORKERS_HOLD in said.read():
            return proc
        if port == 0:
            port = served_port(proc) or 0
        status = _readyz(port) if port and (workers is None or not analytics) else None
        if status is not None and status.get("status") == "ready" and (
                not analytics or status.get("analytics", {}).get("status") == "ready"):
            return proc
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            said.seek(0)
            why = said.read()
            said.close()  # left open, its collection warns in whatever runs then
            raise RuntimeError(f"newsgraph serve did not become ready: {why}")
        time.sleep(0.2)


def _queries(port: int, path: Path, count: int, cache: str | None) -> int:
    """Send ``count`` distinct within queries; return how many answered without errors."""
    import graph
    from bench.queries import WITHIN_QUERY, within_variables

    kg = graph.load(path, cache=cache or None)
    starts = sorted(n for n in kg.nx if n.startswith("article:"))[:count]
    del kg
    ok = 0
    for start in starts:
        body = json.dumps({"query": WITHIN_QUERY,
                           "variables": within_variables(start, 10)}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            ok += "errors" not in json.load(r)
    return ok


def _distinct(port: int, starts: Path, seconds: float, connections: int,
              skip: int, client: str = "auto", server: int | None = None) -> dict[str, Any]:
    """The distinct-within phase of bench/http.py's client against ``port``, sent by wrk
    (bench/wrk.py) when it is installed or asked for (``client``: auto, wrk, python).
    Says which client sent it and the CPU the client used (``client_cpu_s``): on a
    2-core machine the client shares the cores with the server it measures; with
    ``server`` (its pid), the CPU its process tree used (``server_cpu_s``; with the
    Python client, its 0.3 s warm-up included)."""
    from bench import wrk

    used = tree_cpu(server) if server is not None else 0.0

    if client == "wrk" or (client == "auto" and wrk.available()):
        from bench.http import within_body

        listed = json.loads(starts.read_text("utf-8"))
        # Past the end (a small corpus), every start again, as bench/http.py's client does.
        bodies = [within_body(s) for s in listed[skip:] or listed]
        # A short warm-up on bodies the phase does not send, as bench/http.py's client does.
        wrk.distinct(port, "/graphql", bodies[-50:], 1, connections)
        used = tree_cpu(server) if server is not None else 0.0
        out = wrk.distinct(port, "/graphql", bodies[:-50] or bodies, seconds, connections)
        if server is not None:
            out["server_cpu_s"] = tree_cpu(server) - used
        return out
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "bench.http", "client", "--port", str(port), "--starts",
         str(starts), "--seconds", str(seconds), "--connections", str(connections),
         "--only-distinct", "--skip", str(skip)],
        capture_output=True, text=True, check=False, timeout=120 + 4 * seconds)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"bench client failed:\n{done.stderr}")
    out = dict(json.loads(done.stdout)["graphql_distinct"])
    out.pop("latencies", None)
    out["client"] = "python"
    if server is not None:
        out["server_cpu_s"] = tree_cpu(server) - used
    out["client_cpu_s"] = (after.ru_utime + after.ru_stime
                           - before.ru_utime - before.ru_stime)
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) of a server process and its children, the (niced)
    analytics process left out: what serving has used."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            if p != pid and _niced(p):
                continue
            fields = _stat(p)
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(corpus: Path, cache: Path, starts: Path, *, seconds: float, connections: int,
            port: int = 0, client: str = "auto") -> dict[str, Any]:
    """One ``newsgraph serve``, then ``--workers 2`` and, after SIGTTOU, the same with one
    worker: distinct within queries over HTTP from ``connections`` clients for ``seconds``
    each, and the memory of each server's process tree after it served them."""
    from schema.loadtest import stop_server

    extra = ("--cache", str(cache))
    out: dict[str, Any] = {}
    chosen = port  # 0: each server on the port the system gives it as it binds
    proc = serve(corpus, port, None, *extra)
    try:
        port = port or served_port(proc) or 0
        phase = _distinct(port, starts, seconds, connections, 0, client, proc.pid)
        out["single"] = {"http": phase, "memory": tree_memory(proc.pid)}
    finally:
        stop_server(proc, signal.SIGTERM, timeout=30)
    proc = serve(corpus, chosen, 2, *extra)
    try:
        port = chosen or served_port(proc) or 0
        two = _distinct(port, starts, seconds, connections, 0, client, proc.pid)
        out["workers2"] = {"http": two, "memory": tree_memory(proc.pid)}
        proc.send_signal(signal.SIGTTOU)
        deadline = time.monotonic() + 60
        while len(children(proc.pid)) != 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the supervisor did not retire a worker on SIGTTOU")
            time.sleep(0.1)
        one = _distinct(port, starts, seconds, connections, two["requests"] + 200,
                        client, proc.pid)
        out["workers1"] = {"http": one, "memory": tree_memory(proc.pid)}
    finally:
        stop_server(proc, signal.SIGTERM, timeout=30)
    out["throughput_ratio"] = two["rps"] / (one["rps"] or float("nan"))
    single = out["single"]["memory"]["total"]
    both = out["workers2"]["memory"]["total"]
    out["pss_ratio"] = both["pss"] / single["pss"]
    out["rss_ratio"] = both["rss"] / single["rss"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.workers",
                                description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("path", type=Path)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--cache", default=None)
    p.add_argument("--queries", type=int, default=0)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--no-analytics-wait", action="store_true",
                   help="measure once the graph is loaded, the analytics still computing "
                        "(their process left out of the sums)")
    p.add_argument("--max-requests", type=int, default=None,
                   help="passed to newsgraph serve --workers")
    args = p.parse_args(argv)
    from schema.loadtest import stop_server

    port = args.port
    extra = ["--cache", args.cache] if args.cache else []
    if args.max_requests:
        extra += ["--max-requests", str(args.max_requests)]
    started = time.monotonic()
    wait = not args.no_analytics_wait
    proc = serve(args.path, port, args.workers, *extra, analytics=wait)
    try:
        port = port or served_port(proc) or 0
        out: dict[str, Any] = {"workers": args.workers, "ready_s": time.monotonic() - started,
                               "analytics_in": wait,
                               "at_start": tree_memory(proc.pid, analytics=wait)}
        if args.queries:
            out["answered"] = _queries(port, args.path, args.queries, args.cache)
            out["after_queries"] = tree_memory(proc.pid, analytics=wait)
    finally:
        stop_server(proc, signal.SIGTERM, timeout=30)
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
