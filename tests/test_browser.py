"""The playground and the explorer in a real browser: headless Chromium driven by Playwright,
against a real ``newsgraph serve`` on the bundled data.

Chromium is Debian's (/usr/bin/chromium) and the page assets come from ``npm ci``; the
session fixture installs either when it is missing and it can (as root, or with npm on
PATH), and otherwise skips, except in CI (``CI`` set), where it fails. Every request that
leaves 127.0.0.1 is aborted and fails the test: the pages must work offline.

Each test saves a screenshot under its ``tmp_path``. With ``NEWSGRAPH_UPDATE_SCREENSHOTS=1``
the explorer tests also write docs/explorer-overview.png and docs/explorer.png (a 2-hop drawing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from servers import unavailable

import graph
from bench.page_frames import frame_times, pan_and_zoom, write_wide_corpus
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
    unavailable("browser tests", reason)


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

    Module-scoped: Playwright's sync API keeps an event loop running on this thread while it is
    open, and the tests after this module call asyncio.run()."""
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


def _api(base: str, query: str, variables: dict | None = None) -> dict:
    """What the server's own /graphql answers: the page must show the same."""
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        body = json.loads(r.read())
    assert "errors" not in body, body
    return body["data"]


# -- the playground ---------------------------------------------------------------------


def _run_first_tab(page) -> dict:
    page.wait_for_selector(".graphiql-container .graphiql-execute-button")
    page.click(".graphiql-execute-button")
    page.wait_for_function("""() => {
        const cm = document.querySelector('.result-window .CodeMirror');
        return cm && cm.CodeMirror.getValue().includes('"data"');
    }""")
    return json.loads(page.evaluate(
        "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"))


def _variables(page) -> dict:
    return json.loads(page.evaluate(
        "document.querySelectorAll('.graphiql-editor .CodeMirror')[1].CodeMirror.getValue()"))


def test_the_playground_starts_from_the_served_data_with_its_load_report(server, kg, open_page,
                                                                        tmp_path):
    p = open_page(server)
    page = p.page
    response = page.goto(f"{server}/graphql")
    assert response is not None and response.headers["x-newsgraph-assets"] == "local"
    page.wait_for_selector(".graphiql-container .graphiql-execute-button")
    tabs = page.locator(".graphiql-tab").all_inner_texts()
    assert [t.strip() for t in tabs] == ["WithinTwoHops", "Neighborhood"]
    report = kg.report
    assert page.inner_text("#load-counts").startswith(
        f"Serving {report.records} records from {report.files} files: {report.articles} stories")
    assert page.is_visible("#load-clean")  # the bundled data loads without errors

    # The docs panel is open on the schema: the manual is the descriptions.
    page.locator(".graphiql-doc-explorer-content a.graphiql-doc-explorer-type-name",
                 has_text="Query").first.click()
    page.wait_for_selector(".graphiql-doc-explorer-title:text-is('Query')")
    docs = page.inner_text(".graphiql-doc-explorer-content")
    assert "The root of every newsgraph query." in docs

    # The example is the newest story served and its first topic, not a pinned sample.
    newest = _api(server, "{ articles(first: 1, where: {isStub: false}) "
                          "{ edges { node { url title topics { name } } } } }")
    story = newest["articles"]["edges"][0]["node"]
    variables = _variables(page)
    assert variables == {"url": story["url"], "phrase": story["topics"][0]["name"].lower()}
    result = _run_first_tab(page)
    within = result["data"]["article"]["within"]
    got = [(f"article:{e['node']['url']}", e["hops"]) for e in within["edges"]]
    assert got == kg.within(story["url"], hops=2, mentions=variables["phrase"])
    assert result["data"]["article"]["title"] == story["title"]
    page.screenshot(path=tmp_path / "playground.png")
    p.check_clean()


