"""Normal forms: canonical URLs, provider keys, topic slugs, UTC datetimes, tokens and phrases."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import unquote

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import graph
from graph.normalize import (
    canonical_url,
    fold,
    parse_datetime,
    provider_key,
    tokens,
    topic_slug,
)

# -- canonical_url -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://News.Example.COM/story", "https://news.example.com/story"),
        ("https://news.example.com/Story/Path", "https://news.example.com/Story/Path"),
        ("https://news.example.com:443/story", "https://news.example.com/story"),
        ("http://news.example.com:80/story", "https://news.example.com/story"),
        ("https://news.example.com:8443/story", "https://news.example.com:8443/story"),
        ("http://news.example.com:443/story", "http://news.example.com:443/story"),
        ("https://news.example.com/story#comments", "https://news.example.com/story"),
        ("https://n.example/s?utm_source=tw&utm_medium=social&utm_campaign=x",
         "https://n.example/s"),
        ("https://n.example/s?fbclid=abc", "https://n.example/s"),
        ("https://n.example/s?gclid=abc", "https://n.example/s"),
        ("https://n.example/s?b=2&utm_source=x&a=1&fbclid=f&c=3&gclid=g",
         "https://n.example/s?b=2&a=1&c=3"),
        ("https://n.example/s?z=1&a=2", "https://n.example/s?z=1&a=2"),
        ("https://n.example/news/story/", "https://n.example/news/story"),
        ("https://n.example/news/story/?id=7", "https://n.example/news/story?id=7"),
        ("https://n.example/", "https://n.example/"),
        ("https://n.example", "https://n.example/"),
        ("https://n.example/?id=7", "https://n.example/?id=7"),
        ("  https://n.example/story  ", "https://n.example/story"),
    ],
)
def test_canonical_url(raw, canonical):
    assert canonical_url(raw) == canonical


@pytest.mark.parametrize(
    "spelling",
    [
        "https://bücher.example/straße?q=ü#frag",  # as a person or a CMS writes it
        "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC",  # as a browser sends it
        "https://XN--BCHER-KVA.example/stra%c3%9fe?q=%c3%bc",  # lowercase escapes
        "https://Bücher.Example/stra%C3%9Fe/?q=ü",
    ],
)
def test_the_spellings_of_an_international_url_are_one_article(spelling):
    # One URL in Unicode (an IRI) and in its ASCII form is one article, not two.
    assert canonical_url(spelling) == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"


@pytest.mark.parametrize(("raw", "canonical"), [
    ("https://n.example/%7Euser/a%2fb", "https://n.example/~user/a%2Fb"),  # unreserved decoded
    ("https://n.example/a%2Fb?x=%2f&y=%41", "https://n.example/a%2Fb?x=%2F&y=A"),
    ("https://n.example/caf%C3%A9", "https://n.example/caf%C3%A9"),
])
def test_percent_escapes_have_one_spelling(raw, canonical):
    assert canonical_url(raw) == canonical


CAFE_NFC, CAFE_NFD = "caf\u00e9", "cafe\u0301"


@pytest.mark.parametrize("spelling", [
    f"https://blog.example/posts/{CAFE_NFC}?q={CAFE_NFC}",
    f"https://blog.example/posts/{CAFE_NFD}?q={CAFE_NFD}",  # as macOS writes a file's name
    "https://blog.example/posts/caf%C3%A9?q=caf%C3%A9",
    "https://blog.example/posts/cafe%CC%81?q=cafe%cc%81",  # a decomposed name, escaped
    f"https://blog.example/posts/cafe%CC%81?q={CAFE_NFD}",
])
def test_the_unicode_forms_of_a_url_are_one_article(spelling):
    """A story's URL in composed (NFC) and decomposed (NFD) form is one article: a static
    site built on macOS writes `café` decomposed, a person typing it writes it composed
    (they were two articles, `cafe%CC%81` and `caf%C3%A9`)."""
    assert canonical_url(spelling) == "https://blog.example/posts/caf%C3%A9?q=caf%C3%A9"


def test_records_of_one_story_in_two_unicode_forms_load_as_one_article(tmp_path):
    """Two copies of one story, one written on macOS (decomposed, in its URL and file name):
    one article, the later the winner, as any two copies of a story."""
    for name, cafe, day in ((CAFE_NFC, CAFE_NFC, "2022-01-01"),
                            (CAFE_NFD, CAFE_NFD, "2022-02-01")):
        (tmp_path / f"{name}.md").write_text(
            f"---\ntitle: Story {cafe}\nwebUrl: https://blog.example/{cafe}\n"
            f"publishedDateTime: {day}\nrelated: [https://blog.example/{CAFE_NFD}/more]\n---\n",
            encoding="utf-8")
    kg = graph.load(tmp_path)
    articles = sorted(n for n in kg.nx if n.startswith("article:"))
    assert articles == ["article:https://blog.example/caf%C3%A9",
                        "article:https://blog.example/caf%C3%A9/more"]
    assert kg.article(f"https://blog.example/{CAFE_NFC}") == articles[0]
    [warning] = kg.report.warnings
    assert "duplicate of" in warning.reason


@pytest.mark.parametrize(("raw", "canonical"), [
    ("https://n.example/%E9t%E9", "https://n.example/%E9t%E9"),  # Latin-1 bytes: no UTF-8
    ("https://n.example/%2A%CC%81", "https://n.example/%2A%CC%81"),  # no escape composed
    # The text as written is composed first: a mark after a hex digit joins it.
    ("https://n.example/%0A\u0300", "https://n.example/%0%C3%80"),
    ("https://n.example/a%2Fe%CC%81", "https://n.example/a%2F%C3%A9"),
    ("https://n.example/e%CC%81%25", "https://n.example/%C3%A9%25"),
    ("https://n.example/%C3%A9%CC%81", "https://n.example/%C3%A9%CC%81"),  # composed already
])
def test_a_url_is_composed_around_its_escapes_of_ascii_and_of_bytes_that_are_no_utf8(
        raw, canonical):
    assert canonical_url(raw) == canonical


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs",
                                                                          "Zl", "Zp"]),
               min_size=1, max_size=12))
def test_every_unicode_form_of_a_path_is_one_url(text):
    forms = {canonical_url(f"https://n.example/{unicodedata.normalize(form, text)}")
             for form in ("NFC", "NFD")}
    assert len(forms) == 1
    [one] = forms
    assert canonical_url(one) == one


@pytest.mark.parametrize("url", ["javascript://news.example/%0Aalert(document.domain)",
                                 "data://news.example/text/html,<script>alert(1)</script>",
                                 "file://news.example/etc/passwd", "ftp://news.example/story"])
def test_only_web_urls_are_article_urls(url):
    # An article's URL is shown as a link (the explorer's "Original"): a javascript: one
    # with a host ran script in the page when clicked.
    with pytest.raises(graph.InvalidURLError, match="expected http or https"):
        canonical_url(url)


@pytest.mark.parametrize("url", ["https://a\x00b.example/x", "https://a\x07b.example/x",
                                 "https://exa<mple>.example/x", "https://a^b.example/x",
                                 "https://a|b.example/x", "https://a\x7fb.example/x"])
def test_a_host_holding_a_character_no_host_may_hold_is_refused(url):
    # The URL standard's forbidden host code points (controls, '<', '>', '^', '|', ...): no
    # browser opens such a host. It was kept, a NUL inside the article's id and its
    # provider's, which no XML export could write.
    with pytest.raises(graph.InvalidURLError, match="cannot be in a host") as e:
        canonical_url(url)
    assert repr(url) in str(e.value)


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://n.example/a\x01b", "https://n.example/a%01b"),
    ("https://n.example/a?q=\x7f", "https://n.example/a?q=%7F"),
])
def test_control_characters_in_the_path_and_query_are_escaped(url, canonical):
    # As a browser sends them (the URL standard's C0 control percent-encode set).
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(("url", "canonical"), [
    # A scraper writes the path as the page's link text had it: browsers send the space
    # as %20 (the URL standard's path and query percent-encode sets), so one article.
    ("https://n.example/world news/a story", "https://n.example/world%20news/a%20story"),
    ("https://n.example/a%20story", "https://n.example/a%20story"),
    ("http://n.example/s?q=facial recognition&p=2", "https://n.example/s?q=facial%20recognition&p=2"),
    ("https://n.example/a story/#top section", "https://n.example/a%20story"),
    # Tabs and line breaks are taken out, as the URL standard does before parsing: a URL a
    # YAML writer folded across two lines, or copied with a tab, is still the one article.
    ("https://n.example/a-long-\n  story", "https://n.example/a-long-%20%20story"),
    ("https://n.example/a\tstory", "https://n.example/astory"),
    ("https://n.exa\r\nmple/story", "https://n.example/story"),
    # Other white space is text outside ASCII or a control: escaped as UTF-8, as before for
    # other characters, as browsers do.
    ("https://n.example/a\u00a0story", "https://n.example/a%C2%A0story"),
    ("https://n.example/a\u3000story", "https://n.example/a%E3%80%80story"),
    ("https://n.example/a\x0bstory", "https://n.example/a%0Bstory"),
])
def test_white_space_in_the_path_and_query_is_read_as_a_browser_reads_it(url, canonical):
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize("url", ["https://n.example story/a", "https://n.example:80 80/a",
                                 "https://n.\u00a0example/a", "https://user name@n .example/a"])
def test_white_space_in_a_host_is_refused_saying_so(url):
    # No host holds a space (the URL standard's forbidden host code points): refused, as
    # every browser refuses it.
    with pytest.raises(graph.InvalidURLError, match=re.escape(repr(url))):
        canonical_url(url)


@pytest.mark.parametrize("value", ["x" * 100_000, "https://" + "a" * 100_000 + "^/",
                                   "https://n.example:" + "9" * 100_000 + "/"])
def test_an_error_shows_the_start_of_a_long_value_not_all_of_it(value):
    # A 100,000-character URL in a query variable came back whole in the error (and in a
    # load report's line): the message shows its start and its length.
    with pytest.raises(graph.InvalidURLError) as e:
        canonical_url(value)
    message = str(e.value)
    assert len(message) < 600 and value[:40] in message, message
    assert f"({len(value):,} characters)" in message
    if "^" in value:
        with pytest.raises(graph.InvalidURLError, match="characters"):
            provider_key(value)


@pytest.mark.parametrize("port", ["99999", "x1", "9" * 5000])
def test_a_port_that_is_no_port_says_what_a_port_is(port):
    # 5,000 digits: "Exceeds the limit (4300 digits) for integer string conversion ...;
    # use sys.set_int_max_str_digits() to increase the limit", advice for a programmer.
    with pytest.raises(graph.InvalidURLError, match="not a number from 0 to 65535"):
        canonical_url(f"https://n.example:{port}/story")


def test_an_international_host_that_is_not_a_domain_is_refused():
    with pytest.raises(graph.InvalidURLError, match="not a valid host name"):
        canonical_url("https://" + "ü" * 70 + ".example/x")


@pytest.mark.parametrize("domain", ["bücher.example", "www.Bücher.example",
                                    "xn--bcher-kva.example", "https://bücher.example/x"])
def test_an_international_provider_domain_is_one_provider(domain):
    assert provider_key(domain) == "xn--bcher-kva.example"


@pytest.mark.parametrize("bad", ["", "news.example.com/story", "/story", "https://", "mailto:x",
                                 "https://n.example story/a", "https://n.\u00a0example/a",
                                 42, None])
def test_canonical_url_rejects_what_is_not_an_absolute_url(bad):
    with pytest.raises(graph.InvalidURLError, match=re.escape(repr(bad))):
        canonical_url(bad)


_label = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                 min_size=1, max_size=8)
_segment = st.text("abcXYZ019-._~%", min_size=1, max_size=6)
_word = st.text("abcdefXYZ0129-.%", min_size=1, max_size=6)
_tracking_key = st.sampled_from(["utm_source", "utm_medium", "UTM_Campaign", "utm_", "fbclid",
                                 "gclid"])
# Keys that look close to tracking ones but are not: kept.
_plain_key = _word.filter(lambda k: not k.lower().startswith("utm_")
                          and k.lower() not in ("fbclid", "gclid"))
_param = st.tuples(st.booleans(), _tracking_key, _plain_key, _word).map(
    lambda t: (True, f"{t[1]}={t[3]}") if t[0] else (False, f"{t[2]}={t[3]}")
)


@st.composite
def urls(draw):
    """Draw a URL and the query parameters it holds as (is_tracking, "key=value")."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "Http"]))
    host = ".".join(draw(st.lists(_label, min_size=1, max_size=3)))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "".join("/" + s for s in draw(st.lists(_segment, max_size=3)))
    path += draw(st.sampled_from(["", "/", "//"]))
    params = draw(st.lists(_param, max_size=5))
    query = "?" + "&".join(p for _, p in params) if params else ""
    fragment = draw(st.sampled_from(["", "#top", "#utm_source=x"]))
    return f"{scheme}://{host}{port}{path}{query}{fragment}", params


