"""A server's threads held to one CPU (``newsgraph serve --cpus``), its children let go.

A request goes from the event loop's thread to an operation thread and back, and the
threads take the interpreter in turn. Where they may run on any CPU, each hand-over can
wake a thread on another one; on a 2-vCPU virtual machine, one server's distinct
``within`` queries at 20k cost 0.99–1.61 ms of CPU each with its threads free to move
and 0.78–0.84 ms held to one CPU (docs/performance.md). nginx (``worker_cpu_affinity``),
HAProxy (``cpu-map``) and uWSGI (``--cpu-affinity``) offer the same as an option, as here:
a held server cannot move off a CPU that another process keeps busy.

Only the serving process is held. What it starts is let go to the CPUs it was allowed
before: a process forked from it (the background analytics, an export's writer, a
worker, which then holds itself to its own CPU) by an :func:`os.register_at_fork` hook,
and one server's parse pool by starting its fork server before the hold (its processes
are forked from it). Linux only (``os.sched_setaffinity``).
"""

from __future__ import annotations

import multiprocessing
import os

__all__ = ["allowed", "parse_cpus", "hold"]

_released: set[int] | None = None  # the CPUs allowed before the first hold: let go to


def allowed() -> set[int]:
    """The CPUs this process may run on now."""
    return set(os.sched_getaffinity(0))


def parse_cpus(text: str) -> tuple[int, ...]:
    """``"1"``, ``"0,1"`` or ``"2-3"`` as CPU numbers, each one this process may run on;
    a ValueError saying what is allowed otherwise."""
    if not hasattr(os, "sched_setaffinity"):
        raise ValueError("holding threads to CPUs needs Linux (os.sched_setaffinity)")
    may = sorted(allowed())
    said = ", ".join(map(str, may))
    cpus: list[int] = []
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi if dash else lo)
        except ValueError:
            raise ValueError(f"--cpus {text!r}: give CPU numbers such as 1, 0,1 or 0-1 "
                             f"(this process may run on {said})") from None
        if first > last:
            raise ValueError(f"--cpus {text!r}: a range runs low to high ({last}-{first}?)")
        for cpu in range(first, last + 1):
            if cpu not in may:
                raise ValueError(f"--cpus {text!r}: CPU {cpu} is not one this process may "
                                 f"run on ({said})")
            if cpu not in cpus:
                cpus.append(cpu)
    return tuple(cpus)


def hold(cpu: int, *, fork_server: bool = True) -> None:
    """Hold every thread of this process, and those it starts, to ``cpu``; what it forks
    is let go (see the module's docstring). With ``fork_server`` the parse pool's fork
    server is started first, unheld (a worker passes False: a fork server of its own
    would cost each worker a process holding the loader's imports, ~60 MB; a pool a
    worker starts is then held with it)."""
    global _released
    if _released is None:  # (a held process's forked child has it, and the hook, already)
        _released = allowed()
        if fork_server and multiprocessing.get_start_method(allow_none=True) == "forkserver":
            from multiprocessing import forkserver

            from graph.loader import FORKSERVER_PRELOAD

            # Its processes are forked from it: started now, unheld, it never holds them.
            multiprocessing.set_forkserver_preload(FORKSERVER_PRELOAD)
            forkserver.ensure_running()
        os.register_at_fork(after_in_child=_let_go)
    for task in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(task), {cpu})
        except ProcessLookupError:  # a thread that ended meanwhile
            pass


def _let_go() -> None:
    """In a child forked from a held process: the CPUs it was allowed before the hold."""
    if _released is not None:
        os.sched_setaffinity(0, _released)
