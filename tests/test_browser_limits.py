"""The explorer against a server whose neighborhood `limit` is lower than the page's
(`--max-neighborhood 50`, a documented knob), and given a `?limit=` that is no limit.

Found by trying the explorer on such a server: every draw and expansion asked for 200 or
2,000 nodes and was refused ("limit must be 1 to 50, got 200"), the drawing empty, an
error in the status line; `?limit=2.5` or `?limit=-3` did the same on any server.
"""

from __future__ import annotations

import json

import pytest

from tests import test_browser as shared
from tests.servers import running_server
from tests.test_browser import _drawn, _open_explorer, _wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium = shared.chromium
open_page = shared.open_page

STORIES = 120
HUB = "topic:hub"


def _corpus(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("limits") / "corpus"
    corpus.mkdir()
    records = [{"title": f"Story {i}", "webUrl": f"https://limits.example/{i}",
                "publishedDateTime": "2024-01-10T10:00:00Z", "topics": ["Hub"]}
               for i in range(STORIES)]
    (corpus / "stories.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def low_limit_server(tmp_path_factory):
    with running_server(str(_corpus(tmp_path_factory)), "--max-neighborhood", "50") as base:
        yield base


def _status(page) -> str:
    return page.inner_text("#status")


def test_a_server_with_a_lower_neighborhood_limit_is_drawn_in_its_pages(
        open_page, low_limit_server):
    p = open_page(low_limit_server)
    page = p.page
    _open_explorer(p, low_limit_server, f"?node={HUB}")
    page.wait_for_selector("#details-title")
    _wait_idle(page)
    assert "Error" not in _status(page), _status(page)
    assert len(_drawn(page)) == 50  # the topic and 49 stories: the server's page
    assert _status(page).endswith("Draw more for the next 50.")
    while page.is_visible("#more"):
        page.click("#more")
        page.wait_for_timeout(100)
        _wait_idle(page)
        assert "Error" not in _status(page), _status(page)
    assert len(_drawn(page)) == STORIES + 1
    p.check_clean()


@pytest.mark.parametrize("written", ["2.5", "-3", "0", "abc", "1e9"])
def test_a_limit_in_the_link_that_is_no_limit_is_not_sent(open_page, low_limit_server,
                                                          written):
    p = open_page(low_limit_server)
    page = p.page
    _open_explorer(p, low_limit_server, f"?limit={written}&node={HUB}")
    page.wait_for_selector("#details-title")
    _wait_idle(page)
    assert "Error" not in _status(page), _status(page)
    assert len(_drawn(page)) > 1
    p.check_clean()