@given(urls())
def test_canonical_url_is_idempotent(drawn):
    url, _ = drawn
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(urls())
def test_canonical_url_drops_tracking_and_keeps_other_params_in_order(drawn):
    url, params = drawn
    canonical = canonical_url(url)
    query = canonical.partition("?")[2]
    kept = query.split("&") if query else []
    # kept in order, each in one spelling of its escapes (the same text once unescaped)
    assert [unquote(p) for p in kept] == [unquote(p) for tracking, p in params if not tracking]
    assert not any(p.lower().startswith("utm_") for p in kept)
    assert "#" not in canonical


@given(urls())
def test_canonical_url_lowercases_scheme_and_host_and_trims_the_path(drawn):
    url, _ = drawn
    canonical = canonical_url(url)
    scheme, _, rest = canonical.partition("://")
    netloc, _, path = rest.partition("/")
    assert scheme in ("http", "https")
    assert netloc == netloc.lower()
    assert not netloc.endswith({"http": ":80", "https": ":443"}[scheme])
    path = "/" + path.partition("?")[0]
    assert path == "/" or not path.endswith("/")


# -- provider_key --------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "key"),
    [
        ("sixthtone.com", "sixthtone.com"),
        ("www.sixthtone.com", "sixthtone.com"),
        ("WWW.SixthTone.COM", "sixthtone.com"),
        ("https://www.sixthtone.com/news/1", "sixthtone.com"),
        ("http://News.Example:8080/x", "news.example"),
        ("news.example:8080", "news.example"),
        ("  www.news.example  ", "news.example"),
        ("wwwnews.example", "wwwnews.example"),
        ("www2.news.example", "www2.news.example"),
        ("news.www.example", "news.www.example"),
    ],
)
def test_provider_key(domain, key):
    assert provider_key(domain) == key


