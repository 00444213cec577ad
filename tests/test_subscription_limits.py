"""Subscription count, rate and lifetime limits, through a real graphql-transport-ws client
(gql's websockets transport) against a real `newsgraph serve` following a folder."""

from __future__ import annotations

import asyncio
import json
import os
import re
import urllib.request
from pathlib import Path
from typing import Any

from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from schema.subscriptions import EventPace
from tests.conftest import record, write_record
from tests.live_helpers import run_async, wait_for, write_whole
from tests.servers import running_server

CHANGED = "subscription { graphChanged { version added } }"


def env(**limits: str) -> dict[str, str]:
    return {**os.environ, **{f"NEWSGRAPH_{k.upper()}": v for k, v in limits.items()}}


def status(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
        return json.load(r)


def client(base: str) -> Client:
    return Client(transport=WebsocketsTransport(
        url=base.replace("http://", "ws://") + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]))


async def listen(session: Any, events: list[Any]) -> dict[str, Any] | None:
    """Subscribe to graphChanged until the server ends it; return its error, if any."""
    try:
        async for event in session.subscribe(gql(CHANGED)):
            events.append(event)
    except TransportQueryError as e:
        assert e.errors is not None
        return e.errors[0]
    return None


async def opened(base: str, n: int, *tasks: asyncio.Task[Any]) -> None:
    def check() -> bool:
        return status(base)["subscriptions"] == n or any(t.done() for t in tasks)
    await asyncio.to_thread(wait_for, check, f"{n} subscriptions are open")
    for task in tasks:
        assert not task.done(), task.result()


def add_story(root: Path, base: str, slug: str) -> None:
    """Drop a story and wait until the server serves it: one change, one version."""
    before = status(base)["articles"]
    write_whole(root, f"{slug}.md", record(slug))
    wait_for(lambda: status(base)["articles"] == before + 1, f"{slug} is served")


def test_subscriptions_per_connection_and_per_server_are_limited(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))

    async def scenario(base: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        async with client(base) as one, client(base) as two:
            held = [asyncio.create_task(listen(one, [])) for _ in range(2)]
            await opened(base, 2, *held)
            over_connection = await asyncio.wait_for(listen(one, []), timeout=30)
            held.append(asyncio.create_task(listen(two, [])))  # another connection may
            await opened(base, 3, *held)
            over_server = await asyncio.wait_for(listen(two, []), timeout=30)
            for task in held:
                task.cancel()
            return over_connection, over_server

    with running_server(str(tmp_path), analytics=False,
                        env=env(max_subscriptions_per_connection="2",
                                max_subscriptions="3")) as base:
        over_connection, over_server = run_async(lambda: scenario(base))
    assert over_connection is not None and over_server is not None
    assert over_connection["message"] == (
        "this connection has 2 subscriptions open, its limit: end one before starting "
        "another (limit maxSubscriptionsPerConnection = 2, set by "
        "NEWSGRAPH_MAX_SUBSCRIPTIONS_PER_CONNECTION)")
    assert over_connection["extensions"] == {
        "code": "LIMIT_EXCEEDED", "limit": "maxSubscriptionsPerConnection", "max": 2}
    assert over_server["message"] == (
        "the server has 3 subscriptions open, its limit: try again later "
        "(limit maxSubscriptions = 3, set by NEWSGRAPH_MAX_SUBSCRIPTIONS)")
    assert over_server["extensions"]["limit"] == "maxSubscriptions"


def test_a_subscription_ends_at_its_lifetime_and_subscribing_is_rate_limited(
        tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))

    async def scenario(base: str) -> list[dict[str, Any] | None]:
        async with client(base) as session:
            # each lives its second, then ends with an error saying so; the third within
            # the minute is refused however few are open
            return [await asyncio.wait_for(listen(session, []), timeout=30)
                    for _ in range(3)]

    with running_server(str(tmp_path), analytics=False,
                        env=env(max_subscription_seconds="1",
                                max_subscribes_per_minute="2")) as base:
        first, second, third = run_async(lambda: scenario(base))
        assert status(base)["subscriptions"] == 0
    for ended in (first, second):
        assert ended is not None
        assert ended["message"] == (
            "this subscription reached its lifetime of 1 s: subscribe again to go on "
            "(limit maxSubscriptionSeconds = 1, set by NEWSGRAPH_MAX_SUBSCRIPTION_SECONDS)")
        assert ended["extensions"]["limit"] == "maxSubscriptionSeconds"
    assert third is not None
    assert re.fullmatch(
        r"this connection started 2 subscriptions in the last 60 s, its limit: wait "
        r"\d+ s \(limit maxSubscribesPerMinute = 2, set by "
        r"NEWSGRAPH_MAX_SUBSCRIBES_PER_MINUTE\)", third["message"]), third["message"]
    assert third["extensions"]["limit"] == "maxSubscribesPerMinute"


