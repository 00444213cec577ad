"""URLs and dates as other writers spell them.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

import pytest

import graph

# -- URLs and dates as other writers spell them -------------------------------------------------

@pytest.mark.parametrize(("url", "canonical"), [
    ("https://news.example/a/../story", "https://news.example/story"),
    ("https://news.example/a/./b/story", "https://news.example/a/b/story"),
    ("https://news.example/a/%2e%2e/story", "https://news.example/story"),
    ("https://news.example/../../story?x=1", "https://news.example/story?x=1"),
    ("https://news.example/a/..", "https://news.example/"),
    ("https://news.example/a..b/.hidden/c.", "https://news.example/a..b/.hidden/c."),
])
def test_dot_segments_are_resolved_as_a_browser_resolves_them(url, canonical):
    # "a/../story" is the page "story" (RFC 3986 section 5.2.4; every browser sends it so):
    # it was kept, another article than "https://news.example/story".
    from graph.normalize import canonical_url

    assert canonical_url(url) == canonical


@pytest.mark.parametrize("value", ["2023-03-26t01:30:00z", "2023-03-26t01:30:00+02:00"])
def test_an_rfc_3339_date_in_lowercase_is_read(tmp_path, value):
    # RFC 3339 allows "t" and "z" in lowercase; the date was dropped with a warning.
    from graph.normalize import parse_datetime

    assert parse_datetime(value) == parse_datetime(value.upper())
    (tmp_path / "a.json").write_text(
        f'{{"title": "T", "webUrl": "https://x.example/a", "publishedDateTime": "{value}"}}',
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.warnings == [] and kg["article:https://x.example/a"]["published_at"]


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://news.example./story", "https://news.example/story"),
    ("http://News.Example.:80/story/", "https://news.example/story"),
    ("https://bücher.example./x", "https://xn--bcher-kva.example/x"),
    ("https://news.example.:8443/story", "https://news.example:8443/story"),
])
def test_a_host_written_with_its_root_dot_is_the_same_host(url, canonical):
    # "news.example." is the fully qualified spelling of "news.example" (one DNS name): the
    # article id kept the dot while its provider id (provider:news.example) did not.
    from graph.normalize import canonical_url

    assert canonical_url(url) == canonical


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://%65xample.com/a", "https://example.com/a"),
    ("https://ex%41mple.com/a", "https://example.com/a"),
    ("https://b%C3%BCcher.example/a", "https://xn--bcher-kva.example/a"),
    ("https://news.example%2E/a", "https://news.example/a"),
])
def test_a_host_written_with_escapes_is_the_host_a_browser_opens(url, canonical):
    # The URL standard's host parser decodes escapes before anything else (every browser
    # opens https://%65xample.com/ as example.com): the escaped spelling was another
    # article, under another provider, than the plain one.
    from graph.normalize import canonical_url, provider_key

    assert canonical_url(url) == canonical
    assert provider_key(url) == provider_key(canonical)


@pytest.mark.parametrize(("url", "says"), [
    ("https://ex%20ample.com/a", "' ' cannot be in a host"),
    ("https://ex%00ample.com/a", "'\\x00' cannot be in a host"),
    ("https://ex%2Fample.com/a", "'/' cannot be in a host"),
    ("https://ex%zzample.com/a", "'%' cannot be in a host"),
    ("https://ex%FFample.com/a", "its host's escapes are not UTF-8"),
])
def test_a_host_whose_escapes_hide_what_no_host_holds_is_refused(url, says):
    from graph.errors import InvalidURLError
    from graph.normalize import canonical_url

    with pytest.raises(InvalidURLError) as refused:
        canonical_url(url)
    assert says in str(refused.value), str(refused.value)


@pytest.mark.parametrize("url", ["https://./story", "https://../story"])
def test_a_host_of_dots_alone_is_no_host(url):
    from graph.errors import InvalidURLError
    from graph.normalize import canonical_url

    with pytest.raises(InvalidURLError, match="host"):
        canonical_url(url)


def test_one_story_linked_with_the_root_dot_is_the_article_not_a_stub(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: A\nwebUrl: https://news.example/a\npublishedDateTime: 2024-01-01\n"
        "related:\n  - webUrl: https://news.example./b\n---\n", encoding="utf-8")
    (tmp_path / "b.md").write_text(
        "---\ntitle: B\nwebUrl: https://news.example/b\npublishedDateTime: 2024-01-02\n---\n",
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.articles == 2 and kg.report.stubs == 0
    assert "article:https://news.example/b" in kg.nx


# -- dates written as Unix time --------------------------------------------------------------

@pytest.mark.parametrize(("value", "iso"), [
    (1645414620, "2022-02-21T03:37:00+00:00"),        # seconds (`date +%s`, Hugo reads it so)
    (1645414620.5, "2022-02-21T03:37:00.500000+00:00"),
    (1645414620123, "2022-02-21T03:37:00.123000+00:00"),  # milliseconds (JavaScript's Date.now())
    (631152000, "1990-01-01T00:00:00+00:00"),
])
def test_a_date_written_as_unix_time_is_read(value, iso):
    # A CMS or script export writes the date as a number: it was dropped with a warning.
    from graph.normalize import parse_datetime

    assert parse_datetime(value).isoformat() == iso


@pytest.mark.parametrize(("value", "says"), [
    (20220221, "'2022-02-21'"),        # a date in ISO's basic form, unquoted: not Unix time
    (2022, "Unix time"),
    (-1, "Unix time"),
    (10**15, "Unix time"),
    (True, "boolean"),
])
def test_a_number_that_is_no_unix_time_is_refused_saying_what_is_allowed(value, says):
    from graph.normalize import parse_datetime

    with pytest.raises(ValueError, match=says) as caught:
        parse_datetime(value)
    assert "'2022-02-21T03:37:00Z'" in str(caught.value)


def test_unix_time_in_a_record_is_its_date_without_a_warning(tmp_path):
    (tmp_path / "a.json").write_text(
        '[{"title": "A", "webUrl": "https://x.example/a", "publishedDateTime": 1645414620},'
        ' {"title": "B", "webUrl": "https://x.example/b", "publishedDateTime": "1645414620"}]',
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert str(kg["article:https://x.example/a"]["published_at"]) == "2022-02-21 03:37:00+00:00"
    # as text it is not read (a string of digits is ISO 8601's basic form), and says so
    [warning] = kg.report.warnings
    assert "publishedDateTime dropped" in warning.reason and "as a number" in warning.reason


def test_a_date_given_as_text_is_told_the_text_forms_only():
    # `newsgraph export --after 1645414620` was told "or Unix time, a number of seconds
    # (1645414620)" and then "Unix time is read when written as a number, not as text":
    # a command line has only text.
    from graph.normalize import parse_datetime

    for text in ("yesterday", "1645414620"):
        with pytest.raises(ValueError) as caught:
            parse_datetime(text)
        assert "Unix time" not in str(caught.value) and "'2022-02-21'" in str(caught.value)


@pytest.mark.parametrize(("value", "iso"), [
    ("2022-02-21 10:00:00 UTC", "2022-02-21T10:00:00+00:00"),  # Ruby's Time#to_s in UTC
    ("2022-02-21 10:00:00 GMT", "2022-02-21T10:00:00+00:00"),
    ("2022-02-21 10:00:00 +0100", "2022-02-21T09:00:00+00:00"),  # Ruby's Time#to_s elsewhere
    ("2022-02-21 10:00:00 +0000 UTC", "2022-02-21T10:00:00+00:00"),  # Go's Time.String()
    ("2022-02-21 10:00:00.123456789 +0100 CET", "2022-02-21T09:00:00.123456+00:00"),
    ("2022-02-21 10:00:00 -0500 EST m=+0.000012345", "2022-02-21T15:00:00+00:00"),
])
def test_a_date_as_ruby_and_go_print_one_is_read(tmp_path, value, iso):
    # Generators in Ruby (Jekyll's plugins) and Go print times so: the date was dropped with
    # a warning. A zone's name is read only after its offset, or as UTC or GMT.
    from graph.normalize import parse_datetime

    assert parse_datetime(value).isoformat() == iso
    (tmp_path / "a.json").write_text(
        f'{{"title": "T", "webUrl": "https://x.example/a", "publishedDateTime": "{value}"}}',
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.warnings == []
    assert kg["article:https://x.example/a"]["published_at"].isoformat() == iso


@pytest.mark.parametrize("value", ["2022-02-21 10:00:00 CET", "2022-02-21 10:00:00 Europe/Berlin",
                                   "UTC", "2022-02-21 10:00:00 +0100 UTC x"])
def test_a_zone_name_alone_other_than_utc_is_still_refused(value):
    # CET, EST or IST name more than one offset: without the offset, nothing says which.
    from graph.normalize import parse_datetime

    with pytest.raises(ValueError, match="is not an ISO 8601"):
        parse_datetime(value)


@pytest.mark.parametrize(("name", "slug"), [
    ("C", "c"),
    ("C++", "c-plus-plus"),
    ("c plus plus", "c-plus-plus"),
    ("C#", "c-sharp"),
    ("F#", "f-sharp"),
    ("Disney+", "disney-plus"),
    ("C++20", "c-plus-plus-20"),
    ("#MeToo", "metoo"),  # a hashtag's '#' opens it: still dropped, as Obsidian tags are
    ("AT&T", "at-t"),
    ("A+B", "a-b"),
])
def test_a_topic_named_with_plus_or_sharp_is_not_the_letter_alone(name, slug):
    # Tech news tags C, C++ and C# (and Disney and Disney+): every run of characters other
    # than letters and digits was one '-', trimmed, so all three were topic:c, one topic
    # shown by whichever spelling was most frequent.
    from graph.normalize import topic_slug

    assert topic_slug(name) == slug


@pytest.mark.parametrize("name", ["İstanbul", "ISTANBUL", "Istanbul", "istanbul"])
def test_a_turkish_capital_i_with_a_dot_is_the_letter_i(name):
    # Unicode lowercases 'İ' (U+0130) to 'i' and a combining dot above, which the slug made
    # a '-': 'İstanbul' was topic:i-stanbul, another topic than Istanbul.
    from graph.normalize import topic_slug

    assert topic_slug(name) == "istanbul"


def test_topics_of_one_story_written_as_c_cpp_and_csharp_stay_three(tmp_path):
    (tmp_path / "a.json").write_text(
        '{"title": "T", "webUrl": "https://x.example/a", "topics": ["C", "C++", "C#"]}',
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert sorted(kg[t]["name"] for t in kg.nx.successors("article:https://x.example/a")
                  if t.startswith("topic:")) == ["C", "C#", "C++"]
    assert kg.topic("C#") == "topic:c-sharp" and kg.topic("c++") == "topic:c-plus-plus"


def test_a_topic_and_its_capitals_are_one_topic_and_the_old_id_still_finds_it(tmp_path):
    # "Straße" in one story and "STRASSE" (its capitals: ß has none of its own) in another
    # were two topics, topic:straße and topic:strasse; they are one, found by either id.
    for i, name in enumerate(["Straße", "Straße", "STRASSE"]):
        (tmp_path / f"s{i}.json").write_text(
            f'{{"webUrl": "https://n.example/{i}", "title": "S{i}", "topics": ["{name}"]}}',
            encoding="utf-8")
    kg = graph.load(tmp_path)
    topics = [n for n, d in kg.nx.nodes(data=True) if d.get("kind") == "topic"]
    assert topics == ["topic:strasse"]
    assert kg.nx.nodes["topic:strasse"]["name"] == "Straße"  # the most frequent spelling
    assert kg.nx.in_degree("topic:strasse") == 3
    for ref in ("topic:strasse", "topic:straße", "Straße", "STRASSE", "strasse"):
        assert kg.topic(ref) == "topic:strasse", ref
    assert kg.resolve("topic:straße") == "topic:strasse"


@pytest.mark.parametrize(("name", "slug"), [
    (".NET", "dot-net"),
    (".NET Core", "dot-net-core"),
    ("dot NET", "dot-net"),
    (".com bubble", "dot-com-bubble"),
    ("Dot-com bubble", "dot-com-bubble"),
    ("ASP.NET", "asp-net"),  # a dot inside a name is a word break, as before
    ("Node.js", "node-js"),
    ("NET", "net"),
    ("Net neutrality", "net-neutrality"),
    ("...and more", "and-more"),
    ("Version .5", "version-5"),
])
def test_a_topic_named_with_a_leading_dot_is_not_the_word_alone(name, slug):
    # Tech news tags .NET beside stories about nets and Net neutrality: the '.' was
    # dropped, so .NET was topic:net, one topic with "Net". A dot opening a word, before a
    # letter, is spelled out, as C++ and C# are.
    from graph.normalize import topic_slug

    assert topic_slug(name) == slug


def test_topics_net_and_dot_net_stay_two(tmp_path):
    (tmp_path / "a.json").write_text(
        '{"title": "T", "webUrl": "https://x.example/a", "topics": [".NET", "Net"]}',
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.topic(".NET") == "topic:dot-net" and kg.topic("net") == "topic:net"
