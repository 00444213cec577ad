"""Subscriptions over graphql-transport-ws: ``graphChanged`` and ``storyAdded``.

A :class:`ChangeFeed` carries a followed corpus's changes from the thread that applied
them to the event loop, one queue per open subscription. Each event is resolved on the
version it came with: the subscription sets the context's graph to it before yielding.

Subscriptions have limits like queries (settings, each in ``CEILINGS``): how many are open
on the server and on one connection, how many a connection starts a minute, how fast
events are pushed to a connection (paced, never dropped), how far a subscriber may fall
behind, and how long one lives; past one, it is refused or ended with a LIMIT_EXCEEDED
error that names the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, located_error
from starlette.websockets import WebSocket
from strawberry.types import Info

import graph
from graph import select as graph_select
from graph.arrivals import Arrival, StoryWatch, watches_key
from graph.budget import Budget
from graph.errors import StartGone
from schema.cost import RequestBudget
from schema.counts import LoadCounts
from schema.inputs import ArticleFilter, selection_of
from schema.limits import LimitExceeded, settings_of
from schema.nodes import Article
from schema.settings import CEILINGS, Settings

__all__ = ["ChangeFeed", "Subscription", "EventPace", "SubscriberLimits", "SharedWatch",
           "zone_exceeded"]

MINUTE = 60.0
logger = logging.getLogger("newsgraph")


class EventPace:
    """A token bucket: ``rate`` events a second, in bursts of one second's worth (at
    least one event)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(1.0, rate)
        self.clock = clock
        self.tokens = self.burst
        self.stamp = clock()

    def wait(self) -> float:
        """Take a token and return 0, or return the seconds until one is due (none taken)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class SubscriberLimits:
    """What one WebSocket connection holds: its open subscriptions, when it started its
    recent ones, and the pace of the events pushed to it."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self.open = 0
        self.started: deque[float] = deque()
        self.pace = EventPace(settings.max_subscription_events_per_second, clock=clock)

    @classmethod
    def of(cls, context: dict[str, Any]) -> SubscriberLimits:
        """Return the connection's limits: its context is the same for all its operations."""
        found = context.get("subscriber")
        if found is None:
            found = context["subscriber"] = cls(settings_of(context))
        return found

    def admit(self) -> None:
        """Count a new subscription, or refuse it past the connection's count or rate."""
        settings = self.settings
        if self.open >= settings.max_subscriptions_per_connection:
            raise LimitExceeded(
                f"this connection has {self.open} subscriptions open, its limit: end one "
                "before starting another", "max_subscriptions_per_connection",
                settings.max_subscriptions_per_connection)
        now = self.clock()
        while self.started and self.started[0] <= now - MINUTE:
            self.started.popleft()
        if len(self.started) >= settings.max_subscribes_per_minute:
            wait = max(1, math.ceil(self.started[0] + MINUTE - now))
            raise LimitExceeded(
                f"this connection started {len(self.started)} subscriptions in the last "
                f"{MINUTE:g} s, its limit: wait {wait} s", "max_subscribes_per_minute",
                settings.max_subscribes_per_minute)
        self.started.append(now)
        self.open += 1

    def release(self) -> None:
        self.open -= 1


def operation_context(context: Any) -> Any:
    """Return the context of one operation on a WebSocket connection: the connection's
    (made once, when it opened), with the operation's own request budget and the graph's
    current version, as an HTTP request has; the connection's subscription limits stay
    shared. The connection's own budget and graph were every query's: a query sent past
    ``timeout`` after the connection opened was past its deadline before it began, the
    objects of all its queries added up, and a followed folder's later versions were
    never read. Any other context (an HTTP request's, a test's) is returned as it is."""
    if not isinstance(context, dict) or not isinstance(context.get("request"), WebSocket) \
            or not isinstance(context.get("budget"), RequestBudget):
        return context
    SubscriberLimits.of(context)  # made in the connection's context: its copies share it
    current = context["request"].scope["app"].state.kg
    return {**context, "budget": RequestBudget(settings_of(context)),
            "kg": current if current is not None else context.get("kg")}


class _Stream:
    """One subscription's events not yet pushed (a change, or a change and what its
    shared watch made of it), and why it ended if the feed ended it."""

    def __init__(self, backlog: int, shared: SharedWatch | None = None):
        self.backlog = backlog
        self.shared = shared
        self.pending: deque[Any] = deque()
        self.ended = False
        self.behind = False  # ended for falling more than `backlog` changes behind
        self.wake = asyncio.Event()  # set on each change and at the end

    def put(self, item: Any) -> None:
        if self.ended:
            return
        if len(self.pending) >= self.backlog:  # too far behind: end it, not grow
            self.behind = self.ended = True
            self.pending.clear()
        else:
            self.pending.append(item)
        self.wake.set()

    def close(self) -> None:
        self.ended = True
        self.wake.set()


