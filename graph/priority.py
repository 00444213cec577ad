"""Work that goes first: an apply holding the followed folder, ahead of the queries.

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

Holding it can also lower the process's switch interval for as long as any holder
holds it (:func:`lowered_switch_interval`), so that what still competes (the event
loop, a query between two looks) gives the interpreter back sooner.

Nothing here imports the server: the follow holds the priority, the server's lane
looks at it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

__all__ = ["Priority", "lowered_switch_interval"]


class Priority:
    """Held by work that goes first; others give way to it at their pacing points.

    Holders are counted, not owned by a thread: an apply handed from the thread that
    took the folder to the apply thread lets it go from there.

    Parameters
    ----------
    switch_interval : float, optional
        Seconds: while held, the process's switch interval is at most this (see
        :func:`lowered_switch_interval`); None leaves it as it is.

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

    def __init__(self, switch_interval: float | None = None) -> None:
        if switch_interval is not None and not switch_interval > 0:
            raise ValueError(f"a switch interval is a positive number of seconds, "
                             f"got {switch_interval!r}")
        self.switch_interval = switch_interval
        self._cond = threading.Condition()
        self.holders = 0  # read without the lock at each pacing point: an int, atomic
        self.waiting = 0  # threads giving way now (for tests)
        self.gave_way = 0  # waits begun, in all (for tests and figures)
        self._lowered: contextlib.ExitStack | None = None

    def take(self) -> None:
        """Hold it (once more): until :meth:`let_go`, those who look give way."""
        with self._cond:
            self.holders += 1
            if self.holders == 1 and self.switch_interval is not None:
                stack = contextlib.ExitStack()
                stack.enter_context(lowered_switch_interval(self.switch_interval))
                self._lowered = stack

    def let_go(self) -> None:
        """Let go of one hold; the last one wakes those giving way."""
        with self._cond:
            if self.holders <= 0:
                raise RuntimeError("let go of a priority nobody holds")
            self.holders -= 1
            if self.holders == 0:
                lowered, self._lowered = self._lowered, None
                if lowered is not None:
                    lowered.close()
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


# The switch interval is the process's, so its owner is too: however many priorities
# lower it at once (several followed folders in one process), the first lowers it and the
# last restores what it was before the first.
_interval_lock = threading.Lock()
_interval_users = 0
_interval_before = 0.0


@contextlib.contextmanager
def lowered_switch_interval(seconds: float) -> Iterator[None]:
    """Within the block, the process's switch interval is at most ``seconds`` (the lowest
    any nested or concurrent user asked for stays until the last leaves); the interval it
    had before is restored when the last block ends, however it ends.

    >>> before = sys.getswitchinterval()
    >>> with lowered_switch_interval(before / 10):
    ...     sys.getswitchinterval() < before
    True
    >>> sys.getswitchinterval() == before
    True
    """
    global _interval_users, _interval_before
    if not seconds > 0:
        raise ValueError(f"a switch interval is a positive number of seconds, got {seconds!r}")
    with _interval_lock:
        if _interval_users == 0:
            _interval_before = sys.getswitchinterval()
        _interval_users += 1
        if seconds < sys.getswitchinterval():
            sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        with _interval_lock:
            _interval_users -= 1
            if _interval_users == 0:
                sys.setswitchinterval(_interval_before)
