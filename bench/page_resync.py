"""What the explorer's live mode asks after a server restart, and how a click fares meanwhile.

``python -m bench.page_resync CORPUS --node topic:cloud-payments`` serves CORPUS (written
into: give it a copy) with ``newsgraph serve --cache DIR``, opens /explore in Debian's
Chromium (Playwright, from the test extra) with live mode on, draws the 2-hop neighbourhood
of ``--node`` (a hub: one page of up to 2,000 nodes), stops the server, adds one story to the
folder (so the version changes and the page checks its drawing against the new one),
starts it again on the same port and, once the page has reconnected, expands three drawn
stories one after the other (0.7 s apart), each timed from the call to drawn. Prints those
times, the requests the page sent from the reconnect until it is idle (count and bytes of
their bodies) and how long after the clicks it became idle.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from bench.noisy import NEWSGRAPH


def _free_port() -> int:
    # The restart needs the same port, so the server cannot be given port 0.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(corpus: Path, cache: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen([str(NEWSGRAPH), "serve", str(corpus), "--cache", str(cache),
                             "--port", str(port), "-q"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _ready(base: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
                if b'"status":"ready"' in r.read():
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base} not ready within {seconds} s")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


def main(argv: Sequence[str] | None = None) -> int:
    """Draw, restart the server with the folder changed, click; print what the page did."""
    p = argparse.ArgumentParser(prog="python -m bench.page_resync",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", type=Path, help="a folder of records the run may write into")
    p.add_argument("--node", required=True, help="the node drawn at 2 hops (a hub)")
    p.add_argument("--cache", type=Path, required=True, help="the server's snapshot folder")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(args.corpus, args.cache, port)
    sent: list[int] = []
    try:
        _ready(base)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.on("request", lambda r: sent.append(len(r.post_data or ""))
                    if r.url.endswith("/graphql") else None)
            idle = ("() => document.body.dataset.busy === '0'"
                    " && document.body.dataset.layout !== 'running'")
            page.goto(f"{base}/explore?live=1")
            page.wait_for_selector("body[data-ready='1']")
            page.select_option("#depth", "2")
            page.evaluate("id => newsgraphExplorer.choose(id)", args.node)
            page.wait_for_function(idle, timeout=300_000, polling=200)
            page.wait_for_selector("body[data-live='connected']")
            drawn = page.evaluate("newsgraphExplorer.graph.order")
            targets = page.evaluate("""() => newsgraphExplorer.graph.filterNodes((n, a) =>
                a.kind === 'article' && a.hops === 1 && !newsgraphExplorer.expanded.has(n))
                .slice(5, 8)""")
            _stop(server)
            page.wait_for_selector("body[data-live^='disconnected']", timeout=60_000)
            stamp = f"{time.time():.0f}"
            (args.corpus / f"page-resync-{stamp}.md").write_text(
                f"---\ntitle: Added while the server was down {stamp}\n"
                f"webUrl: https://page-resync.example/{stamp}\n"
                "provider:\n  name: Page Resync\n  domain: page-resync.example\n---\n",
                encoding="utf-8")
            server = _serve(args.corpus, args.cache, port)
            _ready(base)
            before = len(sent)
            page.wait_for_selector("body[data-live='connected']", timeout=120_000)
            page.wait_for_timeout(300)
            clicks = []
            for node in targets:
                clicks.append(page.evaluate("""async (id) => { const t = performance.now();
                    await newsgraphExplorer.expand(id); return performance.now() - t; }""", node))
                page.wait_for_timeout(700)
            began = time.monotonic()
            page.wait_for_function(idle, timeout=300_000, polling=200)
            after = sent[before:]
            print(f"{drawn} nodes drawn; clicks after the reconnect, call to drawn: "
                  + ", ".join(f"{ms:.0f}" for ms in clicks) + " ms; "
                  f"requests from the reconnect to idle: {len(after)}, {sum(after)} bytes; "
                  f"idle {time.monotonic() - began:.1f} s after the clicks; "
                  f"load {os.getloadavg()[0]:.1f}")
            unchecked = page.query_selector("#live-unchecked")
            if unchecked:
                print(unchecked.inner_text().removesuffix("Check them").strip())
            browser.close()
    finally:
        _stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