class SharedWatch:
    """A :class:`graph.arrivals.StoryWatch` and the storyAdded subscriptions it serves:
    identical ones (same ``where``, start and hops) that saw the same versions push the
    same arrivals, so each change is read once for all of them, and each gets the list.
    A watch that failed (its zone past the budget, its start gone) keeps its error: each
    of its subscriptions ends with it."""

    def __init__(self, watch: StoryWatch, settings: Settings):
        self.watch = watch
        self.settings = settings
        self.members = 0
        self.failed: GraphQLError | graph.NewsgraphError | None = None

    def advance(self, change: graph.Change) -> list[Arrival] | Exception:
        """Return the arrivals ``change`` brings, or the error that ends the watch."""
        if self.failed is not None:
            return self.failed
        try:
            return self.watch.arrivals(change)
        except graph.BudgetExceeded as e:
            self.failed = zone_exceeded(e, self.watch.start, self.watch.hops, self.settings)
        except StartGone as e:
            self.failed = e
        except Exception as e:  # noqa: BLE001 - ends this watch's subscriptions, not the feed
            # A fault in one watch ended the fan-out of the change at it: every other
            # subscription, graphChanged's too, missed the change.
            logger.exception("storyAdded watch %r failed at version %s", self.watch.key,
                             change.version)
            self.failed = GraphQLError("this subscription failed reading a change; "
                                       "subscribe again", original_error=e)
        return self.failed


def zone_exceeded(error: graph.BudgetExceeded, start: str | None, hops: int,
                  settings: Settings) -> LimitExceeded:
    """Return the LimitExceeded of a storyAdded zone too big to walk (as a query's walk
    past its budget is reported, naming the setting)."""
    near = f"near: {{from: {start!r}, hops: {hops}}}"
    if error.limit == "seconds":
        return LimitExceeded(f"walking the zone of {near} ran past the time limit of "
                             f"{settings.timeout:g} s; ask for fewer hops or a less connected "
                             "start", "timeout", settings.timeout)
    return LimitExceeded(f"the zone of {near} is too big to watch: {error}; ask for fewer "
                         "hops or a less connected start", "max_visits", settings.max_visits)


class ChangeFeed:
    """Fan a :class:`graph.LiveGraph`'s changes out to the subscriptions of one server."""

    def __init__(self, live: graph.LiveGraph, *, max_subscriptions: int,
                 max_seconds: float):
        self.live = live
        self.max_subscriptions = max_subscriptions
        self.max_seconds = max_seconds
        self._streams: set[_Stream] = set()
        self._shared: dict[Any, SharedWatch] = {}  # by the watch's key
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: Callable[[], None] | None = None

    def start(self) -> None:
        """Begin forwarding changes to the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._stop = self.live.on_change(self._from_thread)

    def close(self) -> None:
        """Stop forwarding; every open subscription completes."""
        if self._stop is not None:
            self._stop()
        for stream in list(self._streams):
            stream.close()

    def _from_thread(self, change: graph.Change) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fan_out, change)

    def _fan_out(self, change: graph.Change) -> None:
        read: dict[int, list[Arrival] | Exception] = {}  # each shared watch's, once
        for stream in self._streams:
            shared = stream.shared
            if shared is None:
                stream.put(change)
                continue
            result = read.get(id(shared))
            if result is None:
                result = read[id(shared)] = shared.advance(change)
            stream.put((change, result))

    @property
    def open(self) -> int:
        """Subscriptions open now."""
        return len(self._streams)

    @property
    def watches(self) -> int:
        """Distinct storyAdded watches open now (identical subscriptions share one)."""
        return len({id(s.shared) for s in self._streams if s.shared is not None})

    def watch(self, kg: graph.KnowledgeGraph, settings: Settings,
              selection: graph_select.Selection | None, start: str | None,
              hops: int) -> SharedWatch:
        """Return the shared watch of an open identical subscription that saw the same
        version as ``kg``, or a new one (its zone walked now, within the budget)."""
        key = watches_key(selection, start, hops, None)
        found = self._shared.get(key)
        if found is not None and found.failed is None \
                and found.watch.version == getattr(kg, "version", None):
            return found
        try:
            watch = StoryWatch(kg, selection, start, hops,
                               budget=lambda: Budget(visits=settings.max_visits,
                                                     seconds=settings.timeout))
        except graph.BudgetExceeded as e:
            raise zone_exceeded(e, start, hops, settings) from None
        return SharedWatch(watch, settings)

    @contextmanager
    def subscribe(self, backlog: int, shared: SharedWatch | None = None) -> Iterator[_Stream]:
        """Open a subscription's stream for as long as the block runs."""
        if len(self._streams) >= self.max_subscriptions:
            raise LimitExceeded(
                f"the server has {len(self._streams)} subscriptions open, its limit: "
                "try again later", "max_subscriptions", self.max_subscriptions)
        stream = _Stream(backlog, shared)
        self._streams.add(stream)
        if shared is not None:
            shared.members += 1
            self._shared.setdefault(shared.watch.key, shared)
        try:
            yield stream
        finally:
            self._streams.discard(stream)
            if shared is not None:
                shared.members -= 1
                if not shared.members and self._shared.get(shared.watch.key) is shared:
                    del self._shared[shared.watch.key]

    @asynccontextmanager
    async def events(self, info: Info, shared: SharedWatch | None = None,
                     ) -> AsyncIterator[Events]:
        """Open a subscription within the server's and the connection's limits: its
        changes from now on (with ``shared``'s arrivals of each), and the pace of what it
        pushes, until its lifetime ends."""
        limits = SubscriberLimits.of(info.context)
        limits.admit()
        try:
            with self.subscribe(limits.settings.max_subscription_backlog, shared) as stream:
                yield Events(info, stream, limits, self.max_seconds)
        finally:
            limits.release()


