"""The explorer's live mode against a followed folder, in a real browser: stories that
arrived away from the drawing and are reached later, and the edges of a story whose
neighbourhood is too big for one page.

Same set-up as test_browser.py (Debian Chromium under Playwright, a real ``newsgraph serve``,
nothing leaves 127.0.0.1), whose fixtures and helpers this module shares.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request

import numpy as np
import pytest
from live_helpers import wait_for, write_whole

from tests import test_browser as shared
from tests.servers import running_server
from tests.test_browser import (
    ROOT,
    SEED_ID,
    TIANJIN_ID,
    _drawn,
    _open_explorer,
    _search_and_choose,
    _wait_idle,
)
from tests.test_browser_explore import ITIF_ID, _drawn_edges_between

pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium = shared.chromium
open_page = shared.open_page

SEED_TITLE = shared.SEED_TITLE
GAZETTE_URL = ("https://www.gazettetimes.com/news/state-and-regional/govt-and-politics/"
               "oregon-agency-defends-use-of-facial-recognition-tech-but-has-alternatives/"
               "article_90e9c9e0-ed33-5f35-aeb5-d46f0942887d.html")
AWAY = "Away from the drawing, not drawn: {} (drawn once the drawing reaches them)."
FARM_URL = ("https://democratherald.com/news/local/linn-county-farmers-brace-for-another-dry-"
            "summer-as-snowpack-lags/article_b71e0d44-2f6a-5c0b-9e3d-8a1c5f2d7e90.html")


def _story(url: str, title: str, related: list[str], topic: str) -> dict:
    return {"title": title, "webUrl": url, "publishedDateTime": "2026-11-30T09:00:00Z",
            "provider": {"name": "Live Example", "domain": "live.example"},
            "topics": [topic], "related": [{"title": "x", "webUrl": u} for u in related]}


def _has(page, node_id: str) -> bool:
    return page.evaluate("id => newsgraphExplorer.graph.hasNode(id)", node_id)


def _live_page(p, base: str, query: str):
    """Open the explorer at ``query`` (live mode), wait until its subscriptions are
    connected and it is idle; return the page."""
    page = p.page
    _open_explorer(p, base, query)
    page.wait_for_selector("body[data-live='connected']")
    _wait_idle(page)
    return page

def test_live_mode_draws_an_arrival_counted_away_once_the_drawing_reaches_it(
        open_page, tmp_path):
    # Two stories arrive while nothing is drawn: both counted away. Choosing the seed draws
    # the Gazette story, which the first lists: it touches the drawing now, and is drawn.
    # The second lists only a story about farmers (nothing of it drawn); a third story then
    # lists the seed and it: the second touches the drawing too, though it is 2 hops from
    # the seed and the page watches 1 hop (so the server does not push it again); and the
    # farmers' story, changed by the second's edge, touches the second. Before, none was
    # drawn.
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    near_gazette = "https://live.example/lists-the-gazette-story"
    near_farm = "https://live.example/lists-the-farm-story"
    joins = "https://live.example/lists-the-seed-and-the-second"
    with running_server(str(corpus)) as base:
        p = open_page(base)
        page = p.page
        _open_explorer(p, base, "?live=1")
        page.wait_for_selector("body[data-live='connected']")
        assert _drawn(page) == set()
        write_whole(corpus, "live/first.md", _story(
            near_gazette, "Counted away, then reached by a choice", [GAZETTE_URL], "Live One"))
        write_whole(corpus, "live/second.md", _story(
            near_farm, "Counted away, then reached by a change", [FARM_URL], "Live Two"))
        # Each story counted once, new or changed: the farmers' story changed (a new edge);
        # the Gazette story is a stub (never pushed). Before: "3 more arrived away".
        page.wait_for_function("t => (document.querySelector('#live-elsewhere') || {})"
                               ".textContent === t", arg=AWAY.format("2 new stories, 1 changed"),
                               timeout=30_000)
        assert _drawn(page) == set()

        _search_and_choose(page, "facial recognition scanners", SEED_TITLE)
        gazette = f"article:{GAZETTE_URL}"
        first, second = f"article:{near_gazette}", f"article:{near_farm}"
        assert gazette in _drawn(page)
        page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)", arg=first,
                               timeout=30_000)
        _wait_idle(page)
        assert _drawn_edges_between(page, first, gazette)
        assert page.evaluate("id => newsgraphExplorer.graph.getNodeAttribute(id, 'arrived')",
                             first) == "ADDED"
        page.wait_for_selector(f"#live-list li[data-id='{first}'][data-reason='ENTERED']")
        assert not _has(page, second)
        assert page.inner_text("#live-elsewhere") == AWAY.format("1 new story, 1 changed")

        write_whole(corpus, "live/third.md", _story(
            joins, "Lists the seed and the second", [SEED_ID.removeprefix("article:"),
                                                       near_farm], "Live Three"))
        third = f"article:{joins}"
        page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)", arg=second,
                               timeout=30_000)
        _wait_idle(page)
        assert _has(page, third)
        assert _drawn_edges_between(page, third, second)
        page.wait_for_selector(f"#live-list li[data-id='{second}'][data-reason='ENTERED']")
        farm = f"article:{FARM_URL}"
        page.wait_for_selector(f"#live-list li[data-id='{farm}'][data-reason='ENTERED']")
        assert _drawn_edges_between(page, second, farm)
        assert not page.query_selector("#live-elsewhere")
        page.screenshot(path=tmp_path / "live-reached.png")
        p.check_clean()


def test_live_mode_makes_a_big_storys_edges_those_of_the_new_version(open_page, tmp_path):
    # The ITIF story is listed by 510 other stories: its neighbourhood is past one
    # neighborhood(limit: 500) page. Its file edited to be tagged Computer Vision (drawn,
    # the seed's topic) instead of Biometrics (drawn, chosen): before, the page kept the
    # edge to Biometrics and never drew the one to Computer Vision (both past the first
    # page, which it did not page on from).
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    itif_url = ITIF_ID.removeprefix("article:")
    for i in range(510):
        write_whole(corpus, f"fans/fan-{i}.md", {
            "title": f"A story that lists the ITIF story, number {i}",
            "webUrl": f"https://fans.example/{i}",
            "provider": {"name": "Fans", "domain": "fans.example"},
            "related": [{"title": "ITIF", "webUrl": itif_url}]})
    with running_server(str(corpus)) as base:
        p = open_page(base)
        page = p.page
        _open_explorer(p, base, f"?node={SEED_ID}")
        _wait_idle(page)
        _search_and_choose(page, "Biometrics", "Biometrics")
        assert {ITIF_ID, "topic:biometrics", "topic:computer-vision"} <= _drawn(page)
        assert _drawn_edges_between(page, ITIF_ID, "topic:biometrics")
        assert not _drawn_edges_between(page, ITIF_ID, "topic:computer-vision")
        page.check("#live-toggle")
        page.wait_for_selector("body[data-live='connected']")

        itif_file = corpus / "biometricupdate" / "itif-former-dhs-exec-push-back.yaml"
        text = itif_file.read_text(encoding="utf-8")
        assert "  - Biometrics\n" in text
        staged = itif_file.with_name(f".{itif_file.name}.tmp")
        staged.write_text(text.replace("  - Biometrics\n", "  - Computer Vision\n"),
                          encoding="utf-8")
        os.replace(staged, itif_file)
        page.wait_for_selector(f"#live-list li[data-id='{ITIF_ID}'][data-reason='UPDATED']",
                               timeout=30_000)
        # The edges are redrawn after the story is listed: both, or the hang guard fails.
        page.wait_for_function("""([a, was, now]) => { const g = newsgraphExplorer.graph;
            return g.edges(a, now).length > 0 && g.edges(a, was).length === 0; }""",
                               arg=[ITIF_ID, "topic:biometrics", "topic:computer-vision"],
                               timeout=20_000)
        page.screenshot(path=tmp_path / "live-big-story.png")
        p.check_clean()


def test_live_mode_draws_a_story_that_touches_the_drawing_past_the_hops_drawn(
        open_page, tmp_path):
    # The page as it opens on the seed story: one hop drawn, "Draw" at 1 hop. A story that
    # lists one of the seed's related stories is 2 hops from the seed, and one that lists it
    # 3: both touch the drawing. Before, the page drew only stories within the Draw hops of
    # the chosen story (what its storyAdded subscription pushed), so neither came.
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    with running_server(str(corpus)) as base:
        p = open_page(base)
        page = _live_page(p, base, f"?node={SEED_ID}&live=1")
        gazette = f"article:{GAZETTE_URL}"
        assert gazette in _drawn(page)
        assert page.input_value("#depth") == "1"
        first_url, second_url = "https://live.example/two-hops", "https://live.example/three-hops"
        write_whole(corpus, "live/first.md", _story(
            first_url, "Lists one of the seed's related stories", [GAZETTE_URL], "Live One"))
        first = f"article:{first_url}"
        page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)", arg=first,
                               timeout=30_000)
        assert _drawn_edges_between(page, first, gazette)
        write_whole(corpus, "live/second.md", _story(
            second_url, "Lists the story that just arrived", [first_url], "Live Two"))
        second = f"article:{second_url}"
        page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)", arg=second,
                               timeout=30_000)
        _wait_idle(page)
        assert _drawn_edges_between(page, second, first)
        for story in (first, second):
            assert page.evaluate(
                "id => newsgraphExplorer.graph.getNodeAttribute(id, 'arrived')", story) == "ADDED"
            page.wait_for_selector(f"#live-list li[data-id='{story}'][data-reason='ADDED']")
        page.screenshot(path=tmp_path / "live-past-hops.png")
        p.check_clean()


def _analytics_ready(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/readyz", timeout=10) as r:
        return json.load(r)["analytics"]["status"] == "ready"


def test_live_mode_keeps_a_drawn_same_story_edge_when_the_story_changes(open_page, tmp_path):
    # The Gazette and Democrat-Herald stories are copies of one story: expanded by kind
    # SAME_STORY, the edge between them is drawn. A story dropped that lists the Gazette
    # story changes it: its edges are asked again with the walk's default kinds, which do
    # not hold SAME_STORY, and before, the page took the drawn SAME_STORY edge out.
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    with running_server(str(corpus)) as base:
        wait_for(lambda: _analytics_ready(base), "the analytics computed")
        p = open_page(base)
        page = _live_page(p, base, f"?node={SEED_ID}&live=1")
        gazette = f"article:{GAZETTE_URL}"
        herald = next(n for n in _drawn(page) if "democratherald.com" in n)
        page.evaluate("id => newsgraphExplorer.select(id)", gazette)
        page.wait_for_selector("#expand-kind")
        page.select_option("#expand-kind", "SAME_STORY")
        page.click("#expand-by-kind")
        page.wait_for_timeout(100)
        _wait_idle(page)
        same = page.evaluate("""([a, b]) => newsgraphExplorer.graph.edges().filter((e) =>
            newsgraphExplorer.graph.getEdgeAttribute(e, 'kind') === 'SAME_STORY'
            && [a, b].includes(newsgraphExplorer.graph.source(e))
            && [a, b].includes(newsgraphExplorer.graph.target(e)))""", [gazette, herald])
        assert len(same) == 1

        url = "https://live.example/lists-the-gazette-story"
        write_whole(corpus, "live/lists-gazette.md", _story(
            url, "Lists the Gazette story", [GAZETTE_URL], "Live One"))
        page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)", arg=f"article:{url}",
                               timeout=30_000)
        _wait_idle(page)
        page.wait_for_timeout(1000)  # the Gazette story's edges, asked again, are in
        _wait_idle(page)
        assert page.evaluate("e => newsgraphExplorer.graph.hasEdge(e)", same[0])
        p.check_clean()


def test_live_mode_draws_two_arrivals_next_to_one_story_apart(open_page, tmp_path):
    # Two stories dropped one after the other, each listing the Gazette story: each is
    # placed next to it. Before, both went to the same point (the first slot of the ring
    # around it; no layout runs after an arrival): one covered the other, label on label.
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    with running_server(str(corpus)) as base:
        p = open_page(base)
        page = _live_page(p, base, f"?node={SEED_ID}&live=1")
        stories = []
        for i in range(2):
            url = f"https://live.example/next-to-the-gazette-{i}"
            write_whole(corpus, f"live/next-{i}.md", _story(
                url, f"Next to the Gazette story, {i}", [GAZETTE_URL], "Live One"))
            stories.append(f"article:{url}")
            page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)",
                                   arg=stories[-1], timeout=30_000)
        _wait_idle(page)
        a, b = (page.evaluate("id => newsgraphExplorer.viewportOf(id)", s) for s in stories)
        assert abs(a["x"] - b["x"]) + abs(a["y"] - b["y"]) >= 10, (a, b)
        page.screenshot(path=tmp_path / "live-apart.png")
        p.check_clean()


def _positions(page) -> dict[str, tuple[float, float]]:
    return {n: (a["x"], a["y"]) for n, a in page.evaluate(
        "newsgraphExplorer.graph.mapNodes((n, a) => [n, { x: a.x, y: a.y }])")}


def _float32(positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    return {n: (float(np.float32(x)), float(np.float32(y))) for n, (x, y) in positions.items()}


def test_live_mode_lays_an_arrival_out_among_its_drawn_neighbours_and_moves_nothing_else(
        open_page, tmp_path):
    # An arrival was put on the ring around its first drawn neighbour, however far the
    # others it lists were: a story listing two stories at two ends of the drawing sat at one
    # end, its edge to the other across the whole drawing. Now it starts at the middle of its
    # drawn neighbours and a short ForceAtlas2 run moves it alone (the rest held still).
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    with running_server(str(corpus)) as base:
        p = open_page(base)
        page = _live_page(p, base, "?live=1")
        page.select_option("#depth", "2")
        page.evaluate("id => newsgraphExplorer.choose(id)", SEED_ID)
        _wait_idle(page)
        # Two drawn stories moved to two ends of the drawing, as a drag would.
        a, b = ITIF_ID, TIANJIN_ID
        page.evaluate("""([a, b]) => { const g = newsgraphExplorer.graph;
            g.mergeNodeAttributes(a, { x: -1000, y: 0 });
            g.mergeNodeAttributes(b, { x: 1000, y: 0 }); }""", [a, b])
        before = _positions(page)
        dist = lambda a, b: ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5  # noqa: E731
        ab = dist(before[a], before[b])
        url = "https://live.example/between-two-ends"
        write_whole(corpus, "live/between.md", _story(
            url, "A story listing two ends of the drawing", [a[8:], b[8:]], "Live One"))
        page.wait_for_function("id => newsgraphExplorer.graph.hasNode(id)",
                               arg=f"article:{url}", timeout=30_000)
        _wait_idle(page)
        after = _positions(page)
        arrival = after.pop(f"article:{url}")
        # Nothing drawn before has moved. ForceAtlas2's worker hands every position back as
        # a 32-bit float, the held ones too: where no layout step had landed before the
        # arrival (a loaded machine), a held position comes back rounded to 32 bits.
        assert _float32(after) == _float32({n: before[n] for n in after})
        assert dist(arrival, before[a]) < 0.75 * ab and dist(arrival, before[b]) < 0.75 * ab, (
            arrival, before[a], before[b])
        page.screenshot(path=tmp_path / "live-between.png")
        p.check_clean()

def test_live_mode_checks_at_most_its_cap_of_drawn_stories_a_version_and_the_rest_on_demand(
        open_page, tmp_path):
    # Back after a restart with the folder changed, the page asked again about every drawn
    # story, its fields and its edges: at 20k with a 2,000-node drawing, 157 requests over
    # 37 s, every click meanwhile waiting behind them. Now it checks the chosen story and the
    # nearest ones up to its cap (`checks`, 200 by default) and says how many it left,
    # each checked when clicked, or all with "Check them".
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    tianjin_file = corpus / "sixthtone" / "tianjin-bans-compulsory-facial-recognition.md"
    new_title = "Tianjin bans compulsory facial recognition, retold"
    with running_server(str(corpus)) as base:
        port = int(base.rpartition(":")[2])
        p = open_page(base)
        page = _live_page(p, base, "?live=1&checks=3")
        page.select_option("#depth", "2")
        page.evaluate("id => newsgraphExplorer.choose(id)", SEED_ID)
        _wait_idle(page)
        assert _has(page, TIANJIN_ID)
        assert page.evaluate("id => newsgraphExplorer.graph.getNodeAttribute(id, 'hops')",
                             TIANJIN_ID) == 2
        stories = [n for n in _drawn(page) if n.startswith("article:")]
        assert len(stories) > 6
    page.wait_for_selector("body[data-live^='disconnected']")
    text = tianjin_file.read_text(encoding="utf-8")
    old_title = next(line for line in text.splitlines() if line.startswith("title:"))
    tianjin_file.write_text(text.replace(old_title, f'title: "{new_title}"'), encoding="utf-8")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.post_data or "")
            if r.url.endswith("/graphql") else None)
    with running_server(str(corpus), port=port):
        page.wait_for_selector("#live-resynced", timeout=30_000)
        _wait_idle(page)
        # The chosen story and the two nearest were asked again; the rest, Tianjin among
        # them (two hops away), wait.
        assert sum(b.count("nodes(ids:") for b in asked) == 1
        assert sum(b.count("neighborhood(from:") for b in asked) == 3
        assert page.evaluate("id => newsgraphExplorer.graph.getNodeAttribute(id, 'label')",
                             TIANJIN_ID) != new_title
        assert page.inner_text("#live-unchecked").startswith(
            f"{len(stories) - 3} drawn stories not checked against version ")
        # A click on one checks it.
        page.evaluate("id => newsgraphExplorer.select(id)", TIANJIN_ID)
        page.wait_for_function(
            "([id, t]) => newsgraphExplorer.graph.getNodeAttribute(id, 'label') === t",
            arg=[TIANJIN_ID, new_title], timeout=10_000)
        page.wait_for_selector(f"#live-list li[data-id='{TIANJIN_ID}'][data-reason='UPDATED']")
        assert page.inner_text("#live-unchecked").startswith(f"{len(stories) - 4} drawn")
        page.click("#live-check")
        page.wait_for_selector("#live-unchecked", state="detached")
        _wait_idle(page)
        # Only what changed is listed.
        listed = page.eval_on_selector_all("#live-list li", "xs => xs.map(x => x.dataset.id)")
        assert listed == [TIANJIN_ID]
        p.errors = [e for e in p.errors if "ERR_CONNECTION_REFUSED" not in e]
        p.check_clean()


def test_live_mode_asks_at_most_its_cap_of_arrivals_a_version_and_counts_the_rest(
        open_page, tmp_path):
    # Every story of a version that was not drawn was asked whether it touches the drawing,
    # 20 a request, with no cap: a bulk ingest of thousands is hundreds of requests a version.
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "data", corpus)
    token = "browser-live-token"
    with running_server(str(corpus), env={**os.environ, "NEWSGRAPH_INGEST_TOKEN": token}) as base:
        p = open_page(base)
        page = _live_page(p, base, f"?node={SEED_ID}&live=1&checks=2")
        urls = [f"https://live.example/one-of-a-batch-{i}" for i in range(5)]
        body = json.dumps({"query": "mutation ($r: [JSON!]!) { ingest(records: $r) { status } }",
                           "variables": {"r": [_story(u, f"One of a batch, {i}", [GAZETTE_URL],
                                                      "Live One") for i, u in enumerate(urls)]}})
        request = urllib.request.Request(f"{base}/graphql", data=body.encode(), headers={
            "content-type": "application/json", "authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as r:
            answer = json.load(r)
        assert [x["status"] for x in answer["data"]["ingest"]] == ["CREATED"] * 5
        page.wait_for_selector("#live-elsewhere", timeout=30_000)
        _wait_idle(page)
        drawn = [u for u in urls if _has(page, f"article:{u}")]
        assert len(drawn) == 2
        assert page.inner_text("#live-elsewhere") == (
            "Not looked at: 3 new stories (more than 2 in one version).")
        p.check_clean()
