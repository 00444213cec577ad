"""Subscriptions through a real client (gql's websockets transport, graphql-transport-ws)
against a real `newsgraph serve` following a folder."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import record, write_record
from tests.live_helpers import run_async, wait_for, write_whole
from tests.servers import running_server

SEED = "https://seed.example/seed"
NEAR = """subscription($from: ID!) {
  storyAdded(where: {mentions: "facial recognition"}, near: {from: $from, hops: 2}) {
    article { id title } reason hops path version
  }
}"""
CHANGED = ("subscription { graphChanged { version previousVersion files added "
           "counts { articles } } }")


def corpus(root: Path) -> None:
    # The seed relates R1 (a stub for now); F, a facial-recognition story elsewhere, is
    # three or more hops away: no shared topic, and its own provider.
    write_record(root, "seed.md", record("seed", "seed.example",
                                         related=[record("r1", "r1.example")]))
    write_record(root, "far.md", record("f", "f.example",
                                        title="Facial recognition at the border",
                                        related=[record("r2", "r2.example")]))


def subscriptions_open(base: str) -> int:
    with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
        return json.load(r)["subscriptions"]


def transport(base: str) -> WebsocketsTransport:
    return WebsocketsTransport(url=base.replace("http://", "ws://") + "/graphql",
                               subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])


async def collect(base: str, document: str, variables: dict[str, Any], n: int,
                  events: list[dict[str, Any]]) -> None:
    request = gql(document)
    request.variable_values = variables
    async with Client(transport=transport(base)) as session:
        async for event in session.subscribe(request):
            events.append(event)
            if len(events) == n:
                return


async def until(check: Any, what: str, *tasks: asyncio.Task[Any]) -> None:
    """Wait for ``check()``; a subscribing task that failed meanwhile raises its error."""

    def done() -> Any:
        for task in tasks:
            if task.done() and task.exception() is not None:
                return True
        return check()

    await asyncio.to_thread(wait_for, done, what)
    for task in tasks:
        if task.done() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def test_story_added_near_a_story_pushes_new_and_entering_stories(tmp_path: Path) -> None:
    corpus(tmp_path)

    async def scenario(base: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        task = asyncio.create_task(collect(base, NEAR, {"from": SEED}, 2, events))
        await until(lambda: subscriptions_open(base) == 1, "the subscription is open", task)
        # 1. a new facial-recognition story that relates to the seed's related story R1
        write_whole(tmp_path, "new.md", record("n", "n.example",
                                                title="New facial recognition story",
                                                related=[record("r1", "r1.example")]))
        await until(lambda: len(events) == 1, "the new story is pushed", task)
        # 2. R1 gets its own record, relating F: F enters the two-hop zone
        write_whole(tmp_path, "r1.md", record("r1", "r1.example",
                                               related=[record("f", "f.example")]))
        await asyncio.wait_for(task, timeout=60)
        return events

    with running_server(str(tmp_path)) as base:
        events = run_async(lambda: scenario(base))
    first, second = (e["storyAdded"] for e in events)
    assert first["article"]["id"] == "article:https://n.example/n"
    assert first["reason"] == "ADDED" and first["hops"] == 2
    assert first["path"] == [f"article:{SEED}", "article:https://r1.example/r1",
                             "article:https://n.example/n"]
    assert second["article"]["id"] == "article:https://f.example/f"
    assert second["reason"] == "ENTERED" and second["hops"] == 2
    assert second["path"] == [f"article:{SEED}", "article:https://r1.example/r1",
                              "article:https://f.example/f"]
    assert first["version"] != second["version"]


def test_a_client_that_disconnects_midstream_leaves_the_others_served(tmp_path: Path) -> None:
    corpus(tmp_path)

    async def scenario(base: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        leaving: list[dict[str, Any]] = []
        staying: list[dict[str, Any]] = []
        gone = asyncio.create_task(collect(base, CHANGED, {}, 1, leaving))
        stays = asyncio.create_task(collect(base, CHANGED, {}, 2, staying))
        await until(lambda: subscriptions_open(base) == 2, "both subscriptions are open",
                    gone, stays)
        write_whole(tmp_path, "a.md", record("a"))
        await asyncio.wait_for(gone, timeout=60)  # it leaves after its first event
        await until(lambda: subscriptions_open(base) == 1, "the server lets it go")
        write_whole(tmp_path, "b.md", record("b"))
        await asyncio.wait_for(stays, timeout=60)
        return leaving, staying

    with running_server(str(tmp_path)) as base:
        leaving, staying = run_async(lambda: scenario(base))
        assert subscriptions_open(base) == 0
    assert leaving[0] == staying[0]
    one, two = (e["graphChanged"] for e in staying)
    assert one["added"] == ["article:https://news.example/a"] and one["files"][0].endswith("a.md")
    assert two["previousVersion"] == one["version"]
    assert two["counts"]["articles"] == one["counts"]["articles"] + 1


def test_story_added_refuses_hops_past_the_limit(tmp_path: Path) -> None:
    corpus(tmp_path)
    document = NEAR.replace("hops: 2", "hops: 9")

    async def scenario(base: str) -> str:
        try:
            await collect(base, document, {"from": SEED}, 1, [])
        except Exception as e:  # gql raises the server's GraphQL error
            return str(e)
        return ""

    with running_server(str(tmp_path)) as base:
        message = run_async(lambda: scenario(base))
    assert "near.hops must be from 1 to 4, got 9" in message


def test_gqls_default_websocket_protocol_answers_queries_and_subscriptions(tmp_path: Path,
                                                                          ) -> None:
    # gql's WebsocketsTransport offers the legacy 'graphql-ws' protocol (Apollo's
    # subscriptions-transport-ws) first, and the server accepts it: a query sent over it
    # was answered "Unexpected error." (the legacy handler ran it as a subscription,
    # which refused it), a validation error too. A query answers once, as over
    # graphql-transport-ws; errors say what was wrong; subscriptions are pushed.
    corpus(tmp_path)

    async def scenario(base: str) -> tuple[Any, ...]:
        legacy = WebsocketsTransport(url=base.replace("http://", "ws://") + "/graphql")
        async with Client(transport=legacy) as session:
            assert legacy.subprotocol == WebsocketsTransport.APOLLO_SUBPROTOCOL
            request = gql("query ($url: String!) { article(url: $url) { title } }")
            request.variable_values = {"url": SEED}
            answer = await session.execute(request)
            errors = []
            for bad in ("{ nope }", "{ articles(where: {mentions: \"!!!\"}) { totalCount } }"):
                try:
                    await session.execute(gql(bad))
                except TransportQueryError as e:
                    errors.append(str(e))
            events: list[dict[str, Any]] = []

            async def listen() -> None:
                async for event in session.subscribe(gql(CHANGED)):
                    events.append(event)
                    return

            task = asyncio.create_task(listen())
            await until(lambda: subscriptions_open(base) == 1, "the subscription is open", task)
            write_whole(tmp_path, "a.md", record("a"))
            await asyncio.wait_for(task, timeout=60)
        return answer, errors, events

    with running_server(str(tmp_path)) as base:
        answer, errors, events = run_async(lambda: scenario(base))
    assert answer == {"article": {"title": "Story seed"}}
    assert "Cannot query field 'nope' on type 'Query'" in errors[0]
    assert "the mentions phrase '!!!' has no letters or digits" in errors[1]
    assert events[0]["graphChanged"]["added"] == ["article:https://news.example/a"]


async def ended_with(base: str, document: str, variables: dict[str, Any],
                     events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Subscribe until the server ends the subscription; return its error, if any."""
    request = gql(document)
    request.variable_values = variables
    async with Client(transport=transport(base)) as session:
        try:
            async for event in session.subscribe(request):
                events.append(event)
        except TransportQueryError as e:
            assert e.errors is not None
            return e.errors[0]
    return None