def test_a_subscriber_held_back_by_the_event_rate_ends_when_too_far_behind(
        tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))

    async def scenario(base: str) -> tuple[list[Any], dict[str, Any] | None]:
        events: list[Any] = []
        async with client(base) as session:
            task = asyncio.create_task(listen(session, events))
            await opened(base, 1, task)
            # one event a hundred seconds: the first goes out, the second waits for its
            # turn, and the changes after it pile up past the backlog of 2
            for i in range(6):
                await asyncio.to_thread(add_story, tmp_path, base, f"s{i}")
                if task.done():
                    break
            return events, await asyncio.wait_for(task, timeout=30)

    with running_server(str(tmp_path), analytics=False,
                        env=env(max_subscription_events_per_second="0.01",
                                max_subscription_backlog="2")) as base:
        events, ended = run_async(lambda: scenario(base))
        assert status(base)["subscriptions"] == 0
    assert [e["graphChanged"]["added"] for e in events] == [["article:https://news.example/s0"]]
    assert ended is not None
    assert ended["message"] == (
        "this subscription fell 2 changes behind, its limit: events are pushed to a "
        "connection at most 0.01 a second (maxSubscriptionEventsPerSecond); subscribe "
        "again, narrower (limit maxSubscriptionBacklog = 2, set by "
        "NEWSGRAPH_MAX_SUBSCRIPTION_BACKLOG)")
    assert ended["extensions"]["limit"] == "maxSubscriptionBacklog"


def test_event_pace_lets_a_burst_through_then_spaces_events_by_the_rate() -> None:
    now = [100.0]
    pace = EventPace(2.0, clock=lambda: now[0])
    assert [pace.wait() for _ in range(2)] == [0.0, 0.0]  # a burst of one second's worth
    assert pace.wait() == 0.5  # the next token, half a second away
    now[0] += 0.5
    assert pace.wait() == 0.0
    now[0] += 10  # idle: the bucket refills to its burst, no more
    assert [pace.wait() for _ in range(3)] == [0.0, 0.0, 0.5]
    slow = EventPace(0.01, clock=lambda: now[0])
    assert slow.wait() == 0.0 and slow.wait() == 100.0  # a burst of at least one


def test_a_subscriber_that_falls_behind_between_events_ends_with_the_error() -> None:
    from types import SimpleNamespace

    from schema.limits import LimitExceeded
    from schema.settings import Settings
    from schema.subscriptions import Events, SubscriberLimits, _Stream

    async def scenario() -> str:
        stream = _Stream(backlog=2)
        info = SimpleNamespace(context={})
        events = Events(info, stream, SubscriberLimits(Settings()), 60)  # type: ignore[arg-type]
        for n in range(3):  # three changes while it was busy elsewhere: one past the backlog
            stream.put(SimpleNamespace(graph=None, version=str(n)))  # type: ignore[arg-type]
        try:
            async for _ in events:
                pass
        except LimitExceeded as e:
            return str(e)
        return "completed without an error"

    assert asyncio.run(scenario()).startswith("this subscription fell 2 changes behind")


def test_a_story_added_zone_past_the_visit_budget_is_refused_or_ended(tmp_path: Path) -> None:
    # The zone's walk was unbounded, at every change. Now it is charged to maxVisits: a
    # zone past it is refused at once, and one a change grows past it ends, each with
    # LIMIT_EXCEEDED naming the limit. s0 relates s1 (a stub): its 2-hop walk reads s0's
    # row (s1 and its provider) and theirs (s1's with its provider): 5 visits, its 3-hop
    # walk 6; a record relating s0 makes the 2-hop walk 9.
    write_record(tmp_path, "s0.md", record("s0", related=[record("s1", "one.example")]))
    near = ("subscription($from: ID!, $hops: Int!) { storyAdded(near: {from: $from, "
            "hops: $hops}) { article { id } } }")

    async def subscribe(base: str, hops: int) -> dict[str, Any] | None:
        request = gql(near)
        request.variable_values = {"from": "https://news.example/s0", "hops": hops}
        async with client(base) as session:
            try:
                async for _ in session.subscribe(request):
                    pass
            except TransportQueryError as e:
                assert e.errors is not None
                return e.errors[0]
        return None

    async def scenario(base: str) -> tuple[Any, ...]:
        refused = await asyncio.wait_for(subscribe(base, 3), timeout=60)
        task = asyncio.create_task(subscribe(base, 2))
        await opened(base, 1, task)
        write_whole(tmp_path, "s2.md", record("s2", related=[record("s0")]))
        ended = await asyncio.wait_for(task, timeout=60)
        return refused, ended

    with running_server(str(tmp_path), analytics=False,
                        env=env(max_visits="5")) as base:
        refused, ended = run_async(lambda: scenario(base))
    for error in (refused, ended):
        assert error is not None
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert error["extensions"]["limit"] == "maxVisits"
    assert refused["message"].startswith(
        "the zone of near: {from: 'article:https://news.example/s0', hops: 3} is too big "
        "to watch: the walk would visit")
    assert "hops: 2} is too big to watch" in ended["message"]
    assert ended["message"].endswith("(limit maxVisits = 5, set by NEWSGRAPH_MAX_VISITS)")
