"""The process heap under a graph that changes: glibc malloc's settings for it.

A live graph (:mod:`graph.live`) makes a version per change — new arrays and dicts
while the previous version is still held, then the previous one freed. Two allocator
behaviours would keep that freed memory in the process:

* glibc serves a request above its *mmap threshold* (128 KiB by default) from a mapping
  of its own, handed back to the system when freed; but each such free raises the
  threshold to the freed size (up to 32 MiB), so from then on the big arrays of every
  version come from the heap, where freeing them leaves holes the process keeps.
  :func:`pin_mmap_threshold` sets the threshold explicitly, which turns that adjustment
  off (``mallopt(M_MMAP_THRESHOLD)``; ``MALLOC_MMAP_THRESHOLD_`` in the environment does
  the same).
* freed small blocks stay in the heap's arenas; :func:`release` asks malloc to hand
  their free pages back (``malloc_trim``). It walks the whole heap (up to ~140 ms at
  100k records on a loaded machine): a live graph asks for it with
  :func:`release_soon`, done by a thread of its own, so a change's caller (an ingest
  batch's request) does not wait for it.

Measured with ``python -m bench.live CORPUS --rss-changes 1000`` at 20k records: the
resident set after 1,000 single-record changes was 1.26× a fresh follow's with only
``malloc_trim``, 1.01× with the threshold pinned too (docs/live.md). Elsewhere than
glibc both are no-ops. No PyPI package does this; ``ctypes`` reaches libc directly.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from typing import Any

__all__ = ["pin_mmap_threshold", "release", "release_soon"]

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's default, kept fixed


def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 -- both exist only in glibc
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def pin_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``size`` bytes for this process; True if set.

    Allocations above it are mapped on their own and returned to the system when
    freed, however large the blocks freed before them.
    """
    return _LIBC is not None and bool(_LIBC.mallopt(M_MMAP_THRESHOLD, size))


def release() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class _Trimmer:
    """One daemon thread calling :func:`release` whenever asked, requests made while it
    runs taken together (one more pass after them)."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.pid = -1
        self.thread: threading.Thread | None = None

    def ask(self) -> None:
        # No lock (a process forked while one was held could not take it): the callers
        # are one live graph's applies, one at a time; two racing would start two
        # trimmers, which is harmless.
        if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
            # None yet, or this is a forked child: the parent's thread is not here.
            self.asked = threading.Event()
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, args=(self.asked,),
                                           name="newsgraph-heap", daemon=True)
            self.thread.start()
        self.asked.set()

    @staticmethod
    def _run(asked: threading.Event) -> None:
        while True:
            asked.wait()
            asked.clear()
            release()


_TRIMMER = _Trimmer()


def release_soon() -> None:
    """:func:`release`, done by a thread of its own: returns at once."""
    if _LIBC is not None:
        _TRIMMER.ask()
