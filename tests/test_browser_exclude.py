"""The explorer's `exclude` (what is drawn already) on a drawing of long ids: it stays
under the server's request-body limit, a 413 is asked again with less, and an expansion
that adds nothing says so.

Found by trying the explorer on a corpus of long URLs: the list of every drawn id grew with
the drawing (300 stories of 290-character URLs: ~89 KB) and each click on a node was
refused with HTTP 413 ("The request body is ... bytes or more"), an error in the status
line, nothing expanded; an expansion that found nothing new left the line as it was.
"""

from __future__ import annotations

import json

import pytest

from tests import test_browser as shared
from tests.servers import running_server
from tests.test_browser import _click_node, _drawn, _open_explorer, _wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium = shared.chromium
open_page = shared.open_page

STORIES = 300
PATH = "x" * 260
HUB = "topic:hub"


def _story(i: int) -> str:
    return f"article:https://long.example/{i}/{PATH}"


@pytest.fixture(scope="module")
def long_ids_server(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("long-ids") / "corpus"
    corpus.mkdir()
    records = [{"title": f"Story {i}", "webUrl": f"https://long.example/{i}/{PATH}",
                "publishedDateTime": "2024-01-10T10:00:00Z",
                "provider": {"name": "Long Ids", "domain": "long.example"},
                "topics": ["Hub"]} for i in range(STORIES)]
    (corpus / "stories.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with running_server(str(corpus)) as base:
        yield base


def _expand(page, node_id: str) -> list[int]:
    """Click a drawn node; return the sizes of the neighborhood requests it sent."""
    sizes: list[int] = []

    def sent(request) -> None:
        body = request.post_data or ""
        if request.url.endswith("/graphql") and "neighborhood(" in body:
            sizes.append(len(body.encode()))

    page.on("request", sent)
    _click_node(page, node_id)
    page.remove_listener("request", sent)
    return sizes


def test_a_big_drawing_of_long_ids_expands_without_413_and_says_nothing_new(
        open_page, long_ids_server):
    p = open_page(long_ids_server)
    page = p.page
    _open_explorer(p, long_ids_server, f"?limit={STORIES + 10}&node={HUB}")
    page.wait_for_selector("#details-title")
    _wait_idle(page)
    assert len(_drawn(page)) == STORIES + 1  # the topic and its stories: ~89 KB of ids

    # The first story's neighbours: the topic (drawn) and the provider (new).
    sizes = _expand(page, _story(0))
    assert sizes and max(sizes) < 45_000, sizes
    assert "Error" not in page.inner_text("#status"), page.inner_text("#status")
    assert "provider:long.example" in _drawn(page)
    assert "nothing new" not in page.inner_text("#status")

    # The second's are both drawn: the status line says the click found nothing new.
    before = _drawn(page)
    sizes = _expand(page, _story(1))
    assert sizes and max(sizes) < 45_000, sizes
    assert _drawn(page) == before
    status = page.inner_text("#status")
    assert "Error" not in status and "nothing new" in status, status
    p.check_clean()


def test_a_413_is_asked_again_with_less_of_the_drawing(open_page, long_ids_server):
    # A server (or a proxy before it) taking smaller bodies than the page sends: each
    # click was an error; now the page asks again with the nearest half, then less.
    p = open_page(long_ids_server)
    page = p.page
    refused: list[int] = []

    def small_limit(route) -> None:
        body = route.request.post_data or ""
        if "neighborhood(" in body and len(body.encode()) > 8_000:
            refused.append(len(body.encode()))
            route.fulfill(status=413, content_type="application/json", body=json.dumps({
                "errors": [{"message": "The request body is too large (limit maxBodyBytes "
                                       "= 8000)",
                            "extensions": {"code": "LIMIT_EXCEEDED", "limit": "maxBodyBytes",
                                           "max": 8000}}]}))
        else:
            route.continue_()

    _open_explorer(p, long_ids_server, f"?limit={STORIES + 10}&node={HUB}")
    page.wait_for_selector("#details-title")
    _wait_idle(page)
    page.route("**/graphql", small_limit)
    sizes = _expand(page, _story(2))
    assert refused, "the test's limit refused nothing"
    assert sizes[-1] <= 8_000, sizes
    status = page.inner_text("#status")
    assert "Error" not in status, status
    assert "provider:long.example" in _drawn(page)
    p.check_clean()