def test_on_another_corpus_the_playground_answers_and_shows_the_load_errors(
        tmp_path_factory, open_page, tmp_path):
    folder = tmp_path_factory.mktemp("other-corpus")
    write_wide_corpus(folder, articles=30, topics=5, providers=3)
    (folder / "broken.jsonl").write_text('{"title": "no url"}\nnot json\n', encoding="utf-8")
    for base in serve(str(folder)):
        p = open_page(base)
        page = p.page
        page.goto(f"{base}/graphql")
        page.wait_for_selector("#load-errors")
        report = _api(base, "{ loadReport { errors { path line reason } } }")["loadReport"]
        errors = report["errors"]
        assert errors
        assert page.inner_text("#load-errors summary").startswith(f"{len(errors)} load error")
        page.click("#load-errors summary")
        listed = page.locator("#load-errors li").all_inner_texts()
        assert any(errors[0]["reason"] in item and "broken.jsonl" in item for item in listed)
        result = _run_first_tab(page)
        article = result["data"]["article"]
        assert article is not None and article["within"]["totalCount"] >= 1
        assert "sixthtone" not in json.dumps(_variables(page))
        p.check_clean()


# -- the explorer -----------------------------------------------------------------------


def _wait_idle(page) -> None:
    page.wait_for_function("document.body.dataset.busy === '0'")
    page.evaluate("newsgraphExplorer.layoutDone.then(() => null)")
    page.wait_for_timeout(300)  # the camera's 200 ms move after a layout


def _open_explorer(p: Page, base: str, query: str = "") -> None:
    p.page.goto(f"{base}/explore{query}")
    p.page.wait_for_selector("body[data-ready='1']")


def _node_point(page, node_id: str) -> tuple[float, float]:
    """Where on the page a drawn node is, to click it with the mouse."""
    box = page.locator("#graph").bounding_box()
    pos = page.evaluate("id => newsgraphExplorer.viewportOf(id)", node_id)
    return box["x"] + pos["x"], box["y"] + pos["y"]


def _click_node(page, node_id: str, *, shift: bool = False) -> None:
    page.evaluate("""id => { const r = newsgraphExplorer.renderer;
        const d = r.getNodeDisplayData(id);
        r.getCamera().setState({ x: d.x, y: d.y, ratio: 0.05 }); r.refresh(); }""", node_id)
    page.wait_for_timeout(50)
    x, y = _node_point(page, node_id)
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(x, y)
    if shift:
        page.keyboard.up("Shift")
    page.wait_for_timeout(100)
    _wait_idle(page)


def _drawn(page) -> set[str]:
    return set(page.evaluate("newsgraphExplorer.graph.nodes()"))


def _search_and_choose(page, text: str, title: str) -> None:
    page.fill("#search", text)  # no Enter: the results come as one types
    result = page.locator("#search-results li.result", has_text=title).first
    result.wait_for()
    result.click()
    page.wait_for_function(
        "t => (document.querySelector('#details-title') || {}).textContent === t", arg=title)
    _wait_idle(page)


def _overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


