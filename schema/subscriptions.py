"""Subscriptions over graphql-transport-ws: ``graphChanged`` and ``storyAdded``.

A :class:`ChangeFeed` carries a followed corpus's changes from the thread that applied
them to the event loop, one queue per open subscription. Each event is resolved on the
version it came with: the subscription sets the context's graph to it before yielding.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

import graph
from graph.arrivals import StoryWatch
from schema.counts import LoadCounts
from schema.inputs import ArticleFilter, selection_of
from schema.nodes import Article

__all__ = ["ChangeFeed", "Subscription", "SubscriptionLimit"]

# Changes a subscriber may fall behind by before it is completed with an error.
QUEUE_LIMIT = 256


class SubscriptionLimit(GraphQLError):
    """A subscription refused or ended by a limit; says which and what is allowed."""

    def __init__(self, message: str, limit: str, value: float):
        super().__init__(message, extensions={"code": "LIMIT_EXCEEDED", "limit": limit,
                                              "max": value})


class ChangeFeed:
    """Fan a :class:`graph.LiveGraph`'s changes out to the subscriptions of one server."""

    def __init__(self, live: graph.LiveGraph, *, max_subscriptions: int,
                 max_seconds: float):
        self.live = live
        self.max_subscriptions = max_subscriptions
        self.max_seconds = max_seconds
        self._queues: set[asyncio.Queue[graph.Change | None]] = set()
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
        for queue in list(self._queues):
            queue.put_nowait(None)

    def _from_thread(self, change: graph.Change) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fan_out, change)

    def _fan_out(self, change: graph.Change) -> None:
        for queue in self._queues:
            if queue.full():  # too far behind: end it rather than grow without bound
                queue.get_nowait()
                queue.put_nowait(None)
            else:
                queue.put_nowait(change)

    @property
    def open(self) -> int:
        """Subscriptions open now."""
        return len(self._queues)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[graph.Change | None]]:
        """Open a subscription's queue for as long as the block runs."""
        if len(self._queues) >= self.max_subscriptions:
            raise SubscriptionLimit(
                f"the server has {self.max_subscriptions} subscriptions open, its limit; "
                "try again later", "maxSubscriptions", self.max_subscriptions)
        queue: asyncio.Queue[graph.Change | None] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    async def changes(self, info: Info) -> AsyncGenerator[graph.Change, None]:
        """Yield the changes from now on, each with the context's graph set to its version,
        until the subscription's lifetime ends."""
        deadline = time.monotonic() + self.max_seconds
        with self.subscribe() as queue:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                try:
                    change = await asyncio.wait_for(queue.get(), timeout=left)
                except TimeoutError:
                    return
                if change is None:
                    return
                if change.graph is not None:
                    info.context["kg"] = change.graph
                budget = info.context.get("budget")
                if budget is not None:  # the connection's: each event is a request of its own
                    budget.restart()
                yield change


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


@strawberry.type(description="Pushed over WebSocket (graphql-transport-ws) at /graphql.")
class Subscription:
    @strawberry.subscription(description=(
        "Each new graph version as the followed folder changes: its id, counts and what "
        "changed."))
    async def graph_changed(self, info: Info) -> AsyncGenerator[GraphChange, None]:
        async for change in feed_of(info).changes(info):
            yield GraphChange.of(change)

    @strawberry.subscription(description=(
        "Each new or changed story that matches `where` and, with `near`, is within "
        "`near.hops` of `near.from` — including one a new edge brought within reach "
        "(reason ENTERED) — with its hops and path. Stubs are not stories: never pushed."))
    async def story_added(
        self, info: Info,
        where: Annotated[ArticleFilter | None, strawberry.argument(
            description="Keep only matching articles.")] = None,
        near: Annotated[NearInput | None, strawberry.argument(
            description="Keep only articles within hops of a start.")] = None,
    ) -> AsyncGenerator[StoryArrival, None]:
        feed = feed_of(info)
        kg: graph.KnowledgeGraph = info.context["kg"]
        start = None
        hops = 2
        if near is not None:
            settings = info.context.get("settings")
            ceiling = settings.max_hops if settings is not None else 4
            if not 1 <= near.hops <= ceiling:
                raise GraphQLError(f"near.hops must be from 1 to {ceiling}, got {near.hops}")
            start = kg.resolve(str(near.from_))
            hops = near.hops
        watch = StoryWatch(kg, selection_of(where), start, hops)
        async for change in feed.changes(info):
            for arrival in watch.arrivals(change):
                yield StoryArrival(
                    article=Article.from_node(change.graph, arrival.node),  # type: ignore[arg-type]
                    reason=ArrivalReason(arrival.reason), hops=arrival.hops,
                    path=([strawberry.ID(n) for n in arrival.path]
                          if arrival.path is not None else None),
                    version=change.version)
