"""``newsgraph serve --workers N``: worker processes forked after the load, sharing its graph.

The model is gunicorn's arbiter with ``preload_app``. The supervisor (the process
``newsgraph serve`` started as) binds the socket first and answers ``/healthz`` and
``/readyz`` (503 "loading", with progress) from a small app of its own while it loads
the graph; then it stops that app, freezes the collector (``gc.freeze``: the collector
no longer writes into the graph's objects, so their pages stay shared) and forks N
workers, each running uvicorn on a listening socket of its own, bound before the load
with SO_REUSEPORT on the one port: the kernel spreads new connections over them by a
hash of their addresses. (On one shared socket, the first worker to wake accepts every
connection waiting, so keep-alive clients all land on one worker.) uvicorn's own
``--workers`` cannot do this: it spawns fresh interpreters, each of which would load
the graph again, N times the memory and N times the start-up.

The whole-graph analytics are computed once, by the supervisor's own background job
(:mod:`graph.background`); when they are in, the supervisor replaces the workers one
at a time by ones forked from it, which hold them in shared pages too (the old ones
finish their requests first). The supervisor restarts a worker that dies, drains them
all on SIGTERM or SIGINT (each finishes its requests in flight, by their deadline),
ignores SIGHUP, and, as gunicorn's arbiter does, starts one more worker on SIGTTIN and
retires one on SIGTTOU.

Reading an object writes its reference count, so the pages of the graph a worker reads
become its own copies over time (``gc.freeze`` only keeps the collector from doing the
same); ``max_requests`` replaces a worker after that many requests by a fresh fork,
whose pages are all shared again (gunicorn's ``max_requests``).

What the workers do with a followed folder is written in docs/scaling.md: each follows
it on its own, which the content-derived graph version keeps consistent.
"""

from __future__ import annotations

import gc
import json
import os
import random
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import graph
from graph.background import BackgroundAnalytics, warm
from schema.app import Loading, healthz, readyz
from schema.http import error_body, negotiate

__all__ = ["Supervisor", "SharedAnalytics", "loading_app", "prewarm", "WORKERS_HOLD",
           "FIRST_REQUESTS"]

# A worker that dies this soon after its start is not restarted in a tight loop.
_RESTART_PAUSE = 1.0
_POLL = 0.2  # seconds between looks at the workers
WORKERS_HOLD = "every worker holds the analytics"  # said once the first ones are retired


# What a worker's first requests read: an article's page with the fields every answer
# lists (each read decodes its column once), its walks (each list of edge kinds gets
# rows of its own), a topic's and a provider's pages, the counts.
_PAGE = ("totalCount edges { hops node { id ... on Article { title url publishedAt "
         "provider { name domain } topics { slug name } } } }")
FIRST_REQUESTS = (
    "{ stats { articles topics providers nodes edges } }",
    "query($id: ID!) { article(id: $id) { id title url publishedAt excerpt "
    "provider { name domain } topics { slug name } within(hops: 2, first: 10) { "
    + _PAGE + " } } }",
    "query($id: ID!) { within(from: $id, hops: 2, first: 10) { " + _PAGE + " } }",
    "{ topics(first: 3) { edges { node { slug name articleCount } } } "
    "providers(first: 3) { edges { node { name domain } } } }",
)


def prewarm(kg: graph.KnowledgeGraph) -> None:
    """Run, here, what a worker's first requests build and keep (each column read decoded
    once, each walk's rows, the schema's plans and caches), so that it is built once,
    before the fork, in pages the workers share, not once in each worker's own."""
    from schema.query import execute

    start = next((n for n in kg.nx if n.startswith("article:")), None)
    if start is None:
        return
    for document in FIRST_REQUESTS:
        execute(kg, document, {"id": start} if "$id" in document else None)


class SharedAnalytics:
    """A worker's view of the analytics job, which runs in the supervisor.

    Forked before the job ended, the worker answers "computing" (it is replaced by one
    holding them when they are in); forked after, its graph holds them and the job's
    final status (ready or failed) is the one it says."""

    def __init__(self, job: BackgroundAnalytics):
        self.job = job
        self.done = job.status()["status"] != "computing"

    @property
    def ready(self) -> bool:
        return self.job.ready

    def status(self) -> dict[str, Any]:
        if self.done:
            return self.job.status()
        return {"status": "computing", "stage": "in the supervisor process; this worker "
                "is replaced by one holding them when they are in",
                "seconds": round(time.monotonic() - self.job.started, 1)}

    def stop(self, wait: bool = True) -> None:
        """Nothing to stop here: the job is the supervisor's."""


