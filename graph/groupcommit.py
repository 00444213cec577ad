"""Work handed in by several threads at once, done together by whichever gets the turn.

A database's group commit: each caller queues its job, then waits for the turn (a lock
held by the work itself, such as a followed folder's apply). The first to get it takes
every job queued meanwhile and does them all as one; the others, whose jobs it took,
are answered as soon as that group is done, without waiting for the turn themselves.
Nobody's job waits for more than the work under way plus its own group, and a stream
of concurrent callers pays the fixed cost of the work (for an ingest: making a new
graph version) once per group, not once per caller.

A caller with a deadline waits for the turn only until then: a job no group has taken
by its deadline is withdrawn, undone, and the caller told so.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

J = TypeVar("J")
H = TypeVar("H")

# How long a caller waits for the turn at a time before it looks again whether a group
# took its job (then it waits for that group's end, not for the turn) or its deadline
# passed: a waiting caller answers within this of either.
_LOOK_S = 0.05


class _Ticket(Generic[J]):
    __slots__ = ("job", "taken", "done", "error")

    def __init__(self, job: J) -> None:
        self.job = job
        self.taken = False  # in a group (set under the queue's lock)
        self.done = threading.Event()  # its group ended
        self.error: BaseException | None = None


class GroupCommit(Generic[J]):
    """Jobs queued by several threads, done in groups by the thread that gets the turn.

    >>> import threading
    >>> commits, groups, lock = GroupCommit(), [], threading.Lock()
    >>> @contextlib.contextmanager
    ... def turn(timeout):
    ...     if not lock.acquire(timeout=timeout):
    ...         raise TimeoutError("busy")
    ...     try:
    ...         yield "held"
    ...     finally:
    ...         lock.release()
    >>> commits.run("a", turn, lambda held, jobs: groups.append((held, jobs)))
    True
    >>> with lock:  # held elsewhere past the caller's deadline: withdrawn, undone
    ...     commits.run("b", turn, lambda held, jobs: groups.append((held, jobs)),
    ...                 left=lambda: 0.0)
    False
    >>> groups, commits.queued
    ([('held', ['a'])], 0)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[_Ticket[J]] = []

    @property
    def queued(self) -> int:
        """How many jobs wait for a turn now."""
        with self._lock:
            return len(self._queued)

    def run(self, job: J, turn: Callable[[float], AbstractContextManager[H]],
            do: Callable[[H, list[J]], None],
            left: Callable[[], float | None] | None = None) -> bool:
        """Queue ``job`` and wait for it to be done; return True once it is, False when
        it was withdrawn, undone, at its deadline.

        ``turn(timeout)`` is a context manager that holds the turn, raising
        TimeoutError when it cannot be had within ``timeout`` seconds. The caller that
        gets it calls ``do(held, jobs)`` on every job queued, in the order they were
        queued; a caller whose job such a group took returns once that group ends. An
        exception out of ``do`` is raised in every caller whose job was in that group.
        ``left()``: the seconds left until the caller's deadline (None: no deadline); a
        job no group has taken once it is not positive is withdrawn.
        """
        ticket = _Ticket(job)
        with self._lock:
            self._queued.append(ticket)
        while not ticket.taken:
            remaining = left() if left is not None else None
            wait = _LOOK_S if remaining is None else max(0.0, min(_LOOK_S, remaining))
            with contextlib.ExitStack() as stack:
                try:
                    held = stack.enter_context(turn(wait))
                except TimeoutError:
                    if remaining is not None and remaining <= 0:
                        with self._lock:
                            if not ticket.taken:
                                self._queued.remove(ticket)
                                return False
                    continue
                with self._lock:
                    if ticket.taken:  # its group held the turn before this: done
                        break
                    group, self._queued = self._queued, []
                    for t in group:
                        t.taken = True
                try:
                    do(held, [t.job for t in group])
                except BaseException as e:
                    for t in group:
                        t.error = e
                    raise
                finally:
                    for t in group:
                        t.done.set()
                return True
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return True
