"""A POSTed body that is JSON but no operation says what it is in JSON's words (trial37).

`null`, `1`, `"x"` and `true` were answered "Expected a JSON object (or a list of them,
for a batch), got NoneType" (or `int`, `str`, `bool`): Python's type names, which a client
in another language reads as noise, and no code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema.app import create_app

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS)) as c:
        yield c


@pytest.mark.parametrize(("body", "kind"), [
    ("null", "null"), ("1", "a number"), ("2.5", "a number"), ('"x"', "text"),
    ("true", "true or false"),
])
def test_a_body_of_no_object_is_named_in_json_words(client, body, kind):
    r = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["message"] == (
        f"Expected a JSON object (or a list of them, for a batch), got {kind}")
    assert error["extensions"]["code"] == "BAD_REQUEST"


def test_a_batch_item_of_no_object_is_named_with_its_place(client):
    r = client.post("/graphql", content='[{"query": "{ stats { articles } }"}, null]',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["message"] == ("Each operation of a batch must be a JSON object: "
                                "operation 2 is null")
    assert error["extensions"]["code"] == "BAD_REQUEST"
