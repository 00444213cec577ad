"""The explorer click by click as a person uses it: a hub cut short, a search still on its
way, a slow or restarting server, and the labels of highlighted stories.

Same set-up as test_browser.py (Debian Chromium under Playwright, a real ``newsgraph serve``,
nothing leaves 127.0.0.1), whose fixtures and helpers this module shares. A slow or
unreachable server is played by Playwright's routing of the page's /graphql requests.
"""

from __future__ import annotations

import json
import time

import pytest

from tests import test_browser as shared
from tests.test_browser import (
    SEED_ID,
    SEED_TITLE,
    _api,
    _click_node,
    _drawn,
    _open_explorer,
    _overlapping,
    _search_and_choose,
    _wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium = shared.chromium
open_page = shared.open_page
server = shared.server
big_corpus = shared.big_corpus
big_server = shared.big_server


def _delay(page, needle: str, ms: int) -> None:
    """Hold the page's /graphql requests whose body holds `needle` for `ms` before sending."""
    page.evaluate("""([needle, ms]) => {
        const own = window.__ownFetch = window.__ownFetch || window.fetch;
        window.fetch = async (url, init) => {
          if (init && String(init.body).includes(needle)) {
            await new Promise((r) => setTimeout(r, ms)); }
          return own(url, init); }; }""", [needle, ms])


def _degree(base: str, node_id: str) -> int:
    data = _api(base, "query ($id: ID!) { neighborhood(from: [$id], hops: 0) "
                      "{ nodes { node { id } degree } } }", {"id": node_id})
    return data["neighborhood"]["nodes"][0]["degree"]


def test_a_hub_cut_short_says_how_much_of_it_is_drawn_until_draw_more_draws_the_rest(
        big_server, open_page, tmp_path):
    # Choosing a topic with thousands of stories drew its first 200 and said nothing of the
    # rest: the status line's "more remain" was written over as soon as the drawn stories'
    # facets came, and the details' button read "Expanded".
    p = open_page(big_server)
    page = p.page
    _open_explorer(p, big_server, "?limit=8")
    _search_and_choose(page, "Provider 1", "Provider 1")
    hub = "provider:p1.example"
    total = _degree(big_server, hub)
    assert total > 14
    page.wait_for_timeout(500)  # the facets of the drawn stories, asked after the draw
    assert page.inner_text("#status").endswith(
        f"“Provider 1”: 7 of its {total} edges drawn; Draw more for the next 8.")
    assert page.is_visible("#more")
    assert page.inner_text("#expand-selected") == "Expand"
    page.click("#more")
    page.wait_for_timeout(100)
    _wait_idle(page)
    assert "“Provider 1”: 15 of its" in page.inner_text("#status")
    while page.is_visible("#more"):
        page.click("#more")
        page.wait_for_timeout(100)
        _wait_idle(page)
    assert "Draw more" not in page.inner_text("#status")
    assert page.evaluate("id => newsgraphExplorer.graph.degree(id)", hub) == total
    # A walk of more than one hop has no total to give: it says where it stopped.
    page.click("#clear")
    page.select_option("#depth", "2")
    page.evaluate("id => newsgraphExplorer.choose(id)", hub)
    _wait_idle(page)
    page.wait_for_timeout(300)
    assert page.inner_text("#status").endswith(
        "8 nodes drawn around “Provider 1” (pages of 8): more remain; "
        "Draw more for the next 8.")
    page.screenshot(path=tmp_path / "hub.png")
    p.check_clean()


def test_a_search_answered_after_a_result_was_chosen_does_not_open_the_list_again(
        server, open_page, tmp_path):
    p = open_page(server)
    page = p.page
    _open_explorer(p, server)
    page.fill("#search", "facial recognition scanners")
    page.locator("#search-results li.result", has_text=SEED_TITLE).first.wait_for()
    _delay(page, "search(text:", 1000)
    page.type("#search", " s")  # the person types on: a search goes out, slow to answer
    page.wait_for_timeout(200)
    page.locator("#search-results li.result", has_text=SEED_TITLE).first.click()
    page.wait_for_function("t => (document.querySelector('#details-title') || {})"
                           ".textContent === t", arg=SEED_TITLE)
    page.wait_for_timeout(1500)  # the slow search answers meanwhile
    _wait_idle(page)
    assert page.is_hidden("#search-results")
    p.check_clean()


def test_a_slow_server_is_shown_waiting_and_a_restarting_one_is_asked_again(
        server, open_page, tmp_path):
    # A click on a slow server showed nothing until its answer; one on a server restarting
    # failed at once with "Error: Failed to fetch", and nothing was drawn until clicked again.
    p = open_page(server)
    page = p.page
    _open_explorer(p, server, f"?node={SEED_ID}")
    _wait_idle(page)
    assert page.is_hidden("#server-status")
    _delay(page, "neighborhood(", 2500)
    page.evaluate("id => { newsgraphExplorer.expand(id); }", "topic:computer-vision")
    page.wait_for_selector("#server-status:text-matches('Waiting for the server')",
                           timeout=2000)
    _wait_idle(page)
    assert page.is_hidden("#server-status")
    page.evaluate("() => { window.fetch = window.__ownFetch || window.fetch; }")

    # Down, then loading its graph, then up: the click's question goes through by itself.
    down_until = time.monotonic() + 2.0
    loading = {"left": 2}

    def restarting(route):
        if time.monotonic() < down_until:
            route.abort("connectionrefused")
        elif loading["left"]:
            loading["left"] -= 1
            route.fulfill(status=200, content_type="application/json", body=json.dumps({
                "errors": [{"message": "the graph is still loading (build): ask again when "
                            "/readyz says ready", "extensions": {
                                "code": "NOT_READY", "status": "loading", "phase": "build"}}]}))
        else:
            route.continue_()

    page.route("**/graphql", restarting)
    before = _drawn(page)
    page.evaluate("id => { newsgraphExplorer.expand(id); }", "topic:ai")
    page.wait_for_selector("#server-status:text-matches('not answering')", timeout=2000)
    page.wait_for_selector("#server-status:text-matches('loading its graph')", timeout=10_000)
    _wait_idle(page)
    assert page.is_hidden("#server-status")
    assert len(_drawn(page)) > len(before)
    assert "Error" not in page.inner_text("#status")
    page.unroute("**/graphql")
    p.errors = [e for e in p.errors if "ERR_CONNECTION_REFUSED" not in e]
    p.check_clean()


def _hover_labels(page) -> list[dict]:
    """The labels sigma writes on its layer of highlighted nodes, as boxes, in one frame."""
    return page.evaluate("""() => { const r = newsgraphExplorer.renderer;
        const ctx = r.getCanvases().hovers.getContext('2d');
        const out = []; const own = ctx.fillText;
        ctx.fillText = function (text, x, y) {
          const h = parseFloat(ctx.font.match(/(\\d+(?:\\.\\d+)?)px/)[1]);
          out.push({ text, x, y: y - h, w: ctx.measureText(text).width, h });
          return own.call(ctx, text, x, y); };
        r.refresh();
        return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
          ctx.fillText = own; done(out); }))); }""")


def test_the_labels_of_highlighted_stories_never_overlap(server, open_page, tmp_path):
    # The facial-recognition highlight two hops from the seed: its hits' labels (drawn by
    # sigma on the layer of highlighted nodes, which the label check did not cover) were
    # written over one another.
    p = open_page(server)
    page = p.page
    _open_explorer(p, server, f"?node={SEED_ID}&mentions=facial%20recognition&hops=2")
    _wait_idle(page)
    page.click("#highlight")
    page.wait_for_selector("#filter-summary")
    _wait_idle(page)
    labels = _hover_labels(page)
    assert len(labels) >= 5
    assert _overlapping(labels) == []
    assert any(b["text"].startswith(SEED_TITLE[:30]) for b in labels)  # the chosen one first
    page.screenshot(path=tmp_path / "highlight.png")
    # Hovering a node shows its label whatever else is drawn there.
    _click_node(page, "topic:computer-vision")
    assert any(b["text"] == "Computer Vision" for b in _hover_labels(page))
    p.check_clean()



def test_the_search_results_are_chosen_with_the_arrow_keys_and_enter(big_server, open_page):
    # The results are a listbox of options, yet only the mouse could pick one: the arrow
    # keys did nothing and Enter always drew the first.
    p = open_page(big_server)
    page = p.page
    _open_explorer(p, big_server)
    page.fill("#search", "Provider 1")
    page.locator("#search-results li.result[data-kind='provider']").first.wait_for()
    options = page.eval_on_selector_all("#search-results li.result",
                                        "xs => xs.map(x => x.dataset.id)")
    assert len(options) >= 3
    page.press("#search", "ArrowDown")
    page.press("#search", "ArrowDown")
    page.press("#search", "ArrowDown")
    page.press("#search", "ArrowUp")
    active = page.locator("#search-results li.result[aria-selected='true']")
    assert active.count() == 1 and active.get_attribute("data-id") == options[1]
    assert page.get_attribute("#search", "aria-activedescendant") == active.get_attribute("id")
    page.press("#search", "Enter")
    page.wait_for_function("id => newsgraphExplorer.chosen === id", arg=options[1])
    _wait_idle(page)
    assert page.is_hidden("#search-results")
    # Escape closes the list and keeps what was typed.
    page.fill("#search", "Provider 2")
    page.locator("#search-results li.result").first.wait_for()
    page.press("#search", "Escape")
    assert page.is_hidden("#search-results")
    assert page.input_value("#search") == "Provider 2"
    p.check_clean()
