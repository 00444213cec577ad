"""Threads for operations: a fixed number compute; those asleep in the lane give theirs back.

Operations run in worker threads (schema/http.py), at most ``running`` at once: that
bounds the work in memory and on the interpreter. A long operation waiting for its
turn in the lane (schema/lanes.py) sleeps in its thread, so with one plain pool enough
concurrent heavy requests would hold every thread, asleep, and a cheap query would wait
behind them for a thread, not for the interpreter. Here a thread that goes to sleep in
the lane **parks**: it gives its running place back to the next operation (which the
event loop had queued, without a thread) and sleeps on in one of ``parked`` more
threads. Long operations computing at once stay bounded by the lane's width, so at
most ``running`` + width threads compute.

Past ``parked`` long operations asleep at once, one more is stopped with
``BudgetExceeded(limit="max_long_waiting")`` instead of holding a running thread: a cap
on heavy requests in flight, below what would take the last thread from a cheap one.

An operation whose document is not known to be quick (schema/admission.py) takes one
of at most ``unknown`` of the running places: the others stay for documents known to
be quick, which a freed place goes to first, so a flood of new or heavy documents
(each parsing, validating and computing its first 20 ms before it parks) waits for
its few places without a thread instead of filling them all.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import graph

__all__ = ["OperationThreads", "Ticket"]

T = TypeVar("T")


class Ticket:
    """One operation's running place: :meth:`park` gives it back while it sleeps."""

    def __init__(self, threads: OperationThreads, loop: asyncio.AbstractEventLoop,
                 unknown: bool = False):
        self.threads = threads
        self.loop = loop
        self.unknown = unknown  # holds a place of the quota for unknown documents
        self.parked = False

    def park(self) -> None:
        """Give this operation's running place to the next one (at most once): it is about
        to sleep in the lane. Raises BudgetExceeded when ``parked`` already sleep."""
        if self.parked:
            return
        threads = self.threads
        with threads._lock:
            if threads._parked >= threads.parked:
                raise graph.BudgetExceeded(
                    f"{threads._parked} long operations wait for their turn in this server "
                    "process already", limit="max_long_waiting", value=threads.parked)
            threads._parked += 1
        self.parked = True
        self.loop.call_soon_threadsafe(threads._release, self.unknown)

    def _ended(self) -> None:
        """The operation's thread is done (on the event loop)."""
        threads = self.threads
        if self.parked:
            with threads._lock:
                threads._parked -= 1
        else:
            threads._release(self.unknown)


