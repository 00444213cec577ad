"""The playground and the explorer in a real browser: headless Chromium driven by Playwright,
against a real ``newsgraph serve`` on the bundled data.

Chromium is Debian's (/usr/bin/chromium) and the page assets come from ``npm ci``; the
session fixture installs either when it is missing and it can (as root, or with npm on
PATH), and otherwise skips, except in CI (``CI`` set), where it fails. Every request that
leaves 127.0.0.1 is aborted and fails the test: the pages must work offline.

Each test saves a screenshot under its ``tmp_path``. With ``NEWSGRAPH_UPDATE_SCREENSHOTS=1``
the explorer test also writes the README's docs/explorer.png.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import graph
from graph.paths import k_shortest_paths
from schema import browser as pages
from tests.servers import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SEED = ("https://www.sixthtone.com/news/1009712/"
        "chinese-school-faces-backlash-over-use-of-facial-recognition-scanners")
SEED_ID = f"article:{SEED}"
SEED_TITLE = "Chinese School Faces Backlash Over Use of Facial Recognition Scanners"
TIANJIN_ID = ("article:https://www.sixthtone.com/news/1008147/"
              "tianjin-bans-compulsory-facial-recognition-in-property-management")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


def _ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        _unavailable(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)


def _ensure_assets() -> None:
    if not pages.missing_assets(pages.PLAYGROUND_ASSETS + pages.EXPLORER_ASSETS):
        return
    if pages.NODE_MODULES_ENV in os.environ or shutil.which("npm") is None:
        _unavailable(f"the page assets are missing: run `{pages.INSTALL_COMMAND}`")
    subprocess.run(["npm", "ci", "--prefix", str(pages.STATIC), "--no-audit", "--no-fund"],
                   check=True, stdout=subprocess.DEVNULL, timeout=900)


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian Chromium under Playwright, installed first when missing.

    Module-scoped: Playwright's sync API runs an event loop in the main thread until it
    stops, and a test after it that runs one of its own (asyncio.run) would fail."""
    sync_api = pytest.importorskip("playwright.sync_api")
    _ensure_chromium()
    _ensure_assets()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def serve(*args: str) -> Iterator[str]:
    """Run `newsgraph serve ARGS` on a free port until ready; yield its base URL; stop it."""
    with running_server(*args) as base:
        yield base


@pytest.fixture(scope="module")
def server():
    """`newsgraph serve` with no PATH: the bundled data."""
    yield from serve()


@pytest.fixture(scope="module")
def kg():
    return graph.load()