class Events:
    """One subscription's side of the feed: iterate for its changes, and ``await
    pushing(change)`` before each event pushed."""

    def __init__(self, info: Info, stream: _Stream, limits: SubscriberLimits,
                 seconds: float):
        self.info = info
        self.stream = stream
        self.limits = limits
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._changes()

    async def _changes(self) -> AsyncIterator[Any]:
        """Yield the stream's items: a change, or a change and its shared watch's
        arrivals (or the error that ended the watch)."""
        stream = self.stream
        while True:
            while not stream.pending:
                if stream.ended:  # too far behind (raises), or the server is closing
                    await self._wait(0)
                    return
                await self._wait(self.deadline - time.monotonic())
            yield stream.pending.popleft()

    async def pushing(self, change: graph.Change) -> None:
        """Wait for the connection's turn to push one more event of ``change``; then set
        the context's graph to its version (the subscription's own context,
        :func:`operation_context`: set right before the event resolves)."""
        while (delay := self.limits.pace.wait()) > 0:
            await self._wait(min(delay, self.deadline - time.monotonic()))
        if change.graph is not None:
            self.info.context["kg"] = change.graph
        budget = self.info.context.get("budget")
        if budget is not None:  # the subscription's: each event is a request of its own
            budget.restart()

    async def _wait(self, seconds: float) -> None:
        """Wait up to ``seconds`` for the stream to stir; raise the limit that ended it."""
        stream = self.stream
        if seconds > 0 and not stream.ended:
            stream.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stream.wake.wait(), timeout=seconds)
        if stream.behind:
            settings = self.limits.settings
            raise LimitExceeded(
                f"this subscription fell {stream.backlog} changes behind, its limit: events "
                "are pushed to a connection at most "
                f"{settings.max_subscription_events_per_second:g} a second "
                "(maxSubscriptionEventsPerSecond); subscribe again, narrower",
                "max_subscription_backlog", stream.backlog)
        if not stream.ended and time.monotonic() >= self.deadline:
            raise LimitExceeded(
                f"this subscription reached its lifetime of {self.seconds:g} s: subscribe "
                "again to go on", "max_subscription_seconds", self.seconds)


def feed_of(info: Info) -> ChangeFeed:
    feed = info.context.get("feed")
    if feed is None:
        raise GraphQLError("subscriptions need a followed corpus: this server serves a graph "
                           "loaded once (newsgraph serve PATH follows PATH unless --cache and "
                           "--no-watch are given together)")
    return feed


@strawberry.type(description="A new graph version, made from a change in the followed folder.")
class GraphChange:
    version: str = strawberry.field(description="The new version's id (a corpus content hash).")
    previous_version: str | None = strawberry.field(description="The version it replaced.")
    made_at: datetime = strawberry.field(description="When the version was made (UTC).")
    files: list[str] = strawberry.field(description="Record files added, edited or deleted.")
    added: list[strawberry.ID] = strawberry.field(description="Articles new in this version.")
    updated: list[strawberry.ID] = strawberry.field(
        description="Articles whose fields or edges changed.")
    removed: list[strawberry.ID] = strawberry.field(description="Articles gone.")
    counts: LoadCounts = strawberry.field(description="The new version's counts.")

    @classmethod
    def of(cls, change: graph.Change) -> GraphChange:
        c = change.counts
        return cls(version=change.version, previous_version=change.previous,
                   made_at=change.made_at, files=list(change.files),
                   added=[strawberry.ID(n) for n in change.added],
                   updated=[strawberry.ID(n) for n in change.updated],
                   removed=[strawberry.ID(n) for n in change.removed],
                   counts=LoadCounts(records=c["records"], articles=c["articles"],
                                     stubs=c["stubs"], providers=c["providers"],
                                     topics=c["topics"]))