class OperationThreads:
    """Run operations in threads: ``running`` at once, plus ``parked`` asleep in the lane.

    ``unknown`` of the running places at most go to operations of documents not known
    to be quick (``run(..., unknown=True)``).

    Examples
    --------
    >>> async def main():
    ...     threads = OperationThreads(running=1, parked=1)
    ...     return await threads.run(lambda ticket: 6 * 7)
    >>> asyncio.run(main())
    42
    """

    def __init__(self, running: int = 16, parked: int = 48, unknown: int | None = None,
                 thread_name_prefix: str = "newsgraph-graphql"):
        unknown = running if unknown is None else unknown
        if running < 1 or parked < 0 or unknown < 1:
            raise ValueError(f"at least 1 running thread, 0 parked and 1 for unknown "
                             f"documents, got {running!r}, {parked!r}, {unknown!r}")
        self.running = running
        self.parked = parked
        self.unknown = min(unknown, running)
        self._executor = ThreadPoolExecutor(max_workers=running + parked,
                                            thread_name_prefix=thread_name_prefix)
        self._lock = threading.Lock()  # guards _parked (written from worker threads)
        self._parked = 0
        self._free = running  # event loop only, as the rest
        self._unknown_running = 0  # places held by operations of unknown documents
        self._queued: deque[asyncio.Future[None]] = deque()  # known to be quick
        self._queued_unknown: deque[asyncio.Future[None]] = deque()

    def in_use(self) -> tuple[int, int]:
        """How many running places are taken and how many threads are parked."""
        with self._lock:
            return self.running - self._free, self._parked

    def queued(self) -> int:
        """How many operations wait (on the event loop, without a thread) for a place."""
        return sum(not t.done() for q in (self._queued, self._queued_unknown) for t in q)

    async def run(self, fn: Callable[[Ticket], T], unknown: bool = False) -> T:
        """Run ``fn(ticket)`` in a thread once a running place is free (for an
        ``unknown`` document, one of its quota), waiting for one here, on the event
        loop, without a thread. Cancelled while it waits, it never runs; cancelled
        while it runs, the thread finishes (its place is freed then)."""
        loop = asyncio.get_running_loop()
        await self._acquire(loop, unknown)
        ticket = Ticket(self, loop, unknown)
        try:
            work: Future[T] = self._executor.submit(fn, ticket)
        except BaseException:
            self._release(unknown)
            raise
        work.add_done_callback(lambda _: loop.call_soon_threadsafe(ticket._ended))
        return await asyncio.wrap_future(work, loop=loop)

    def start(self, fn: Callable[[Ticket], T], unknown: bool = False) -> asyncio.Future[T]:
        """Return a future of ``fn(ticket)`` run as :meth:`run` runs it. With a running
        place free and nobody queued, ``fn`` is handed to its thread at once, and its end
        reaches the event loop as one callback (its place freed, the future set): no
        task, and one wake-up of the loop instead of two. Cancelling the future before
        ``fn`` starts means it never runs; after, its thread finishes (its place is
        freed then)."""
        loop = asyncio.get_running_loop()
        if not (self._free > 0 and not self._queued and (not unknown or (
                not self._queued_unknown and self._unknown_running < self.unknown))):
            return asyncio.ensure_future(self.run(fn, unknown))
        self._free -= 1
        self._unknown_running += unknown
        ticket = Ticket(self, loop, unknown)
        future: asyncio.Future[T] = loop.create_future()

        def settle(work: Future[T]) -> None:  # on the event loop
            ticket._ended()
            if future.done():
                return
            if work.cancelled():
                future.cancel()
            elif (error := work.exception()) is not None:
                future.set_exception(error)
            else:
                future.set_result(work.result())

        try:
            work: Future[T] = self._executor.submit(fn, ticket)
        except BaseException:
            self._release(unknown)
            raise
        work.add_done_callback(lambda done: loop.call_soon_threadsafe(settle, done))
        future.add_done_callback(lambda f: f.cancelled() and work.cancel())
        return future

    async def _acquire(self, loop: asyncio.AbstractEventLoop, unknown: bool) -> None:
        if self._free > 0 and not self._queued and (not unknown or (
                not self._queued_unknown and self._unknown_running < self.unknown)):
            self._free -= 1
            self._unknown_running += unknown
            return
        turn: asyncio.Future[None] = loop.create_future()
        queue = self._queued_unknown if unknown else self._queued
        queue.append(turn)
        try:
            await turn  # _dispatch took the place for this one
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release(unknown)  # given a place as it was cancelled: pass it on
            else:
                queue.remove(turn)
            raise

    def _release(self, unknown: bool = False) -> None:
        """A running place is free: give it to the first operation queued for one, one
        known to be quick first."""
        self._free += 1
        self._unknown_running -= unknown
        while self._free > 0:
            turn = _first_waiting(self._queued)
            if turn is None and self._unknown_running < self.unknown:
                turn = _first_waiting(self._queued_unknown)
                self._unknown_running += turn is not None
            if turn is None:
                return
            self._free -= 1
            turn.set_result(None)

    def shutdown(self) -> None:
        """Stop taking operations; those running finish in their threads."""
        self._executor.shutdown(wait=False)

    def __repr__(self) -> str:
        taken, parked = self.in_use()
        return (f"OperationThreads(running {taken}/{self.running} ({self._unknown_running}/"
                f"{self.unknown} unknown), parked {parked}/{self.parked})")


def _first_waiting(queue: deque[asyncio.Future[None]]) -> asyncio.Future[None] | None:
    """Pop the first operation of ``queue`` still waiting (not cancelled)."""
    while queue:
        turn = queue.popleft()
        if not turn.done():
            return turn
    return None