@pytest.mark.parametrize("bad", ["", "   ", "two words.example", None, 7])
def test_provider_key_rejects_what_is_not_a_domain(bad):
    with pytest.raises(graph.InvalidURLError):
        provider_key(bad)


# -- topic_slug ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["Facial Recognition", "facial-recognition",
                                  "FACIAL  RECOGNITION", "  facial_recognition!  ",
                                  "Facial / Recognition"])
def test_topic_slug_spellings_are_one_topic(name):
    assert topic_slug(name) == "facial-recognition"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("AI", "ai"), ("C++", "c-plus-plus"),  # not C: tests/test_writer_spellings.py
     ("COVID-19", "covid-19"), ("Zürich Café", "zürich-café"),
     ("人工智能", "人工智能"), ("--", ""), ("", "")],
)
def test_topic_slug(name, slug):
    assert topic_slug(name) == slug


@pytest.mark.parametrize("name", ["Café Culture",  # composed é, as most editors write it
                                  "Cafe\u0301 Culture",  # e + combining accent: macOS, PDFs
                                  "ＣＡＦÉ　ＣＵＬＴＵＲＥ"])  # full-width forms, CJK sources
def test_the_unicode_forms_of_a_topic_name_are_one_topic(name):
    assert topic_slug(name) == "café-culture"


