"""Small measuring tools: percentiles, timers and the memory of a process."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["percentile", "timed", "peak_rss_bytes", "rss_bytes"]


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


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def rss_bytes() -> int:
    """Return this process's current resident set size (Linux), else its peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return peak_rss_bytes()
