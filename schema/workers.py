"""``newsgraph serve --workers N``: worker processes forked after the load, sharing its graph.

The model is gunicorn's arbiter with ``preload_app``. The supervisor (the process
``newsgraph serve`` started as) binds the socket first and answers ``/healthz`` and
``/readyz`` (503 "loading", with progress) from a small app of its own while it loads
the graph; then it stops that app, freezes the collector (``gc.freeze``: the collector
no longer writes into the graph's objects, so their pages stay shared) and forks N
workers, each running uvicorn on the inherited socket. The kernel hands each new
connection to whichever worker accepts it first. uvicorn's own ``--workers`` cannot do
this: it spawns fresh interpreters, each of which would load the graph again, N times
the memory and N times the start-up.

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

__all__ = ["Supervisor", "SharedAnalytics", "loading_app", "WORKERS_HOLD"]

# A worker that dies this soon after its start is not restarted in a tight loop.
_RESTART_PAUSE = 1.0
_POLL = 0.2  # seconds between looks at the workers
WORKERS_HOLD = "every worker holds the analytics"  # said once the first ones are retired


class SharedAnalytics:
    """A worker's view of the analytics job, which runs in the supervisor.

    Forked before the job ended, the worker answers "computing" (it is replaced by one
    holding them when they are in); forked after, its graph holds them and the job's
    final status (ready or failed) is the one it says."""

    def __init__(self, job: BackgroundAnalytics):
        self.job = job
        self.done = not job.status()["status"] == "computing"

    @property
    def ready(self) -> bool:
        return self.job.ready

    def status(self) -> dict[str, Any]:
        if self.done:
            return self.job.status()
        return {"status": "computing", "stage": "in the supervisor process; this worker "
                "is replaced by one holding them when they are in",
                "seconds": round(time.monotonic() - self.job.started, 1)}

    def stop(self) -> None:
        """Nothing to stop here: the job is the supervisor's."""


def loading_app(loading: Loading) -> Starlette:
    """The supervisor's app while it loads: ``/healthz`` ok, ``/readyz`` and every other
    path 503 with how far the load is."""

    async def not_yet(request: Request) -> Response:
        accept = request.headers.get("accept", "")
        body = error_body(loading.message(), code="NOT_READY", **loading.status())
        import json

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
    """Load once, fork ``count`` workers serving ``sock``, keep them running.

    ``load(progress)`` returns the graph or the followed corpus; ``make_app(source,
    job)`` returns a worker's app, where ``job(kg)`` is the analytics job its lifespan
    installs; ``config`` are uvicorn's options; ``say`` prints one line for the operator;
    a worker that served ``max_requests`` (plus up to a quarter, at random) is replaced by
    a fresh fork, whose pages are all shared again.
    """

    sock: socket.socket
    count: int
    load: Callable[[Callable[..., None]], graph.KnowledgeGraph | graph.LiveGraph]
    make_app: Callable[[Any, Callable[[graph.KnowledgeGraph], Any]], Starlette]
    config: dict[str, Any]
    say: Callable[[str], None]
    max_requests: int | None = None
    workers: dict[int, float] = field(default_factory=dict)  # pid -> started (monotonic)
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
        loading = Loading()
        loader = uvicorn.Server(uvicorn.Config(loading_app(loading), log_level="warning",
                                               lifespan="off"))
        # A duplicate: stopping the loading server closes its socket, not the workers'.
        thread = threading.Thread(target=loader.run, kwargs={"sockets": [self.sock.dup()]},
                                  name="newsgraph-loading", daemon=True)
        thread.start()
        try:
            source = self.load(loading.progress)
            kg = source.current() if isinstance(source, graph.LiveGraph) else source
            warm(kg)
        except _Stopped:
            return None, None
        except Exception as e:
            return None, e
        finally:
            self.loading = False
            loader.should_exit = True
            thread.join()
        if self.stopping:
            return source, None
        # Collected objects are never written again by the collector: pages stay shared.
        gc.freeze()
        self.job = job = BackgroundAnalytics(kg)
        for _ in range(self.count):
            self._fork(source)
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
                started = self.workers.pop(pid)
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
            serving = [p for p in self.workers if p not in self.retiring]
            if self.stopping:
                break
            for _ in range(self.count - len(serving)):  # one died, or SIGTTIN asked
                self._fork(source)
            for pid in serving[:max(0, len(serving) - self.count)]:  # SIGTTOU asked
                self.retiring.add(pid)
                _signal(pid, signal.SIGTERM)
            assert self.job is not None
            if not rolled and self.job.status()["status"] != "computing":
                rolled = True
                gc.freeze()  # the installed parts too
                self._replace_all(source)
        self._drain()

    def _replace_all(self, source: Any) -> None:
        """Fork a worker holding the analytics for each one without, then retire the old
        one (it finishes its requests in flight first)."""
        assert self.job is not None
        self.say(f"analytics {self.job.status()['status']}: replacing the workers by ones "
                 "holding them")
        for pid in [p for p in self.workers if p not in self.retiring]:
            self._fork(source)
            self.retiring.add(pid)
            _signal(pid, signal.SIGTERM)

    def _drain(self) -> None:
        """Ask every worker to finish its requests and stop; wait for them."""
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        self.sock.close()  # once the workers closed theirs, new connections are refused
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

    def _fork(self, source: Any) -> None:
        assert self.job is not None
        job = self.job
        pid = os.fork()
        if pid == 0:  # the worker: serve, and never return into the supervisor
            status = 1
            try:
                status = self._work(source, job)
            except BaseException:  # said on stderr, then the supervisor starts another
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        self.workers[pid] = time.monotonic()

    # -- a worker's side -------------------------------------------------------------

    def _work(self, source: Any, job: BackgroundAnalytics) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own when it serves
        for sig in (signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU):
            signal.signal(sig, signal.SIG_IGN)  # the supervisor's to hear
        shared = SharedAnalytics(job)

        def analytics(kg: graph.KnowledgeGraph) -> SharedAnalytics:
            if not shared.done:
                kg.analytics.defer(shared.status)
            return shared

        # A supervisor that was killed cannot drain its workers: they stop on their own.
        supervisor = os.getppid()
        threading.Thread(target=_stop_when_orphaned, args=(supervisor,), daemon=True,
                         name="newsgraph-orphaned").start()
        app = self.make_app(source, analytics)
        app.state.worker = {"pid": os.getpid(), "workers": self.count}
        config = dict(self.config)
        if self.max_requests:
            # Jittered, as gunicorn's max_requests_jitter: workers do not all restart at once.
            config["limit_max_requests"] = self.max_requests + random.randrange(
                self.max_requests // 4 + 1)
        server = uvicorn.Server(uvicorn.Config(app, **config))
        server.run(sockets=[self.sock])
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
