"""What a walk may spend: neighbour entries read (visits) and wall-clock time.

A :class:`Budget` is an argument of every walk in :mod:`graph`. The walk charges it
level by level, before it reads the neighbour rows of the level, and checks the
clock each time (and between the chunks of a long level), so a walk over budget
stops midway, having read no more than the budget allowed, with a
:class:`~graph.errors.BudgetExceeded` that names the limit. One budget may serve
several walks, one request's say: what they read adds up.

A visit is one neighbour entry: a walk that reaches ``hops`` levels reads the
neighbour row (over its edge kinds) of every node within ``hops - 1``, so it costs
the sum of their degrees, and a hub costs its degree.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from graph.errors import BudgetExceeded, InvalidArgument

# The ceilings of the walks' companions, here with the budget so that reading them (the
# server's settings do) imports no graph code:
# networkx's spring layout is dense below 500 nodes (0.3 to 2.4 s for 250 to 499 here) and
# far slower above (12 s at 500, 31 s at 2,000): FORCE lays out at most this many.
MAX_LAYOUT_NODES = 300
# paths(k:) finds at most this many.
MAX_PATHS = 10

__all__ = ["Budget", "MAX_LAYOUT_NODES", "MAX_PATHS"]


class Budget:
    """A visit allowance and a deadline, charged by walks as they go.

    Parameters
    ----------
    visits : int, optional
        How many neighbour entries the walks may read in all; unlimited by default.
    seconds : float, optional
        How long from now the walks may run; unlimited by default.
    clock : callable, optional
        The clock the deadline is read on (``time.monotonic`` by default).
    pace : callable, optional
        Called with the budget at each look at the deadline that finds time left: where
        a server makes long work take turns (``schema/lanes.py``); it may wait, and
        raises BudgetExceeded when the deadline passes meanwhile.

    Examples
    --------
    >>> budget = Budget(visits=10)
    >>> budget.charge(8)
    >>> budget.charge(3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.BudgetExceeded: the walk would visit 3 more nodes ... budget of 10 visits leaves 2
    >>> budget.visits, budget.asked
    (8, 11)
    """

    def __init__(self, visits: int | None = None, seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 pace: Callable[[Budget], None] | None = None):
        if visits is not None and (isinstance(visits, bool) or not isinstance(visits, int)
                                   or visits < 0):
            raise InvalidArgument(f"visits must be a whole number, at least 0, got {visits!r}")
        if seconds is not None and not seconds >= 0:
            raise InvalidArgument(f"seconds must be at least 0, got {seconds!r}")
        self.max_visits = visits
        self.seconds = seconds
        self.clock = clock
        self.pace = pace
        self.started = clock()
        self.deadline = self.started + seconds if seconds is not None else None
        self.visits = 0  # neighbour entries read
        self.asked = 0  # neighbour entries asked for, a refused charge included
        self.work: dict[str, int] = {}  # other work done, by name (see count)

    def __repr__(self) -> str:
        return (f"<Budget visits {self.visits:,} of {self.max_visits}, "
                f"seconds {self.seconds}>")

    def charge(self, visits: int) -> None:
        """Charge ``visits`` a walk is about to read; raise BudgetExceeded, charging
        nothing, when they would pass the allowance or the deadline has passed."""
        self.asked += visits
        limit = self.max_visits
        if limit is not None and self.visits + visits > limit:
            raise BudgetExceeded(
                f"the walk would visit {visits:,} more nodes (neighbour entries) where its "
                f"budget of {limit:,} visits leaves {limit - self.visits:,}",
                limit="visits", value=limit)
        self.check_time()
        self.visits += visits

    def count(self, what: str, n: int) -> None:
        """Count ``n`` of some work besides visits (``layoutIterations``, ``exportBytes``),
        which a request reports with its cost; the deadline bounds it, not a number."""
        self.work[what] = self.work.get(what, 0) + n

    def check_time(self) -> None:
        """Raise BudgetExceeded once the deadline has passed; otherwise let ``pace``
        have its say."""
        self.check_deadline()
        if self.pace is not None:
            self.pace(self)

    def left(self) -> float | None:
        """Seconds until the deadline, on the budget's clock (not positive once it has
        passed); None when there is no deadline."""
        return None if self.deadline is None else self.deadline - self.clock()

    def check_deadline(self) -> None:
        """Raise BudgetExceeded once the deadline has passed (``pace`` is not called:
        this is the look a pace makes while it waits)."""
        if self.deadline is not None and self.clock() > self.deadline:
            raise BudgetExceeded(f"the walk ran past its deadline of {self.seconds:g} s",
                                 limit="seconds", value=self.seconds or 0.0)