@pytest.mark.parametrize(("spellings", "slug"), [
    # A name and its capitals are one topic (Unicode's case folding, not lowercasing): the
    # capitals of ß are SS, so "Straße" and "STRASSE" were two topics, straße and strasse.
    (["Straße", "STRASSE", "strasse", "STRAẞE"], "strasse"),
    (["Fußball-WM", "FUSSBALL-WM"], "fussball-wm"),
    # Greek capitals fold to small letters with the final sigma kept at a word's end, so
    # the ids of Greek topics are the ones lowercasing gave.
    (["ΣΊΣΥΦΟΣ", "Σίσυφος", "σίσυφοσ"], "σίσυφος"),
    (["ΟΔΟΣ ΑΘΗΝΑΣ", "Οδος Αθηνας"], "οδος-αθηνας"),
    (["ᏣᎳᎩ", "ꮳꮃꭹ"], "ꮳꮃꭹ"),  # Cherokee: as lowercasing gave (case folding gives capitals)
])
def test_a_name_and_its_capitals_are_one_topic(spellings, slug):
    assert {topic_slug(name) for name in spellings} == {slug}


@pytest.mark.parametrize(("name", "slug"), [
    ("Zürich Café", "zürich-café"), ("İstanbul", "istanbul"), ("人工智能", "人工智能"),
    ("Ελλάδα", "ελλάδα"), ("Россия", "россия"), ("ΐ", "ΐ"), ("Ǯ", "ǯ"),
])
def test_slugs_without_a_folded_letter_keep_their_ids(name, slug):
    assert topic_slug(name) == slug