def test_story_added_says_when_its_start_is_gone_and_refuses_stubs_only(tmp_path: Path,
                                                                        ) -> None:
    # Deleting the seed's file takes its node away (no record relates to it): the
    # subscription near it sat silent for ever; it ends, saying why. A subscription of
    # stubs only could never push anything: refused when it starts, saying why.
    corpus(tmp_path)
    stubs = NEAR.replace('where: {mentions: "facial recognition"}', "where: {isStub: true}")

    async def scenario(base: str) -> tuple[Any, ...]:
        refused = await asyncio.wait_for(ended_with(base, stubs, {"from": SEED}, []), 60)
        events: list[dict[str, Any]] = []
        task = asyncio.create_task(ended_with(base, NEAR, {"from": SEED}, events))
        await until(lambda: subscriptions_open(base) == 1, "the subscription is open", task)
        (tmp_path / "seed.md").unlink()
        gone = await asyncio.wait_for(task, timeout=60)
        await until(lambda: subscriptions_open(base) == 0, "the server lets it go")
        return refused, gone, events

    with running_server(str(tmp_path)) as base:
        refused, gone, events = run_async(lambda: scenario(base))
    assert refused is not None and refused["message"].startswith(
        "isStub: true can never match here: stubs (articles known only from another "
        "record's related list) are never pushed")
    assert refused["extensions"]["code"] == "BAD_USER_INPUT"
    assert events == []
    assert gone is not None
    assert gone["message"].startswith(f"near.from 'article:{SEED}' is gone from the graph as "
                                      "of version ")
    assert gone["extensions"]["code"] == "START_GONE"
    assert gone["extensions"]["start"] == f"article:{SEED}"
    assert gone["path"] == ["storyAdded"]
