"""A follow's snapshot written by a child process: a first start's, and a refresh's.

A follow with a snapshot cache and no fresh snapshot (a server's first start) reads the
whole folder, builds the graph and its build state, writes them as the snapshot, and
goes on from the snapshot read back (graph/live.py). Done in the follower's own process
that peaks at ~2.5 GiB at 100k records, and what the peak leaves stays: pymalloc keeps
an arena while one object in it lives, so the objects read back and made later sit in
holes among freed ones (at 100k a first start held ~600 MiB once following against a
warm start's ~300, and 1,180 MB after 1,000 changes against a cold load's 914).

Here a child process reads the folder and writes the snapshot; the follower then starts
from that snapshot exactly as a warm start does, and the child's heap goes with it. The
child is started as the parse pool's workers are (graph/loader.py): forked from a
process running one thread, else by the start method the program chose (``forkserver``,
which ``newsgraph serve`` chooses, or ``spawn``); with neither, or for a small folder
(where the peak is small and a process costs more than it saves), the follower reads
the folder itself, as before.

A follow that started from its snapshot writes nothing to it while it follows, and the
next start catches up every file changed since it was written (graph/followcache.py),
until too many changed and the folder is read again. :class:`SnapshotRefresh` keeps the
snapshot close to the folder instead: once :data:`REFRESH_FILES` files changed since it
was written (and at most once every :data:`REFRESH_PAUSE` seconds), a child process at a
lower priority starts from the snapshot, catches it up to the folder as it now is, and
writes it anew; the follower's own graph and heap are not touched. One refresh of a
folder's snapshot runs at a time, across processes (a lock file beside the snapshot:
the workers of ``newsgraph serve --workers N`` each follow the folder).
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from graph import snapshot
from graph.loader import POOL_MIN_FILES, pool_context
from graph.progress import ProgressCallback

__all__ = ["read_in_child", "SnapshotRefresh", "CHILD_MIN_FILES", "REFRESH_FILES",
           "REFRESH_PAUSE"]

# Folders of fewer files are read in the follower: their first start peaks low (and
# their snapshot is not refreshed: a catch-up of a small folder is quick).
CHILD_MIN_FILES = POOL_MIN_FILES
# A followed folder's snapshot is written anew once this many files changed since it
# was written (a catch-up of 500 files at 100k records: a few seconds of a start)...
REFRESH_FILES = 500
# ... at most once in this many seconds, the first this long after the follow started
# (a refresh at 100k: ~1 s to start from the snapshot, the catch-up, ~20 s to write).
REFRESH_PAUSE = 300.0
# The refresh's child runs at this lower priority (os.nice): serving comes first.
REFRESH_NICE = 10

logger = logging.getLogger("newsgraph")


def read_in_child(path: str | os.PathLike[str], files: int, cache_dir: str | os.PathLike[str],
                  *, max_file_bytes: int, include: Sequence[str],
                  follow_symlinks: bool, progress: ProgressCallback | None = None) -> bool:
    """Read the folder at ``path`` (``files`` files listed) in a child process and write
    its snapshot into ``cache_dir``, as a follow's first start does; return whether a
    child ran and ended well (the caller then looks for the snapshot, which the child
    does not write when the folder changed while it read). False at once when the folder
    is small or no child can be started safely. ``progress`` is told the child's steps
    (parse, build, the snapshot begun) as it makes them."""
    if files < CHILD_MIN_FILES:
        return False
    context = pool_context()
    if context is None:
        return False
    # Every concrete context has Process; typeshed's BaseContext does not say so.
    steps, told = context.Pipe(duplex=False)
    child = context.Process(  # type: ignore[attr-defined]
        target=_read_and_write, name="newsgraph-first-start",
        args=(os.fspath(path), os.fspath(cache_dir), max_file_bytes,
              tuple(include), follow_symlinks, told))
    try:
        child.start()
    except (OSError, RuntimeError) as e:  # no process to be had: read here instead
        logger.warning("could not read %s in a child process (%s); reading it here", path, e)
        return False
    finally:
        told.close()  # the child's end
    # A follower that exits meanwhile (a server stopped during its first start) ends the
    # child first: multiprocessing would wait for it at exit (it is not a daemon, which
    # could not start the parse pool's processes).
    atexit.register(child.terminate)
    try:
        with steps:
            while child.is_alive() or steps.poll():
                if not steps.poll(0.2):
                    continue
                try:
                    step = steps.recv()
                except EOFError:  # the child ended
                    break
                if progress is not None:
                    progress(step)
        child.join()
    finally:
        atexit.unregister(child.terminate)
    if child.exitcode != 0:
        logger.warning("the child process reading %s ended with status %s; reading it here",
                       path, child.exitcode)
        return False
    return True


def _read_and_write(path: str, cache_dir: str, max_file_bytes: int, include: tuple[str, ...],
                    follow_symlinks: bool, told: Connection) -> None:
    """In the child: a follow's first start up to its snapshot written (not read back),
    each progress step sent to the follower."""
    from graph.live import LiveGraph

    with told:
        LiveGraph(path, max_file_bytes=max_file_bytes, include=include,
                  follow_symlinks=follow_symlinks, cache=cache_dir, progress=told.send,
                  _snapshot_only=True)


class SnapshotRefresh:
    """Keeps a followed folder's snapshot close to the folder (see the module's text):
    told of each applied change's files (:meth:`changed`), starts a refresh's child
    when enough changed and the pause since the last one is over (else once it is)."""

    def __init__(self, path: str | os.PathLike[str], cache_dir: str | os.PathLike[str], *,
                 max_file_bytes: int, include: Sequence[str], follow_symlinks: bool,
                 unsaved: int = 0):
        self._args = (os.fspath(path), os.fspath(cache_dir), max_file_bytes, tuple(include),
                      follow_symlinks)
        self.unsaved = unsaved  # files changed since the snapshot was written (about)
        self.refreshes = 0  # children that ended having written the snapshot, or found it fresh
        self._started = time.monotonic()  # the last refresh's start, or the follow's
        self._pid = -1
        self._forked()
        self.changed(0)

    def _forked(self) -> None:
        """In a process forked from the one that made this (a worker of ``newsgraph serve
        --workers N``, forked from the supervisor's follow): start afresh — the lock may
        have been held by a thread that is not here, and the child and timer are not
        this process's."""
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._timer: threading.Timer | None = None
        self._ended = threading.Event()
        self._ended.set()

    def changed(self, files: int) -> None:
        """Count ``files`` more changed since the snapshot; start a refresh when due."""
        self._forked()
        with self._lock:
            self.unsaved += files
            if self.unsaved < REFRESH_FILES or self._child is not None:
                return
            wait = self._started + REFRESH_PAUSE - time.monotonic()
            if wait > 0:
                if self._timer is None:
                    self._timer = threading.Timer(wait, self._after_pause)
                    self._timer.daemon = True
                    self._timer.start()
                return
            self._start()

    def _after_pause(self) -> None:
        with self._lock:
            self._timer = None
        self.changed(0)

    def _start(self) -> None:
        """Start the child (holding the lock)."""
        context = pool_context()
        if context is None:
            return
        child = context.Process(  # type: ignore[attr-defined]
            target=_refresh, name="newsgraph-snapshot-refresh",
            args=(*self._args, REFRESH_PAUSE))
        try:
            child.start()
        except (OSError, RuntimeError) as e:
            logger.warning("could not refresh the snapshot of %s in a child process: %s",
                           self._args[0], e)
            return
        self._child, self._started, counted = child, time.monotonic(), self.unsaved
        self.unsaved = 0  # the child reads the folder as it is from now
        self._ended.clear()
        atexit.register(child.terminate)  # not waited for at exit: its write is atomic
        threading.Thread(target=self._wait, args=(child, counted), daemon=True,
                         name="newsgraph-snapshot-refresh").start()

    def _wait(self, child: BaseProcess, counted: int) -> None:
        child.join()
        atexit.unregister(child.terminate)
        took = time.monotonic() - self._started
        with self._lock:
            self._child = None
            if child.exitcode == 0:
                self.refreshes += 1
                logger.info("snapshot of %s refreshed in a child process (%d file(s) "
                            "changed since it was written; %.1f s)", self._args[0], counted,
                            took)
            else:  # counted again: the next change tries after the pause
                self.unsaved += counted
                logger.warning("refreshing the snapshot of %s: the child process ended "
                               "with status %s", self._args[0], child.exitcode)
        self._ended.set()
        self.changed(0)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no refresh runs; return whether none does."""
        self._forked()
        return self._ended.wait(timeout)

    def close(self) -> None:
        """Stop a refresh under way (what it wrote is whole or nothing) and any timer."""
        self._forked()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            child = self._child
        if child is not None:
            child.terminate()


def _refresh(path: str, cache_dir: str, max_file_bytes: int, include: tuple[str, ...],
             follow_symlinks: bool, recent: float) -> None:
    """In the child: start from the folder's snapshot, catch it up and write it, unless
    another refresh of it runs, or one wrote it less than ``recent`` seconds ago (the
    other workers' follows count the same changes): then nothing."""
    from graph.live import LiveGraph

    path_of = snapshot.snapshot_path(Path(cache_dir), Path(path))
    with open(str(path_of) + ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        try:
            if time.time() - path_of.stat().st_mtime < recent:
                return
        except OSError:  # none: written below
            pass
        os.nice(REFRESH_NICE)
        # Holds none of the server's output: a refresh outlives a server killed with
        # SIGKILL (its write is whole or nothing), and whoever reads the server's
        # output until it ends would wait for the refresh too. Its end is logged by
        # the server (SnapshotRefresh._wait).
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        LiveGraph(path, max_file_bytes=max_file_bytes, include=include,
                  follow_symlinks=follow_symlinks, cache=cache_dir, _snapshot_only=True)