def loading_app(loading: Loading) -> Starlette:
    """The supervisor's app while it loads: ``/healthz`` ok, ``/readyz`` and every other
    path 503 with how far the load is."""

    async def not_yet(request: Request) -> Response:
        accept = request.headers.get("accept", "")
        body = error_body(loading.message(), code="NOT_READY", **loading.status())
        return Response(json.dumps(body), status_code=503, headers={"retry-after": "1"},
                        media_type=f"{negotiate(accept)}; charset=utf-8")

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
    app = Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz),
                            Route("/{rest:path}", not_yet, methods=methods)])
    app.state.kg = None
    app.state.loading = loading
    return app


class _Stopped(Exception):
    """SIGTERM or SIGINT arrived while the supervisor was loading."""


@dataclass
class Supervisor:
    """Load once, fork ``count`` workers, each serving a socket of its own, keep them running.

    ``listen()`` returns one more listening socket on the server's port (SO_REUSEPORT:
    the kernel spreads new connections over them); ``load(progress)`` returns the graph
    or the followed corpus; ``make_app(source, job, share)`` returns a worker's app, where
    ``job(kg)`` is the analytics job its lifespan installs and ``share`` how many workers
    divide one server's response-cache budget (the count when it was forked); ``config``
    are uvicorn's options; ``say`` prints one line for the operator; a worker that served
    ``max_requests`` (plus up to a quarter, at random) is replaced by a fresh fork, whose
    pages are all shared again.
    """

    listen: Callable[[], socket.socket]
    count: int
    load: Callable[[Callable[..., None]], graph.KnowledgeGraph | graph.LiveGraph]
    make_app: Callable[[Any, Callable[[graph.KnowledgeGraph], Any], int], Starlette]
    config: dict[str, Any]
    say: Callable[[str], None]
    max_requests: int | None = None
    cpus: tuple[int, ...] = ()  # worker slot i holds to cpus[i % len] (schema/affinity.py)
    sockets: dict[int, socket.socket] = field(default_factory=dict)  # slot -> listener
    workers: dict[int, tuple[int, float]] = field(default_factory=dict)  # pid -> slot, start
    retiring: set[int] = field(default_factory=set)
    stopping: bool = False
    loading: bool = True
    job: BackgroundAnalytics | None = None

    def run(self) -> tuple[graph.KnowledgeGraph | graph.LiveGraph | None, Exception | None]:
        """Load, serve until SIGTERM or SIGINT; return what was loaded, or why not."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGTTIN, self._on_more)  # gunicorn's: one more worker
        signal.signal(signal.SIGTTOU, self._on_fewer)  # and one fewer
        for slot in range(self.count):
            self.sockets[slot] = self.listen()
        loading = Loading()
        loader = uvicorn.Server(uvicorn.Config(loading_app(loading), log_level="warning",
                                               lifespan="off"))
        # Duplicates: stopping the loading server closes them, not the workers' sockets.
        thread = threading.Thread(
            target=loader.run, kwargs={"sockets": [s.dup() for s in self.sockets.values()]},
            name="newsgraph-loading", daemon=True)
        thread.start()
        loaded = False
        try:
            source = self.load(loading.progress)
            kg = source.current() if isinstance(source, graph.LiveGraph) else source
            warm(kg)
            prewarm(kg)
            loaded = True
        except _Stopped:
            return None, None
        except Exception as e:
            return None, e
        finally:
            self.loading = False
            loader.should_exit = True
            thread.join()
            if self.stopping or not loaded:
                self._close_sockets()
        if self.stopping:
            return source, None
        # Collected objects are never written again by the collector: pages stay shared.
        gc.freeze()
        self.job = job = BackgroundAnalytics(kg)
        for slot in range(self.count):
            self._fork(source, slot)
        # The job forks a child of its own after the workers, from this process's graph.
        job.start()
        self.say(f"{self.count} workers serving (pids "
                 f"{', '.join(str(p) for p in self.workers)}); analytics are computed once, "
                 "here, and the workers replaced when they are in")
        self._supervise(source)
        return source, None

    # -- the supervisor's side -------------------------------------------------------

    def _on_stop(self, signum: int, frame: Any) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self.loading:
            raise _Stopped

    def _on_more(self, signum: int, frame: Any) -> None:
        self.count += 1

    def _on_fewer(self, signum: int, frame: Any) -> None:
        self.count = max(1, self.count - 1)

    def _serving(self) -> dict[int, int]:
        """Slot -> pid of the workers not retiring."""
        return {slot: pid for pid, (slot, _) in self.workers.items()
                if pid not in self.retiring}

    def _supervise(self, source: Any) -> None:
        rolled = False
        while not self.stopping:
            time.sleep(_POLL)
            for pid in list(self.workers):
                try:
                    done, status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done, status = pid, 0
                if not done:
                    continue
                _, started = self.workers.pop(pid)
                if pid in self.retiring:
                    self.retiring.discard(pid)
                    if not self.retiring:
                        self.say(f"{WORKERS_HOLD if rolled else 'workers'}: "
                                 f"{', '.join(str(p) for p in self.workers)}")
                    continue
                if not self.stopping and status == 0 and self.max_requests:
                    self.say(f"worker {pid} served its {self.max_requests:,}+ requests "
                             "(--max-requests); starting a fresh one")
                elif not self.stopping:
                    self.say(f"worker {pid} {_how(status)}; starting another")
                    if time.monotonic() - started < _RESTART_PAUSE:
                        time.sleep(_RESTART_PAUSE)
            if self.stopping:
                break
            serving = self._serving()
            for slot in range(self.count):  # one died, or SIGTTIN asked
                if slot not in serving:
                    if slot not in self.sockets:
                        self.sockets[slot] = self.listen()
                    self._fork(source, slot)
            for slot, pid in serving.items():  # SIGTTOU asked
                if slot >= self.count:
                    self._retire(pid)
                    # The kernel no longer sends connections to it once the worker, the
                    # last one holding it, stops accepting.
                    self.sockets.pop(slot).close()
            assert self.job is not None
            if not rolled and self.job.status()["status"] != "computing":
                rolled = True
                # What the installed parts add to a first request.
                prewarm(source.current() if isinstance(source, graph.LiveGraph) else source)
                gc.freeze()  # the installed parts too
                self._replace_all(source)
        self._drain()

    def _retire(self, pid: int) -> None:
        self.retiring.add(pid)
        _signal(pid, signal.SIGTERM)

    def _replace_all(self, source: Any) -> None:
        """Fork a worker holding the analytics for each one without, then retire the old
        one (it finishes its requests in flight first)."""
        assert self.job is not None
        self.say(f"analytics {self.job.status()['status']}: replacing the workers by ones "
                 "holding them")
        for slot, pid in self._serving().items():
            self._fork(source, slot)
            self._retire(pid)

    def _close_sockets(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()

    def _drain(self) -> None:
        """Ask every worker to finish its requests and stop; wait for them."""
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        self._close_sockets()  # once the workers closed theirs, new connections are refused
        if self.job is not None:
            self.job.stop()
        deadline = time.monotonic() + float(self.config.get("timeout_graceful_shutdown") or 10) + 5
        while self.workers:
            for pid in list(self.workers):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    self.workers.pop(pid)
            if self.workers and time.monotonic() > deadline:
                for pid in self.workers:
                    _signal(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)

    def _fork(self, source: Any, slot: int) -> None:
        assert self.job is not None
        job = self.job
        pid = os.fork()
        if pid == 0:  # the worker: serve, and never return into the supervisor
            status = 1
            try:
                status = self._work(source, job, slot)
            except BaseException:  # said on stderr, then the supervisor starts another
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        self.workers[pid] = (slot, time.monotonic())

    # -- a worker's side -------------------------------------------------------------

    def _work(self, source: Any, job: BackgroundAnalytics, slot: int) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own when it serves
        for sig in (signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU):
            signal.signal(sig, signal.SIG_IGN)  # the supervisor's to hear
        if self.cpus:
            from schema.affinity import hold

            hold(self.cpus[slot % len(self.cpus)], fork_server=False)
        # Only its own socket: one held open here after its worker retired would still
        # be given connections nobody accepts.
        for other, sock in self.sockets.items():
            if other != slot:
                sock.close()
        shared = SharedAnalytics(job)

        def analytics(kg: graph.KnowledgeGraph) -> SharedAnalytics:
            if not shared.done:
                kg.analytics.defer(shared.status)
            return shared

        # A supervisor that was killed cannot drain its workers: they stop on their own.
        supervisor = os.getppid()
        threading.Thread(target=_stop_when_orphaned, args=(supervisor,), daemon=True,
                         name="newsgraph-orphaned").start()
        app = self.make_app(source, analytics, self.count)
        app.state.worker = {"pid": os.getpid(), "workers": self.count,
                            "cacheBytes": app.state.response_cache.max_bytes}
        config = dict(self.config)
        if self.max_requests:
            # Jittered, as gunicorn's max_requests_jitter: workers do not all restart at once.
            config["limit_max_requests"] = self.max_requests + random.randrange(
                self.max_requests // 4 + 1)
        server = uvicorn.Server(uvicorn.Config(app, **config))
        server.run(sockets=[self.sockets[slot]])
        return 0


def _stop_when_orphaned(supervisor: int) -> None:
    """Drain this worker (as SIGTERM does) once its supervisor is gone."""
    while os.getppid() == supervisor:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was ended by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
