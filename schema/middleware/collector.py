"""Full collections between requests: the collector's oldest generation, run when no
request is in flight.

CPython runs a full (oldest-generation) collection when an allocation happens to cross
its thresholds, in whichever thread made it: in a serving process that is during some
request, and for as long as it scans every object outside the frozen graph (the parse,
validation and plan caches: ~39,000 objects after 3,000 requests at 20k records) no
other request runs (serve34 and serve35 in docs/history/performance-log.md). The young
generations stay the interpreter's: they hold only what was made since the last one, a
few thousand objects. Here the oldest is taken over: :class:`IdleCollector` counts the
HTTP requests in flight and runs the full collection on the event loop once the
interpreter would have (``threshold2`` young-generation collections since the last),
as soon as none is in flight; under a load that never leaves the server idle, once
``most`` of them have passed (twice the interpreter's wait), whatever is in flight, so
that the garbage held in the oldest generation, and what a full collection scans, stays
about what the interpreter's own schedule leaves (a bound of 100 let 2-3 times as much
pile up, and each forced collection took as much longer: serve35).

A WebSocket connection is not counted: a subscription is open for minutes, idle between
pushes.
"""

from __future__ import annotations

import asyncio
import gc

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["IdleCollector"]

# The oldest generation's threshold while the collector runs it: never reached.
_NEVER = 1 << 30


class IdleCollector:
    """Run the process's full collections when no HTTP request is in flight.

    ``start()`` (from the event loop, in the app's lifespan) takes the oldest generation
    from the interpreter's automatic collections; ``stop()`` gives it back. A full
    collection is due after the interpreter's own ``threshold2`` (10 by default)
    collections of the middle generation; it runs as soon as no request is in flight,
    looked at when a request ends and every ``every`` seconds, or after ``most`` of
    them whatever is in flight. ``collected`` counts the full collections it ran,
    ``forced`` those run with a request in flight.
    """

    def __init__(self, *, most: int = 20, every: float = 0.1):
        if most < 1:
            raise ValueError(f"most is a count of collections, at least 1, got {most!r}")
        if every <= 0:
            raise ValueError(f"every is seconds between looks, above 0, got {every!r}")
        self.most, self.every = most, every
        self.in_flight = 0
        self.collected = self.forced = 0
        self._due: int | None = None  # the interpreter's threshold2 while started
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        """Whether it holds the oldest generation (between ``start`` and ``stop``)."""
        return self._due is not None

    def start(self) -> None:
        """Take the oldest generation over, from the running event loop."""
        if self.running:
            return
        young, middle, oldest = gc.get_threshold()
        self._due = max(1, oldest)
        self._loop = asyncio.get_running_loop()
        gc.set_threshold(young, middle, _NEVER)
        self._timer = self._loop.call_later(self.every, self._look)

    def stop(self) -> None:
        """Give the oldest generation back to the interpreter's automatic collections."""
        if self._due is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, self._due)
        self._due = None

    def collect_if_due(self) -> bool:
        """Run a full collection if one is due and no request is in flight, or if
        ``most`` middle collections passed; return whether it ran."""
        if self._due is None:
            return False
        passed = gc.get_count()[2]  # middle-generation collections since the last full
        if passed < self._due or (self.in_flight and passed < self.most):
            return False
        if self.in_flight:
            self.forced += 1
        gc.collect()
        self.collected += 1
        return True

    def _look(self) -> None:
        self.collect_if_due()
        if self._loop is not None and self._due is not None:
            self._timer = self._loop.call_later(self.every, self._look)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Return ``app`` with its HTTP requests counted (outermost middleware)."""

        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            self.in_flight += 1
            try:
                await app(scope, receive, send)
            finally:
                self.in_flight -= 1
                if not self.in_flight and self._loop is not None:
                    # After this request's last callbacks: one may have come meanwhile.
                    self._loop.call_soon(self.collect_if_due)

        return counted
