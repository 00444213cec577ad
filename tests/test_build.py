"""Records → graph: identity, stubs, providers, topics, dates, duplicates, edges, report."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone

import networkx as nx
import pytest
import yaml
from conftest import record, write_record

import graph


def _out_edges(kg, node, kind):
    return sorted(v for _, v, k in kg.nx.out_edges(node, keys=True) if k == kind)


# -- article identity and lookup -----------------------------------------------


@pytest.mark.parametrize(
    ("fields", "node"),
    [
        ({"webUrl": "https://Web.example/a/?utm_source=x", "originalUrl": "https://orig.example/a"},
         "article:https://web.example/a"),
        ({"originalUrl": "https://Orig.example/a/#top"}, "article:https://orig.example/a"),
        ({"webUrl": "", "originalUrl": "https://orig.example/a"}, "article:https://orig.example/a"),
        ({"webUrl": "not a url", "originalUrl": "https://orig.example/a"},
         "article:https://orig.example/a"),
    ],
)
def test_article_identity_is_canonical_web_url_else_original_url(tmp_path, fields, node):
    write_record(tmp_path, "a.json", {"title": "A", **fields}, form="json")
    kg = graph.load(tmp_path)
    assert [n for n, kind in kg.nx.nodes(data="kind") if kind == "article"] == [node]
    assert kg[node]["url"] == node.removeprefix("article:")


def test_invalid_web_url_falls_back_to_original_url_with_a_warning(tmp_path):
    path = write_record(tmp_path, "a.md", {"title": "A", "webUrl": "/relative/path",
                                           "originalUrl": "https://orig.example/a"})
    kg = graph.load(tmp_path)
    assert kg.article("https://orig.example/a") == "article:https://orig.example/a"
    assert kg.report.ok
    assert [(w.path, "'/relative/path'" in w.reason) for w in kg.report.warnings] == [
        (str(path), True)]


@pytest.mark.parametrize("original", ["javascript://x/%0Aalert(1)", "not a url", "/relative"])
def test_an_invalid_original_url_beside_a_valid_web_url_is_said(tmp_path, original):
    # It was served as written without a word, while the same value as webUrl is refused.
    path = write_record(tmp_path, "a.md", {"title": "A", "webUrl": "https://web.example/a",
                                           "originalUrl": original})
    kg = graph.load(tmp_path)
    assert kg.report.ok
    assert kg.nx.nodes["article:https://web.example/a"]["original_url"] == original
    [warning] = kg.report.warnings
    assert warning.path == str(path)
    assert warning.reason.startswith("record: originalUrl ") and repr(original) in warning.reason


def test_credentials_in_a_url_are_not_part_of_the_articles_id(tmp_path):
    # https://user:pass@host/x was its own article, its id carrying the password.
    write_record(tmp_path, "a.md", {"title": "A", "webUrl": "https://news.example/x",
                                    "published": "2024-01-01T00:00:00Z"})
    secret = write_record(tmp_path, "b.md", {"title": "B",
                                             "webUrl": "https://ed:hunter2@News.example/x",
                                             "published": "2024-01-02T00:00:00Z"})
    kg = graph.load(tmp_path)
    articles = [n for n, d in kg.nx.nodes(data=True) if d.get("kind") == "article"]
    assert articles == ["article:https://news.example/x"]
    assert not any("hunter2" in n for n in kg.nx)
    notes = [w for w in kg.report.warnings if w.path == str(secret)]
    assert any("user name or password" in w.reason and "hunter2" not in w.reason
               for w in notes), notes


@pytest.mark.parametrize(
    "ref",
    [
        "article:https://web.example/a",
        "https://Web.example/a/?utm_source=x",  # raw webUrl
        "https://web.example/a",  # canonical webUrl
        "HTTPS://WEB.example:443/a/?fbclid=1#x",  # another spelling of it
        "https://Orig.example/b/?gclid=9",  # raw originalUrl
        "https://orig.example/b",  # canonical originalUrl
    ],
)
def test_article_lookup_by_either_url_raw_or_canonical(tmp_path, ref):
    write_record(tmp_path, "a.json", {"title": "A", "webUrl": "https://Web.example/a/?utm_source=x",
                                      "originalUrl": "https://Orig.example/b/?gclid=9"},
                 form="json")
    kg = graph.load(tmp_path)
    assert kg.article(ref) == "article:https://web.example/a"


@pytest.mark.parametrize("ref", ["https://web.example/other", "not a url", "topic:a",
                                 "provider:web.example"])
def test_article_lookup_misses_are_none(tmp_path, ref):
    write_record(tmp_path, "a.md", {"title": "A", "webUrl": "https://web.example/a",
                                    "topics": ["A"]})
    kg = graph.load(tmp_path)
    assert kg.article(ref) is None


def test_primary_url_wins_over_another_articles_original_url(tmp_path):
    write_record(tmp_path, "a.json", {"title": "A", "webUrl": "https://x.example/a",
                                      "originalUrl": "https://x.example/b"}, form="json")
    write_record(tmp_path, "b.json", {"title": "B", "webUrl": "https://x.example/b"}, form="json")
    kg = graph.load(tmp_path)
    assert kg.article("https://x.example/b") == "article:https://x.example/b"
    assert kg.article("https://x.example/a") == "article:https://x.example/a"


# -- related entries and stubs -------------------------------------------------


def test_related_entries_become_stub_articles_with_related_edges(tmp_path):
    write_record(tmp_path, "seed.md", record(
        "seed", related=[
            {"title": "Elsewhere", "webUrl": "https://Other.example/r/?utm_medium=x",
             "excerpt": "An excerpt",
             "provider": {"name": "Other Daily", "domain": "other.example"},
             "publishedDateTime": "2022-02-19T00:25:00Z"},
        ]))
    kg = graph.load(tmp_path)
    stub = "article:https://other.example/r"
    assert kg[stub]["is_stub"] is True
    assert kg["article:https://news.example/seed"]["is_stub"] is False
    assert kg[stub]["title"] == "Elsewhere"
    assert kg[stub]["excerpt"] == "An excerpt"
    assert kg[stub]["published_at"] == datetime(2022, 2, 19, 0, 25, tzinfo=UTC)
    assert _out_edges(kg, "article:https://news.example/seed", "RELATED") == [stub]
    assert _out_edges(kg, stub, "PUBLISHED_BY") == ["provider:other.example"]
    assert kg["provider:other.example"]["name"] == "Other Daily"
    assert kg.article("https://other.example/r") == stub
    assert (kg.report.records, kg.report.articles, kg.report.stubs) == (1, 2, 1)


@pytest.mark.parametrize("record_file", ["a-first.md", "z-last.md"])
def test_a_full_record_for_a_stub_url_wins_and_is_not_a_stub(tmp_path, record_file):
    write_record(tmp_path, "m-seed.md", record(
        "seed", related=[{"title": "Stub title", "webUrl": "https://other.example/r/",
                          "excerpt": "stub excerpt", "provider": {"domain": "stub.example"}}]))
    write_record(tmp_path, record_file, record(
        "r", "other.example", title="Full title", excerpt="full excerpt", topics=["Privacy"]),
        body="The full body.")
    kg = graph.load(tmp_path)
    node = kg["article:https://other.example/r"]
    assert node["is_stub"] is False
    assert (node["title"], node["excerpt"], node["body"]) == ("Full title", "full excerpt",
                                                              "The full body.")
    assert _out_edges(kg, "article:https://other.example/r", "PUBLISHED_BY") == [
        "provider:other.example"]
    assert _out_edges(kg, "article:https://news.example/seed", "RELATED") == [
        "article:https://other.example/r"]
    assert "provider:stub.example" not in kg
    assert (kg.report.articles, kg.report.stubs) == (2, 0)


def test_related_entry_without_url_is_a_warning_not_a_node(tmp_path):
    path = write_record(tmp_path, "seed.md", record("seed", related=[{"title": "No link"}]))
    kg = graph.load(tmp_path)
    assert kg.report.ok
    assert [w.path for w in kg.report.warnings] == [str(path)]
    assert kg.report.articles == 1


# -- providers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "url", "node", "name"),
    [
        ({"name": "Sixth Tone", "domain": "sixthtone.com"}, "https://www.sixthtone.com/n/1",
         "provider:sixthtone.com", "Sixth Tone"),
        ({"name": "Sixth Tone", "domain": "WWW.SixthTone.com"}, "https://x.example/1",
         "provider:sixthtone.com", "Sixth Tone"),
        ({"name": "Wire"}, "https://WWW.Wire.Example/story", "provider:wire.example", "Wire"),
        (None, "https://www.wire.example/story", "provider:wire.example", "wire.example"),
        ({"domain": "feeds.wire.example"}, "https://x.example/1", "provider:feeds.wire.example",
         "feeds.wire.example"),
    ],
)
def test_provider_is_keyed_by_domain_and_named_from_the_record(tmp_path, provider, url, node,
                                                               name):
    fields = {"title": "T", "webUrl": url}
    if provider is not None:
        fields["provider"] = provider
    write_record(tmp_path, "a.md", fields)
    kg = graph.load(tmp_path)
    article = kg.article(url)
    assert _out_edges(kg, article, "PUBLISHED_BY") == [node]
    assert kg[node]["kind"] == "provider"
    assert kg[node]["name"] == name
    assert kg[node]["domain"] == node.removeprefix("provider:")
    assert kg.provider("www." + node.removeprefix("provider:").upper()) == node


def test_one_provider_for_every_spelling_of_its_domain(tmp_path):
    write_record(tmp_path, "a.md", record("a", provider={"name": "Wire", "domain": "wire.example"}))
    write_record(tmp_path, "b.md", record("b", provider={"name": "Wire",
                                                         "domain": "www.Wire.example"}))
    write_record(tmp_path, "c.md", record("c", "www.wire.example"))
    kg = graph.load(tmp_path)
    providers = [n for n, kind in kg.nx.nodes(data="kind") if kind == "provider"]
    assert providers == ["provider:wire.example"]
    assert kg["provider:wire.example"]["name"] == "Wire"


def test_a_providers_other_fields_ride_in_the_articles_extra(tmp_path):
    # A CMS writes more about its source than name and domain (a logo, a country, an
    # owner); they were dropped without a word. The article keeps them, as its extra
    # keeps any other field newsgraph does not model.
    provider = {"name": "Deep", "domain": "deep.example", "logo": "https://deep.example/l.png",
                "meta": {"country": "UK", "owner": {"name": "X"}}}
    write_record(tmp_path, "a.md", {"title": "T", "webUrl": "https://deep.example/a",
                                    "provider": provider, "related": [
                                        {"webUrl": "https://deep.example/b", "title": "B",
                                         "provider": {**provider, "logo": "other.png"}}]})
    kg = graph.load(tmp_path)
    article = kg.article("https://deep.example/a")
    assert kg[article]["extra"] == {"provider": {"logo": "https://deep.example/l.png",
                                                 "meta": {"country": "UK",
                                                          "owner": {"name": "X"}}}}
    assert kg[kg.article("https://deep.example/b")]["extra"] == {
        "provider": {"logo": "other.png", "meta": {"country": "UK", "owner": {"name": "X"}}}}
    assert dict(kg["provider:deep.example"]) == {"kind": "provider", "domain": "deep.example",
                                                  "name": "Deep"}
    assert not kg.report.warnings
    plain = graph.load(tmp_path / "a.md")
    assert plain[article]["extra"] == kg[article]["extra"]


def test_a_provider_written_as_text_is_its_name_with_a_warning(tmp_path):
    # Feeds often write `provider: The Guardian`: the name was dropped without a word.
    write_record(tmp_path, "a.md", {"title": "T", "webUrl": "https://www.theguardian.com/a",
                                    "provider": "The Guardian"})
    write_record(tmp_path, "b.md", {"title": "T", "webUrl": "https://odd.example/b",
                                    "provider": ["The Guardian"]})
    kg = graph.load(tmp_path)
    assert kg["provider:theguardian.com"]["name"] == "The Guardian"
    assert [w.reason for w in kg.report.warnings] == [
        "provider 'The Guardian' is text, not a mapping {name, domain}: read as its name",
        "provider dropped: expected a mapping {name, domain}, got list ['The Guardian']; "
        "the provider is the URL's host"]
    assert kg["provider:odd.example"]["name"] == "odd.example"


def test_every_article_including_stubs_is_published_by_exactly_one_provider(corpus):
    articles = [n for n, kind in corpus.nx.nodes(data="kind") if kind == "article"]
    assert any(corpus[n]["is_stub"] for n in articles)
    for node in articles:
        (provider,) = _out_edges(corpus, node, "PUBLISHED_BY")
        assert corpus[provider]["kind"] == "provider"


# -- topics --------------------------------------------------------------------


def test_topics_are_one_node_per_slug_shown_by_the_most_frequent_spelling(tmp_path):
    write_record(tmp_path, "a.md", record("a", topics=["facial-recognition"]))
    write_record(tmp_path, "b.md", record("b", topics=["Facial Recognition", "AI"]))
    write_record(tmp_path, "c.md", record("c", topics=["FACIAL  RECOGNITION"]))
    write_record(tmp_path, "d.md", record("d", topics=["Facial Recognition"]))
    kg = graph.load(tmp_path)
    topics = sorted(n for n, kind in kg.nx.nodes(data="kind") if kind == "topic")
    assert topics == ["topic:ai", "topic:facial-recognition"]
    assert kg["topic:facial-recognition"]["name"] == "Facial Recognition"
    assert kg["topic:facial-recognition"]["slug"] == "facial-recognition"
    tagged = sorted(u for u, _, k in kg.nx.in_edges("topic:facial-recognition", keys=True)
                    if k == "TAGGED")
    assert tagged == [f"article:https://news.example/{s}" for s in "abcd"]
    assert kg.topic("facial recognition") == kg.topic("FACIAL-Recognition") == (
        "topic:facial-recognition")


def test_topics_without_letters_or_digits_are_dropped_with_a_warning(tmp_path):
    write_record(tmp_path, "a.md", record("a", topics=["AI", "--", "!"]))
    kg = graph.load(tmp_path)
    assert _out_edges(kg, "article:https://news.example/a", "TAGGED") == ["topic:ai"]
    assert len(kg.report.warnings) == 2 and kg.report.ok


def test_topics_written_as_one_comma_separated_text_warn(tmp_path):
    # `tags: AI, Privacy` (Jekyll, WordPress exports) is one text, not a list: read as
    # written, one topic, but said, so the writer can make it a list.
    write_record(tmp_path, "a.md", record("a", topics="AI, Privacy"))
    write_record(tmp_path, "b.md", record("b", topics="Computer Vision"))
    kg = graph.load(tmp_path)
    assert _out_edges(kg, "article:https://news.example/a", "TAGGED") == ["topic:ai-privacy"]
    assert _out_edges(kg, "article:https://news.example/b", "TAGGED") == ["topic:computer-vision"]
    assert [w.reason for w in kg.report.warnings] == [
        "topics 'AI, Privacy' is one text, read as one topic; for several, write a list: "
        "[AI, Privacy]"]


@pytest.mark.parametrize("form", ["md", "json"])
def test_topics_written_as_one_semicolon_separated_text_warn(tmp_path, form):
    # `topics: "AI; Policing; Computer Vision"`, as a spreadsheet's or a CMS's export
    # joins them, was one topic 'ai-policing-computer-vision', without a word.
    write_record(tmp_path, f"a.{form}", record("a", topics="AI; Policing; Computer Vision"),
                 form=form)
    kg = graph.load(tmp_path)
    assert _out_edges(kg, "article:https://news.example/a", "TAGGED") == [
        "topic:ai-policing-computer-vision"]
    [warning] = kg.report.warnings
    assert warning.reason == (
        "topics 'AI; Policing; Computer Vision' is one text, read as one topic; for several, "
        "write a list: [AI, Policing, Computer Vision]")
    suggested = warning.reason.split("for several, write a list: ", 1)[1]
    assert yaml.safe_load(f"topics: {suggested}") == {
        "topics": ["AI", "Policing", "Computer Vision"]}



@pytest.mark.parametrize("written, items", [
    ("#ai, #privacy, facial recognition", ["#ai", "#privacy", "facial recognition"]),
    ("Privacy: the law, [Video], *new*, 'quoted', @handle", [
        "Privacy: the law", "[Video]", "*new*", "'quoted'", "@handle"]),
    ("AI, , Privacy", ["AI", "Privacy"]),
])
def test_the_list_a_comma_separated_topics_warning_suggests_is_yaml_read_as_those_topics(
        tmp_path, written, items):
    # The suggestion for `topics: "#ai, #privacy"` was `[#ai, #privacy]`, which YAML reads as
    # a comment: pasted back, the front matter was refused.
    write_record(tmp_path, "a.md", record("a", topics=written))
    [warning] = graph.load(tmp_path).report.warnings
    suggested = warning.reason.split("for several, write a list: ", 1)[1]
    assert yaml.safe_load(f"topics: {suggested}") == {"topics": items}


# -- publishedDateTime ---------------------------------------------------------

UTC_TIME = datetime(2022, 2, 21, 3, 37, tzinfo=UTC)


@pytest.mark.parametrize("form", ["md", "yaml", "json"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2022, 2, 21, 5, 37, tzinfo=timezone(timedelta(hours=2))), UTC_TIME),
        (datetime(2022, 2, 21, 3, 37), UTC_TIME),
        (date(2022, 2, 21), datetime(2022, 2, 21, tzinfo=UTC)),
        ("2022-02-21T03:37:00Z", UTC_TIME),
        ("2022-02-21T05:37:00+02:00", UTC_TIME),
        ("2022-02-21", datetime(2022, 2, 21, tzinfo=UTC)),
    ],
)
def test_published_datetime_becomes_aware_utc(tmp_path, form, value, expected):
    # md/yaml write datetimes and dates as YAML timestamps (the parser gives a datetime
    # or a date) and strings quoted (the parser gives a string); json always a string.
    write_record(tmp_path, f"a.{form}", record("a", publishedDateTime=value), form=form)
    kg = graph.load(tmp_path)
    published = kg["article:https://news.example/a"]["published_at"]
    assert published == expected
    assert published.tzinfo is not None and published.utcoffset() == timedelta(0)


def test_seed_style_unquoted_timestamp_is_utc(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: T\nwebUrl: https://n.example/a\npublishedDateTime: 2022-02-21T03:37:00Z\n"
        "---\n", encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg["article:https://n.example/a"]["published_at"] == UTC_TIME


def test_unreadable_published_datetime_is_dropped_with_a_warning(tmp_path):
    write_record(tmp_path, "a.md", record("a", publishedDateTime="last Tuesday"))
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/a"]["published_at"] is None
    assert kg.report.ok
    assert ["last Tuesday" in w.reason for w in kg.report.warnings] == [True]


# -- duplicates ----------------------------------------------------------------


@pytest.mark.parametrize("newer_file", ["a.md", "b.md"])
def test_duplicate_records_later_published_wins_with_a_warning(tmp_path, newer_file):
    older_file = {"a.md": "b.md", "b.md": "a.md"}[newer_file]
    newer = write_record(tmp_path, newer_file, {
        "title": "Newer", "webUrl": "https://n.example/x?utm_source=a",
        "publishedDateTime": "2022-02-22T00:00:00Z", "topics": ["Newer topic"]})
    older = write_record(tmp_path, older_file, {
        "title": "Older", "webUrl": "https://N.example/x/",
        # Later as local time, earlier in UTC: 2022-02-21T22:59:59Z.
        "publishedDateTime": "2022-02-22T00:59:59+02:00", "topics": ["Older topic"]})
    kg = graph.load(tmp_path)
    node = kg["article:https://n.example/x"]
    assert node["title"] == "Newer"
    assert node["topics"] == ["newer-topic"]
    assert (kg.report.records, kg.report.articles) == (2, 1)
    assert [w.path for w in kg.report.warnings] == [str(older)]
    assert str(newer) in kg.report.warnings[0].reason
    assert "duplicate" in kg.report.warnings[0].reason
    assert kg.report.ok


def test_duplicate_records_tie_goes_to_the_later_file_path(tmp_path):
    stamp = datetime(2022, 2, 21, 3, 37, tzinfo=UTC)
    write_record(tmp_path, "b/story.md", record("x", title="From b", publishedDateTime=stamp))
    write_record(tmp_path, "a/story.md", record("x", title="From a", publishedDateTime=stamp))
    write_record(tmp_path, "c.json", record("x", title="From c",
                                            publishedDateTime="2022-02-21T03:37:00Z"),
                 form="json")
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/x"]["title"] == "From c"
    assert sorted(w.path for w in kg.report.warnings) == [
        str(tmp_path / "a/story.md"), str(tmp_path / "b/story.md")]


def test_duplicate_in_one_jsonl_file_warns_with_the_line(tmp_path):
    path = write_record(tmp_path, "feed.jsonl", [
        record("x", title="Second", publishedDateTime="2022-02-22"),
        record("x", title="First", publishedDateTime="2022-02-21"),
    ], form="jsonl")
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/x"]["title"] == "Second"
    assert [(w.path, w.line) for w in kg.report.warnings] == [(str(path), 2)]


# -- edges ---------------------------------------------------------------------


def test_at_most_one_edge_per_kind_source_and_target(tmp_path):
    write_record(tmp_path, "a.md", record(
        "a", publishedDateTime="2022-01-01",
        topics=["Facial Recognition", "facial-recognition", "FACIAL RECOGNITION"],
        related=[{"title": "R", "webUrl": "https://r.example/1"},
                 {"title": "R again", "webUrl": "https://R.example/1/?utm_source=x"}],
    ))
    # A duplicate of the same article lists the same related story again.
    write_record(tmp_path, "b.json", record(
        "a", publishedDateTime="2000-01-01",
        related=[{"title": "R", "webUrl": "https://r.example/1"}]), form="json")
    kg = graph.load(tmp_path)
    a = "article:https://news.example/a"
    assert kg.nx.number_of_edges(a, "article:https://r.example/1") == 1
    assert kg.nx.number_of_edges(a, "topic:facial-recognition") == 1
    assert kg.nx.number_of_edges(a, "provider:news.example") == 1
    assert kg.report.edges == {"RELATED": 1, "PUBLISHED_BY": 2, "TAGGED": 1}
    assert len({(u, v, k) for u, v, k in kg.nx.edges(keys=True)}) == kg.nx.number_of_edges()


def test_a_related_entry_pointing_at_itself_makes_no_edge(tmp_path):
    write_record(tmp_path, "a.md", record(
        "a", related=[{"title": "Me", "webUrl": "https://news.example/a/"}]))
    kg = graph.load(tmp_path)
    assert kg.report.edges["RELATED"] == 0
    assert len(kg.report.warnings) == 1


def test_node_ids_and_kind_attributes(corpus):
    for node, data in corpus.nx.nodes(data=True):
        kind = data["kind"]
        assert kind in ("article", "provider", "topic")
        assert node.startswith(f"{kind}:")
        key = node.removeprefix(f"{kind}:")
        if kind == "article":
            assert data["url"] == key
            assert graph.normalize.canonical_url(key) == key
        elif kind == "provider":
            assert data["domain"] == key
        else:
            assert data["slug"] == key
            assert graph.normalize.topic_slug(data["name"]) == key
    for u, v, key, kind in corpus.nx.edges(keys=True, data="kind"):
        assert kind == key
        assert kind in graph.EDGE_KINDS
        expected = {"RELATED": "article", "PUBLISHED_BY": "provider", "TAGGED": "topic"}[kind]
        assert (corpus[u]["kind"], corpus[v]["kind"]) == ("article", expected)


def test_node_ids_are_stable_across_loads(tmp_path, corpus):
    again = graph.load(tmp_path / "corpus")
    assert sorted(again.nx.nodes) == sorted(corpus.nx.nodes)
    assert sorted(again.nx.edges(keys=True)) == sorted(corpus.nx.edges(keys=True))


def test_report_counts(corpus):
    r = corpus.report
    # 8 records and 1 stub; providers a-g and z; topics privacy, surveillance and
    # facial-recognition (see the drawing in conftest.py).
    assert (r.files, r.records, r.articles, r.stubs) == (8, 8, 9, 1)
    assert (r.providers, r.topics) == (8, 3)
    assert r.edges == {"RELATED": 4, "PUBLISHED_BY": 9, "TAGGED": 5}
    assert (r.errors, r.warnings, r.skipped) == ([], [], [])
    kinds = [k for _, k in corpus.nx.nodes(data="kind")]
    assert (kinds.count("article"), kinds.count("provider"), kinds.count("topic")) == (9, 8, 3)
    assert sum(r.edges.values()) == corpus.nx.number_of_edges()


@pytest.mark.parametrize("field, meant", [
    ("relatedArticles", "related"), ("related_articles", "related"),
    ("publishedAt", "publishedDateTime"), ("date", "publishedDateTime"),
    ("url", "webUrl"), ("link", "webUrl"), ("tags", "topics"), ("Title", "title"),
    # Hugo's and Jekyll's `categories: [news]`, a news API's `section`: kept unsaid before
    ("categories", "category"), ("section", "category"),
])
def test_a_field_that_looks_meant_as_one_newsgraph_reads_is_a_warning(tmp_path, field, meant):
    """Other writers' names for the record's fields (or a misspelling) would be kept in
    `extra` and their meaning lost in silence: the load says which field was meant."""
    fields = record("a", **{field: "https://news.example/b"})
    if meant == "webUrl":
        fields["originalUrl"] = fields.pop("webUrl")
    if meant == "title":
        del fields["title"]
    path = write_record(tmp_path, "a.md", fields)
    kg = graph.load(tmp_path)
    node = kg.article("https://news.example/a")
    assert node is not None and kg[node]["extra"][field] == "https://news.example/b"  # kept
    assert [(w.path, w.reason) for w in kg.report.warnings if "did you mean" in w.reason] == [
        (str(path), f"field {field!r} is not one newsgraph reads (kept in the article's "
                    f"extra); did you mean {meant!r}?")]


def test_a_field_newsgraph_does_not_read_is_no_warning_when_nothing_was_meant(tmp_path):
    # an author, a custom score, or another name for a field the record also has
    write_record(tmp_path, "a.md", record("a", author="A. Writer", score=3, url="x",
                                          publishedDateTime="2022-02-21T03:37:00Z",
                                          date="2022-02-21"))
    kg = graph.load(tmp_path)
    assert kg.report.warnings == []


# -- records prepared by the parse workers --------------------------------------------

_HOSTILE_RECORDS = [
    {"title": "A", "webUrl": "https://a.example/1", "quality": 120, "heat": float("nan"),
     "topics": ["Facial Recognition", "facial recognition!", "", 7, None, "Zoo"],
     "provider": {"name": " Alpha ", "domain": "a.example"},
     "images": [{"url": "u", "width": 2**40, "height": -1}], "tags": ["x"]},
    {"webUrl": "https://a.example/1", "publishedDateTime": "2022-02-21",
     "related": [{"webUrl": "https://b.example/2", "publishedDateTime": "not a date"},
                 "not a mapping", {"title": "no url"}, {"webUrl": "https://a.example/1/"},
                 {"originalUrl": "https://c.example/3", "webUrl": "nope"}]},
    {"title": 1984, "webUrl": "not a url", "originalUrl": "https://d.example/4",
     "provider": {"domain": "bad domain"}, "topics": "Single", "related": {"x": 1},
     "images": "none", "summary": "kept in extra", "titel": "typo"},
    {"title": "", "webUrl": "https://e.example/5", "topics": {"a": 1},
     "related": [{"webUrl": "https://b.example/2", "title": "B", "quality": 5}]},
    {"title": "B", "webUrl": "https://b.example/2", "provider": {"name": "Beta"},
     "publishedDateTime": datetime(2021, 1, 1, tzinfo=UTC), "secured": "s",
     "related": [{"webUrl": "https://e.example/5"}]},
    {"title": "no url at all"},
]


def _built(records):
    report = graph.LoadReport()
    g = graph.build.build_graph(records, report)
    return (report.records, report.articles, report.stubs, report.errors, report.warnings,
            [(n, d) for n, d in g.nodes(data=True)], list(g.edges(keys=True, data=True)))


def test_records_prepared_by_the_parse_workers_build_the_same_graph_and_report():
    # graph.build.prepare works out, in a parse worker, what the build reads from one
    # record alone; the build replays it. Same graph, same problems in the same order.
    import pickle

    from graph.build import prepare
    from graph.records import Record

    def records(prepared):
        out = []
        for i, fields in enumerate(_HOSTILE_RECORDS * 2):
            rec = Record(dict(fields), f"f{i % 3}.json", i + 1, "body" if i % 2 else None)
            if prepared:
                rec.prepared = prepare(rec)
            out.append(pickle.loads(pickle.dumps(rec)))  # as a worker hands it over
        return out

    assert sum(r.prepared is not None for r in records(True)) == 10
    assert _built(records(True)) == _built(records(False))


@pytest.mark.parametrize("prepared_ones", [(0, 2), (1, 3), (0, 1, 2, 3), ()])
def test_topic_spellings_tie_alike_whichever_records_were_prepared(prepared_ones):
    # The build counts the spellings of prepared records' topics together, and those of
    # records it reads itself one by one: a tie still goes to the spelling met first.
    import pickle

    from graph.build import build_graph, prepare
    from graph.records import Record

    spellings = ["ai", "AI", "AI", "ai"]  # 2 each: "ai" was met first
    records = []
    for i, name in enumerate(spellings):
        rec = Record({"webUrl": f"https://t.example/{i}", "title": "t", "topics": [name]},
                     "f.md", i + 1)
        if i in prepared_ones:
            rec.prepared = prepare(rec)
        records.append(pickle.loads(pickle.dumps(rec)))
    g = build_graph(records, graph.LoadReport(), share_links=True)
    assert g.nodes["topic:ai"]["name"] == "ai"


def test_a_corpus_loads_the_same_with_and_without_prepared_records(tmp_path):
    import pickle

    from bench.generate import generate
    from graph.loader import _parse_chunk
    from graph.records import list_files

    generate(300, tmp_path, seed=5, style="mixed")
    names = list_files(tmp_path).names
    plain = [r for p in _parse_chunk(names, 10**7) for r in p.records]
    handed = pickle.loads(pickle.dumps(_parse_chunk(names, 10**7, prepared=True)))  # a worker's
    prepared = [r for p in handed for r in p.records]
    assert prepared and all(r.prepared is not None for r in prepared)
    assert _built(prepared) == _built(plain)


def _listing(target, date=None, **more):
    item = {"webUrl": target, "title": f"as listed {more.pop('n', '')}".strip(), **more}
    if date is not None:
        item["publishedDateTime"] = date
    return item


# Stories listed by several records, in every order the stub rule tells apart: later and
# earlier dates, ties on date broken by path and line, ties on all three (records of one
# JSON list have no line), duplicates of a record that reorder its listings, and targets
# whose record arrives before or after they are listed.
_LISTING_RECORDS = [
    ("b.json", None, {"webUrl": "https://r.example/1", "related": [
        _listing("https://s.example/x", "2021-01-02", n=1),
        _listing("https://s.example/y", n=2), _listing("https://r.example/3", n=3),
        _listing("https://s.example/w", "2021-06-06", n=16)]}),
    ("b.json", None, {"webUrl": "https://r.example/2", "related": [
        _listing("https://s.example/x", "2021-01-02", n=4),
        _listing("https://s.example/x", "2021-01-02", n=5),
        _listing("https://s.example/y", "2020-01-01", n=6),
        _listing("https://s.example/w", "2021-06-06", n=17)]}),
    ("a.md", 1, {"webUrl": "https://r.example/3", "related": [
        _listing("https://s.example/x", "2021-01-01", n=7),
        _listing("https://s.example/z", "2022-05-05", n=8),
        _listing("https://r.example/1", "2030-01-01", n=9)]}),
    ("b.json", None, {"webUrl": "https://r.example/1", "publishedDateTime": "2019-01-01",
                      "related": [_listing("https://s.example/x", "2021-01-02", n=10),
                                  _listing("https://s.example/z", n=11),
                                  _listing("https://s.example/w", "2021-06-06", n=18)]}),
    ("c.md", 1, {"webUrl": "https://r.example/4", "related": [
        _listing("https://s.example/z", "2022-05-05", n=12),
        _listing("https://s.example/y", n=13), _listing("https://r.example/5", n=14)]}),
    ("a.md", 1, {"webUrl": "https://r.example/5", "related": [
        _listing("https://s.example/x", "2021-01-03", n=15)]}),
]


def _listing_records(prepared):
    import pickle

    from graph.records import Record

    out = []
    for path, line, fields in _LISTING_RECORDS:
        rec = Record(copy.deepcopy(fields), path, line)
        if prepared:
            rec.prepared = graph.build.prepare(rec)
            rec.fields = {}  # as the load's workers send a prepared record
        out.append(pickle.loads(pickle.dumps(rec)))
    return out


@pytest.mark.parametrize("order", range(4))
def test_the_fields_of_listings_no_stub_uses_are_let_go_and_the_graph_is_the_same(order):
    # The build lets go, as records arrive, of a related entry's fields that no stub can
    # use (its target has a record, or a later listing): the graph, the stubs' titles and
    # sources and the report stay those of the records read whole.
    import random

    rng = random.Random(order)
    picks = list(range(len(_LISTING_RECORDS)))
    if order:
        rng.shuffle(picks)
    plain = [_listing_records(False)[i] for i in picks]
    prepared = [_listing_records(True)[i] for i in picks]
    built = _built(prepared)
    assert built == _built(plain)
    if not order:  # w's listings tie on all three; the second pass's order picks 17
        nodes = dict(built[5])
        assert nodes["article:https://s.example/w"]["title"] == "as listed 17"


def test_a_prepared_related_entry_s_fields_are_read_only_for_a_stub_s_winning_listing(
        monkeypatch):
    # A parse worker sends each related entry's fields pickled on their own; the build
    # unpickles only those of each stub's winning listing (x: 15, y: 6, z: 12, w: the
    # second pass's pick of 16-18), never those of a listing whose target has a record.
    import pickle

    import graph.build

    records, plain = _listing_records(True), _built(_listing_records(False))
    for rec in records:
        for item in rec.prepared.related:
            assert isinstance(item[1], bytes)
    read = []
    real = pickle.loads

    def loads(data, *args, **kwargs):
        found = real(data, *args, **kwargs)
        read.append(found["title"])
        return found

    monkeypatch.setattr(graph.build.pickle, "loads", loads)
    built = _built(records)
    assert sorted(read) == [f"as listed {n}" for n in (12, 15, 17, 6)]
    assert built == plain


def test_a_cold_build_shares_one_key_dict_per_kind_of_tagged_and_published_by_edge():
    # Made once each rather than one per edge and shared later (memory at a million
    # records); what the graph holds is what networkx's add_edge would make.
    from graph.records import Record

    def records():  # a build takes its prepared records' parts: new ones each time
        out = _listing_records(True) + [
            Record(dict(fields), "h.json", i) for i, fields in enumerate(_HOSTILE_RECORDS)]
        for i, rec in enumerate(out[:3]):
            rec.prepared.topics = ("privacy", "ai")[: i + 1]
        return out

    g = graph.build.build_graph(records(), graph.LoadReport(), share_links=True)
    assert sum(k == "TAGGED" for _, _, k in g.edges(keys=True)) > 3
    for kind in ("TAGGED", "PUBLISHED_BY"):
        keydicts = {id(g._succ[u][v]) for u, v, k in g.edges(keys=True) if k == kind}
        assert len(keydicts) == 1
    assert {id(g._succ[u][v]) for u, v, k in g.edges(keys=True) if k == "RELATED"} \
        .isdisjoint({id(g._succ[u][v]) for u, v, k in g.edges(keys=True) if k != "RELATED"})
    plain = nx.MultiDiGraph()
    plain.add_nodes_from(g.nodes(data=True))
    for u, v, k, d in g.edges(keys=True, data=True):
        plain.add_edge(u, v, key=k, **d)
    assert list(plain.nodes(data=True)) == list(g.nodes(data=True))
    assert list(plain.edges(keys=True, data=True)) == list(g.edges(keys=True, data=True))
    assert list(plain.in_edges(keys=True, data=True)) == list(g.in_edges(keys=True, data=True))
    assert graph.build.Builder(graph.LoadReport()).shared_links is None  # incremental's
    # A graph that may change keeps one key dict an edge: removing one removes one.
    mutable = graph.build.build_graph(records(), graph.LoadReport())
    tagged = [(u, v) for u, v, k in mutable.edges(keys=True) if k == "TAGGED"]
    mutable.remove_edge(*tagged[0], key="TAGGED")
    assert all(mutable.has_edge(u, v, key="TAGGED") for u, v in tagged[1:])
    assert nx.utils.graphs_equal(mutable, plain) is False
    assert list(mutable.nodes(data=True)) == list(g.nodes(data=True))


def test_a_cold_build_shares_equal_values_as_it_adds_each_article():
    # The loader's build shares values as articles are added (a prepared record's as it
    # arrives, beside the parse), no longer in a pass over every node after the build:
    # the same values as a build that shares none, each URL equal to the canonical one
    # being that very string, short repeated texts and topic slugs one object each.
    import sys

    from graph.records import Record

    def records():
        out = _listing_records(True) + _listing_records(False) + [
            Record(dict(fields), "h.json", i) for i, fields in enumerate(_HOSTILE_RECORDS)]
        for i, rec in enumerate(out[:3]):
            rec.prepared.topics = ("privacy", "ai")[: i + 1]
        return out

    shared = graph.build.build_graph(records(), graph.LoadReport(), share_links=True)
    plain = graph.build.build_graph(records(), graph.LoadReport())
    assert list(shared.nodes(data=True)) == list(plain.nodes(data=True))
    articles = [d for _, d in shared.nodes(data=True) if d["kind"] == "article"]
    assert any(not d["is_stub"] for d in articles) and any(d["is_stub"] for d in articles)
    assert sum(d.get("web_url") == d["url"] for d in articles) > 3
    for d in articles:
        for key in ("web_url", "original_url"):
            if d.get(key) == d["url"]:
                assert d[key] is d["url"]
        for key in ("category", "type", "provider"):
            value = d.get(key)
            if isinstance(value, str) and len(value) <= 64:
                assert value is sys.intern(value)
        assert all(t is sys.intern(t) for t in d["topics"])
    assert any(d["topics"] for d in articles)


# -- an empty category ---------------------------------------------------------


@pytest.mark.parametrize("form", ["md", "json"])
@pytest.mark.parametrize("written", ["", "   ", "\t\n"])
def test_an_empty_category_is_no_category_with_a_warning(tmp_path, form, written):
    # `category: ""` (a CMS export's empty column) was kept as the category '': answered
    # "" where a record without one answers null, and `category: "  "` matched no filter.
    write_record(tmp_path, f"a.{form}", record("a", category=written), form=form)
    write_record(tmp_path, "b.md", record("b", category="  News "))
    kg = graph.load(tmp_path)
    assert kg["article:https://news.example/a"]["category"] is None
    [warning] = kg.report.warnings
    assert warning.path.endswith(f"a.{form}")
    assert warning.reason == (
        f"category dropped: it is empty ({written!r}): write one, like 'news', or leave "
        "the field out")
    assert kg["article:https://news.example/b"]["category"] == "News"


def test_an_empty_category_is_no_category_when_followed_too(tmp_path):
    write_record(tmp_path, "a.md", record("a", category="news"))
    live = graph.follow(tmp_path)
    live.apply([write_record(tmp_path, "a.md", record("a", category=" "))])
    kg = live.current()
    assert kg["article:https://news.example/a"]["category"] is None
    assert [w.reason for w in kg.report.warnings] == [
        "category dropped: it is empty (' '): write one, like 'news', or leave the field out"]


# -- a provider's domain and topics of another type ------------------------------------------


@pytest.mark.parametrize(("domain", "kind"), [(12345, "a number"),
                                              (["a.example", "b.example"], "a list"),
                                              ({"host": "a.example"}, "a mapping")])
def test_a_provider_domain_that_is_not_text_is_ignored_with_a_warning(tmp_path, domain, kind):
    # It was ignored without a word, where a domain that is no domain ('not a domain') says
    # so: the story was filed under its URL's host, its provider's domain silently lost.
    write_record(tmp_path, "a.md", record("a", provider={"name": "X", "domain": domain}))
    kg = graph.load(tmp_path)
    assert _out_edges(kg, "article:https://news.example/a", "PUBLISHED_BY") == [
        "provider:news.example"]
    assert [w.reason for w in kg.report.warnings] == [
        f"provider domain ignored: expected text (a domain, like 'example.com'), got {kind} "
        f"{domain!r}; using the URL's host"]


@pytest.mark.parametrize("form", ["md", "json"])
def test_topics_written_as_one_number_are_that_topic(tmp_path, form):
    # `topics: 2024` was dropped ("topics must be a list of names, got int"), where
    # `topics: [2024]` and `topics: AI` are read.
    write_record(tmp_path, f"a.{form}", record("a", topics=2024), form=form)
    kg = graph.load(tmp_path)
    assert _out_edges(kg, "article:https://news.example/a", "TAGGED") == ["topic:2024"]
    assert kg.report.warnings == []


def test_topics_of_another_shape_say_what_was_found_and_what_is_allowed(tmp_path):
    write_record(tmp_path, "a.md", record("a", topics={"AI": True, "Law": True}))
    kg = graph.load(tmp_path)
    assert [w.reason for w in kg.report.warnings] == [
        "topics dropped: expected a list of names, like [AI, Privacy], got a mapping "
        "{'AI': True, 'Law': True}"]
