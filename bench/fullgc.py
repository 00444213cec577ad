"""Full collections under each noisy attack, side by side (gc38; after serve36's gcrun).

``python -m bench.fullgc CORPUS SECONDS NAME=CHECKOUT[:PYTHON] ... [--rounds N]
[--attack NAME ...] [--census] [--dir DIR]``

One ``python -m schema.cli serve CORPUS --port 0 --no-watch --cache DIR/cache-NAME`` per
checkout (its own Python: CHECKOUT/.venv/bin/python unless given), all served at once,
each with the probe (bench/gcprobe/sitecustomize.py, on its ``PYTHONPATH``) writing its
full (generation 2) collections to DIR/gc-NAME-TIME.jsonl. Once all hold their
analytics, each round runs :mod:`bench.noisy`'s phases (idle, then each attack; 8 cheap
clients, 2 attackers, SECONDS a phase) against each server in turn, the order of the
servers reversed every round. Each phase gets, per server, its full collections
(count, CPU median/p90/max), the cheap queries' p50/p99 and the heavy requests
answered: one JSON line each in DIR/phases.jsonl, and a table on the standard output.
With ``--census``, after each phase the server is sent SIGUSR1: one collection under
``gc.DEBUG_SAVEALL``, the cyclic garbage it found counted by type (what is found is
kept alive by the census until its next full collection, so a phase whose server ran
none shows the last one's again).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.noisy import Served, attack, drain_stderr, heavy_requests, wait_analytics
from schema.loadtest import bound_port, stop_server

PROBE = Path(__file__).with_name("gcprobe")


def _serve(name: str, checkout: str, python: str, corpus: str, out: Path,
           log: Path) -> Served:
    env = {**os.environ, "PYTHONPATH": str(PROBE), "GCPROBE_OUT": str(log),
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.Popen([python, "-m", "schema.cli", "serve", str(Path(corpus).absolute()),
                             "--port", "0", "--no-watch", "--cache", str(out / f"cache-{name}")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=checkout)
    said: list[str] = []
    served = Served(bound_port(proc, said), proc)
    served.stderr.extend(said)
    drain_stderr(proc, served.stderr)
    return served


def _collections(log: Path, pid: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The probe's full collections of process ``pid``, and its censuses."""
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    return ([x for x in lines if not x.get("census") and x["pid"] == pid],
            [x for x in lines if x.get("census")])


def _summed(row: dict[str, Any], collections: list[dict[str, Any]],
            censuses: list[dict[str, Any]]) -> None:
    inside = sorted(g["cpu_ms"] for g in collections if row["began"] <= g["t"] <= row["ended"])
    row.update(gc_n=len(inside), gc_cpu_sum=round(sum(inside), 1),
               gc_cpu_median=statistics.median(inside) if inside else None,
               gc_cpu_p90=inside[round(0.9 * (len(inside) - 1))] if inside else None,
               gc_cpu_max=inside[-1] if inside else None)
    after = [c for c in censuses if row["ended"] <= c["t"] <= row["ended"] + 2]
    if after:
        row["census"] = {k: after[0][k] for k in ("garbage", "cpu_ms", "tracked")}
        row["census_kinds"] = after[0]["kinds"][:12]


def main(argv: list[str] | None = None) -> None:
    """Run the phases against each checkout's server (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m bench.fullgc")
    ap.add_argument("corpus")
    ap.add_argument("seconds", type=float)
    ap.add_argument("servers", nargs="+", metavar="NAME=CHECKOUT[:PYTHON]")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--attack", action="append")
    ap.add_argument("--census", action="store_true")
    ap.add_argument("--dir", default="/tmp/fullgc")
    a = ap.parse_args(argv)
    out = Path(a.dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%H%M%S")
    servers: dict[str, tuple[Served, Path]] = {}
    results: list[dict[str, Any]] = []
    try:
        for spec in a.servers:
            name, where = spec.split("=", 1)
            checkout, _, python = where.partition(":")
            log = out / f"gc-{name}-{stamp}.jsonl"
            servers[name] = (_serve(name, checkout, python or f"{checkout}/.venv/bin/python",
                                    a.corpus, out, log), log)
        for served, _ in servers.values():
            wait_analytics(served)
        heavy = {n: heavy_requests(s.port) for n, (s, _) in servers.items()}
        phases = ["idle", *(a.attack or next(iter(heavy.values())))]
        order = list(servers)
        for r in range(a.rounds):
            for phase in phases:
                for name in order:
                    served = servers[name][0]
                    began = time.time()
                    ran = attack(served.port, a.seconds,
                                 heavy=None if phase == "idle" else heavy[name][phase])
                    row = {"round": r, "phase": phase, "server": name, "began": began,
                           "ended": time.time(), "load": os.getloadavg()[0], **ran.summary()}
                    time.sleep(0.3)  # the probe's last lines
                    if a.census:
                        served.process.send_signal(signal.SIGUSR1)
                        time.sleep(0.5)
                    results.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
            order.reverse()
    finally:
        for served, _ in servers.values():
            stop_server(served.process, timeout=30)
    with (out / "phases.jsonl").open("a") as written:
        for name, (served, log) in servers.items():
            collections, censuses = _collections(log, served.process.pid)
            for row in results:
                if row["server"] == name:
                    _summed(row, collections, censuses)
                    written.write(json.dumps(row) + "\n")
    print("round phase | " + " | ".join(
        f"{n}: full collections, CPU median/p90/max ms; cheap p50/p99 ms; heavy answered"
        for n in servers))
    for row in results:
        if row["server"] != next(iter(servers)):
            continue
        cells = []
        for name in servers:
            [x] = [y for y in results if y["server"] == name and y["round"] == row["round"]
                   and y["phase"] == row["phase"]]
            cells.append(
                f"{x['gc_n']} {_ms(x['gc_cpu_median'])}/{_ms(x['gc_cpu_p90'])}/"
                f"{_ms(x['gc_cpu_max'])}; {_ms(x['cheap_p50_ms'])}/{_ms(x['cheap_p99_ms'])}; "
                f"{x.get('heavy', '-')}"
                + (f"; garbage {x['census']['garbage']}" if "census" in x else ""))
        print(f"{row['round']} {row['phase']} | " + " | ".join(cells))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()