@given(st.text())
def test_a_topic_name_case_folded_is_the_same_topic(name):
    assert topic_slug(name.casefold()) == topic_slug(name)


@given(st.text())
def test_topic_slug_is_idempotent(name):
    assert topic_slug(topic_slug(name)) == topic_slug(name)


@given(st.text())
def test_topic_slug_is_alnum_runs_joined_by_single_dashes(name):
    slug = topic_slug(name)
    assert all(c == "-" or c.isalnum() for c in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert slug == slug.lower()
    folded = unicodedata.normalize("NFKC", name)
    if "+" in folded or "#" in folded or "\u0307" in folded.lower() \
            or re.search(r"(?<![\w.])\.(?=[^\W\d_])", folded.lower()):
        return  # '+', '#' or an opening '.' spelled out, 'İ' read as 'i': test_writer_spellings
    # the runs of letters and digits of the name, case-folded (ß is ss in a slug, not in a
    # phrase's words; a slug keeps a Han run whole, where a phrase reads each letter)
    runs = re.findall(r"[^\W_]+", fold(folded))
    assert slug == topic_slug("-".join(runs))
    assert len(slug.split("-")) == len(runs) or not slug


# -- parse_datetime ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2022, 2, 21, 5, 37, tzinfo=timezone(timedelta(hours=2))),
         datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        (datetime(2022, 2, 21, 3, 37), datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        (date(2022, 2, 21), datetime(2022, 2, 21, tzinfo=UTC)),
        ("2022-02-21T03:37:00Z", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        ("2022-02-21T05:37:00+02:00", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        ("2022-02-20T22:37:00-05:00", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        ("2022-02-21", datetime(2022, 2, 21, tzinfo=UTC)),
        (" 2022-02-21T03:37:00Z ", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        # RSS's pubDate (RFC 2822), as a record converted from a feed carries it.
        ("Mon, 21 Feb 2022 03:37:00 GMT", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        ("Mon, 21 Feb 2022 05:37:00 +0200", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
        ("21 Feb 2022 03:37:00 -0000", datetime(2022, 2, 21, 3, 37, tzinfo=UTC)),
    ],
)
def test_parse_datetime_gives_aware_utc(value, expected):
    parsed = parse_datetime(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("bad", ["yesterday", "", "2022-13-01", "21/02/2022", 2022, None,
                                 ["2022-02-21"], "Mon, 32 Feb 2022 03:37:00 GMT"])
def test_parse_datetime_rejects_other_values(bad):
    with pytest.raises(ValueError, match=re.escape(repr(bad))) as caught:
        parse_datetime(bad)
    if isinstance(bad, str):  # says what is read
        assert "'Mon, 21 Feb 2022 03:37:00 GMT'" in str(caught.value)


@pytest.mark.parametrize("value", [
    "2023-05-01T10:00:00+02:00[Europe/Paris]",  # Java's ZonedDateTime.toString()
    "2023-05-01T10:00+02:00[Europe/Paris]",
    "2023-05-01T08:00:00Z[UTC]",
    "2023-05-01T10:00:00+02:00[Europe/Paris][u-ca=iso8601]",  # RFC 9557, JS Temporal
])
def test_a_date_time_with_its_zone_named_after_its_offset_is_read_by_its_offset(value):
    """RFC 9557 (as Java and JavaScript's Temporal print a zoned date-time) names the
    zone after the offset: the offset says the instant; the record's date was dropped."""
    assert parse_datetime(value) == datetime(2023, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "words"), [
    ("2023-05-01T10:00:00[Europe/Paris]", "names its zone ('Europe/Paris') without an offset"),
    ("2023-05-01T10:00:00+02:00[!Europe/Paris]", "a critical annotation ('[!Europe/Paris]')"),
])
def test_a_zone_name_newsgraph_cannot_check_says_what_is_read(value, words):
    with pytest.raises(ValueError) as caught:
        parse_datetime(value)
    assert words in str(caught.value) and "'2022-02-21T05:37:00+02:00'" in str(caught.value)


# -- tokens and the phrase rule ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Facial Recognition's rise", ["facial", "recognition", "s", "rise"]),
        ("facial-recognition", ["facial", "recognition"]),
        ("facial\nrecognition", ["facial", "recognition"]),
        ("COVID-19 snake_case", ["covid", "19", "snake", "case"]),
        # Han and kana are written without spaces: each letter a word (trial37)
        ("Zürich, 人工智能!", ["zürich", "人", "工", "智", "能"]),
        ("", []),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


@given(st.text())
def test_tokens_are_case_folded_alnum_runs(text):
    found = tokens(text)
    assert all(t and t == fold(t) and t.isalnum() for t in found)
    # No letter or digit is lost or merged across a separator.
    assert tokens(" ".join(found)) == found
    assert sum(map(len, found)) == sum(1 for c in text.casefold() if c.isalnum())


def _one_article(text: str) -> graph.KnowledgeGraph:
    g = nx.MultiDiGraph()
    g.add_node("article:https://n.example/1", kind="article", url="https://n.example/1",
               title=text)
    return graph.KnowledgeGraph(g)


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Facial recognition at school", True),
        ("A facial-recognition ban", True),
        ("Facial Recognition's spread", True),
        ("a line-wrapped facial\nrecognition story", True),
        ("FACIAL RECOGNITION", True),
        ("Face recognition at school", False),
        ("facialrecognition everywhere", False),
        ("recognition of facial features", False),
        ("Facial expressions and recognition", False),
    ],
)
def test_phrase_rule(text, matches):
    kg = _one_article(text)
    assert kg.mentions("article:https://n.example/1", "facial recognition") is matches


def test_phrase_does_not_span_two_fields():
    # Documented by graph.traverse.within: a phrase is held by one field, so a title
    # ending in "facial" and a topic named "Recognition" do not add up to a mention.
    g = nx.MultiDiGraph()
    g.add_node("article:https://n.example/1", kind="article", url="https://n.example/1",
               title="Cameras, facial", excerpt="recognition of plates", topics=["recognition"])
    g.add_node("topic:recognition", kind="topic", slug="recognition", name="Recognition")
    g.add_edge("article:https://n.example/1", "topic:recognition", key="TAGGED", kind="TAGGED")
    kg = graph.KnowledgeGraph(g)
    assert kg.mentions("article:https://n.example/1", "recognition")
    assert not kg.mentions("article:https://n.example/1", "facial recognition")


_words = st.lists(st.text("abcxyzé09", min_size=1, max_size=5), min_size=1, max_size=4)
_separators = st.text(" -\n\t'’.,/_", min_size=1, max_size=3)


@given(_words, _separators, _words, _separators)
def test_phrase_matches_its_words_across_any_separator(before, sep, phrase, sep2):
    text = " ".join(before) + sep + sep2.join(phrase).upper() + sep + "end"
    kg = _one_article(text)
    assert kg.mentions("article:https://n.example/1", " ".join(phrase))


@given(st.lists(st.text("abcxyz", min_size=1, max_size=4), min_size=2, max_size=4))
def test_phrase_does_not_match_its_words_run_together(phrase):
    glued = "".join(phrase)
    kg = _one_article(f"about {glued} today")
    assert not kg.mentions("article:https://n.example/1", " ".join(phrase))


@pytest.mark.parametrize(("written", "says"), [
    ("<https://news.example/a>", "it is the URL in angle brackets, as Markdown and email "
                                 "write one: write 'https://news.example/a' alone"),
    ("[A story](https://news.example/a)", "it is a Markdown link: write its URL, "
                                          "'https://news.example/a', alone"),
    ("www.news.example/a", "write it with its scheme: 'https://www.news.example/a'"),
    ("news.example/world/a", "write it with its scheme: 'https://news.example/world/a'"),
    ("//news.example/a", "write it with its scheme: 'https://news.example/a'"),
])
def test_a_url_as_other_writers_wrap_or_shorten_it_says_how_to_write_it(written, says):
    # Each said only "is not an absolute URL: expected a scheme and a host", a Markdown
    # link copied from a note or a feed's scheme-less link among them.
    with pytest.raises(graph.InvalidURLError) as caught:
        canonical_url(written)
    message = str(caught.value)
    assert message.startswith(f"{written!r} is not an absolute URL")
    assert message.endswith(says), message
