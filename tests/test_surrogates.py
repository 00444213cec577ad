"""A lone surrogate in an argument is a clear error, never an unexpected one.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

import pytest

from schema.query import execute

# -- a lone surrogate in an argument ---------------------------------------------------------------

SURROGATE_QUERIES = {
    "article": 'query($s: String!) { article(url: $s) { id } }',
    "node": 'query($s: ID!) { node(id: $s) { id } }',
    "within": 'query($s: ID!) { within(from: $s) { totalCount } }',
    "topic": 'query($s: String!) { topic(slug: $s) { id } }',
    "provider": 'query($s: String!) { provider(domain: $s) { id } }',
    "search": 'query($s: String!) { search(text: $s) { totalCount } }',
    "mentions": 'query($s: String!) { articles(where: {mentions: $s}) { totalCount } }',
}
SURROGATE_VALUES = {
    "article": "https://x.example/\ud800", "node": "article:https://x.example/a?q=\udfff",
    "within": "article:https://x.example/\ud800", "topic": "A\ud800I",
    "provider": "x\ud800.example", "search": "facial \ud800", "mentions": "facial \udfff",
}


@pytest.mark.parametrize("field", SURROGATE_QUERIES)
def test_a_lone_surrogate_in_an_argument_is_a_clear_error_or_null(sample_kg, field):
    # JSON can carry "\ud800", which is no Unicode character: article(url:) with it in
    # the path raised UnicodeEncodeError inside the URL's normal form, and the client got
    # "Unexpected error." (a server bug, logged with a traceback).
    answer = execute(sample_kg, SURROGATE_QUERIES[field], {"s": SURROGATE_VALUES[field]})
    for error in answer.get("errors") or ():
        assert error["message"] != "Unexpected error.", (field, error)
        assert any(w in error["message"] for w in ("surrogate", "no node", "is not a valid")), \
            error
