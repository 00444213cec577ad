"""How smoothly the explorer pans and zooms 5,000 drawn nodes, in headless Chromium.

``python -m bench.page_frames --corpus /tmp/wide`` writes the wide corpus there unless it
holds one (4,800 stories over 200 topics and 60 providers: 5,060 nodes, 19,177 edges, all
within 4 hops of Provider 0), serves it with ``newsgraph serve``, opens /explore in Debian's
Chromium (Playwright, from the test extra), draws the 4-hop neighbourhood of Provider 0 (three
pages of at most 2,000 nodes, as a user would), then runs one pan-and-zoom gesture (ten wheel
steps in, a 30-step drag, ten wheel steps out) under each configuration of the page's move
savings in turn, ``--rounds`` times interleaved so that the machine's load falls on all alike.
A frame is the time between two animation frames. Prints p50/p90/p99/max per configuration and
the target (p90 of two 60 Hz frames at most: 30 frames a second), met or not.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.noisy import start

# Animation frames come every 16.67 ms at 60 Hz, so frame times are whole numbers of frames
# (33.3 or 33.4 ms for two, as the clock rounds). A page drawing every other frame runs at 30
# frames a second: the target is a p90 of two frames at most.
FRAME_MS = 1000 / 60
TARGET_P90_FRAMES = 2

# What the page saves while the camera moves (newsgraphExplorer.setMoveSavings).
CONFIGURATIONS = {
    "before": {"hideLabels": False, "idleLayers": False},
    "idle layers": {"hideLabels": False, "idleLayers": True},
    "labels hidden": {"hideLabels": True, "idleLayers": False},
    "page (both)": {"hideLabels": True, "idleLayers": True},
}


def write_wide_corpus(folder: Path, articles: int = 900, topics: int = 120,
                      providers: int = 40) -> None:
    """Stories spread over topics and providers, each related to one other, as one JSONL file.

    The defaults give 1,060 nodes and about 3,600 edges; ``articles=4800, topics=200,
    providers=60`` gives 5,060 nodes, all within 4 hops of Provider 0.
    """
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


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _draw_provider_zero(page) -> None:
    """Draw Provider 0's 4-hop neighbourhood through the page's controls, every page of it."""
    def idle() -> None:
        page.wait_for_function("document.body.dataset.busy === '0'")
        page.evaluate("newsgraphExplorer.layoutDone.then(() => null)")
        page.wait_for_timeout(300)

    page.select_option("#depth", "4")
    page.fill("#search", "Provider 0")
    result = page.locator("#search-results li.result", has_text="Provider 0").first
    result.wait_for()
    result.click()
    page.wait_for_function(
        "(document.querySelector('#details-title') || {}).textContent === 'Provider 0'")
    idle()
    for _ in range(10):
        if not page.is_visible("#more"):
            break
        page.click("#more")
        page.wait_for_timeout(100)
        idle()


def frame_times(page, gesture) -> list[float]:
    """Milliseconds between animation frames while ``gesture`` runs (the first dropped)."""
    page.evaluate("""() => { window.__frames = []; window.__timing = true;
        let last = performance.now();
        const tick = (t) => { window.__frames.push(t - last); last = t;
                              if (window.__timing) requestAnimationFrame(tick); };
        requestAnimationFrame(tick); }""")
    gesture()
    page.wait_for_timeout(200)
    return page.evaluate("window.__timing = false; window.__frames")[1:]


def pan_and_zoom(page) -> None:
    """Ten wheel steps in, a 30-step drag, ten wheel steps out, from the drawing's centre."""
    box = page.locator("#graph").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
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


def _frames_of(ms: float) -> int:
    """How many 60 Hz frames ``ms`` is, the clock's rounding aside."""
    return round(ms / FRAME_MS)


def _summary(frames: list[float]) -> str:
    slow = sum(_frames_of(f) > TARGET_P90_FRAMES for f in frames)
    return (f"{len(frames):5} frames  p50 {_quantile(frames, 0.5):5.1f}  "
            f"p90 {_quantile(frames, 0.9):5.1f}  p99 {_quantile(frames, 0.99):6.1f}  "
            f"max {max(frames):6.1f} ms  slower than 30/s: {100 * slow / len(frames):4.1f}%")


def main(argv: Sequence[str] | None = None) -> int:
    """Draw 5,000 nodes, time pan-and-zoom frames under each configuration; print them."""
    p = argparse.ArgumentParser(prog="python -m bench.page_frames",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, required=True,
                   help="folder for the wide corpus (written unless it holds big.jsonl)")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromium-args", default="--disable-gpu",
                   help="Chromium's rendering flags (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=5, help="gestures per configuration")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not (args.corpus / "big.jsonl").exists():
        write_wide_corpus(args.corpus, articles=4800, topics=200, providers=60)
    flags = ["--no-sandbox", "--disable-quic", "--no-first-run", *shlex.split(args.chromium_args)]
    with start(args.corpus, "--no-watch", wait_analytics=True) as served, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=flags)
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.set_default_timeout(600_000)
        page.goto(f"http://127.0.0.1:{served.port}/explore")
        page.wait_for_selector("body[data-ready='1']")
        started = time.monotonic()
        _draw_provider_zero(page)
        drawn_s = time.monotonic() - started
        nodes, edges = page.evaluate("[newsgraphExplorer.graph.order,"
                                     " newsgraphExplorer.graph.size]")
        gl = page.evaluate("""() => {
            const gl = newsgraphExplorer.renderer.webGLContexts.nodes;
            const info = gl.getExtension('WEBGL_debug_renderer_info');
            return gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER); }""")
        frames: dict[str, list[float]] = {name: [] for name in CONFIGURATIONS}
        for _ in range(args.rounds):
            for name, savings in CONFIGURATIONS.items():
                page.evaluate("s => newsgraphExplorer.setMoveSavings(s)", savings)
                page.evaluate("newsgraphExplorer.renderer.getCamera()"
                              ".setState({x: .5, y: .5, ratio: 1})")
                page.wait_for_timeout(500)
                frames[name] += frame_times(page, lambda: pan_and_zoom(page))
        browser.close()
    print(f"Chromium {' '.join(flags[3:]) or '(no rendering flags)'}: WebGL by {gl}")
    print(f"drawn: {nodes:,} nodes, {edges:,} edges in {drawn_s:.0f} s; "
          f"{args.rounds} pan-and-zoom gestures per configuration, interleaved")
    for name, times in frames.items():
        print(f"  {name:14} {_summary(times)}")
    p90 = _quantile(frames["page (both)"], 0.9)
    met = _frames_of(p90) <= TARGET_P90_FRAMES
    print(f"target p90 <= {TARGET_P90_FRAMES} frames ({TARGET_P90_FRAMES * FRAME_MS:.1f} ms, "
          f"30 frames a second) as the page draws: {'met' if met else 'NOT met'} "
          f"(p90 {p90:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