@strawberry.enum(description="Why a story was pushed.")
class ArrivalReason(Enum):
    ADDED = strawberry.enum_value("ADDED", description="A new article.")
    UPDATED = strawberry.enum_value("UPDATED", description="An article whose record changed.")
    ENTERED = strawberry.enum_value(
        "ENTERED", description="An article that a new edge brought within `hops` of `from`.")


@strawberry.input(description="Only stories within `hops` of a start.")
class NearInput:
    from_: strawberry.ID = strawberry.field(
        name="from", description="The start: a node id or an article URL.")
    hops: int = strawberry.field(default=2, description="How far, 1 to 4.")


@strawberry.type(description="A story pushed to a storyAdded subscriber.")
class StoryArrival:
    article: Article = strawberry.field(description="The story, as in this version.")
    reason: ArrivalReason = strawberry.field(description="Why it was pushed.")
    hops: int | None = strawberry.field(description="Hops from `near.from`, when given.")
    path: list[strawberry.ID] | None = strawberry.field(
        description="Node ids from `near.from` to the story, when `near` is given.")
    version: str = strawberry.field(description="The graph version it arrived in.")


def _located(info: Info, error: Exception) -> GraphQLError:
    """Return ``error`` located at the subscription's field. A subscription's generator
    runs inside the stream, past where graphql-core locates a field's error: without
    this, an error had no ``locations`` nor ``path``, which the same mistake in a query
    has."""
    raw = info._raw_info
    return located_error(error, raw.field_nodes, raw.path.as_list())


def _story_watch(info: Info, where: ArticleFilter | None, near: NearInput | None,
                 feed: ChangeFeed) -> SharedWatch:
    """Return what a storyAdded subscription watches for, shared with an identical one
    when there is one; raise its arguments' errors as a query's are raised (a tighter
    ``--max-hops`` named, as LIMIT_EXCEEDED; a zone past the budget too)."""
    kg: graph.KnowledgeGraph = info.context["kg"]
    settings = settings_of(info.context)
    start = None
    hops = 2
    if near is not None:
        ceiling = settings.max_hops
        if not 1 <= near.hops <= ceiling:
            message = f"near.hops must be from 1 to {ceiling}, got {near.hops}"
            if near.hops > ceiling and ceiling < CEILINGS["max_hops"]:
                raise LimitExceeded(message, "max_hops", ceiling)
            raise graph.InvalidArgument(message)
        start = kg.resolve(str(near.from_))
        hops = near.hops
    return feed.watch(kg, settings, selection_of(where), start, hops)


@strawberry.type(description="Pushed over WebSocket (graphql-transport-ws) at /graphql.")
class Subscription:
    @strawberry.subscription(description=(
        "Each new graph version as the followed folder changes: its id, counts and what "
        "changed."))
    async def graph_changed(self, info: Info) -> AsyncGenerator[GraphChange, None]:
        try:
            feed = feed_of(info)
        except GraphQLError as e:
            raise _located(info, e) from e
        async with feed.events(info) as events:
            async for change in events:
                await events.pushing(change)
                yield GraphChange.of(change)

    @strawberry.subscription(description=(
        "Each new or changed story that matches `where` and, with `near`, is within "
        "`near.hops` of `near.from` — including one a new edge brought within reach "
        "(reason ENTERED) — with its hops and path. Stubs are not stories: never pushed "
        "(`where: {isStub: true}` is refused). Ends with an error (code START_GONE) when "
        "`near.from` leaves the graph, and with LIMIT_EXCEEDED when its zone outgrows "
        "the walk budget (maxVisits)."))
    async def story_added(
        self, info: Info,
        where: Annotated[ArticleFilter | None, strawberry.argument(
            description="Keep only matching articles.")] = None,
        near: Annotated[NearInput | None, strawberry.argument(
            description="Keep only articles within hops of a start.")] = None,
    ) -> AsyncGenerator[StoryArrival, None]:
        try:
            feed = feed_of(info)
            shared = _story_watch(info, where, near, feed)
        except (graph.NewsgraphError, GraphQLError) as e:
            raise _located(info, e) from e
        async with feed.events(info, shared) as events:
            async for change, arrivals in events:
                if isinstance(arrivals, Exception):
                    raise _located(info, arrivals)
                for arrival in arrivals:
                    await events.pushing(change)
                    yield StoryArrival(
                        article=Article.from_node(change.graph, arrival.node),
                        reason=ArrivalReason(arrival.reason), hops=arrival.hops,
                        path=([strawberry.ID(n) for n in arrival.path]
                              if arrival.path is not None else None),
                        version=change.version)
