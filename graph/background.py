"""Whole-graph analytics off the request path: computed by a process forked after the load.

Storylines (Louvain), PageRank, co-topic weights and provider overlap take the whole
graph: 25 s at 20k records, several minutes at 100k. A thread would not keep them off
the request path, because they are pure Python (networkx) and hold the GIL, so every
request waits its turn behind them. Instead :class:`BackgroundAnalytics` forks the
server after the load: the child shares the graph copy-on-write, runs at a lower
priority, and sends what it computed back through a pipe in small pickled chunks. A
thread of the server reads the pipe (a blocking read releases the GIL), unpickles
chunk by chunk (a few milliseconds each) and installs the parts with
:meth:`Analytics.install`. A node id in a part travels as its index position and
arrives as the server's own id string: unpickled as text, every part would hold a copy
of every article id (tens of MiB at 100k records). Until then :meth:`Analytics.defer`
makes the fields that need them answer at once with :class:`~graph.errors.NotReady` and
this job's status.

Without ``os.fork`` (Windows) the job runs in a thread, which is correct but does
slow serving down while it runs.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import struct
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graph import heap

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["BackgroundAnalytics", "warm", "CHUNK"]

CHUNK = 2000  # items of a part per pickled frame: each unpickles in a few milliseconds
_HEADER = struct.Struct("!I")
_NICE = 10


def warm(kg: KnowledgeGraph) -> None:
    """Compute, in the calling thread, the per-load parts that requests read directly:
    the graph's counts, syndicated copies (walks over ``SAME_STORY`` use them) and
    each topic's articles. A server calls it while loading, before it says ready."""
    kg.counts  # noqa: B018 - computed and kept
    a = kg.analytics
    a.same_story_pos  # noqa: B018
    a.topic_articles  # noqa: B018