def test_the_explorer_opens_on_an_overview_of_the_served_corpus(big_server, open_page, tmp_path):
    p = open_page(big_server)
    page = p.page
    _open_explorer(p, big_server)
    page.wait_for_selector("body[data-overview='1']")
    assert page.is_visible("#overview")
    # The drawing's legend is not laid over the overview (at 1280x800 it hid the timeline's
    # first label): it shows with the drawing it describes.
    assert not page.is_visible("#legend")
    assert page.input_value("#mentions") == ""  # nothing pre-filled from the sample data
    truth = _api(big_server, """{ loadReport { records }
        storylines(first: 8) { totalCount edges { node { id central { id } } } }
        centralArticles(first: 10) { edges { node { id } } }
        timeline(interval: MONTH) { buckets { label count } } }""")
    records = truth["loadReport"]["records"]
    assert page.inner_text("#overview-counts").startswith(f"{records} records")
    lines = page.eval_on_selector_all("#overview-storylines li",
                                      "items => items.map(li => li.dataset.storyline)")
    assert lines == [e["node"]["id"] for e in truth["storylines"]["edges"]]
    central = page.eval_on_selector_all("#overview-central button.story",
                                        "bs => bs.map(b => b.dataset.id)")
    assert central == [e["node"]["id"] for e in truth["centralArticles"]["edges"]]
    bars = page.eval_on_selector_all(
        "#timeline-svg rect", "rs => rs.map(r => [r.dataset.label, Number(r.dataset.count)])")
    buckets = truth["timeline"]["buckets"]
    assert [tuple(b) for b in bars] == [(b["label"], b["count"]) for b in buckets]
    page.screenshot(path=tmp_path / "overview.png")
    if os.environ.get("NEWSGRAPH_UPDATE_SCREENSHOTS"):
        page.screenshot(path=ROOT / "docs" / "explorer-overview.png")

    # One click on a storyline's central story draws its neighbourhood.
    first = truth["storylines"]["edges"][0]["node"]["central"]["id"]
    page.click(f"#overview-storylines button.story[data-id='{first}']")
    page.wait_for_selector("#details-title")
    _wait_idle(page)
    assert not page.is_visible("#overview")
    assert page.is_visible("#legend")
    assert first in _drawn(page) and len(_drawn(page)) > 1
    assert page.evaluate("newsgraphExplorer.chosen") == first
    p.check_clean()


def test_the_overview_says_computing_while_the_server_computes_and_asks_again(
        server, open_page):
    """A field computed after the load answers NOT_READY (null and an error) until done."""
    p = open_page(server)
    page = p.page
    refused: list[str] = []

    def not_ready_three_times(route) -> None:
        if "storylines(" in (route.request.post_data or "") and len(refused) < 3:
            refused.append(route.request.post_data)
            route.fulfill(status=200, content_type="application/json", body=json.dumps({
                "data": {"storylines": None},
                "errors": [{"message": "storylines are not ready yet", "path": ["storylines"],
                            "extensions": {"code": "NOT_READY", "status": "computing"}}]}))
        else:
            route.continue_()

    page.route("**/graphql", not_ready_three_times)
    _open_explorer(p, server)
    page.wait_for_selector("#overview-storylines .computing:text-is('computing storylines…')")
    page.wait_for_selector("#overview-central li")  # the rest of the overview does not wait
    page.wait_for_selector("#overview-storylines li[data-storyline]")
    assert len(refused) == 3
    truth = _api(server, "{ storylines(first: 8) { edges { node { id } } } }")
    shown = page.eval_on_selector_all("#overview-storylines li",
                                      "items => items.map(li => li.dataset.storyline)")
    assert shown == [e["node"]["id"] for e in truth["storylines"]["edges"]]
    p.check_clean()


def test_the_explorer_searches_expands_and_highlights_from_the_chosen_story(
        server, kg, open_page, tmp_path):
    p = open_page(server)
    page = p.page
    _open_explorer(p, server)

    _search_and_choose(page, "facial recognition scanners", SEED_TITLE)
    drawn = _drawn(page)
    assert drawn == {SEED_ID, *kg.nx.predecessors(SEED_ID), *kg.nx.successors(SEED_ID)}
    details = page.inner_text("#details")
    assert "Sixth Tone" in details and "2022-02-21" in details
    assert "Computer Vision" in details and "AI" in details
    assert page.get_attribute("#details-link", "href") == SEED
    sources = page.locator("#details-sources li").all_inner_texts()
    assert sources and all(s.endswith(tuple(f":{n}" for n in range(1, 10000))) for s in sources)

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
    assert page.evaluate("newsgraphExplorer.selection") == ["topic:computer-vision"]

    # The highlight counts from the story chosen by search, not from the node clicked last.
    assert page.inner_text("#highlight-from").startswith(SEED_TITLE[:40])
    assert page.input_value("#mentions") == ""
    page.fill("#mentions", "facial recognition")
    page.click("#highlight")
    page.wait_for_selector("#filter-summary")
    _wait_idle(page)
    expected = kg.within(SEED, hops=2, mentions="facial recognition")
    listed = page.eval_on_selector_all(
        "#hits li", "items => items.map(li => [li.dataset.id, Number(li.dataset.hops)])")
    assert [tuple(x) for x in listed] == expected
    hit = page.evaluate("newsgraphExplorer.highlighted")
    assert sorted(hit) == sorted(node for node, _ in expected)
    assert page.inner_text("#filter-summary").startswith(f"{len(expected)} stories within 2 hops")

    # The hops slider changes the answer: one hop is what within(hops=1) returns.
    page.fill("#hops", "1")
    page.click("#highlight")
    page.wait_for_selector("#filter-summary:text-matches('within 1 hop ')")
    _wait_idle(page)
    listed = page.eval_on_selector_all("#hits li", "items => items.map(li => li.dataset.id)")
    assert listed == [n for n, _ in kg.within(SEED, hops=1, mentions="facial recognition")]
    p.check_clean()


