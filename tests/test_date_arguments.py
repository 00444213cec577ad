"""A DateTime argument a client mistyped gets an error saying what a date looks like.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

import pytest

from schema.query import execute

# -- a DateTime argument a client mistyped ----------------------------------------------------

@pytest.mark.parametrize("value", ["yesterday", "21/02/2022", "", "2022-02-21 at noon"])
@pytest.mark.parametrize("as_variable", [False, True], ids=["literal", "variable"])
def test_a_bad_date_argument_says_what_a_date_looks_like(sample_kg, value, as_variable):
    # dateutil's parser said "invalid literal for int() with base 10: b'yest'" or "ISO
    # string too short": what went wrong inside it, not what the field takes.
    if as_variable:
        response = execute(sample_kg, "query($d: DateTime) { articles(where: {publishedAfter: $d}) "
                               "{ totalCount } }", {"d": value})
    else:
        response = execute(sample_kg, f'{{ articles(where: {{publishedAfter: "{value}"}}) '
                               "{ totalCount } }")
    [error] = response["errors"]
    message = error["message"]
    assert repr(value) in message or f'"{value}"' in message, message
    assert "ISO 8601" in message and "2022-02-21T03:37:00Z" in message, message
    assert "invalid literal" not in message and "b'" not in message, message


def test_an_impossible_date_argument_says_which_part_is_out_of_range(sample_kg):
    response = execute(sample_kg,
                       '{ articles(where: {publishedAfter: "2022-13-01"}) { totalCount } }')
    message = response["errors"][0]["message"]
    assert "month must be in 1..12" in message and "ISO 8601" in message, message


@pytest.mark.parametrize("value", ["2022-02-21", "2022-02-21T03:37:00Z",
                                   "2022-02-21T05:37:00+02:00", "2022-02-21T03:37:00"])
def test_a_valid_date_argument_is_read_as_before(sample_kg, value):
    response = execute(sample_kg, "query($d: DateTime) { articles(where: {publishedAfter: $d}) "
                           "{ totalCount } }", {"d": value})
    assert "errors" not in response, response
    assert response["data"]["articles"]["totalCount"] >= 1
