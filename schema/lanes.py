"""Long operations take turns: one heavy lane per server process.

Operations run in worker threads of one process, and CPU-bound Python work holds the
GIL: two heavy operations computing at once take two shares of it from every cheap one,
which waits for the interpreter at each of its few steps. A :class:`Lane` lets at most
``width`` operations that have run longer than ``after`` seconds compute at once; the
others wait at their next look at the deadline (:meth:`graph.budget.Budget.check_time`,
which every walk, scan, search, layout and path search makes as it goes), asleep, the
GIL free, until a place frees or their deadline passes. A waiter's thread gives its
running place to another operation while it sleeps (``park``, schema/threads.py), so
however many wait, cheap queries still find a thread. A holder gives its place up
after ``turn`` seconds at its next look and queues again behind those waiting, so
long operations share the lane in turns, oldest waiting first.

An operation that ends within ``after`` never touches the lane: cheap queries are never
queued, and they compete with at most ``width`` heavy ones for the interpreter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from graph.budget import Budget

__all__ = ["Lane"]


class Lane:
    """Turns for long operations: ``width`` at once, each for ``turn`` seconds at a time.

    Examples
    --------
    >>> lane = Lane(width=1, after=0.0)
    >>> budget = Budget(seconds=10, pace=lane.pace)
    >>> budget.check_time()  # long from the start (after=0): it takes the free place
    >>> lane.holders()
    1
    >>> lane.leave(budget)  # it held a place
    True
    >>> lane.holders()
    0
    """

    def __init__(self, width: int = 1, after: float = 0.02, turn: float = 0.05,
                 clock: Callable[[], float] = time.monotonic, poll: float = 0.01):
        if width < 1:
            raise ValueError(f"a lane is at least 1 wide, got {width!r}")
        self.width = width
        self.after = after
        self.turn = turn
        self.clock = clock
        self.poll = poll  # how often a waiter looks at its own deadline
        self._cond = threading.Condition()
        self._held: dict[int, float] = {}  # id(budget) -> when its turn began
        self._waiting: deque[int] = deque()
        self.turns = 0  # places taken, in all (for tests and figures)
        self.waits = 0  # looks made while waiting for one

    def holders(self) -> int:
        """How many operations hold a place now."""
        with self._cond:
            return len(self._held)

    def waiting(self) -> int:
        """How many operations wait for a place now."""
        with self._cond:
            return len(self._waiting)

    def pace(self, budget: Budget, park: Callable[[], None] | None = None,
             long: bool = False) -> None:
        """At a look at the deadline: an operation running longer than ``after`` (or
        ``long`` from its start: a big document about to be parsed, schema/admission.py)
        takes a place, waiting for one if need be; one whose turn is over makes way for
        those waiting. Raises BudgetExceeded if the deadline passes while it waits.
        ``park`` is called once before it first sleeps (schema/threads.py: its thread's
        running place goes to another operation); it may raise BudgetExceeded to refuse
        the wait."""
        now = self.clock()
        key = id(budget)
        with self._cond:
            began = self._held.get(key)
            if began is None:
                if not long and now - budget.started < self.after:
                    return
            elif now - began < self.turn or not self._waiting:
                return
            else:  # its turn is over and others wait: behind them
                del self._held[key]
                self._cond.notify_all()
            self._waiting.append(key)
            try:
                while not (len(self._held) < self.width and self._waiting[0] == key):
                    if park is not None:
                        park()
                        park = None
                    self.waits += 1
                    self._cond.wait(self.poll)
                    budget.check_deadline()
                self._held[key] = self.clock()
                self.turns += 1
            finally:
                self._waiting.remove(key)
                self._cond.notify_all()

    def leave(self, budget: Budget) -> bool:
        """The operation of ``budget`` ended: free its place, if it held one (True)."""
        with self._cond:
            if self._held.pop(id(budget), None) is None:
                return False
            self._cond.notify_all()
            return True
