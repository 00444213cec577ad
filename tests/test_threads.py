"""Operations' threads (schema/threads.py): a running place is waited for without a
thread, and given back by an operation that parks. Threads meet on events, so nothing
depends on the machine's speed (HANG_GUARD only bounds a broken test)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from graph.errors import BudgetExceeded
from schema.threads import OperationThreads, Ticket

HANG_GUARD = 60


def _blocked(started: threading.Event, go: threading.Event, park: bool = False):
    def work(ticket: Ticket) -> str:
        if park:
            ticket.park()
        started.set()
        assert go.wait(HANG_GUARD)
        return "done"
    return work


def test_a_parked_operation_gives_its_running_place_to_the_next() -> None:
    async def main() -> None:
        threads = OperationThreads(running=1, parked=1)
        started, go = threading.Event(), threading.Event()
        sleeper = asyncio.ensure_future(threads.run(_blocked(started, go, park=True)))
        await asyncio.to_thread(started.wait, HANG_GUARD)
        # The one running place is free again although the first still sleeps.
        assert await asyncio.wait_for(threads.run(lambda t: "cheap"), HANG_GUARD) == "cheap"
        assert not sleeper.done() and threads.in_use() == (0, 1)
        go.set()
        assert await asyncio.wait_for(sleeper, HANG_GUARD) == "done"
        assert threads.in_use() == (0, 0)

    asyncio.run(main())


def test_one_more_than_the_parked_limit_is_refused() -> None:
    async def main() -> None:
        threads = OperationThreads(running=2, parked=1)
        started, go = threading.Event(), threading.Event()
        first = asyncio.ensure_future(threads.run(_blocked(started, go, park=True)))
        await asyncio.to_thread(started.wait, HANG_GUARD)
        with pytest.raises(BudgetExceeded) as refused:
            await asyncio.wait_for(threads.run(lambda t: t.park()), HANG_GUARD)
        assert refused.value.limit == "max_long_waiting" and refused.value.value == 1
        assert threads.in_use() == (0, 1)  # the refused one's place was freed
        go.set()
        await asyncio.wait_for(first, HANG_GUARD)

    asyncio.run(main())


def test_an_operation_cancelled_while_it_waits_for_a_place_never_runs() -> None:
    async def main() -> None:
        threads = OperationThreads(running=1, parked=0)
        started, go = threading.Event(), threading.Event()
        holder = asyncio.ensure_future(threads.run(_blocked(started, go)))
        await asyncio.to_thread(started.wait, HANG_GUARD)
        ran: list[str] = []
        queued = asyncio.ensure_future(threads.run(lambda t: ran.append("ran")))
        await asyncio.sleep(0)  # it queues for the one place
        queued.cancel()
        go.set()
        await asyncio.wait_for(holder, HANG_GUARD)
        assert await asyncio.wait_for(threads.run(lambda t: "next"), HANG_GUARD) == "next"
        assert queued.cancelled() and ran == [] and threads.in_use() == (0, 0)

    asyncio.run(main())
