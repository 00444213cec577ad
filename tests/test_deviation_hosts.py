"""A host holding one of IDNA's four deviation characters is the host a browser opens.

Found by trial32's confusable URLs: Python's ``idna`` codec (IDNA 2003) maps ``ß`` to
``ss``, final ``ς`` to ``σ`` and deletes the joiners, so ``https://faß.de/x`` was the
article ``https://fass.de/x`` and its provider ``fass.de``, while every current browser
(the URL standard: UTS 46, non-transitional) opens ``xn--fa-hia.de``, another domain,
another owner (DENIC registers ß domains since 2010): one publisher's record could take
another's story, as a duplicate of it.
"""

from __future__ import annotations

import pytest

import graph
from graph.normalize import canonical_url, provider_key
from tests.conftest import record, write_record


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://faß.de/x", "https://xn--fa-hia.de/x"),
    ("https://FASS.de/x", "https://fass.de/x"),
    ("https://βόλος.com/x", "https://xn--nxasmm1c.com/x"),  # final sigma kept
    ("https://βόλοσ.com/x", "https://xn--nxasmq6b.com/x"),
    ("https://ΒΌΛΟΣ.com/x", "https://xn--nxasmq6b.com/x"),  # capitals: σ
    ("https://straße.bücher.example/x", "https://xn--strae-oqa.xn--bcher-kva.example/x"),
    ("https://faß．de/x", "https://xn--fa-hia.de/x"),  # a full-width dot is a dot
    ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),  # unchanged
])
def test_a_deviation_character_keeps_its_host_apart(url, canonical):
    assert canonical_url(url) == canonical


def test_a_joiner_where_no_script_needs_one_is_no_host():
    # A browser refuses it (the URL standard checks joiners); IDNA 2003 dropped it, and
    # the URL was another site's.
    with pytest.raises(graph.InvalidURLError, match="not a valid host name"):
        canonical_url("https://valid\u200d.example/x")


def test_two_publishers_apart_by_a_sharp_s_are_two_articles(tmp_path):
    write_record(tmp_path, "a.md", record("story", host="fass.de", title="Ours"))
    write_record(tmp_path, "b.md", record("story", host="faß.de", title="Theirs"))
    kg = graph.load(tmp_path)
    assert kg.report.warnings == []  # no "duplicate of": two stories
    assert kg.article("https://fass.de/story").title != kg.article("https://faß.de/story").title
    assert provider_key("faß.de") == "xn--fa-hia.de" != provider_key("fass.de")


# -- a host that mixes scripts in one label (trial33; left by trial32) ---------------------------
# `vаlid.example` with a Cyrillic `а` was its own provider, without a word: a browser shows
# such a host as punycode (Chrome's and Firefox's IDN rules), and a reader of the graph
# sees two providers spelled alike.

@pytest.mark.parametrize(("host", "scripts"), [
    ("v\u0430lid.example", "Latin and Cyrillic"),          # Cyrillic а
    ("\u03b1pple.example", "Greek and Latin"),             # Greek α
    ("news.p\u0430ypal.example", "Latin and Cyrillic"),    # in the second label
])
def test_a_host_mixing_scripts_in_one_label_is_warned_of(tmp_path, host, scripts):
    write_record(tmp_path, "a.md", record("story", host=host))
    kg = graph.load(tmp_path)
    [warning] = kg.report.warnings
    assert f"mixes {scripts} letters in one label" in warning.reason, warning.reason
    assert provider_key(host) in warning.reason, warning.reason  # what a browser shows
    assert kg.article(f"https://{host}/story") is not None  # still loaded


@pytest.mark.parametrize("host", [
    "bücher.example", "пример.рф", "日本語.jp", "ひらがなカタカナ漢字.jp", "news-日本.jp",
    "한국어abc.kr", "中文注音ㄅ.tw", "ελληνικά.gr", "faß.de", "عربي.example",
    "café-ünïcode.example",
])
def test_a_host_in_one_script_or_a_usual_mix_is_not(tmp_path, host):
    # Latin with Han, Kana or Hangul is how Japanese, Chinese and Korean names are written
    # (UTS 39's "highly restrictive" level, which browsers follow)
    write_record(tmp_path, "a.md", record("story", host=host))
    kg = graph.load(tmp_path)
    assert kg.report.warnings == [] and kg.report.ok
