"""storyAdded reads its where (phrase, topics, providers) when the subscription starts.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

import pytest

# -- a subscription whose phrase can match nothing ------------------------------------------------

@pytest.mark.parametrize(("phrase", "said"), [
    ("!!!", "has no letters or digits"),
    ("word " * 300, "words"),
])
def test_story_added_refuses_a_bad_phrase_when_it_starts(tmp_path, phrase, said):
    # The phrase was first read when a change arrived: the subscription was accepted and
    # sat silent, and the error came with the folder's next change, if ever. A query with
    # the same `where` is refused at once.
    import asyncio

    from gql import Client, gql
    from gql.transport.websockets import WebsocketsTransport

    from tests.conftest import record, write_record
    from tests.live_helpers import run_async
    from tests.servers import running_server

    write_record(tmp_path, "a.md", record("a"))
    document = gql('subscription($p: String!) { storyAdded(where: {mentions: $p}) { hops } }')
    document.variable_values = {"p": phrase}

    async def scenario(base: str) -> str:
        ws = WebsocketsTransport(url=base.replace("http://", "ws://") + "/graphql",
                                 subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=ws) as session:
            try:
                async with asyncio.timeout(10):  # no change comes: the error must come alone
                    async for _ in session.subscribe(document):
                        return "an event"
            except TimeoutError:
                return "nothing within 10 s"
            except Exception as e:  # gql raises the server's GraphQL error
                return str(e)
        return "ended without an error"

    with running_server(str(tmp_path)) as base:
        message = run_async(lambda: scenario(base))
    assert said in message and "phrase" in message, message


# -- a subscription whose topics or providers no corpus could hold ---------------------------------

@pytest.mark.parametrize(("selection", "said"), [
    ({"topics": ("culture", "!!!")}, "'!!!' cannot be a topic"),
    ({"providers": ("a b",)}, "'a b' is not a domain"),
])
def test_a_story_watch_refuses_what_no_corpus_holds_when_it_starts(sample_kg, selection, said):
    # As with the phrase: a query with this `where` is refused at once, so a watch is too,
    # not at the folder's next change.
    import graph
    from graph.arrivals import StoryWatch
    from graph.select import Selection

    with pytest.raises(graph.InvalidArgument, match=said):
        StoryWatch(sample_kg, Selection(**selection))
