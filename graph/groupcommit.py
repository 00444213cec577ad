"""Work handed in by several threads at once, done together by whichever gets the turn.

A database's group commit: each caller queues its job, then waits for the turn (a lock
held by the work itself, such as a followed folder's apply). The first to get it takes
every job queued meanwhile and does them all as one; the others, whose jobs it took,
find them done when the turn comes to them, and return. Nobody's job waits for more
than the work under way plus its own group, and a stream of concurrent callers pays the
fixed cost of the work (for an ingest: making a new graph version) once per group, not
once per caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

J = TypeVar("J")
H = TypeVar("H")


class _Ticket(Generic[J]):
    __slots__ = ("job", "done", "error")

    def __init__(self, job: J) -> None:
        self.job = job
        self.done = False
        self.error: BaseException | None = None


class GroupCommit(Generic[J]):
    """Jobs queued by several threads, done in groups by the thread that gets the turn.

    >>> import threading
    >>> commits, groups = GroupCommit(), []
    >>> turn = threading.Lock()
    >>> commits.run("a", lambda: turn, lambda held, jobs: groups.append(jobs))
    >>> groups
    [['a']]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[_Ticket[J]] = []

    @property
    def queued(self) -> int:
        """How many jobs wait for a turn now."""
        with self._lock:
            return len(self._queued)

    def run(self, job: J, turn: Callable[[], AbstractContextManager[H]],
            do: Callable[[H, list[J]], None]) -> None:
        """Queue ``job``, take the turn (``turn()``, a context manager) and, unless a
        group done meanwhile held ``job``, call ``do(held, jobs)`` on every job queued,
        in the order they were queued; return once ``job`` is done. An exception out of
        ``do`` is raised in every caller whose job was in that group."""
        ticket = _Ticket(job)
        with self._lock:
            self._queued.append(ticket)
        with turn() as held:
            if not ticket.done:
                with self._lock:
                    group, self._queued = self._queued, []
                try:
                    do(held, [t.job for t in group])
                except BaseException as e:
                    for t in group:
                        t.error = e
                    raise
                finally:
                    for t in group:
                        t.done = True
                return
        if ticket.error is not None:
            raise ticket.error
