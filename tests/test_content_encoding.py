"""Request bodies sent compressed, with ``Content-Encoding`` (trial37).

A client that gzips its requests (an HTTP library's request compression, a proxy
between mobile clients and the server) was answered "it is not UTF-8 (byte 0x8b at
offset 1): send JSON as UTF-8", which says nothing of the encoding; one declaring an
encoding the server never decoded (`br` over a plain body) was run as if it had none.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from schema.app import create_app
from schema.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
QUERY = json.dumps({"query": "{ stats { articles } }"}).encode()
ANSWER = {"stats": {"articles": 9}}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(CORPUS, Settings(max_body_bytes=4096))) as c:
        yield c


def _post(client, body: bytes, coding: str | None, **headers: str):
    sent = {"content-type": "application/json", **headers}
    if coding is not None:
        sent["content-encoding"] = coding
    return client.post("/graphql", content=body, headers=sent)


@pytest.mark.parametrize(("coding", "encode"), [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("GZIP", gzip.compress),
    ("deflate", zlib.compress),
    # 'deflate' as some clients send it: raw DEFLATE, without zlib's header.
    ("deflate", lambda b: zlib.compress(b, wbits=-15)),
    ("identity", lambda b: b), ("gzip, identity", gzip.compress),
])
def test_a_compressed_body_is_read_as_the_json_it_holds(client, coding, encode):
    r = _post(client, encode(QUERY), coding)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == ANSWER


def test_a_compressed_body_answers_as_the_plain_one_from_the_cache_too(client):
    plain = _post(client, QUERY, None)
    for _ in range(2):  # the second from the stored answers, keyed on what was decoded
        assert _post(client, gzip.compress(QUERY), "gzip").json() == plain.json()


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, br", "rot13"])
def test_an_encoding_not_read_is_refused_415_saying_which_are(client, coding):
    r = _post(client, QUERY, coding)
    assert r.status_code == 415
    assert r.headers["accept-encoding"] == "gzip, deflate"
    [error] = r.json()["errors"]
    assert error["message"] == (
        f"the request body is sent with content-encoding {coding!r}, which this server "
        "does not decode: send it as it is, or compressed with gzip or deflate")
    assert error["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(("coding", "body"), [
    ("gzip", QUERY), ("gzip", gzip.compress(QUERY)[:-6]), ("deflate", b"\x00\x01garbage"),
])
def test_a_body_that_is_not_what_its_encoding_says_is_refused_400(client, coding, body):
    r = _post(client, body, coding)
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert error["message"].startswith(
        f"the request body is not {coding} data, though content-encoding says it is: ")
    assert error["extensions"]["code"] == "BAD_REQUEST"


def test_a_body_that_inflates_past_the_limit_is_refused_413(client):
    # Under 4 KB of gzip that would inflate to 3 MB (deflate's ratio is at most ~1,000):
    # refused as it passes the limit, never inflated whole.
    bomb = gzip.compress(b" " * 3_000_000)
    assert len(bomb) < 4096
    r = _post(client, bomb, "gzip")
    assert r.status_code == 413
    [error] = r.json()["errors"]
    assert error["message"] == (
        "The request body is 4,097 bytes or more once decoded from gzip (limit "
        "maxBodyBytes = 4096, set by NEWSGRAPH_MAX_BODY_BYTES)")
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "maxBodyBytes",
                                   "max": 4096}
    assert _post(client, QUERY, None).json()["data"] == ANSWER  # the server still answers


# A transfer coding other than chunked (RFC 9112 7): uvicorn takes off the chunks and hands
# on the rest, so 'Transfer-Encoding: gzip, chunked' was "not UTF-8 (byte 0x8b ...)".
def test_a_gzip_transfer_coding_is_read_as_the_json_it_holds(client):
    r = _post(client, gzip.compress(QUERY), None, **{"transfer-encoding": "gzip, chunked"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == ANSWER


def test_a_transfer_coding_not_read_is_refused_501(client):
    r = _post(client, QUERY, None, **{"transfer-encoding": "br, chunked"})
    assert r.status_code == 501
    [error] = r.json()["errors"]
    assert error["message"] == (
        "the request body is sent with transfer-encoding 'br, chunked', which this server "
        "does not decode: send it as it is, or compressed with gzip or deflate")
