"""A follow's first start read in a child process, so the follower keeps a warm start's heap.

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
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Sequence
from multiprocessing.connection import Connection

from graph.loader import POOL_MIN_FILES, pool_context
from graph.progress import ProgressCallback

__all__ = ["read_in_child", "CHILD_MIN_FILES"]

# Folders of fewer files are read in the follower: their first start peaks low.
CHILD_MIN_FILES = POOL_MIN_FILES

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
