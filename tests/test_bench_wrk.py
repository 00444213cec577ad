"""bench/wrk.py: wrk sends each body of its list in turn and counts the answers that failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import wrk
from tests.servers import stand_in

pytestmark = pytest.mark.skipif(not wrk.available(), reason="wrk is not installed")


@pytest.fixture
def echo() -> Iterator[tuple[int, list[bytes]]]:
    """A keep-alive HTTP/1.1 server on loopback recording each body it is sent; a body
    holding ``bad`` is answered with a GraphQL error, ``gone`` with a 404."""
    seen: list[bytes] = []

    def answer(body: bytes) -> tuple[int, bytes]:
        seen.append(body)
        return (404 if b"gone" in body else 200,
                b'{"errors": [{"message": "no"}]}' if b"bad" in body else b'{"data": {}}')

    with stand_in(answer, keep_alive=True) as port:
        yield port, seen


def test_wrk_sends_every_body_in_turn_and_counts_failed_answers(echo) -> None:
    port, seen = echo
    bodies = [b'{"n": 1}', b'{"n": 2, "bad": 1}', b'{"n": 3}', b'{"n": 4, "gone": 1}']
    out = wrk.distinct(port, "/graphql", bodies, 1, 2)
    assert out["client"] == "wrk" and out["requests"] > 8 and out["rps"] > 0
    # Every answered request reached the server; one a connection may be left in flight.
    assert len(seen) - 2 <= out["requests"] <= len(seen)
    assert set(seen) == set(bodies)
    # Each body in turn: the second and fourth of every four failed, one way or the other.
    failed = sum(b"bad" in body or b"gone" in body for body in seen)
    assert failed - 2 <= out["errors"] <= failed and out["errors"] >= out["requests"] // 2 - 2
    assert out["client_cpu_s"] > 0 and out["p50_ms"] > 0


def test_wrk_refuses_bodies_it_could_not_send(echo) -> None:
    port, seen = echo
    with pytest.raises(ValueError, match="newline"):
        wrk.distinct(port, "/graphql", [b'{"a":\n1}'], 1, 1)
    with pytest.raises(ValueError, match="no body to send"):  # it would send empty requests
        wrk.distinct(port, "/graphql", [], 1, 1)
    assert seen == []
