"""Answers are written by orjson (schema/http.py encode_response): the same JSON values as
``json.dumps`` wrote, text in UTF-8, and what orjson will not write handed to json.dumps,
which accepts or refuses it as before."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app
from schema.http import encode_response
from schema.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.mark.parametrize("value", [
    {"data": {"title": "Café «naïve» 東京 😀", "n": 7, "x": -0.5, "f": 1e-7, "ok": True,
              "none": None, "list": [1, "two", [3.25]]}},
    {"data": None, "errors": [{"message": "bad \"quote\" \\ and\nnewline\u2028"}]},
    {"data": {"big": 2**70, "small": -(2**70)}},  # past 64 bits: json.dumps writes it
    {"data": {"numpy": np.float64(1.5)}},  # a float subclass: json.dumps writes it
    {"data": {"1": {"nested": {"deep": [{}]}}}},
])
def test_same_json_values_as_json_dumps(value):
    written = encode_response(value)
    assert isinstance(written, bytes)
    assert json.loads(written) == json.loads(json.dumps(value))


def test_text_is_utf8_not_escaped():
    assert encode_response({"t": "Café"}) == '{"t":"Café"}'.encode()


def test_what_json_refused_is_refused():
    with pytest.raises(TypeError):
        encode_response({"data": {"when": date(2024, 1, 1)}})


def test_http_answer_is_utf8_json():
    """A real answer over HTTP: its bytes decode as UTF-8 JSON, as the media type says."""
    kg = graph.load(CORPUS)
    with TestClient(create_app(kg, Settings())) as client:
        r = client.post("/graphql", json={"query": "{ topics(first: 50) { edges { node "
                                                   "{ name } } } }"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = json.loads(r.content.decode("utf-8"))
    assert body["data"]["topics"]["edges"]
    assert b'"extensions":{"cost":' in r.content