class Page:
    """A fresh browser context on one page; requests off 127.0.0.1 are aborted and recorded."""

    def __init__(self, chromium, base: str, width: int = 1400, height: int = 860):
        self.context = chromium.new_context(viewport={"width": width, "height": height})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = base

    def _only_local(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def check_clean(self) -> None:
        assert self.outside == [], f"the page reached outside 127.0.0.1: {self.outside}"
        assert self.errors == [], f"errors in the page: {self.errors}"


@pytest.fixture
def open_page(chromium):
    opened: list[Page] = []

    def _open(base: str, **size: int) -> Page:
        p = Page(chromium, base, **size)
        opened.append(p)
        return p

    yield _open
    for p in opened:
        p.context.close()


# -- the playground ---------------------------------------------------------------------


def test_the_playground_renders_offline_and_runs_the_example_query(server, kg, open_page,
                                                                  tmp_path):
    p = open_page(server)
    page = p.page
    response = page.goto(f"{server}/graphql")
    assert response is not None and response.headers["x-newsgraph-assets"] == "local"
    page.wait_for_selector(".graphiql-container .graphiql-execute-button")
    tabs = page.locator(".graphiql-tab").all_inner_texts()
    assert [t.strip() for t in tabs] == ["FacialRecognitionWithinTwoHops", "Neighborhood"]

    # The docs panel is open on the schema: the manual is the descriptions.
    page.locator(".graphiql-doc-explorer-content a.graphiql-doc-explorer-type-name",
                 has_text="Query").first.click()
    page.wait_for_selector(".graphiql-doc-explorer-title:text-is('Query')")
    docs = page.inner_text(".graphiql-doc-explorer-content")
    assert "The root of every newsgraph query." in docs
    assert "The question newsgraph exists for" in docs

    page.click(".graphiql-execute-button")
    page.wait_for_function("""() => {
        const cm = document.querySelector('.result-window .CodeMirror');
        return cm && cm.CodeMirror.getValue().includes('totalCount');
    }""")
    result = json.loads(page.evaluate(
        "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"))
    within = result["data"]["article"]["within"]
    got = [(f"article:{e['node']['url']}", e["hops"]) for e in within["edges"]]
    assert got == kg.within(SEED, hops=2, mentions="facial recognition")
    assert within["totalCount"] == len(got) == 11
    shown = page.inner_text(".result-window")  # what is on screen, not just in the editor
    assert SEED_TITLE in shown and '"totalCount": 11' in shown.replace("\xa0", " ")
    page.screenshot(path=tmp_path / "playground.png")
    p.check_clean()


# -- the explorer -----------------------------------------------------------------------


def _wait_idle(page) -> None:
    page.wait_for_function("document.body.dataset.busy === '0'")


def _node_point(page, node_id: str) -> tuple[float, float]:
    """Where on the page a drawn node is, to click it with the mouse."""
    box = page.locator("#cy").bounding_box()
    pos = page.evaluate("id => newsgraphExplorer.cy.getElementById(id).renderedPosition()",
                        node_id)
    return box["x"] + pos["x"], box["y"] + pos["y"]


def _click_node(page, node_id: str, *, shift: bool = False) -> None:
    x, y = _node_point(page, node_id)
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(x, y)
    if shift:
        page.keyboard.up("Shift")
    page.wait_for_timeout(100)
    _wait_idle(page)


def _drawn(page) -> set[str]:
    return set(page.evaluate("newsgraphExplorer.cy.nodes().map(n => n.id())"))


def _search_and_choose(page, text: str, title: str) -> None:
    page.fill("#search", text)
    result = page.locator("#search-results li.result", has_text=title).first
    result.wait_for()
    result.click()
    page.wait_for_function(
        "t => (document.querySelector('#details-title') || {}).textContent === t", arg=title)
    _wait_idle(page)


def test_the_explorer_searches_expands_and_highlights_what_within_returns(
        server, kg, open_page, tmp_path):
    p = open_page(server)
    page = p.page
    page.goto(f"{server}/explore")
    page.wait_for_selector("body[data-ready='1']")

    _search_and_choose(page, "facial recognition scanners", SEED_TITLE)
    drawn = _drawn(page)
    assert SEED_ID in drawn
    assert drawn == {SEED_ID, *kg.nx.predecessors(SEED_ID), *kg.nx.successors(SEED_ID)}
    details = page.inner_text("#details")
    assert "Sixth Tone" in details and "2022-02-21" in details
    assert "Computer Vision" in details and "AI" in details
    assert page.get_attribute("#details-link", "href") == SEED

    # Click a drawn neighbour to expand it: its own neighbours are drawn, nothing twice.
    before = drawn
    with page.expect_response(lambda r: r.url.endswith("/graphql") and r.request.post_data
                              and "neighborhood(" in r.request.post_data) as answer:
        _click_node(page, "topic:computer-vision")
    asked = answer.value.request.post_data_json["variables"]
    assert asked["from"] == ["topic:computer-vision"]
    assert set(asked["exclude"]) == before - {"topic:computer-vision"}
    got = {n["node"]["id"] for n in answer.value.json()["data"]["neighborhood"]["nodes"]}
    assert got & before <= {"topic:computer-vision"}  # nothing drawn comes again
    drawn = _drawn(page)
    assert drawn == before | got
    assert {*kg.nx.predecessors("topic:computer-vision")} <= drawn
    assert len(drawn) > len(before)
    assert page.evaluate("newsgraphExplorer.cy.nodes().length") == len(drawn)
    classes = page.evaluate(
        "newsgraphExplorer.cy.getElementById('topic:computer-vision').classes()")
    assert "expanded" in classes

    # Back on the seed, the facial-recognition stories within two hops are one click away.
    _click_node(page, SEED_ID)
    assert page.input_value("#mentions") == "facial recognition"
    assert page.input_value("#hops") == "2"
    page.click("#highlight")
    page.wait_for_selector("#filter-summary")
    _wait_idle(page)

    expected = kg.within(SEED, hops=2, mentions="facial recognition")
    listed = page.eval_on_selector_all(
        "#hits li", "items => items.map(li => [li.dataset.id, Number(li.dataset.hops)])")
    assert [tuple(x) for x in listed] == expected
    hit = page.evaluate("newsgraphExplorer.cy.nodes('.hit').map(n => n.id())")
    assert sorted(hit) == sorted(node for node, _ in expected)
    assert page.inner_text("#filter-summary").startswith(f"{len(expected)} stories within 2 hops")
    page.mouse.move(1, 1)  # no hover underline in the picture
    page.screenshot(path=tmp_path / "explorer.png")
    if os.environ.get("NEWSGRAPH_UPDATE_SCREENSHOTS"):
        page.screenshot(path=ROOT / "docs" / "explorer.png")

    # The hops slider changes the answer: one hop is what within(hops=1) returns.
    page.fill("#hops", "1")
    page.click("#highlight")
    page.wait_for_selector("#filter-summary:text-matches('within 1 hop ')")
    _wait_idle(page)
    listed = page.eval_on_selector_all("#hits li", "items => items.map(li => li.dataset.id)")
    assert listed == [n for n, _ in kg.within(SEED, hops=1, mentions="facial recognition")]
    p.check_clean()


def test_the_explorer_shows_a_path_between_two_chosen_nodes_with_its_evidence(
        server, kg, open_page, tmp_path):
    p = open_page(server)
    page = p.page
    page.goto(f"{server}/explore")
    page.wait_for_selector("body[data-ready='1']")
    _search_and_choose(page, "Tianjin", "Tianjin Bans Compulsory Facial Recognition in "
                                         "Property Management")
    _search_and_choose(page, "facial recognition scanners", SEED_TITLE)

    _click_node(page, TIANJIN_ID, shift=True)
    page.wait_for_selector("#path-results .path")
    _wait_idle(page)
    assert page.evaluate("newsgraphExplorer.selection") == [SEED_ID, TIANJIN_ID]

    expected = k_shortest_paths(kg, SEED_ID, TIANJIN_ID, k=3, max_hops=4)
    shown = page.locator("#path-results .path")
    assert shown.count() == len(expected) >= 1
    for i, path in enumerate(expected):
        box = shown.nth(i)
        assert box.locator(".head").inner_text() == f"Path {i + 1}: {path.length} hops"
        steps = box.locator("li.step")
        assert steps.count() == path.length
        for j, edge in enumerate(path.edges):
            text = steps.nth(j).inner_text()
            assert edge.kind in text
            # each step names the record it rests on, as folder/file:line
            assert edge.evidence and all(
                "/".join(Path(r).parts[-2:]) in text for r in edge.evidence), text
        why = box.locator("li.link-why").all_inner_texts()
        assert why == [link.text for link in path.links]
    on_path = page.evaluate("newsgraphExplorer.cy.nodes('.onpath').map(n => n.id())")
    assert set(on_path) == {n for path in expected for n in path.nodes}
    page.screenshot(path=tmp_path / "paths.png")
    p.check_clean()


# -- a thousand drawn nodes -------------------------------------------------------------


def _write_big_corpus(folder: Path, articles: int = 900, topics: int = 120,
                      providers: int = 40) -> None:
    """900 stories over 120 topics and 40 providers: 1,060 nodes, about 3,600 edges."""
    rng = random.Random(7)
    rows = []
    for i in range(articles):
        p = i % providers
        j = rng.randrange(articles)
        rows.append({
            "title": f"Story {i} on topic {i % topics}",
            "webUrl": f"https://p{p}.example/story-{i}",
            "provider": {"name": f"Provider {p}", "domain": f"p{p}.example"},
            "topics": sorted({f"Topic {i % topics}", f"Topic {rng.randrange(topics)}"}),
            "publishedDateTime": f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00Z",
            "related": [{"title": f"Story {j} on topic {j % topics}",
                         "webUrl": f"https://p{j % providers}.example/story-{j}"}],
        })
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "big.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                      encoding="utf-8")


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big-corpus")
    _write_big_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def big_server(big_corpus):
    yield from serve(str(big_corpus))


def _frame_times(page, gesture) -> list[float]:
    """Milliseconds between animation frames while ``gesture`` runs, sorted."""
    page.evaluate("""() => { window.__frames = []; window.__timing = true;
        let last = performance.now();
        const tick = (t) => { window.__frames.push(t - last); last = t;
                              if (window.__timing) requestAnimationFrame(tick); };
        requestAnimationFrame(tick); }""")
    gesture()
    page.wait_for_timeout(200)
    return sorted(page.evaluate("window.__timing = false; window.__frames")[1:])


def test_the_explorer_draws_a_thousand_nodes_and_pans_and_zooms_without_stutter(
        big_server, open_page, tmp_path):
    p = open_page(big_server)
    page = p.page
    page.goto(f"{big_server}/explore")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#depth", "4")
    started = time.monotonic()
    _search_and_choose(page, "Provider 0", "Provider 0")
    draw_seconds = time.monotonic() - started
    drawn = len(_drawn(page))
    assert drawn >= 1000

    box = page.locator("#cy").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def pan_and_zoom() -> None:
        page.mouse.move(cx, cy)
        for _ in range(10):
            page.mouse.wheel(0, -60)
            page.wait_for_timeout(30)
        page.mouse.down()
        for i in range(30):
            page.mouse.move(cx + i * 8, cy + i * 3)
            page.wait_for_timeout(16)
        page.mouse.up()
        for _ in range(10):
            page.mouse.wheel(0, 60)
            page.wait_for_timeout(30)

    frames = _frame_times(page, pan_and_zoom)
    assert len(frames) > 10, "the page drew no frames while panning and zooming"
    # Timings are reported, not asserted: this machine is shared and noisy. 60 frames a
    # second is 16.7 ms; with every edge drawn on each frame p90 was 67 ms here, with edges
    # hidden during the gesture 17 ms (docs/browser.md).
    figures = {"nodes": drawn, "draw_seconds": round(draw_seconds, 2), "frames": len(frames),
               "frame_ms_median": frames[len(frames) // 2],
               "frame_ms_p90": frames[int(len(frames) * 0.9)]}

    # A click on one node among a thousand expands it promptly.
    target = page.evaluate("""() => newsgraphExplorer.cy.nodes()
        .filter(n => !newsgraphExplorer.expanded.has(n.id())).first().id()""")
    page.evaluate("""id => { const cy = newsgraphExplorer.cy, node = cy.getElementById(id);
        cy.zoom(1); cy.center(node); }""", target)  # return nothing: cy does not serialize
    started = time.monotonic()
    _click_node(page, target)
    assert page.evaluate("newsgraphExplorer.selection") == [target]
    figures["click_seconds"] = round(time.monotonic() - started, 2)
    (tmp_path / "thousand.json").write_text(json.dumps(figures, indent=2))
    print(f"1,000-node explorer figures: {figures}")
    page.screenshot(path=tmp_path / "thousand.png")
    p.check_clean()


def test_draw_more_pages_through_a_cut_walk_until_the_whole_neighborhood_is_drawn(
        big_server, big_corpus, open_page, tmp_path):
    p = open_page(big_server)
    page = p.page
    page.goto(f"{big_server}/explore?limit=300")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#depth", "4")
    _search_and_choose(page, "Provider 0", "Provider 0")
    assert len(_drawn(page)) == 300
    pages = 1
    while page.is_visible("#more"):
        before = _drawn(page)
        page.click("#more")
        page.wait_for_timeout(100)
        _wait_idle(page)
        added = _drawn(page) - before
        assert 0 < len(added) <= 300
        pages += 1
        assert pages < 10
    whole = graph.load(big_corpus).neighborhood("provider:p0.example", hops=4)
    assert _drawn(page) == set(whole.nodes)
    assert pages == -(-len(whole.nodes) // 300)
    drawn_edges = set(page.evaluate("newsgraphExplorer.cy.edges().map(e => e.id())"))
    assert drawn_edges == {e.id for e in whole.edges}
    page.screenshot(path=tmp_path / "paged.png")
    p.check_clean()
