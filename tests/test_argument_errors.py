"""Argument errors say what was wrong and what is allowed, in one shape and with one code.

Each failure here was found by trying newsgraph as its users and attackers do (trial31
and trial32), and reproduced before it was fixed:

- a lone surrogate (``"\\ud800"``, which JSON can carry and is no character) in a search
  text, a ``mentions`` phrase, a topic slug, an id, a category was read as no letter and
  answered (``ai\\udfff`` searched ``ai``; ``topics: ["ai\\ud800"]`` matched topic ai),
  where in a URL it was an error and in a document's string an ``Invalid Unicode escape
  sequence``;
- a subscription's argument errors (``storyAdded(near: {hops: 9})``) had no ``locations``
  nor ``path``, which the same mistakes in a query have;
- no argument error had an ``extensions.code`` (the bad cursor of ``after: "garbage"``
  among them), while limit errors say ``LIMIT_EXCEEDED`` and the analytics ``NOT_READY``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from schema.app import create_app
from schema.query import execute
from schema.settings import Settings
from tests.conftest import SAMPLE_CORPUS

# -- a lone surrogate in a text variable ---------------------------------------------------------

S, LOW = "\ud800", "\udfff"
TEXT_VARIABLES = {
    "search": ("query($s: String!) { search(text: $s) { totalCount } }", "facial " + LOW, ""),
    "mentions": ("query($s: String) { articles(where: {mentions: $s}) { totalCount } }",
                 "facial " + LOW, ""),
    "topics": ("query($s: String!) { articles(where: {topics: [$s]}) { totalCount } }",
               "ai" + S, ""),
    "providers": ("query($s: String!) { articles(where: {providers: [$s]}) { totalCount } }",
                  "bbc.co.uk" + S, ""),
    "category": ("query($s: String) { articles(where: {category: $s}) { totalCount } }",
                 "news" + S, ""),
    "topic": ("query($s: String!) { topic(slug: $s) { id } }", "A" + S + "I", ""),
    "provider": ("query($s: String!) { provider(domain: $s) { id } }", "x" + S + ".example", ""),
    "article": ("query($s: String) { article(url: $s) { id } }", "https://x.example/" + S, ""),
    "node": ("query($s: ID!) { node(id: $s) { id } }", "topic:a" + S, ""),
    "nodes": ("query($s: [ID!]!) { nodes(ids: $s) { id } }", ["topic:ai", "topic:a" + S],
              " at [1]"),
    "within": ("query($s: ID!) { within(from: $s) { totalCount } }", "topic:a" + S, ""),
    "cursor": ("query($s: String) { articles(first: 1, after: $s) { totalCount } }",
               "abc" + S, ""),
    "filter": ("query($s: ArticleFilter) { articles(where: $s) { totalCount } }",
               {"topics": ["ai"], "mentions": "face" + LOW}, " at .mentions"),
}


@pytest.mark.parametrize("case", TEXT_VARIABLES)
def test_a_lone_surrogate_in_a_text_variable_is_an_error_saying_what_text_is(sample_kg, case):
    document, value, where = TEXT_VARIABLES[case]
    answer = execute(sample_kg, document, {"s": value})
    assert answer["data"] is None, answer  # refused before anything ran, as a bad Int is
    [error] = answer["errors"]
    message = error["message"]
    assert message.startswith(f"Variable '$s' has invalid value{where}: "), message
    assert "lone surrogate" in message and ("U+D800" in message or "U+DFFF" in message)
    assert "not Unicode text" in message and "pair" in message, message  # what is allowed
    assert error["locations"] == [{"line": 1, "column": 7}]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}


def test_text_past_the_basic_plane_is_still_text(sample_kg):
    # JSON escapes U+1F916 as the pair "\ud83e\udd16", which a JSON reader joins into one
    # character: that is text, and searched as such.
    answer = execute(sample_kg, "query($s: String!) { search(text: $s) { totalCount } }",
                     {"s": "facial \U0001f916"})
    assert "errors" not in answer, answer


def test_a_lone_surrogate_in_a_json_scalar_is_left_to_its_reader(sample_kg):
    # ingest's records are JSON: each record's text is checked by the file rules (the
    # record refused, the others written), never the whole batch by the variable's type.
    answer = execute(sample_kg, "mutation($r: [JSON!]!) { ingest(records: $r) { status } }",
                     {"r": [{"title": "a" + S, "webUrl": "https://x.example/1"}]})
    assert not any("Variable" in e["message"] for e in answer.get("errors") or ()), answer


# -- the code of an argument error ---------------------------------------------------------------

BAD_ARGUMENTS = {
    "cursor": '{ articles(after: "garbage") { totalCount } }',
    "before cursor": '{ articles(last: 2, before: "x") { totalCount } }',
    "hops": '{ within(from: "topic:ai", hops: 9) { totalCount } }',
    "first": "{ articles(first: -1) { totalCount } }",
    "slug": '{ topic(slug: "!!!") { id } }',
    "id": '{ node(id: "bogus") { id } }',
    "url": '{ article(url: "not a url") { id } }',
    "domain": '{ provider(domain: "x y") { id } }',
    "search": '{ search(text: "") { totalCount } }',
    "unknown start": '{ within(from: "topic:no-such-topic-here") { totalCount } }',
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_an_argument_error_says_bad_user_input_in_its_code(sample_kg, case):
    answer = execute(sample_kg, BAD_ARGUMENTS[case])
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error
    assert error["path"] and error["locations"], error


def test_a_limit_a_server_sets_keeps_its_own_code(sample_kg):
    from schema.query import schema
    context = {"kg": sample_kg, "settings": Settings(max_hops=2)}
    result = schema.execute_sync('{ within(from: "topic:ai", hops: 3) { totalCount } }',
                                 context_value=context)
    [error] = result.errors
    assert error.extensions["code"] == "LIMIT_EXCEEDED", error.formatted


# -- a subscription's argument errors, in a query's shape ----------------------------------------

@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # followed (not watched): storyAdded needs a feed; nothing is written to the corpus
    with TestClient(create_app(SAMPLE_CORPUS, Settings(), follow=True)) as c:
        yield c


def _first_answer(client: TestClient, document: str, variables: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
    """The first answer to a subscribe: its ``next`` payload, or an ``error``'s errors. A
    subscription that is taken and waits for events answers nothing: after 50 pings
    answered (each a turn of the server's loop) it fails, rather than wait for ever."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        # json.dumps escapes a lone surrogate as "\\ud800", as a browser's JSON.stringify does
        ws.send_text(json.dumps({"type": "subscribe", "id": "1",
                                 "payload": {"query": document, "variables": variables or {}}}))
        for _ in range(50):
            ws.send_json({"type": "ping"})
            message = ws.receive_json()
            if message["type"] == "pong":
                continue
            assert message["type"] in ("next", "error"), message
            return message["payload"] if message["type"] == "next" else {
                "errors": message["payload"]}
    raise AssertionError(f"no answer to {document!r}: the subscription was taken")


SUBSCRIPTION_MISTAKES = {
    "hops": ('subscription { storyAdded(near: {from: "topic:ai", hops: 9}) { version } }',
             "near.hops must be from 1 to 4, got 9"),
    "unknown start": ('subscription { storyAdded(near: {from: "topic:nope"}) { version } }',
                      "no node 'topic:nope'"),
    "malformed start": ('subscription { storyAdded(near: {from: "bogus"}) { version } }',
                        "no node 'bogus'"),
    "topic": ('subscription { storyAdded(where: {topics: ["!!!"]}) { version } }',
              "'!!!' cannot be a topic"),
    "phrase": ('subscription { storyAdded(where: {mentions: ""}) { version } }',
               "has no letters or digits"),
    # Taken, and told of no story ever (an empty list matched none).
    "no topics": ('subscription { storyAdded(where: {topics: []}) { version } }',
                  "topics is empty: give at least one topic"),
    "storyline start": ('subscription { storyAdded(near: {from: "storyline:0123456789abcdef"})'
                        ' { version } }', "is a storyline's id"),
}


@pytest.mark.parametrize("case", SUBSCRIPTION_MISTAKES)
def test_a_subscriptions_argument_error_has_a_querys_locations_path_and_code(client, case):
    document, says = SUBSCRIPTION_MISTAKES[case]
    payload = _first_answer(client, document)
    [error] = payload["errors"]
    assert says in error["message"], error
    assert error["path"] == ["storyAdded"], error
    assert error["locations"] == [{"line": 1, "column": 16}], error
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error


def test_a_subscription_past_a_servers_hops_limit_names_it(sample_kg):
    with TestClient(create_app(SAMPLE_CORPUS, Settings(max_hops=2), follow=True)) as c:
        payload = _first_answer(
            c, 'subscription { storyAdded(near: {from: "topic:ai", hops: 3}) { version } }')
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert "maxHops" in error["message"] and error["path"] == ["storyAdded"], error


def test_a_lone_surrogate_in_a_subscriptions_variable_is_the_querys_error(client):
    payload = _first_answer(
        client, "subscription($m: String) { storyAdded(where: {mentions: $m}) { version } }",
        {"m": "facial " + S})
    [error] = payload["errors"]
    assert error["message"].startswith("Variable '$m' has invalid value: "), error
    assert "lone surrogate" in error["message"], error
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error


@pytest.mark.parametrize(("document", "value"), [
    ("query($s: DateTime) { articles(where: {publishedAfter: $s}) { totalCount } }",
     "yesterday"),
    ("query($s: Int) { articles(first: $s) { totalCount } }", "ten"),
    ("query($s: ArticleFilter) { articles(where: $s) { totalCount } }", {"minQuality": "x"}),
])
def test_a_variable_of_the_wrong_type_has_the_same_code(sample_kg, document, value):
    # graphql-core refuses these itself; the code was missing there too
    [error] = execute(sample_kg, document, {"s": value})["errors"]
    assert error["message"].startswith("Variable '$s' has invalid value"), error
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error


def test_a_date_written_in_the_document_that_is_no_date_is_located(sample_kg):
    # The DateTime scalar's own error, raised as a GraphQLError, was reported by
    # graphql-core as it was: no locations, where the same date in a variable has them.
    [error] = execute(sample_kg, '{ articles(where: {publishedAfter: "yesterday"}) '
                                 "{ totalCount } }")["errors"]
    assert "Value cannot represent a DateTime: 'yesterday'" in error["message"], error
    assert error["locations"] == [{"line": 1, "column": 36}], error  # at its opening quote


# -- graphql-core's own errors of a document, coded as Apollo Server codes them ------------------
# (trial33) A literal of the wrong type (`first: "x"`), an unknown argument or field, a
# syntax error and an unknown operation name had no `extensions.code`, where the same
# mistake in a variable said BAD_USER_INPUT: a client matching on codes saw nothing.

DOCUMENT_MISTAKES = {
    "literal type": ('{ articles(first: "x") { totalCount } }', None,
                     "GRAPHQL_VALIDATION_FAILED", "Int cannot represent"),
    "unknown argument": ("{ articles(frist: 3) { totalCount } }", None,
                         "GRAPHQL_VALIDATION_FAILED", "Did you mean 'first'"),
    "unknown field": ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED", "Cannot query field"),
    "literal date": ('{ articles(where: {publishedAfter: "yesterday"}) { totalCount } }', None,
                     "GRAPHQL_VALIDATION_FAILED", "cannot represent a DateTime"),
    "syntax": ("{ articles { totalCount ", None, "GRAPHQL_PARSE_FAILED", "Syntax Error"),
    "operation name": ("query A { stats { articles } }", "B", "OPERATION_RESOLUTION_FAILURE",
                       "Unknown operation named 'B'"),
    "no operation name": ("query A { stats { articles } } query B { stats { topics } }", None,
                          "OPERATION_RESOLUTION_FAILURE", "Must provide operation name"),
}


@pytest.mark.parametrize("case", DOCUMENT_MISTAKES)
def test_a_documents_own_mistake_has_apollos_code_over_http(client, case):
    document, name, code, says = DOCUMENT_MISTAKES[case]
    body: dict[str, Any] = {"query": document}
    if name:
        body["operationName"] = name
    answer = client.post("/graphql", json=body).json()
    [error] = answer["errors"]
    assert says in error["message"].replace('"', "'"), error
    assert error["extensions"] == {"code": code}, error


@pytest.mark.parametrize("case", ["literal type", "unknown field", "syntax"])
def test_a_documents_own_mistake_has_apollos_code_in_process(sample_kg, case):
    document, _, code, _ = DOCUMENT_MISTAKES[case]
    [error] = execute(sample_kg, document)["errors"]
    assert error["extensions"] == {"code": code}, error


@pytest.mark.parametrize("case", ["literal type", "unknown field"])
def test_a_subscriptions_document_mistake_has_the_same_code(client, case):
    # (A syntax error closes the socket with 4400 and the message, as Strawberry's
    # graphql-transport-ws handler does.)
    document, _, code, _ = DOCUMENT_MISTAKES[case]
    document = "subscription " + document.replace("articles(", "storyAdded(").replace(
        "{ totalCount", "{ version")
    [error] = _first_answer(client, document)["errors"]
    assert error["extensions"] == {"code": code}, error


def test_a_limit_found_by_validation_or_parse_keeps_limit_exceeded(sample_kg):
    from schema.query import schema
    context = {"kg": sample_kg, "settings": Settings(max_depth=2, max_tokens=40)}
    deep = "{ topics(first: 1) { edges { node { articles { totalCount } } } } }"
    [error] = schema.execute_sync(deep, context_value=context).errors
    assert error.extensions["code"] == "LIMIT_EXCEEDED", error.formatted
    long = "{ " + " ".join(f"a{i}: stats {{ articles }}" for i in range(20)) + " }"
    [error] = schema.execute_sync(long, context_value=context).errors
    assert error.extensions["code"] == "LIMIT_EXCEEDED", error.formatted


# -- a long value is shown by its start and its length -----------------------------------------

# An id, a cursor or a date was echoed whole: twenty aliases of node(id: $i) with one
# 63,000-character id answered 1,265,748 bytes to a 63,545-byte request (trial34), where a
# URL, a domain or a topic was already shown by its start (graph.errors.shown).
LONG = "x" * 60_000
LONG_VALUES = {
    "id": ("query($v: ID!) { node(id: $v) { id } }", LONG),
    "topic id": ("query($v: ID!) { node(id: $v) { id } }", "topic:" + "!" * 60_000),
    "storyline id": ("query($v: ID!) { node(id: $v) { id } }", "storyline:" + LONG),
    "nodes": ("query($v: ID!) { nodes(ids: [$v]) { id } }", LONG),
    "cursor": ("query($v: String) { articles(first: 2, after: $v) { totalCount } }", LONG),
    "base64 cursor": ("query($v: String) { articles(first: 2, after: $v) { totalCount } }",
                      "YzI6" * 15_000),
    "neighborhood cursor": ('query($v: String) { neighborhood(from: "topic:ai", after: $v) '
                            "{ truncated } }", LONG),
    "date": ("query($v: DateTime) { articles(where: {publishedAfter: $v}) { totalCount } }",
             LONG),
}


@pytest.mark.parametrize("case", LONG_VALUES, ids=list(LONG_VALUES))
def test_a_long_value_is_shown_by_its_start_and_length_not_whole(sample_kg, case):
    document, value = LONG_VALUES[case]
    [error] = execute(sample_kg, document, {"v": value})["errors"]
    assert len(error["message"]) < 1_000, error["message"][:200]
    assert "characters)" in error["message"]