def test_a_two_hop_drawing_keeps_its_labels_apart(server, kg, open_page, tmp_path):
    p = open_page(server)
    page = p.page
    _open_explorer(p, server)
    page.select_option("#depth", "2")
    _search_and_choose(page, "facial recognition scanners", SEED_TITLE)
    assert _drawn(page) == set(kg.neighborhood(SEED_ID, hops=2).nodes)
    page.evaluate("newsgraphExplorer.renderer.getCamera().setState({x: .5, y: .5, ratio: 1})")
    page.wait_for_timeout(300)
    boxes = page.evaluate("newsgraphExplorer.labelBoxes()")
    assert len(boxes) >= 5 and _overlapping(boxes) == []
    page.mouse.move(1, 1)
    page.screenshot(path=tmp_path / "explorer.png")
    if os.environ.get("NEWSGRAPH_UPDATE_SCREENSHOTS"):
        page.screenshot(path=ROOT / "docs" / "explorer.png")
    p.check_clean()


def test_the_drawing_keeps_its_nodes_and_labels_clear_of_the_legend(server, open_page, tmp_path):
    # The seed story as a new user opens it: its Computer Vision topic was drawn at the
    # bottom edge, under the legend, its label hidden by "size: degree · click: expand".
    p = open_page(server)
    page = p.page
    _open_explorer(p, server, f"?node={SEED_ID}")
    _wait_idle(page)
    graph_box = page.locator("#graph").bounding_box()
    legend_box = page.locator("#legend").bounding_box()
    legend = {"x": legend_box["x"] - graph_box["x"], "y": legend_box["y"] - graph_box["y"],
              "w": legend_box["width"], "h": legend_box["height"]}
    points = page.evaluate("newsgraphExplorer.graph.nodes().map(id => "
                           "({text: id, ...newsgraphExplorer.viewportOf(id)}))")
    nodes = [{"text": n["text"], "x": n["x"] - 6, "y": n["y"] - 8, "w": 12, "h": 16}
             for n in points]
    labels = page.evaluate("newsgraphExplorer.labelBoxes()")
    assert len(nodes) >= 5 and labels
    under = [a for a, _ in _overlapping([*nodes, *labels, {**legend, "text": "legend"}])
             if _ == "legend"]
    page.screenshot(path=tmp_path / "legend.png")
    assert under == []
    p.check_clean()


def test_the_explorer_shows_a_path_between_two_chosen_nodes_with_its_evidence(
        server, kg, open_page, tmp_path):
    p = open_page(server)
    page = p.page
    _open_explorer(p, server)
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
    on_path = page.evaluate("newsgraphExplorer.marked")
    assert set(on_path) == {n for path in expected for n in path.nodes}
    page.screenshot(path=tmp_path / "paths.png")
    p.check_clean()


def _display(page, node_id: str) -> dict:
    return page.evaluate("""id => { const d = newsgraphExplorer.renderer.getNodeDisplayData(id);
        return { hidden: !!d.hidden, color: d.color, x: d.x, y: d.y }; }""", node_id)