class BackgroundAnalytics:
    """The job computing :data:`~graph.analytics.WHOLE_GRAPH` for one loaded graph.

    ``start()`` defers the parts and forks; ``status()`` says how far it is;
    ``stop()`` ends the child (at shutdown); ``wait()`` is for tests and benchmarks.
    """

    def __init__(self, kg: KnowledgeGraph, *, use_fork: bool | None = None):
        self.kg = kg
        self.use_fork = hasattr(os, "fork") if use_fork is None else use_fork
        self.started = time.monotonic()
        self.finished: float | None = None
        self.stage = "starting"
        self.error: str | None = None
        self.pid: int | None = None
        self._done = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self) -> dict[str, Any]:
        """``{"status": "computing" | "ready" | "failed", "stage", "seconds", ...}``."""
        end = self.finished if self.finished is not None else time.monotonic()
        out: dict[str, Any] = {"seconds": round(end - self.started, 1)}
        if self.error is not None:
            out.update(status="failed", error=self.error)
        elif self._done.is_set():
            out.update(status="ready")
        else:
            out.update(status="computing", stage=self.stage)
        return out

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self.error is None

    def start(self, delay: float = 0.0) -> BackgroundAnalytics:
        """Defer the whole-graph parts of the graph and start computing them, after
        ``delay`` seconds unless :meth:`stop` comes first (a followed folder changing
        many times a second would otherwise fork a job per version, each ended by the
        next)."""
        self.kg.analytics.defer(self.status)
        self.started = time.monotonic()
        target: Callable[[], None] = self._run_forked if self.use_fork else self._run_here
        if delay > 0:
            self.stage = f"waiting {delay:g} s for the graph to stop changing"
        self._thread = threading.Thread(target=self._run_after, args=(delay, target),
                                        name="newsgraph-analytics", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ended; return True when the parts are installed."""
        self._done.wait(timeout)
        return self.ready

    def stop(self, wait: bool = True) -> None:
        """End the child process if it still runs (the server is shutting down, or a newer
        version replaces this one), or keep it from starting; with ``wait``, until its
        thread ended. A newer version does not wait: the thread finds the job stopped by
        itself, and waiting for it to be scheduled held up the thread applying changes
        (15 ms a version at 100k, more beside querying threads, by py-spy)."""
        self._stopped.set()
        pid = self.pid
        if pid is not None and not self._done.is_set():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if wait and self._thread is not None:
            self._thread.join(timeout=5)

    # -- the two ways of running ---------------------------------------------------

    def _run_after(self, delay: float, target: Callable[[], None]) -> None:
        if delay > 0 and self._stopped.wait(delay):
            self.error = "stopped before it started (a newer graph version came)"
            self._finish()
            return
        self.stage = "starting"
        target()

    def _run_here(self) -> None:
        try:
            parts = self.kg.analytics.compute_all(self._set_stage)
            self.kg.analytics.install(parts)
        except Exception as e:  # the server keeps serving; the fields say why
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._finish()

    def _set_stage(self, what: str) -> None:
        self.stage = what

    def _run_forked(self) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and never return into the server
            status = 1
            try:
                os.close(read_fd)
                status = _child(self.kg, write_fd)
            finally:
                os._exit(status)
        self.pid = pid
        if self._stopped.is_set():  # stop() came as it forked, before it knew the pid
            os.kill(pid, signal.SIGKILL)
        os.close(write_fd)
        try:
            self._receive(read_fd)
        except Exception as e:
            self.error = self.error or f"{type(e).__name__}: {e}"
        finally:
            os.close(read_fd)
            # The frames' buffers and the chunk lists were freed as the parts went in:
            # their pages go back to the system instead of staying in the heap.
            heap.release()
            _, code = os.waitpid(pid, 0)
            if self.error is None and not self.kg.analytics.ready:
                self.error = _ended(code)
            self._finish()

    def _receive(self, fd: int) -> None:
        building: dict[str, list[Any]] = {}
        ids = self.kg.index.ids
        with os.fdopen(os.dup(fd), "rb", buffering=1 << 16) as stream:
            while True:
                header = stream.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    return  # the child ended; _run_forked reads how
                (size,) = _HEADER.unpack(header)
                kind, *payload = _NodeUnpickler(io.BytesIO(stream.read(size)), ids).load()
                if kind == "stage":
                    self.stage = payload[0]
                elif kind == "chunk":
                    building.setdefault(payload[0], []).extend(payload[1])
                elif kind == "part":
                    name, shape = payload
                    items = building.pop(name, [])
                    value = (dict(items) if shape == "dict" else items[0] if shape == "object"
                             else items)
                    self.kg.analytics.install({name: value})
                    del items, value
                elif kind == "error":
                    self.error = payload[0]
                time.sleep(0)  # let the event loop's thread take the GIL between chunks

    def _finish(self) -> None:
        self.finished = time.monotonic()
        self._done.set()


def _child(kg: KnowledgeGraph, fd: int) -> int:
    """Compute every part and send it through ``fd``; return the exit status."""
    try:
        os.nice(_NICE)
    except OSError:
        pass
    pos = kg.index.pos
    with os.fdopen(fd, "wb", buffering=1 << 16) as out:
        def send(*frame: Any) -> None:
            buffer = io.BytesIO()
            _NodePickler(buffer, pos).dump(frame)
            data = buffer.getvalue()
            out.write(_HEADER.pack(len(data)))
            out.write(data)
            out.flush()

        try:
            # Each part is sent as soon as it is done: search needs no storylines.
            for name, value in kg.analytics.compute_each(lambda what: send("stage", what)):
                if isinstance(value, dict | list):
                    shape = "dict" if isinstance(value, dict) else "list"
                    items = list(value.items()) if isinstance(value, dict) else list(value)
                    for i in range(0, len(items), CHUNK):
                        send("chunk", name, items[i:i + CHUNK])
                else:  # numpy arrays: their bytes load with a copy, not item by item
                    shape = "object"
                    send("chunk", name, [value])
                send("part", name, shape)
        except BaseException as e:
            send("error", f"{type(e).__name__}: {e}")
            traceback.print_exc()
            return 1
    return 0


class _NodePickler(pickle.Pickler):
    """Pickles a node id string as its index position (``pos``)."""

    def __init__(self, file: io.BytesIO, pos: Mapping[str, int]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._pos = pos

    def persistent_id(self, obj: Any) -> int | None:
        return self._pos.get(obj) if type(obj) is str else None


class _NodeUnpickler(pickle.Unpickler):
    """Reads what :class:`_NodePickler` wrote: a position becomes ``ids[position]``, the
    graph's own string."""

    def __init__(self, file: io.BytesIO, ids: Sequence[str]):
        super().__init__(file)
        self._ids = ids

    def persistent_load(self, pid: Any) -> str:
        return self._ids[pid]


def _ended(code: int) -> str:
    if os.WIFSIGNALED(code):
        return (f"the analytics process was ended by signal {os.WTERMSIG(code)} "
                "(out of memory?)")
    return f"the analytics process ended with status {os.waitstatus_to_exitcode(code)}"
