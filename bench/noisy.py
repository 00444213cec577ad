"""Noisy neighbours: cheap queries from many clients while a few send the heaviest allowed.

:func:`start` runs ``newsgraph serve`` and times its first answers; :func:`attack` runs
``cheap`` clients sending a cheap query (``stats``, made distinct by a comment so no
stored answer serves it) for ``seconds``, idle and then beside ``attackers`` clients
sending one of :func:`heavy_requests` over and over. Each phase reports the cheap
queries' p50/p99 and failures, and every heavy request's status and duration.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path
from typing import Any

from bench.measure import percentile
from schema.loadtest import bound_port, stop_server

__all__ = ["Served", "start", "drain_stderr", "heavy_requests", "attack", "compare", "main",
           "CHEAP", "wait_analytics"]

CHEAP = "query Cheap { stats { articles } }"
NEWSGRAPH = Path(sys.executable).with_name("newsgraph")


@dataclass
class Served:
    """A running ``newsgraph serve``: its port and how fast it started."""

    port: int
    process: subprocess.Popen[str]
    first_health_s: float = 0.0  # until /healthz answered
    ready_s: float = 0.0  # until /readyz said ready (graph loaded)
    analytics_s: float | None = None  # until the background analytics were in
    timeline: list[tuple[float, str]] = field(default_factory=list)
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=_TAIL_LINES))

    def errors(self) -> str:
        """The last lines the server wrote to its standard error."""
        return "".join(self.stderr)


# Lines of the server's standard error kept (the rest is read and dropped).
_TAIL_LINES = 200


def drain_stderr(proc: subprocess.Popen[str], into: deque[str]) -> threading.Thread:
    """Read ``proc``'s standard error as it comes, keeping its last lines in ``into``: a
    pipe nobody reads fills (64 KB), and the server then blocks in its next log line,
    its event loop with it."""
    def read() -> None:
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                into.append(line)
        except (ValueError, OSError):  # closed by stop_server as the server ended
            return

    thread = threading.Thread(target=read, name="newsgraph-stderr", daemon=True)
    thread.start()
    return thread


def _get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@contextmanager
def start(corpus: Path, *args: str, wait_analytics: bool = False,
          within: float = 900, env: dict[str, str] | None = None,
          checkout: Path | None = None) -> Iterator[Served]:
    """Run ``newsgraph serve CORPUS ARGS`` until loaded (``env``: its environment, this
    process's by default; ``checkout``: the code of that source tree, run from it as
    ``python -m schema.cli``, instead of the installed one); yield it; stop it (SIGTERM)."""
    began = time.monotonic()
    if checkout is None and not {"--cache", "--no-cache"} & {a.split("=")[0] for a in args}:
        # A server keeps a snapshot by default: the benchmark loads the corpus as asked,
        # and leaves none of its corpora in the user's cache folder (another checkout's
        # code may not know the option).
        args = (*args, "--no-cache")
    command = [str(NEWSGRAPH)] if checkout is None else [sys.executable, "-m", "schema.cli"]
    # --port 0: the system gives a free port as the server binds it, and the server says
    # which (a port chosen free and let go may be taken by another socket before the bind)
    proc = subprocess.Popen([*command, "serve", str(Path(corpus).absolute()), "--port",
                             "0", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=checkout)
    said: list[str] = []
    try:
        port = bound_port(proc, said)
    except RuntimeError:
        stop_server(proc)
        raise
    served = Served(port, proc)
    served.stderr.extend(said)
    reader = drain_stderr(proc, served.stderr)
    try:
        deadline = began + within
        state = ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                reader.join(timeout=5)
                raise RuntimeError(f"newsgraph serve ended:\n{served.errors()}")
            try:
                if not served.first_health_s:
                    _get(port, "/healthz", 1)
                    served.first_health_s = time.monotonic() - began
                status, body = _get(port, "/readyz", 5)
            except OSError:
                time.sleep(0.02)
                continue
            ready = json.loads(body)
            now = ready.get("analytics", {}).get("status") or ready["status"]
            if now != state:
                served.timeline.append((round(time.monotonic() - began, 2), now))
                state = now
            if status == 200 and not served.ready_s:
                served.ready_s = time.monotonic() - began
            if status == 200 and (not wait_analytics or now == "ready"):
                if now == "ready":
                    served.analytics_s = time.monotonic() - began
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"newsgraph serve was not ready within {within} s")
        yield served
    finally:
        stop_server(proc, timeout=30)


def heavy_requests(port: int) -> dict[str, list[tuple[str, str, Any]]]:
    """Return the heaviest allowed requests by name: ``(method, path, body)`` each; the
    ids come from the served graph itself."""
    def ask(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("POST", "/graphql", json.dumps({"query": query,
                                                         "variables": variables or {}}),
                         {"content-type": "application/json"})
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    topics = ask("{ topics(first: 100) { edges { node { id articleCount } } } }")
    hubs = sorted(topics["data"]["topics"]["edges"],
                  key=lambda e: -(e["node"].get("articleCount") or 0))
    hub = hubs[0]["node"]["id"]
    arts = ask("{ articles(first: 100) { edges { node { id } } } }")["data"]["articles"]
    ids = [e["node"]["id"] for e in arts["edges"]]
    words = ["data", "security", "privacy", "health", "climate", "energy", "trade", "cloud",
             "rail", "weather", "civil", "social", "sports", "housing", "fraud", "identity",
             "streaming", "transport", "immigration", "surveillance"]
    longest = " ".join((words * 2)[:32])[:300]
    aliased_search = "{ " + " ".join(f'a{i}: search(text: "{w}", first: 100) '
                                     "{ totalCount edges { node { id title } } }"
                                     for i, w in enumerate(words)) + " }"
    aliased_stats = "{ " + " ".join(f"s{i}: stats {{ edges nodes }}" for i in range(20)) + " }"
    a, b = ids[0], ids[-1]
    aliased_paths = "{ " + " ".join(
        f'p{i}: paths(from: "{a}", to: "{ids[-1 - i]}", k: 10) {{ nodes {{ id }} }}'
        for i in range(10)) + " }"

    def gql(query: str, variables: dict[str, Any] | None = None) -> tuple[str, str, Any]:
        return ("POST", "/graphql", {"query": query, "variables": variables or {}})

    del b
    return {
        "first-use analytics": [gql("{ storylines(first: 5) { totalCount } "
                                    "centralArticles(first: 5) { totalCount } }")],
        "FORCE layout at the cap": [gql(
            'query($h: [ID!]!) { neighborhood(from: $h, hops: 2, limit: 300, layout: FORCE) '
            "{ nodes { node { id } x y } } }", {"h": [hub]})],
        "longest allowed search": [gql("query($t: String!) { search(text: $t) { totalCount } }",
                                       {"t": longest})],
        "aliased common-word search": [gql(aliased_search)],
        "aliased stats": [gql(aliased_stats)],
        "aliased paths": [gql(aliased_paths)],
        "whole export": [("GET", "/export/graph.graphml", None)],
        # Validation compares every two fields of one response name in a selection set
        # (~0.2 s for 150). Fields of one head there are compared once, whatever they
        # select, spread or skip (schema/validation.py): 150 copies, 150 that differ in
        # the counts they ask (900 tokens), 75 fragments of one `stats` each. The
        # costliest left within the limits is fields that conflict, which graphql-core
        # compares two by two for its errors: 110 `article`s asking other URLs (5,995);
        # reported as found, they are compared until the error limit, 101 (gc38). What
        # is left is fragments beside one conflict: the document is then validated
        # whole, where every two of 70 fragments spread in one selection set are
        # compared (~4,000 comparisons).
        "big document": [gql("{ " + "stats { edges nodes } " * 150 + "}")],
        "big document, fields differing": [gql("{ " + " ".join(
            f"stats {{ {' '.join(p)} }}" for p in _DIFFERING) + " }")],
        "big document, fragments": [gql("{ " + " ".join(
            f"...F{i}" for i in range(len(_FRAGMENTS))) + " } " + " ".join(
            f"fragment F{i} on Query {{ stats {{ {' '.join(p)} }} }}"
            for i, p in enumerate(_FRAGMENTS)))],
        "big document, conflicting": [gql("{ " + " ".join(
            f'article(url: "u{i}") {{ title }}' for i in range(110)) + " }")],
        "big document, fragments and a conflict": [gql("{ " + " ".join(
            f"...F{i}" for i in range(70)) + ' a: stats { edges } a: article(url: "x") '
            "{ title } } " + " ".join(f"fragment F{i} on Query {{ stats {{ {' '.join(p)} }} }}"
                                      for i, p in enumerate(_FRAGMENTS[:70])))],
    }


_SIX_COUNTS = ("records", "articles", "stubs", "providers", "topics", "nodes")
_DIFFERING = [*permutations(_SIX_COUNTS, 3), *permutations(_SIX_COUNTS, 2)][:150]
_FRAGMENTS = ([*permutations(_SIX_COUNTS, 2)] * 3)[:75]


@dataclass
class Phase:
    """What one phase measured."""

    cheap_ms: list[float] = field(default_factory=list)
    cheap_failures: Counter[str] = field(default_factory=Counter)
    # (status, seconds); status 0: a streamed file cut off at the request's deadline
    heavy: list[tuple[int, float]] = field(default_factory=list)
    heavy_failures: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cheap": len(self.cheap_ms), "cheap_failures": dict(self.cheap_failures),
            "cheap_p50_ms": percentile(self.cheap_ms, 50),
            "cheap_p99_ms": percentile(self.cheap_ms, 99)}
        if self.heavy or self.heavy_failures:
            out.update(heavy=len(self.heavy), heavy_failures=dict(self.heavy_failures),
                       heavy_statuses=dict(Counter(str(s) for s, _ in self.heavy)),
                       heavy_max_s=max((d for _, d in self.heavy), default=0.0))
        return out


def _send(conn: http.client.HTTPConnection, method: str, path: str, body: Any
          ) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if data is not None else {}
    conn.request(method, path, data, headers)
    r = conn.getresponse()
    return r.status, r.read()


def attack(port: int, seconds: float, cheap: int = 8, attackers: int = 2,
           heavy: list[tuple[str, str, Any]] | None = None, timeout: float = 60,
           heavy_port: int | None = None) -> Phase:
    """Run ``cheap`` clients (and ``attackers`` sending ``heavy``, to ``heavy_port`` if
    given, else to ``port`` too) for ``seconds``."""
    phase = Phase()
    attacked = heavy_port or port
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def cheap_client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        sent = 0
        # At least one each: a thread started late on a busy machine still measures.
        while not sent or time.monotonic() < stop:
            sent += 1
            # A comment makes each body new, so no stored answer serves it.
            body = {"query": f"{CHEAP} # {rng.randrange(1 << 30)}"}
            began = time.perf_counter()
            try:
                status, raw = _send(conn, "POST", "/graphql", body)
                took = (time.perf_counter() - began) * 1000
                answer = json.loads(raw)
                why = (f"status {status}" if status != 200 else
                       "errors" if answer.get("errors") else None)
            except (OSError, http.client.HTTPException, ValueError) as e:
                took, why = 0.0, type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            with lock:
                if why:
                    phase.cheap_failures[why] += 1
                else:
                    phase.cheap_ms.append(took)
        conn.close()

    def attacker(k: int) -> None:
        assert heavy is not None
        n = k
        # At least one each, as the cheap clients: else a phase whose attackers started
        # late on a busy machine measured no heavy request at all.
        while n == k or time.monotonic() < stop:
            method, path, body = heavy[n % len(heavy)]
            n += 1
            if body is not None:  # each one new: no stored answer serves a repeat
                body = {**body, "query": f"{body['query']} # {k}-{n}"}
            conn = http.client.HTTPConnection("127.0.0.1", attacked, timeout=timeout)
            began = time.monotonic()
            try:
                status, _ = _send(conn, method, path, body)
                with lock:
                    phase.heavy.append((status, time.monotonic() - began))
            except http.client.IncompleteRead:  # a streamed file cut at its deadline
                with lock:
                    phase.heavy.append((0, time.monotonic() - began))
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    phase.heavy_failures[type(e).__name__] += 1
            finally:
                conn.close()

    threads = [threading.Thread(target=cheap_client, args=(k,)) for k in range(cheap)]
    if heavy:
        threads += [threading.Thread(target=attacker, args=(k,)) for k in range(attackers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return phase


def wait_analytics(served: Served, within: float = 3600) -> None:
    """Wait until the server ``served`` holds its background analytics."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"newsgraph serve ended:\n{served.errors()}")
        try:
            _, body = _get(served.port, "/readyz", 5)
        except OSError:
            time.sleep(0.5)
            continue
        if json.loads(body).get("analytics", {}).get("status") == "ready":
            return
        time.sleep(0.5)
    raise RuntimeError(f"the analytics were not in within {within} s")


