"""The packing of a followed graph's build state done in a forked child, off the serving
interpreter.

A follow's compaction (:meth:`graph.live.LiveGraph.compact`) packs the entries of the
build state that changes left held as objects back into blobs
(:meth:`graph.storedmap.StoredMap.packed`): each entry pickled, the newest buffers merged
in, the blobs' table sorted. It is pure work on a state no change touches meanwhile (a
packing a change overtook is thrown away), and in the server it is work of the one
interpreter every query needs: at 100k records 0.12-0.64 ms of CPU an ingested record
(ing35), beside the apply's ~0.6.

:func:`start` forks the process while the caller holds the folder (no change under
way: the child sees the state as it is between changes), and the child does the
packing and writes back what it made, a compact delta per map (the new buffer's bytes
and table, how many older buffers stay, the keys no longer hidden:
:meth:`StoredMap.packing`); :meth:`Packing.result` reads it, the folder let go
meanwhile. What the server does for it is the fork (copying the page tables, a few ms
at 100k) and reading the delta back (bytes, no object per entry); the rest is the
child's, on another core. Copy-on-write keeps the child's memory to the pages it
touches (its collector is off, so the pages of objects it does not pickle stay shared).

Forking a process that runs other threads is safe only for code that takes no lock
another thread may have held at the fork (graph/loader.py's ``pool_context``): the
child runs the packing alone — pickling, hashing, numpy sorting, one pipe — and
``os._exit``s, and a child that does not answer within :data:`WAIT_S` is killed and
the packing done in the server as before. No fork where ``os.fork`` is missing.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import time
import warnings
from collections.abc import Sequence
from typing import Any

from graph.storedmap import StoredMap

__all__ = ["Packing", "start", "available", "WAIT_S"]

# How long the server waits for the child's packing before it kills it and packs itself
# (a packing at 100k takes well under a second; a child stuck on a lock never answers).
WAIT_S = 30.0
_READ = 1 << 20


def available() -> bool:
    """Whether this platform can pack in a forked child."""
    return hasattr(os, "fork") and hasattr(select, "poll") and os.name == "posix"


class Packing:
    """A packing under way in a child (:func:`start`)."""

    __slots__ = ("pid", "fd", "count")

    def __init__(self, pid: int, fd: int, count: int):
        self.pid, self.fd, self.count = pid, fd, count

    def result(self, wait: float | None = None) -> list[Any] | None:
        """The child's :meth:`StoredMap.packing` of each map :func:`start` was given, in
        order (:meth:`StoredMap.unpacked` makes its :class:`Packed`, while the map is
        unchanged); None when the child failed or did not answer within ``wait``
        seconds (:data:`WAIT_S` by default; it is killed then)."""
        chunks: list[bytes] = []
        deadline = time.monotonic() + (WAIT_S if wait is None else wait)
        failed = False
        poll = select.poll()  # not select(): a server may hold more than 1,024 files
        poll.register(self.fd, select.POLLIN)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not poll.poll(left * 1000):
                    failed = True
                    break
                chunk = os.read(self.fd, _READ)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self.fd)
            if failed:
                _kill(self.pid)
            status = _reap(self.pid)
        if failed or status != 0:
            return None
        deltas: list[Any] = pickle.loads(b"".join(chunks))
        return deltas if len(deltas) == self.count else None


def start(maps: Sequence[StoredMap]) -> Packing | None:
    """Fork a child that packs ``maps`` as they are now (call it with no change under
    way); None when no child could be started (then pack here)."""
    if not available():
        return None
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns of any fork of a process with threads; this child runs
            # only the lock-free packing (see the module's docstring).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # pragma: no cover - the child (its work is checked by its answer)
        _child(maps, read, write)
    os.close(write)
    return Packing(pid, read, len(maps))


def _child(maps: Sequence[StoredMap], read: int, write: int) -> None:  # pragma: no cover
    """The forked child: pack, write the deltas, exit without cleaning up anything of
    the server's (its threads are not here; its finalizers are not run)."""
    status = 1
    try:
        gc.disable()  # a collection would touch (and copy) every page of the heap
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)  # the server's handlers are not for it
        os.close(read)
        # The server's sockets and files, held here, would outlive their close there.
        os.closerange(3, write)
        os.closerange(write + 1, _max_fd())
        data = pickle.dumps([m.packing() for m in maps], protocol=5)
        view = memoryview(data)
        while view:
            view = view[os.write(write, view):]
        status = 0
    except BaseException:  # noqa: BLE001 - any failure: the server packs itself
        status = 1
    finally:
        os._exit(status)


def _max_fd() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 4)
    except (ValueError, OSError):
        return 1 << 16


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> int:
    """Wait for the child; its exit status (-1 when it was killed or not found)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status)
