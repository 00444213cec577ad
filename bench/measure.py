"""Small measuring tools: percentiles, timers and the memory of a process."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["percentile", "timed", "peak_rss_bytes", "rss_bytes", "rss_of"]


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0–100) of ``values``, nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[list[float], Any]:
    """Call ``fn`` ``repeat`` times; return each call's seconds and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def timed_cpu(fn: Callable[[], Any], repeat: int = 1
              ) -> tuple[list[float], list[float], Any]:
    """Call ``fn`` ``repeat`` times; return each call's wall-clock seconds, its CPU
    seconds in this thread (what a busy machine's other work does not add to), and the
    last result."""
    wall, cpu = [], []
    result = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.thread_time()
        result = fn()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - t)
    return wall, cpu, result


def _status_bytes(field: str, pid: int | str = "self") -> int | None:
    """A ``kB`` field of ``/proc/PID/status`` (Linux) in bytes, or None."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size.

    On Linux the high-water mark of this process's own memory (``VmHWM``): ``ru_maxrss``
    keeps the peak of the images before an exec, so a server the runner started would
    report the runner's peak (a loaded graph) as its own."""
    peak = _status_bytes("VmHWM:")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def rss_bytes() -> int:
    """Return this process's current resident set size (Linux), else its peak."""
    rss = _status_bytes("VmRSS:")
    return peak_rss_bytes() if rss is None else rss


def rss_of(pid: int) -> int | None:
    """Return the current resident set size of process ``pid`` (Linux), else None."""
    return _status_bytes("VmRSS:", pid)
