"""What the server makes of a big document (its parse, validation, plans, estimates) is
not kept for the next request (schema/admission.py ``kept``): kept, each big document
left tens of thousands of objects in the oldest generation, which every full collection
scans while it holds every request (after 300 distinct big documents, 600,000 objects
and ~400 ms of CPU a collection). Counted in objects, not timed."""

from __future__ import annotations

import gc

import pytest
from starlette.testclient import TestClient

import graph
from schema.admission import PACED_NAMES, kept, names_in
from schema.app import create_app
from schema.cache import parsed
from schema.settings import Settings

BIG = "{ " + "stats { edges nodes } " * 40 + "}"
SMALL = "{ stats { articles edges nodes } }"


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load("tests/fixtures/corpus")


def test_a_big_document_is_parsed_each_time_and_a_small_one_once():
    assert names_in(BIG) > PACED_NAMES and not kept(BIG)
    assert kept(SMALL)
    assert parsed(SMALL, 1000) is parsed(SMALL, 1000)
    assert parsed(BIG, 1000) is not parsed(BIG, 1000)


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_distinct_big_documents_leave_nothing_for_the_collector(kg):
    with TestClient(create_app(kg, Settings())) as client:
        def send(i: int) -> None:
            response = client.post("/graphql", json={"query": f"{BIG} # {i}"})
            assert response.status_code == 200 and "errors" not in response.json()

        for i in range(5):  # whatever one-time state the first requests make
            send(i)
        before = _tracked()
        for i in range(5, 45):
            send(i)
        grown = _tracked() - before
    # Kept, each of these documents left ~1,000 objects (40,000 and more in all).
    assert grown < 2_000, grown
