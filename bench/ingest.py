"""Sustained ingest through the ``ingest`` mutation while 16 clients query.

``python -m bench.ingest CORPUS --records 2000`` serves a copy of CORPUS with
``newsgraph serve`` (following it, with an ingest token set), then:

1. **idle**: ``--clients`` clients, each on its own keep-alive connection, send the
   2-hop ``within`` query (bench/queries.py) from distinct article starts for
   ``--idle-seconds``: their p50/p99;
2. **under ingest**: the same clients go on while one more client sends ``--records``
   new records (new URLs under one provider, a third of them relating an existing
   article, a tenth relating the record sent before) in batches of ``--batch``
   through the ``ingest`` mutation, each batch waiting for its answer (``--pushers``
   clients sending batches at once, 1 by default): records/s
   acknowledged, from the first batch sent to the last acknowledged, and the clients'
   p50/p99 meanwhile;
3. the time from the last acknowledgement until its last record answers ``node(id:)``;
4. **nothing lost**: the provider's articles, paged through the API, are exactly the
   acknowledged ids, and ``totalCount`` says as many.

Targets (issue 15): ≥ 1,000 records/s; the clients' p99 under ingest ≤ 2x idle.
The clients run in this process (threads), on the same machine as the server; the CPU
each phase took is reported for the server's process, this process (the clients and
pushers) and the whole machine (utime + stime from ``/proc``; Linux only), so a figure
bounded by the clients sharing the cores, or by other work on the machine, says so.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.generate import PHRASE
from bench.measure import percentile
from bench.queries import WITHIN_QUERY, within_variables

__all__ = ["measure", "measure_copy", "new_record", "check_present", "report",
           "TARGET_RECORDS_PER_S", "TARGET_P99_RATIO", "DOMAIN"]

TARGET_RECORDS_PER_S, TARGET_P99_RATIO = 1000.0, 2.0
DOMAIN = "ingest-bench.example"
INGEST = "mutation($r: [JSON!]!) { ingest(records: $r) { status articleId error } }"
FIRST = 10  # articles per answer, as bench/http.py asks


class _Client:
    """One keep-alive connection to the server."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request("POST", "/graphql", body, headers)
            r = self.conn.getresponse()
            raw, status = r.read(), r.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise
        answer: dict[str, Any] = json.loads(raw)
        if status != 200 and not answer.get("errors"):
            answer["errors"] = [{"message": f"status {status}"}]
        return answer

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _starts(client: _Client, count: int) -> list[tuple[str, str]]:
    """Return up to ``count`` (id, url) of the served articles that are not stubs."""
    found: list[tuple[str, str]] = []
    after = None
    while len(found) < count:
        page = client.post("query($after: String) { articles(first: 100, after: $after, "
                           "where: {isStub: false}) { edges { node { id url } } "
                           "pageInfo { hasNextPage endCursor } } }", {"after": after})
        conn = page["data"]["articles"]
        found += [(e["node"]["id"], e["node"]["url"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    return found[:count]


def new_record(run: str, i: int, existing: list[tuple[str, str]], rng: random.Random,
            ) -> dict[str, Any]:
    """A new record: its own URL under :data:`DOMAIN`; some relate earlier stories."""
    related = []
    if i % 3 == 0:
        _, url = rng.choice(existing)
        related.append({"title": "An earlier story", "webUrl": url})
    if i % 10 == 5:
        related.append({"title": f"Ingested story {i - 1}",
                        "webUrl": f"https://{DOMAIN}/{run}/story-{i - 1}"})
    mention = f" about {PHRASE}" if i % 4 == 0 else ""
    record: dict[str, Any] = {
        "title": f"Ingested story {i}{mention}",
        "webUrl": f"https://{DOMAIN}/{run}/story-{i}",
        "publishedDateTime": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        "provider": {"name": "Ingest Bench", "domain": DOMAIN},
        "topics": ["Facial Recognition" if mention else "Ingest"],
        "body": f"Story {i} arrived through the ingest mutation.",
    }
    if related:
        record["related"] = related
    return record


class _Queriers:
    """``clients`` threads sending the 2-hop query from distinct starts, phase by phase."""

    def __init__(self, port: int, starts: list[str], clients: int) -> None:
        self.port, self.starts, self.clients = port, starts, clients
        self.phase = "warm-up"
        self.latencies: dict[str, list[float]] = {}
        self.failures: dict[str, Counter[str]] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                        for k in range(clients)]

    def _run(self, k: int) -> None:
        client = _Client(self.port)
        n = k
        try:
            while not self.stop.is_set():
                start = self.starts[n % len(self.starts)]
                # A comment makes each body new, so no stored answer serves it.
                query = f"{WITHIN_QUERY} # {k}-{n}"
                n += self.clients
                phase = self.phase
                began = time.perf_counter()
                why = None
                try:
                    answer = client.post(query, within_variables(start, FIRST))
                    if answer.get("errors"):
                        why = str(answer["errors"][0].get("message"))[:120]
                except (OSError, http.client.HTTPException, ValueError) as e:
                    why = type(e).__name__
                took = time.perf_counter() - began
                with self.lock:
                    if why:
                        self.failures.setdefault(phase, Counter())[why] += 1
                    elif phase == self.phase:  # a request across two phases counts in none
                        self.latencies.setdefault(phase, []).append(took)
        finally:
            client.close()

    def __enter__(self) -> _Queriers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()

    def summary(self, phase: str) -> dict[str, Any]:
        times = self.latencies.get(phase, [])
        return {"queries": len(times), "failures": dict(self.failures.get(phase, {})),
                "p50_ms": percentile(times, 50) * 1e3 if times else float("nan"),
                "p99_ms": percentile(times, 99) * 1e3 if times else float("nan")}


def _ingest(clients: list[_Client], records: list[dict[str, Any]], batch: int,
            ) -> dict[str, Any]:
    """Send ``records`` in batches, each client sending its next batch after the answer
    to its previous one (several clients: several batches at once, taken in order)."""
    statuses: Counter[str] = Counter()
    acknowledged: list[tuple[float, str]] = []  # (when, id)
    problems: list[str] = []
    batch_s: list[float] = []
    starts = iter(range(0, len(records), batch))
    lock = threading.Lock()

    def push(client: _Client) -> None:
        while True:
            with lock:
                at = next(starts, None)
            if at is None:
                return
            group = records[at:at + batch]
            t = time.perf_counter()
            try:
                answer = client.post(INGEST, {"r": group})
            except (OSError, http.client.HTTPException, ValueError) as e:
                with lock:
                    problems.append(f"batch at {at}: {type(e).__name__}: {e}")
                continue
            done = time.perf_counter()
            with lock:
                batch_s.append(done - t)
                if answer.get("errors"):
                    problems.append(f"batch at {at}: {answer['errors'][0].get('message')}")
                    continue
                for result in answer["data"]["ingest"]:
                    statuses[result["status"]] += 1
                    if result["status"] in ("CREATED", "UPDATED", "UNCHANGED"):
                        acknowledged.append((done, result["articleId"]))
                    else:
                        problems.append(f"{result['articleId']}: {result['error']}")

    began = time.perf_counter()
    threads = [threading.Thread(target=push, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    acknowledged.sort(key=lambda x: x[0])
    return {"sent": len(records), "statuses": dict(statuses),
            "acknowledged": [node for _, node in acknowledged],
            "problems": problems, "seconds": seconds,
            "records_per_s": len(acknowledged) / seconds if seconds else float("nan"),
            "batch_p50_ms": percentile(batch_s, 50) * 1e3 if batch_s else float("nan"),
            "batch_p99_ms": percentile(batch_s, 99) * 1e3 if batch_s else float("nan")}


def _cpu_now(pid: int) -> tuple[float, float, float, float] | None:
    """(wall, this process's CPU, process ``pid``'s CPU, the whole machine's busy CPU),
    in seconds, all threads; None where ``/proc`` cannot say (not Linux, or ``pid`` gone)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as f:
            times = [int(x) for x in f.readline().split()[1:]]
    except (OSError, IndexError, ValueError):
        return None
    server = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    busy = (sum(times) - times[3] - times[4]) / tick  # all but idle and iowait
    return time.perf_counter(), time.process_time(), server, busy


def _cpu_between(a: tuple[float, float, float, float] | None,
                 b: tuple[float, float, float, float] | None) -> dict[str, float] | None:
    """The CPU seconds spent between two :func:`_cpu_now` looks, and the wall seconds."""
    if a is None or b is None:
        return None
    return {"seconds": b[0] - a[0], "clients": b[1] - a[1], "server": b[2] - a[2],
            "machine": b[3] - a[3]}


def _visible_after(client: _Client, node: str, limit: float = 60) -> float | None:
    """Seconds until ``node(id:)`` answers ``node``; None past ``limit``."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        answer = client.post("query($id: ID!) { node(id: $id) { id } }", {"id": node})
        if (answer.get("data") or {}).get("node"):
            return time.perf_counter() - began
        time.sleep(0.005)
    return None


def _settle(client: _Client, quiet: float = 2.0, limit: float = 300) -> str:
    """Wait until the served graph version stays the same for ``quiet`` seconds (a batch
    answered at its time limit goes on writing and applying); return that version."""
    version = str(_stat(client, "graphVersion", limit))
    since = began = time.perf_counter()
    while time.perf_counter() - since < quiet and time.perf_counter() - began < limit:
        time.sleep(0.2)
        now = str(_stat(client, "graphVersion", limit))
        if now != version:
            version, since = now, time.perf_counter()
    return version


def present(client: _Client) -> tuple[int, set[str]]:
    """Return the served ``totalCount`` of :data:`DOMAIN`'s articles and their ids, paged
    through the API."""
    ids: set[str] = set()
    total = -1
    after = None
    while True:
        page = client.post("query($d: String!, $after: String) { articles(first: 100, "
                           "after: $after, where: {providers: [$d], isStub: false}) "
                           "{ totalCount edges { node { id } } "
                           "pageInfo { hasNextPage endCursor } } }",
                           {"d": DOMAIN, "after": after})
        if page.get("errors"):
            raise RuntimeError(f"counting the ingested articles failed: {page['errors']}")
        conn = page["data"]["articles"]
        total = conn["totalCount"]
        ids.update(e["node"]["id"] for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            return total, ids
        after = conn["pageInfo"]["endCursor"]


def measure(corpus: Path, records: int = 2000, clients: int = 16, idle_seconds: float = 5.0,
            batch: int = 100, seed: int = 0, within: float = 900, pushers: int = 1,
            ) -> dict[str, Any]:
    """Serve ``corpus`` (as it is: callers pass a copy, since records are written into
    it), measure the clients idle and under ingest; return the figures."""
    from bench.noisy import start

    token = secrets.token_hex(16)
    env = {**os.environ, "NEWSGRAPH_INGEST_TOKEN": token}
    rng = random.Random(seed)
    run = f"run-{seed}-{secrets.token_hex(3)}"
    out: dict[str, Any] = {"clients": clients, "batch": batch, "pushers": pushers}
    with start(corpus, within=within, env=env) as served:
        try:
            _measure(served, token, records, clients, idle_seconds, batch, rng, run, out,
                     pushers)
        except (OSError, http.client.HTTPException) as e:
            if served.process.poll() is None:
                raise
            raise RuntimeError(f"newsgraph serve ended (status {served.process.returncode}) "
                               f"under ingest:\n{served.errors()[-4000:]}") from e
    idle, busy = out["idle"]["p99_ms"], out["under_ingest"]["p99_ms"]
    out["p99_ratio"] = busy / idle if idle else float("nan")
    return out


def _measure(served: Any, token: str, records: int, clients: int, idle_seconds: float,
             batch: int, rng: random.Random, run: str, out: dict[str, Any],
             pushers: int = 1) -> None:
    """Measure on a running server into ``out``."""
    out["ready_s"] = served.ready_s
    # (each reader closed after its phase: the server closes an idle keep-alive connection)
    with _Client(served.port) as reader:
        existing = _starts(reader, 2000)
        if not existing:
            raise RuntimeError("the corpus serves no article to start from")
        out["articles_before"] = _stat(reader, "articles")
    starts = [node for node, _ in existing]
    rng.shuffle(starts)
    new = [new_record(run, i, existing, rng) for i in range(records)]
    pid = served.process.pid
    with _Queriers(served.port, starts, clients) as q:
        time.sleep(min(1.0, idle_seconds / 5))  # first calls, connections set up
        q.phase = "idle"
        idle_began = _cpu_now(pid)
        time.sleep(idle_seconds)
        q.phase = "ingest"
        ingest_began = _cpu_now(pid)
        writers = [_Client(served.port, token) for _ in range(pushers)]
        try:
            ingest = _ingest(writers, new, batch)
        finally:
            for writer in writers:
                writer.close()
        q.phase = "after"
        ingest_ended = _cpu_now(pid)
    out["cpu"] = {"idle": _cpu_between(idle_began, ingest_began),
                  "ingest": _cpu_between(ingest_began, ingest_ended)}
    with _Client(served.port) as reader:
        last = ingest["acknowledged"][-1] if ingest["acknowledged"] else None
        visible = _visible_after(reader, last) if last else None
        acknowledged = set(ingest.pop("acknowledged"))
        out.update(idle=q.summary("idle"), under_ingest=q.summary("ingest"), ingest=ingest,
                   last_visible_ms=visible * 1e3 if visible is not None else None,
                   **check_present(reader, acknowledged))
        out["articles_after"] = _stat(reader, "articles")
        out["records"] = int(_stat(reader, "records"))


def _stat(client: _Client, name: str, limit: float = 60) -> Any:
    """One field of ``stats``, asked again while the answer holds errors (a busy server's,
    at its deadline) for up to ``limit`` seconds; then what the server said."""
    began = time.perf_counter()
    while True:
        answer = client.post(f"{{ stats {{ {name} }} }}")
        value = ((answer.get("data") or {}).get("stats") or {}).get(name)
        if value is not None:
            return value
        if time.perf_counter() - began >= limit:
            raise RuntimeError(f"no stats {name} in {limit:g} s: the server said "
                               f"{answer.get('errors')}")
        time.sleep(0.2)


def check_present(client: _Client, acknowledged: set[str]) -> dict[str, Any]:
    """Compare the acknowledged ids with :data:`DOMAIN`'s articles as served: counts, the
    first few missing ids, and ``all_present`` (every acknowledged one is served).

    ``unacknowledged`` counts the served ones never acknowledged: records of a batch
    that was answered with an error (its time limit) while its work went on.
    """
    for _ in range(10):  # a batch answered at its time limit may still be writing
        _settle(client)
        total, ids = present(client)
        if total == len(ids):  # every page read one version
            break
    missing = sorted(acknowledged - ids)
    return {"acknowledged": len(acknowledged), "present_total": total,
            "present": len(ids & acknowledged), "missing": missing[:10],
            "unacknowledged": len(ids - acknowledged),
            "all_present": not missing and total == len(ids)}


def measure_copy(corpus: Path, **options: Any) -> dict[str, Any]:
    """:func:`measure` on a copy of ``corpus`` in a temporary folder (removed after)."""
    with tempfile.TemporaryDirectory(prefix="newsgraph-ingest-") as tmp:
        copy = Path(tmp) / corpus.name
        shutil.copytree(corpus, copy)
        return measure(copy, **options)


def report(r: dict[str, Any]) -> str:
    """Return the figures as lines, each target said met or NOT met."""
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    ing, idle, busy = r["ingest"], r["idle"], r["under_ingest"]
    fails = sum(idle["failures"].values()) + sum(busy["failures"].values())
    visible = (f"{r['last_visible_ms']:.0f} ms after its acknowledgement"
               if r["last_visible_ms"] is not None else
               "never (within 60 s) after its acknowledgement" if r["acknowledged"] else
               "not measured: no record was acknowledged")
    extra = (f"; {r['unacknowledged']:,} more served that were not acknowledged (their "
             "batch answered an error)" if r["unacknowledged"] else "")
    return "\n".join([
        f"served {r['records']:,} records after ingest ({r['articles_before']:,} articles "
        f"before, {r['articles_after']:,} after); ready in {r['ready_s']:.1f} s",
        f"ingest: {r['acknowledged']:,} of {ing['sent']:,} records acknowledged in "
        f"{ing['seconds']:.1f} s = {ing['records_per_s']:,.0f} records/s in batches of "
        f"{r['batch']}"
        + (f" from {r['pushers']} clients at once" if r.get("pushers", 1) > 1 else "")
        + f" ({met(ing['records_per_s'] >= TARGET_RECORDS_PER_S)}: target "
        f"1,000 records/s); a batch p50 {ing['batch_p50_ms']:.0f} ms, p99 "
        f"{ing['batch_p99_ms']:.0f} ms; statuses {ing['statuses']}"
        + (f"; {len(ing['problems'])} problems: {ing['problems'][:3]}" if ing["problems"]
           else ""),
        f"last ingested record visible {visible}",
        "no querying clients (--clients 0)" if not r["clients"] else
        f"{r['clients']} clients, 2-hop within: idle p50 {idle['p50_ms']:.1f} ms, p99 "
        f"{idle['p99_ms']:.1f} ms ({idle['queries']:,} queries); under ingest p50 "
        f"{busy['p50_ms']:.1f} ms, p99 {busy['p99_ms']:.1f} ms ({busy['queries']:,} "
        f"queries): {r['p99_ratio']:.2f}x idle ({met(r['p99_ratio'] <= TARGET_P99_RATIO)}: "
        f"target ≤ 2x); {fails} failed",
        _cpu_line(r.get("cpu") or {}),
        f"present at the end: {r['present']:,} of {r['acknowledged']:,} acknowledged "
        f"(totalCount {r['present_total']:,}): "
        + ("all present" if r["all_present"] else f"MISSING {r['missing']}"
           if r["missing"] else "the pages never agreed with totalCount") + extra,
    ])


def _cpu_line(cpu: dict[str, dict[str, float] | None]) -> str:
    """Where the cores went under ingest (and idle): the server, the clients, the rest."""
    def cores(phase: dict[str, float], who: str) -> str:
        return f"{phase[who] / phase['seconds']:.2f}" if phase["seconds"] else "?"

    busy, idle = cpu.get("ingest"), cpu.get("idle")
    if not busy:
        return "CPU: not measured (no /proc)"
    cores_n = os.cpu_count() or 0
    line = (f"CPU under ingest: the server {cores(busy, 'server')} cores, the clients (this "
            f"process) {cores(busy, 'clients')}, the whole machine {cores(busy, 'machine')} "
            f"of {cores_n} busy")
    if idle:
        line += (f"; idle: the server {cores(idle, 'server')}, the clients "
                 f"{cores(idle, 'clients')}, the machine {cores(idle, 'machine')}")
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Measure sustained ingest beside querying clients on a copy of a corpus; print it."""
    p = argparse.ArgumentParser(prog="python -m bench.ingest",
                                description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("--records", type=int, default=2000, help="records to ingest "
                   "(default: %(default)s)")
    p.add_argument("--clients", type=int, default=16, help="querying clients; 0 for the "
                   "ingest alone (default: %(default)s)")
    p.add_argument("--idle-seconds", type=float, default=5.0,
                   help="length of the idle phase (default: %(default)s)")
    p.add_argument("--batch", type=int, default=100, help="records per ingest mutation "
                   "(default: %(default)s)")
    p.add_argument("--pushers", type=int, default=1, help="clients sending batches at "
                   "once, each its next after its previous one's answer (default: "
                   "%(default)s)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsgraph-ingest-") as tmp:
        copy = Path(tmp) / args.corpus.name
        shutil.copytree(args.corpus, copy)
        r = measure(copy, records=args.records, clients=args.clients,
                    idle_seconds=args.idle_seconds, batch=args.batch,
                    pushers=args.pushers)
        print(report(r), flush=True)  # before the copy is removed: minutes at 100k
    return 0 if r["all_present"] and not r["ingest"]["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
