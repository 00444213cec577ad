"""Work that goes first: an apply carrying the read index over, ahead of the queries.

An apply's numpy passes and system calls each let the interpreter go, and a thread
that let it go gets it back only when the thread holding it gives it up: at the latest
after the switch interval (5 ms by default, :func:`sys.setswitchinterval`), and among
several threads wanting it, not necessarily to the one that asked. Beside busy query
threads an apply so waits more than it computes (ing30: ~40x its CPU in wall time
beside four threads computing Python). While an apply holds a :class:`Priority`, the
threads that look at it at their pacing points (a walk's look at its deadline, through
the server's lane, schema/lanes.py) wait for it to be let go — each wait bounded by the
caller, so a query still keeps its deadline and is never held by an apply that runs
long or one after another.

The other cheap idea, lowering the process's switch interval while an apply runs (so
that whoever holds the interpreter gives it back sooner), was measured and not kept
(ing31: in process beside four query threads the carry took 83-245 ms against main's
125-249 ms, and 17-50 ms giving way, with or without it).

Nothing here imports the server: the follow holds the priority, the server's lane
looks at it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["Priority"]


class Priority:
    """Held by work that goes first; others give way to it at their pacing points.

    Holders are counted (several followed folders may share one), not owned by a thread.

    Examples
    --------
    >>> first = Priority()
    >>> first.give_way(0.01)  # nobody holds it: no wait
    False
    >>> with first.held():
    ...     first.holders
    1
    >>> first.holders
    0
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.holders = 0  # read without the lock at each pacing point: an int, atomic
        self.waiting = 0  # threads giving way now (for tests)
        self.gave_way = 0  # waits begun, in all (for tests and figures)

    def take(self) -> None:
        """Hold it (once more): until :meth:`let_go`, those who look give way."""
        with self._cond:
            self.holders += 1

    def let_go(self) -> None:
        """Let go of one hold; the last one wakes those giving way."""
        with self._cond:
            if self.holders <= 0:
                raise RuntimeError("let go of a priority nobody holds")
            self.holders -= 1
            if self.holders == 0:
                self._cond.notify_all()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold it for the ``with`` block, let go however the block ends."""
        self.take()
        try:
            yield
        finally:
            self.let_go()

    def give_way(self, longest: float) -> bool:
        """Wait while someone holds it, at most ``longest`` seconds; True if it waited.

        Cheap when nobody holds it (one attribute read, no lock)."""
        if not self.holders or longest <= 0:
            return False
        with self._cond:
            if not self.holders:
                return False
            self.gave_way += 1
            self.waiting += 1
            try:
                self._cond.wait_for(lambda: not self.holders, timeout=longest)
            finally:
                self.waiting -= 1
        return True