def compare(corpus: Path, setups: dict[str, list[str]], seconds: float,
            attacks: list[str] | None = None, split: dict[str, list[str]] | None = None,
            across: dict[str, tuple[str, str]] | None = None, analytics: bool = True,
            checkouts: dict[str, Path] | None = None, attackers: int = 2
            ) -> dict[str, dict[str, Any]]:
    """Serve ``corpus`` once per setup (``name -> serve args``), all at once, and run each
    phase (idle, then each attack of :func:`heavy_requests`, or those named in
    ``attacks``) against every server in turn: side by side, so the load other jobs put
    on the machine weighs on each alike. A ``split`` setup is two servers started alike:
    the attackers send to the first, the cheap clients to the second — what a front
    dispatcher that sent every heavy request to one worker and every cheap one to
    another would give at best (it costs no proxying, and no request is misjudged).
    An ``across`` setup (``name -> (cheap setup, heavy setup)``) does the same with two
    of the servers already started, without starting more: cheap clients to the first,
    attackers to the second. Without ``analytics`` the phases start as soon as the
    graphs are loaded (the analytics still computing: fields that need them answer
    NOT_READY). ``checkouts`` names the source tree a setup's server runs from (another
    branch's, to compare; :func:`start`). Return ``{phase: {setup: summary}}``; each
    summary says the load average (1 min) when its phase ended."""
    from contextlib import ExitStack

    split = split or {}
    out: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        # Every server started (each waited for until its graph is loaded), then all
        # waited for until they hold their analytics, computed side by side.
        served: dict[str, Served] = {}
        heavy_at: dict[str, Served] = {}
        for name, args in [*setups.items(), *split.items()]:
            tree = (checkouts or {}).get(name)
            served[name] = heavy_at[name] = stack.enter_context(
                start(corpus, *args, checkout=tree))
            if name in split:
                heavy_at[name] = stack.enter_context(start(corpus, *args, checkout=tree))
        began = time.monotonic()
        for s in {id(s): s for s in [*served.values(), *heavy_at.values()]}.values():
            if not analytics:
                break
            wait_analytics(s)
            print(json.dumps({"analytics_in_s": round(time.monotonic() - began, 1),
                              "port": s.port}), file=sys.stderr, flush=True)
        for name, (cheap_on, heavy_on) in (across or {}).items():
            served[name], heavy_at[name] = served[cheap_on], heavy_at[heavy_on]
        heavy = {name: heavy_requests(s.port) for name, s in heavy_at.items()}
        names = ["idle", *(attacks or next(iter(heavy.values())))]
        for n, phase in enumerate(names):
            if phase == "idle" and n:
                phase = "idle, again"
            out[phase] = {}
            for name, s in served.items():
                ran = attack(s.port, seconds, heavy=None if phase.startswith("idle")
                             else heavy[name][phase], heavy_port=heavy_at[name].port,
                             attackers=attackers)
                out[phase][name] = {**ran.summary(), "load_1min": os.getloadavg()[0]}
                print(json.dumps({"phase": phase, "setup": name, **out[phase][name]}),
                      file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.noisy CORPUS [--seconds S] [--setup NAME=ARGS ...]``: the
    noisy-neighbour phases against several servers side by side (by default one
    process and ``--workers 2``), printed as JSON."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.noisy", description=main.__doc__)
    p.add_argument("corpus", type=Path)
    p.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    p.add_argument("--setup", action="append", metavar="NAME=ARGS",
                   help="a server to compare: a name, '=', its serve arguments; a name "
                        "ending in '@DIR' runs the code of the source tree DIR (another "
                        "branch's worktree) under the name before '@'")
    p.add_argument("--split", action="append", metavar="NAME=ARGS",
                   help="two servers started alike: heavy requests to one, cheap ones to "
                        "the other (a perfect dispatcher's best case)")
    p.add_argument("--across", action="append", metavar="NAME=CHEAP,HEAVY",
                   help="cheap clients to the server of setup CHEAP, attackers to that of "
                        "setup HEAVY (both named by --setup or --split)")
    p.add_argument("--attack", action="append",
                   help="run only these attacks (by name; 'idle' once more runs the idle "
                        "phase again there)")
    p.add_argument("--attackers", type=int, default=2,
                   help="clients sending the heavy request, each over and over")
    p.add_argument("--no-analytics-wait", action="store_true",
                   help="start the phases once the graphs are loaded, the analytics still "
                        "computing")
    args = p.parse_args(argv)
    setups = {"one process": ["--no-watch"], "--workers 2": ["--no-watch", "--workers", "2"]}
    checkouts: dict[str, Path] = {}
    if args.setup:
        setups = {}
        for item in args.setup:
            name, serve_args = _named(item)
            name, at, tree = name.rpartition("@") if "@" in name else (name, "", "")
            if at:
                checkouts[name] = Path(tree)
            setups[name] = serve_args
    split = dict(_named(item) for item in args.split or [])
    across: dict[str, tuple[str, str]] = {}
    for item in args.across or []:
        name, _, pair = item.rpartition("=")
        cheap_on, _, heavy_on = pair.partition(",")
        if {cheap_on, heavy_on} - {*setups, *split}:
            p.error(f"--across {item!r}: name two setups, from {[*setups, *split]}")
        across[name] = (cheap_on, heavy_on)
    print(json.dumps(compare(args.corpus, setups, args.seconds, args.attack, split, across,
                             analytics=not args.no_analytics_wait, checkouts=checkouts,
                             attackers=args.attackers),
                     indent=1))


def _named(item: str) -> tuple[str, list[str]]:
    import shlex

    name, _, rest = item.partition("=")
    return name, shlex.split(rest)


if __name__ == "__main__":
    main()
