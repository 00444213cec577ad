"""The explorer on other writers' text: titles and names no space breaks, and a search
for what has no letter or digit (trial37).

A scraped title of 2,000 characters without a space, a 300-character topic or a 500-character
provider name ran off the side panel, the overview and the search list, past the window
(the panel scrolled sideways 24,782 px to show the title); searching for an emoji left the
previous search's stories listed as if they matched it, the server's refusal an uncaught
error in the page.
"""

from __future__ import annotations

import json

import pytest

from tests import test_browser as shared
from tests.servers import running_server
from tests.test_browser import _open_explorer, _wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium = shared.chromium
open_page = shared.open_page

LONG_TITLE = "A" * 2000
LONG_TOPIC = "T" * 300
LONG_PROVIDER = "P" * 500
STORY = "article:https://long.example/0"

# Elements wider than their box, sideways scrollers and boxes past the window's edge.
_OVERFLOWING = """sel => { const out = [];
  for (const e of document.querySelectorAll(sel + ', ' + sel + ' *')) {
    if (e.getClientRects().length === 0) continue;
    const r = e.getBoundingClientRect();
    if (r.right > window.innerWidth + 1)
      out.push(e.tagName + ' ' + e.className + ' ends at ' + r.right);
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
      out.push(e.tagName + '#' + e.id + ' scrolls ' + e.scrollWidth + ' in ' + e.clientWidth);
  } return out; }"""


@pytest.fixture(scope="module")
def long_server(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("long") / "corpus"
    corpus.mkdir()
    records = []
    for i in range(12):
        records.append({
            "title": (LONG_TITLE if i == 0 else "B" * 1500 + " elections" if i == 1
                      else f"Story {i} about elections"),
            "webUrl": f"https://long.example/{i}",
            "publishedDateTime": f"2024-0{1 + i % 9}-10T10:00:00Z",
            "provider": ({"name": LONG_PROVIDER, "domain": "long.example"} if i % 2 == 0
                         else {"name": "😀 Emoji Times", "domain": "emoji.example"}),
            "topics": [LONG_TOPIC, "Elections"],
            "related": [{"webUrl": f"https://long.example/{(i + 1) % 12}"}]})
    (corpus / "stories.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with running_server(str(corpus)) as base:
        yield base


def test_long_unbroken_titles_and_names_stay_inside_the_page(open_page, long_server):
    p = open_page(long_server)
    page = p.page
    _open_explorer(p, long_server)
    page.wait_for_selector("#overview-storylines ol.storylines")
    assert page.evaluate(_OVERFLOWING, "#overview") == []
    for text, kind in (("elections", "article"), ("TTTTTTTT", "topic"), ("PPPPPPPP", "provider")):
        page.fill("#search", text)
        page.wait_for_selector(f"#search-results li.result[data-kind='{kind}']")
        assert page.evaluate(_OVERFLOWING, "#search-results") == [], text
    _open_explorer(p, long_server, "?node=" + STORY)
    page.wait_for_selector("#details-title")
    _wait_idle(page)
    assert page.inner_text("#details-title") == LONG_TITLE  # all of it, wrapped
    assert page.evaluate(_OVERFLOWING, "#panel") == []
    p.check_clean()


def test_a_search_for_no_letter_or_digit_lists_names_and_no_stale_stories(open_page,
                                                                          long_server):
    p = open_page(long_server)
    page = p.page
    _open_explorer(p, long_server)
    page.fill("#search", "elections")
    page.wait_for_selector("#search-results li.group:has-text('Stories')")
    page.fill("#search", "😀")
    # The stories found for 'elections' are gone; the provider named with it is listed.
    page.wait_for_selector("#search-results li.result[data-kind='provider']")
    page.wait_for_timeout(500)
    assert page.locator("#search-results li.result[data-kind='article']").count() == 0
    assert "😀 Emoji Times" in page.inner_text("#search-results")
    assert "no letters or digits" in page.inner_text("#search-results")
    p.check_clean()


# `short` cut a text at a count of UTF-16 units: an emoji title in the search list (160)
# or a hovered label (60) ended in half an emoji, a lone surrogate drawn as a broken glyph;
# a family emoji, a flag or a letter with its accent could be cut inside too.
@pytest.mark.parametrize(("text", "n"), [
    ("🤖🔥📰 " * 30, 60), ("🤖🔥📰 " * 30, 160), ("👨‍👩‍👧 family " * 20, 40),
    ("🇺🇸🇫🇷" * 40, 41), ("e\u0301" * 80, 43), ("𠀀" * 90, 36),
])
def test_short_cuts_a_text_between_characters_as_seen(open_page, long_server, text, n):
    p = open_page(long_server)
    page = p.page
    _open_explorer(p, long_server)
    cut = page.evaluate("""async ([text, n]) => {
        const { short } = await import('/static/explore-dom.js');
        const out = short(text, n);
        const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
        const whole = [...seg.segment(text)].map((s) => s.segment);
        const kept = [...seg.segment(out.slice(0, -1))].map((s) => s.segment);
        return { out, length: out.length,
                 lone: /\\p{Cs}/u.test(out) || out.isWellFormed() === false,
                 prefix: kept.every((g, i) => g === whole[i]) };
    }""", [text, n])
    assert cut["out"].endswith("…")
    assert cut["length"] <= n
    assert not cut["lone"]
    assert cut["prefix"], cut["out"]


# '?hops=999' set the slider to its most, 4, and its label to '999'; '?hops=abc' moved the
# slider to its middle and labelled it 'abc': the highlight then walked what the slider,
# not the label, said.
@pytest.mark.parametrize(("given", "slider"), [
    ("999", "4"), ("0", "1"), ("abc", "2"), ("%3Cb%3Ex", "2"), ("2.5", "2"), ("3", "3"),
])
def test_the_hops_of_a_link_show_what_the_slider_holds(open_page, long_server, given, slider):
    p = open_page(long_server)
    page = p.page
    _open_explorer(p, long_server, "?hops=" + given)
    assert page.evaluate("""() => [document.querySelector('#hops').value,
        document.querySelector('#hops-value').textContent]""") == [slider, slider]
    p.check_clean()