def test_the_explorer_controls_hide_pin_remove_filter_colour_expand_and_download(
        big_server, big_corpus, open_page, tmp_path):
    kg = graph.load(big_corpus)
    p = open_page(big_server)
    page = p.page
    _open_explorer(p, big_server)
    _search_and_choose(page, "Provider 1", "Provider 1")
    story = "article:https://p1.example/story-1"
    assert story in _drawn(page)
    _click_node(page, story)  # expands it and shows its details
    page.wait_for_selector("#details-title:text-is('Story 1 on topic 1')")

    # Expand by edge kind: only TAGGED edges, so only topics come.
    other = "article:https://p2.example/story-2"
    page.evaluate("id => newsgraphExplorer.choose(id)", other)
    _wait_idle(page)
    before = _drawn(page)
    page.evaluate("id => newsgraphExplorer.expanded.delete(id)", other)
    page.select_option("#expand-kind", "TAGGED")
    page.click("#expand-by-kind")
    page.wait_for_timeout(100)
    _wait_idle(page)
    added = _drawn(page) - before
    tagged = {t for t in kg.nx.successors(other) if t.startswith("topic:")}
    assert added == tagged - before and all(n.startswith("topic:") for n in added)

    # Hide, pin, remove.
    page.click("#hide-selected")
    assert _display(page, other)["hidden"] is True
    page.click("#show-hidden")
    assert _display(page, other)["hidden"] is False
    page.click("#pin-selected")
    assert page.evaluate("id => newsgraphExplorer.graph.getNodeAttribute(id, 'fixed')", other)
    where = page.evaluate("id => newsgraphExplorer.graph.getNodeAttributes(id)", other)
    page.click("#relayout")
    _wait_idle(page)
    after = page.evaluate("id => newsgraphExplorer.graph.getNodeAttributes(id)", other)
    assert (after["x"], after["y"]) == (where["x"], where["y"])
    moved = page.evaluate("newsgraphExplorer.graph.filterNodes((n, a) => !a.fixed).length")
    assert moved > 0
    page.click("#remove-selected")
    assert other not in _drawn(page)
    page.wait_for_selector("#details-removed")

    # Filter by node kind.
    page.uncheck("#kind-filter input[value='topic']")
    topics = [n for n in _drawn(page) if n.startswith("topic:")]
    assert topics and all(_display(page, t)["hidden"] for t in topics)
    assert not _display(page, story)["hidden"]
    page.check("#kind-filter input[value='topic']")
    assert not any(_display(page, t)["hidden"] for t in topics)

    # Colour by provider: a provider's stories share its colour; another provider's differ.
    page.select_option("#colour-by", "provider")
    page.wait_for_selector("#legend-groups .swatch[data-group]")
    _wait_idle(page)
    articles = [n for n in _drawn(page) if n.startswith("article:")]
    by_provider: dict[str, set[str]] = {}
    for a in articles:
        by_provider.setdefault(kg.nx.nodes[a]["provider"] if "provider" in kg.nx.nodes[a]
                               else a.split("/")[2], set()).add(_display(page, a)["color"])
    assert all(len(colours) == 1 for colours in by_provider.values())
    assert len({c for colours in by_provider.values() for c in colours}) > 1

    # Colour by storyline: the stories of one storyline share a colour.
    page.select_option("#colour-by", "storyline")
    page.wait_for_selector("#legend-groups .swatch[data-group^='storyline:']")
    _wait_idle(page)
    lines = _api(big_server, "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Article "
                             "{ storyline { id } } } }", {"ids": articles[:100]})["nodes"]
    by_line: dict[str, set[str]] = {}
    for n in lines:
        if n["storyline"]:
            by_line.setdefault(n["storyline"]["id"], set()).add(_display(page, n["id"])["color"])
    assert by_line and all(len(colours) == 1 for colours in by_line.values())

    # Downloads: JSON of what is drawn, GEXF, and a PNG of the drawing.
    with page.expect_download() as dl:
        page.click("#download-json")
    drawn_json = json.loads(Path(dl.value.path()).read_text())
    assert {n["id"] for n in drawn_json["nodes"]} == _drawn(page)
    assert {e["id"] for e in drawn_json["edges"]} == set(
        page.evaluate("newsgraphExplorer.graph.edges()"))
    with page.expect_download() as dl:
        page.click("#download-gexf")
    gexf = Path(dl.value.path()).read_text()
    assert "<gexf" in gexf and story.replace("&", "&amp;") in gexf
    with page.expect_download() as dl:
        page.click("#download-png")
    png = Path(dl.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    inked = page.evaluate("""() => new Promise((resolve) => {
        const img = new Image();
        img.onload = () => {
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 2] < 200) n++;
            resolve(n);
        };
        img.src = newsgraphExplorer.drawnPNG();
    })""")
    assert inked > 500, "the PNG holds no drawing"
    page.screenshot(path=tmp_path / "controls.png")
    p.check_clean()


# -- five thousand drawn nodes ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big-corpus")
    write_wide_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def big_server(big_corpus):
    yield from serve(str(big_corpus))


@pytest.fixture(scope="module")
def huge_server(tmp_path_factory):
    """4,800 stories over 200 topics and 60 providers: 5,060 nodes, all within 4 hops of one."""
    folder = tmp_path_factory.mktemp("huge-corpus")
    write_wide_corpus(folder, articles=4800, topics=200, providers=60)
    yield from serve(str(folder))


def test_the_explorer_draws_five_thousand_nodes_pans_zooms_and_keeps_labels_apart(
        huge_server, open_page, tmp_path):
    p = open_page(huge_server)
    page = p.page
    _open_explorer(p, huge_server)
    page.select_option("#depth", "4")
    started = time.monotonic()
    _search_and_choose(page, "Provider 0", "Provider 0")
    for _ in range(5):
        if not page.is_visible("#more"):
            break
        page.click("#more")
        page.wait_for_timeout(100)
        _wait_idle(page)
        assert not page.is_visible("#status.error"), page.inner_text("#status")
    draw_seconds = time.monotonic() - started
    drawn = len(_drawn(page))
    assert drawn >= 5000

    frames = sorted(frame_times(page, lambda: pan_and_zoom(page)))
    assert len(frames) > 10, "the page drew no frames while panning and zooming"
    # Timings are reported, not asserted: this machine is shared and noisy (docs/browser.md).
    figures = {"nodes": drawn, "edges": page.evaluate("newsgraphExplorer.graph.size"),
               "draw_seconds": round(draw_seconds, 2), "frames": len(frames),
               "frame_ms_median": round(frames[len(frames) // 2], 1),
               "frame_ms_p90": round(frames[int(len(frames) * 0.9)], 1)}

    # While the camera moves only the nodes are drawn, and only their layer shows (each shown
    # layer costs a software-composited browser a blend of the whole area every frame); the
    # frame after the move draws edges and labels again, and shows their layers.
    def layers_shown() -> set[str]:
        return set(page.evaluate("""() => Object.entries(newsgraphExplorer.renderer.getCanvases())
            .filter(([, c]) => getComputedStyle(c).visibility !== 'hidden').map(([id]) => id)"""))

    page.evaluate("""() => { newsgraphExplorer.renderer.getCamera().animate(
        {x: .45, y: .45, ratio: .6}, {duration: 1500}); }""")  # not awaited: still moving
    page.wait_for_timeout(300)
    assert layers_shown() == {"nodes", "mouse"}
    assert page.evaluate("newsgraphExplorer.labelBoxes()") == []
    page.wait_for_function("!newsgraphExplorer.renderer.getCamera().isAnimated()")
    page.wait_for_timeout(300)
    assert layers_shown() == {"nodes", "mouse", "edges", "labels", "hovers", "hoverNodes"}
    assert page.evaluate("newsgraphExplorer.labelBoxes()")

    # At every zoom the labels drawn are few enough never to overlap.
    for ratio in (1.0, 0.3, 0.08):
        page.evaluate(
            "r => newsgraphExplorer.renderer.getCamera().setState({x: .5, y: .5, ratio: r})", ratio)
        page.wait_for_timeout(300)
        boxes = page.evaluate("newsgraphExplorer.labelBoxes()")
        assert boxes, f"no label drawn at ratio {ratio}"
        assert _overlapping(boxes) == [], f"labels overlap at ratio {ratio}"
        figures[f"labels_at_ratio_{ratio}"] = len(boxes)

    # A click on one node among thousands expands it promptly.
    # The node not yet expanded farthest from any other (among the first 200): at
    # thousands of nodes another may lie under the first one's very point, and the click
    # then rightly selects that one (seen once in CI).
    target = page.evaluate("""() => {
        const e = newsgraphExplorer, r = e.renderer;
        const all = e.graph.nodes().map(n => r.getNodeDisplayData(n));
        let best = null, far = -1;
        for (const n of e.graph.filterNodes(n => !e.expanded.has(n)).slice(0, 200)) {
            const d = r.getNodeDisplayData(n);
            let near = Infinity;
            for (const o of all) {
                if (o !== d) near = Math.min(near, Math.hypot(o.x - d.x, o.y - d.y));
            }
            if (near > far) { far = near; best = n; }
        }
        return best; }""")
    assert target is not None
    started = time.monotonic()
    _click_node(page, target)
    assert page.evaluate("newsgraphExplorer.selection") == [target]
    figures["click_seconds"] = round(time.monotonic() - started, 2)
    (tmp_path / "five-thousand.json").write_text(json.dumps(figures, indent=2))
    print(f"5,000-node explorer figures: {figures}")
    page.screenshot(path=tmp_path / "five-thousand.png")
    p.check_clean()


def test_draw_more_pages_through_a_cut_walk_until_the_whole_neighborhood_is_drawn(
        big_server, big_corpus, open_page, tmp_path):
    p = open_page(big_server)
    page = p.page
    _open_explorer(p, big_server, "?limit=300")
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
    drawn_edges = set(page.evaluate("newsgraphExplorer.graph.edges()"))
    assert drawn_edges == {e.id for e in whole.edges}
    page.screenshot(path=tmp_path / "paged.png")
    p.check_clean()


# -- links to a node: any spelling the API takes ----------------------------------------------

@pytest.mark.parametrize("spelling", [
    SEED,                                                          # the story's URL alone
    "article:" + SEED.replace("https://www.sixthtone.com", "http://WWW.SixthTone.com")
    + "/?utm_source=feed",
    "provider:www.sixthtone.com",                                  # a www. form
])
def test_a_link_to_any_spelling_of_a_node_draws_the_node(open_page, server, spelling):
    # node(id:) takes these spellings; the explorer's `?node=` drew nothing and stopped,
    # "no node ...", with no overview: an old link (a provider id before its host's spelling
    # changed, 'provider:::1') or a URL pasted in led nowhere.
    canonical = "provider:sixthtone.com" if spelling.startswith("provider:") else SEED_ID
    p = open_page(server)
    _open_explorer(p, server, "?node=" + quote(spelling, safe=""))
    _wait_idle(p.page)
    assert canonical in _drawn(p.page)
    assert p.page.evaluate("newsgraphExplorer.chosen") == canonical
    p.check_clean()


@pytest.mark.parametrize(("ref", "says"), [
    ("nonsense", "malformed id 'nonsense'"),
    ("article:https://nowhere.example/story", "not in this corpus"),
    ("topic:!!!", "cannot be a topic"),
])
def test_a_link_to_no_node_says_so_and_shows_the_overview(open_page, server, ref, says):
    p = open_page(server)
    _open_explorer(p, server, "?node=" + quote(ref, safe=""))
    p.page.wait_for_selector("body[data-overview='1']")
    assert says in p.page.text_content("#status")
    assert p.page.is_visible("#overview")
    p.check_clean()
