"""Records → the networkx graph of articles, providers and topics.

The rules, each pinned by a test:

* an article is keyed by the canonical form of ``webUrl``, else ``originalUrl``;
  a record with neither is an error;
* a record without a usable title (missing, empty, not text) keeps its node, titled
  by its canonical URL, and the report warns; a number as title is its text;
* ``quality`` and ``heat`` are finite numbers from 0 to 100, else dropped with a
  warning; an image's ``width``/``height`` beyond a GraphQL ``Int`` likewise;
* records with one canonical URL are one article: the record published later wins,
  a tie goes to the later file path, and the report warns, naming the winner;
* each ``related`` entry is an article too (a stub unless a record exists for it),
  joined by a ``RELATED`` edge that remembers which records listed it;
* every article, stubs included, is ``PUBLISHED_BY`` its provider, keyed by domain;
* every topic name is ``TAGGED`` by slug and shown by its most frequent spelling;
* at most one edge per (kind, source, target): the graph is a ``MultiDiGraph``
  whose edge key is the kind.
"""

from __future__ import annotations

import difflib
import json
import math
import pickle
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, partial
from itertools import chain
from operator import itemgetter
from typing import Any, cast

import networkx as nx

from graph import fastyaml
from graph.errors import InvalidURLError
from graph.hosts import mixed_script_label
from graph.records import OTHER_URL_NAMES, Record, url_type_problem
from graph.report import LoadReport, Problem
from graph.values import TooLongInteger
from graph.wikilinks import linked_name, unquoted_link

__all__ = ["ARTICLE", "PROVIDER", "TOPIC", "EDGE_KINDS", "build_graph", "check_records",
           "article_id", "provider_id", "topic_id", "prepare", "prepare_records", "Prepared"]

# Normalizing, compiled with the reader when it is (graph/fastyaml.py): the parse
# workers run it on every record (prepare), the build on every stub.
_normalize = fastyaml.module("normalize")
canonical_url, has_credentials, parse_datetime, provider_key, topic_slug = (
    _normalize.canonical_url, _normalize.has_credentials, _normalize.parse_datetime,
    _normalize.provider_key, _normalize.topic_slug)

ARTICLE, PROVIDER, TOPIC = "article", "provider", "topic"
RELATED, PUBLISHED_BY, TAGGED = "RELATED", "PUBLISHED_BY", "TAGGED"
EDGE_KINDS = (RELATED, PUBLISHED_BY, TAGGED)

# Fields the article node holds under its own names; everything else rides in `extra`.
_KNOWN_FIELDS = frozenset({
    "category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl", "type",
    "quality", "heat", "published", "provider", "topics", "images", "related", "secured",
})
_STUB_FIELDS = ("title", "excerpt", "type", "quality", "images")
_PROVIDER_FIELDS = frozenset({"name", "domain"})
# Other writers' names for fields newsgraph reads (a scraper's `url`, a CMS's `tags`, ...).
# Such a field, or a near spelling of a known one, is kept in `extra` like any other, with a
# warning naming the field it looks meant as, when the record lacks that field.
_OTHER_NAMES = {
    **dict.fromkeys(OTHER_URL_NAMES, "webUrl"),
    **dict.fromkeys(("date", "pubDate", "pub_date", "pubdate", "publishedAt", "published_at",
                     "datePublished", "date_published", "publicationDate", "publishDate",
                     "publish_date", "published_date", "publishedOn", "published_on",
                     "postedAt", "posted_at"), "publishedDateTime"),
    **dict.fromkeys(("tags", "keywords", "subjects"), "topics"),
    **dict.fromkeys(("source", "publisher", "site"), "provider"),
    **dict.fromkeys(("summary", "description", "abstract"), "excerpt"),
    **dict.fromkeys(("headline", "name"), "title"),
    **dict.fromkeys(("categories", "section"), "category"),
    **dict.fromkeys(("relatedArticles", "related_articles", "relatedLinks", "seeAlso"),
                    "related"),
}
_KNOWN_BY_LOWER = {k.lower(): k for k in (*_KNOWN_FIELDS, "body")}
# Spaces YAML does not indent with, which front matter pasted from a web page carries.
_ODD_SPACES = frozenset("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                        "\u2009\u200a\u202f\u3000")
# Names near one newsgraph reads that mean something else: Obsidian's `created` (the
# note's date, not 'related'), 'relative', 'unsecured'. Never called a misspelling.
_NOT_MISSPELT = frozenset({"created", "relative", "unsecured"})
# Fields of one record checked for a near spelling of one newsgraph reads: a record past
# this many others is generated, not misspelled (200,000 of them took 22 s to check).
_MAX_SPELLING_CHECKS = 64


@lru_cache(maxsize=4096)
def _near_field(key: str) -> str | None:
    """The field newsgraph reads that ``key`` (lowercased) looks like a misspelling of.

    Cached: a corpus repeats its writer's other fields (Jekyll's ``layout`` in every post),
    and each check compares with every field name (difflib, a fraction of a millisecond)."""
    if key in _NOT_MISSPELT:
        return None
    close = difflib.get_close_matches(key, _KNOWN_BY_LOWER, n=1, cutoff=0.8)
    return _KNOWN_BY_LOWER[close[0]] if close else None
_NO_DATE = datetime.min.replace(tzinfo=UTC)
# The documented range of the source's scores.
SCORE_RANGE = (0, 100)
_MAX_INT = 2**31 - 1  # GraphQL Int
# A number written as text, as JSON writes one (and leading zeros, spaces around it): what
# CMS exports and spreadsheets write in a number field. Not YAML 1.1's other spellings
# (3_9, 0x27, 1:20), which only a plain YAML value means.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


ARTICLE_PREFIX = f"{ARTICLE}:"
PROVIDER_PREFIX = f"{PROVIDER}:"
TOPIC_PREFIX = f"{TOPIC}:"


def article_id(url: str) -> str:
    """Return the node id of the article at a canonical URL."""
    return f"{ARTICLE}:{url}"


def provider_id(key: str) -> str:
    """Return the node id of the provider with a domain key."""
    return f"{PROVIDER}:{key}"


def topic_id(slug: str) -> str:
    """Return the node id of the topic with a slug."""
    return f"{TOPIC}:{slug}"


@dataclass(slots=True)
class Entry:
    """One listing of an article: a record, or a related entry inside a record."""

    url: str
    fields: dict[str, Any]
    path: str
    line: int | None
    published_at: datetime | None
    body: str | None = None
    topics: list[str] = field(default_factory=list)
    prepared: Prepared | None = None

    @property
    def source(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    @property
    def order(self) -> tuple[datetime, str, int]:
        return (self.published_at or _NO_DATE, self.path, self.line or 0)


@dataclass(slots=True)
class Prepared:
    """What the build reads from one record alone, worked out by :func:`prepare` where
    the record was parsed (a parse worker, beside the others), so that the process that
    builds the graph replays it instead: the record's topics, its related entries and
    its article's attributes, with the warnings each gave, in order."""

    # Tuples, not lists: one allocation each, none when empty; the main process holds
    # every record's until the build ends.
    url: str
    published: datetime | None
    first_warnings: tuple[Problem, ...]
    topics: tuple[str, ...]
    topic_names: tuple[tuple[str, str], ...]
    topic_warnings: tuple[Problem, ...]
    # Each related entry's fields as a pickle of its own (see :data:`_FIELDS_PICKLE`),
    # unpickled by the build only for a stub's winning listing.
    related: Sequence[Problem | tuple[str, bytes, datetime | None]]
    attrs: dict[str, Any]
    provider_name: str | None
    article_warnings: tuple[Problem, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Prepared, (self.url, self.published, self.first_warnings, self.topics,
                           self.topic_names, self.topic_warnings,
                           self.related, self.attrs, self.provider_name,
                           self.article_warnings))


class _Capture:
    """Stands for the graph while a record is prepared: keeps the article's attributes."""

    def __init__(self) -> None:
        self.attrs: dict[str, Any] = {}

    def add_node(self, node: str, **attrs: Any) -> None:
        self.attrs = attrs

    def add_edge(self, *args: Any, **attrs: Any) -> None:
        pass


def prepare_records(records: Iterable[Record]) -> None:
    """Set each record's ``prepared`` (see :func:`prepare`), with one builder for all."""
    b = Builder(LoadReport())
    for rec in records:
        rec.prepared = prepare(rec, b)


def prepare(rec: Record, b: Builder | None = None) -> Prepared | None:
    """Work out what the build reads from ``rec`` alone (see :class:`Prepared`); None
    when it has no URL or anything raises, and the build then reads the record itself
    (and reports what raised). ``b``: a builder to reuse (its state is replaced)."""
    if b is None:
        b = Builder(LoadReport())
    b.report.warnings = []
    b.report.errors = []
    # Only each name's first spelling is read from them here: counted in plain
    # defaultdicts, made in C, where a Counter's __init__ is Python (three a record).
    b.topic_names = defaultdict(partial(defaultdict, int))  # type: ignore[arg-type]
    b.provider_names = defaultdict(partial(defaultdict, int))  # type: ignore[arg-type]
    capture = _Capture()
    b.g = capture  # type: ignore[assignment,unused-ignore]
    try:
        url = b.entry_url(rec.fields, rec.path, rec.line, "record")
        if url is None:
            return None
        published = b.entry_date(rec.fields, rec.path, rec.line, "record")
        b.entry_fields(rec.fields, rec.path, rec.line)
        entry = Entry(url, rec.fields, rec.path, rec.line, published, rec.body)
        first_warnings = b.report.warnings
        b.report.warnings = []
        topics = b.entry_topics(rec.fields.get("topics"), rec.path, rec.line)
        topic_names = tuple((slug, next(iter(names))) for slug, names in b.topic_names.items())
        topic_warnings = b.report.warnings
        warnings: list[Problem] = []
        b.report.warnings = warnings
        related: list[Problem | tuple[str, bytes, datetime | None]] = []
        for target, stub in b.related_entries(entry):
            related.extend(warnings)
            warnings.clear()
            related.append((target, _pickled_fields(stub.fields), stub.published_at))
        related.extend(warnings)
        b.report.warnings = []
        b.add_article(entry, is_stub=False, sources=[])
        attrs = capture.attrs
        provider_name = None
        for names in b.provider_names.values():
            provider_name = next(iter(names))
    except Exception:  # noqa: BLE001 - the build reads it again, and reports it
        return None
    return Prepared(url, published, tuple(first_warnings), tuple(topics), topic_names,
                    tuple(topic_warnings), tuple(related), attrs, provider_name,
                    tuple(b.report.warnings))


# A prepared related entry's fields cross to the build's process as bytes, pickled on
# their own: the build reads them only for a stub's winning listing (at 100k records,
# 31,331 of 233,650 listings), so the other ~87% are never made again as dicts there,
# nor tracked while the records arrive to let them go (the build's first pass did that
# for memory, ~12 us a record). Pickled one by one they cost the workers more than
# inside the chunk's pickle (its memo of the keys is lost); measured worth it in
# docs/history/performance-log.md (cold35).
_FIELDS_PICKLE = pickle.HIGHEST_PROTOCOL


def _pickled_fields(fields: dict[str, Any]) -> bytes:
    """A related entry's fields pickled for the build, less its ``publishedDateTime``
    (None in its place): read already, as the listing's date sent beside them, and never
    read again from a stub's fields; a date pickled on its own (its time zone a class to
    call) costs as much as all the rest, ~2.4 us a listing. The dict is left as it was."""
    raw = fields.get("publishedDateTime")
    if raw is None:
        return pickle.dumps(fields, _FIELDS_PICKLE)
    fields["publishedDateTime"] = None
    try:
        return pickle.dumps(fields, _FIELDS_PICKLE)
    finally:
        fields["publishedDateTime"] = raw


def _listing_fields(fields: dict[str, Any] | bytes) -> dict[str, Any]:
    """A related entry's fields: unpickled when a prepared record sent them."""
    return pickle.loads(fields) if isinstance(fields, bytes) else fields


class Builder:
    """Applies the rules above, record by record; graph/incremental.py applies them one
    article at a time with it."""

    def __init__(self, report: LoadReport, g: nx.MultiDiGraph | None = None):
        self.report = report
        self.g = nx.MultiDiGraph() if g is None else g
        self.provider_names: dict[str, Counter[str]] = defaultdict(Counter)
        self.topic_names: dict[str, Counter[str]] = defaultdict(Counter)
        # Set by build(share_links=True) alone (the loader's, whose graph is frozen once
        # built): the one {kind: {"kind": kind}} key dict per kind that every TAGGED and
        # PUBLISHED_BY edge shares from the start (the loader's _share_values would share
        # them once built; made once each, they never take ~450 bytes an edge meanwhile).
        # A graph that may change (build_graph's by default, graph/incremental.py's)
        # keeps networkx's own dicts: removing one edge's key would remove every one's.
        self.shared_links: dict[str, dict[str, dict[str, str]]] | None = None
        # Set by build(edge_log=...) alone: every edge as it is made, (source, target,
        # key, data), in the order networkx's dicts receive them; None once an edge is
        # made another way or a node removed (the log no longer tells the dicts' order).
        self.edge_log: list[tuple[str, str, str, dict[str, Any]]] | None = None
        # Set by build(edge_log=...) alone, until a node is added again or removed: the
        # edges are in edge_log alone, networkx's dicts hold the nodes without them (the
        # loader makes its arrays off the log; the dicts' ~1 KB an edge would be made to
        # be freed). in_dicts() puts them there when a rule needs the dicts.
        self.log_only = False
        # While log_only: each article added, canonical URL -> node id (the RELATED edges'
        # ends are found by URL: the node's own id string, not another made equal to it).
        self.logged_articles: dict[str, str] = {}
        # While log_only: provider and topic node ids made, by prefix, then key or slug.
        self.logged_targets: dict[str, dict[str, str]] = {}
        # A provider domain as written -> its key (provider_key, ~2-3 us a call): a
        # corpus names its few hundred providers' domains over and over.
        self.provider_keys: dict[str, str] = {}
        # Set by build(leftovers=...) alone: the build's own structures, done with, are
        # put here rather than freed (the caller frees them when it likes: the loader
        # after the first answer can be given, see graph/loader.py).
        self.leftovers: list[Any] | None = None

    def in_dicts(self) -> None:
        """Put the logged edges of a log-only build into networkx's dicts, as
        :meth:`link` would have put them (each node's in log order; the key dict shared
        where the log's data is the shared one), before a node is updated or removed."""
        if not self.log_only:
            return
        self.log_only = False
        succ, pred = self.g._succ, self.g._pred
        shared = self.shared_links or {}
        for u, v, k, d in self.edge_log or ():
            keydict = succ[u].get(v)
            if keydict is None:
                one = shared.get(k)
                keydict = one if one is not None and one[k] is d else {}
                succ[u][v] = pred[v][u] = keydict
            keydict[k] = d

    def links(self, node: str, key: str, topics: list[str]) -> None:
        """Link the article ``node`` (just added) to its provider ``key`` and ``topics``."""
        if self.log_only:
            if len(topics) > 1 and len(set(topics)) != len(topics):  # never so: deduped
                self.in_dicts()
            else:
                self._logged_links(node, key, topics)
                return
        self.link(node, provider_id(key), PUBLISHED_BY)
        for slug in topics:
            self.link(node, topic_id(slug), TAGGED)

    def _logged_links(self, node: str, key: str, topics: list[str]) -> None:
        """:meth:`links` in a log-only build, :meth:`link`'s log-only branch inline (a
        cold build makes ~3.4 such edges an article)."""
        log, targets = self.edge_log, self.logged_targets
        shared = self.shared_links
        assert shared is not None and log is not None
        one = shared.get(PUBLISHED_BY)
        if one is None:
            one = shared[PUBLISHED_BY] = {PUBLISHED_BY: {"kind": PUBLISHED_BY}}
        # Each target's id string made once, with its node (the log holds that string,
        # not one made again an edge, which the edge arrays would look up again).
        target = targets.get(PROVIDER_PREFIX, {}).get(key)
        if target is None:
            target = self._logged_target(PROVIDER_PREFIX, key)
        log.append((node, target, PUBLISHED_BY, one[PUBLISHED_BY]))
        if not topics:
            return
        one = shared.get(TAGGED)
        if one is None:
            one = shared[TAGGED] = {TAGGED: {"kind": TAGGED}}
        data = one[TAGGED]
        made = targets.get(TOPIC_PREFIX, {})
        for slug in topics:
            target = made.get(slug)
            if target is None:
                target = self._logged_target(TOPIC_PREFIX, slug)
            log.append((node, target, TAGGED, data))

    def _logged_target(self, prefix: str, key: str) -> str:
        """The node id ``prefix + key`` of a provider or topic, its node added (as
        add_edge adds it: without attributes) when it is not in the graph yet."""
        target = prefix + key
        g = self.g
        if target not in g._succ:
            g._succ[target] = {}
            g._pred[target] = {}
            g._node[target] = {}
        self.logged_targets.setdefault(prefix, {})[key] = target
        return target

    def link(self, node: str, target: str, kind: str) -> None:
        """``g.add_edge(node, target, key=kind, kind=kind)`` for a TAGGED or PUBLISHED_BY
        edge (``node`` an article already added): its key dict shared in a cold build."""
        g, shared = self.g, self.shared_links
        if shared is None:
            g.add_edge(node, target, key=kind, kind=kind)
            return
        succ = g._succ
        if target not in succ:  # as add_edge adds it: a node without attributes
            succ[target] = {}
            g._pred[target] = {}
            g._node[target] = {}
        if self.log_only:  # a new node's first edge to this target (see links)
            one = shared.get(kind)
            if one is None:
                one = shared[kind] = {kind: {"kind": kind}}
            self.edge_log.append((node, target, kind, one[kind]))  # type: ignore[union-attr]
            return
        nbrs = succ[node]
        keydict = nbrs.get(target)
        if keydict is None:
            one = shared.get(kind)
            if one is None:
                one = shared[kind] = {kind: {"kind": kind}}
            nbrs[target] = g._pred[target][node] = one
            log = self.edge_log
            if log is not None:
                log.append((node, target, kind, one[kind]))
        elif kind not in keydict:  # never so: one kind joins an article to a target
            self.edge_log = None
            g.add_edge(node, target, key=kind, kind=kind)

    def warn(self, path: str, line: int | None, reason: str) -> None:
        self.report.warnings.append(Problem(path, line, reason))

    # -- reading one listing -------------------------------------------------

    def entry_url(self, fields: dict[str, Any], path: str, line: int | None,
                  what: str) -> str | None:
        tried = []
        for key in ("webUrl", "originalUrl"):
            raw = fields.get(key)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            problem = url_type_problem(raw)
            if problem is not None:
                tried.append(f"{key} {problem}")
                continue
            try:
                url = canonical_url(raw)
            except InvalidURLError as e:
                tried.append(f"{key}: {e}")
                continue
            if tried:
                self.warn(path, line, f"{what}: {tried[0]}; using {key} instead")
            if has_credentials(raw):
                self.warn(path, line, f"{what}: the {key}'s user name or password is left "
                          "out of the article's id (ids are shown to every client)")
            if "xn--" in url:
                self.check_scripts(url, path, line, what)
            if key == "webUrl" and fields.get("originalUrl") != raw:  # the same: valid
                self.check_original_url(fields.get("originalUrl"), path, line, what)
            return url
        reason = "; ".join(tried) if tried else "no 'webUrl' or 'originalUrl'"
        if what == "record":
            self.report.errors.append(Problem(path, line, f"record has no valid URL: {reason}"))
        else:
            self.warn(path, line, f"{what} skipped: no valid URL ({reason})")
        return None

    def check_scripts(self, url: str, path: str, line: int | None, what: str) -> None:
        """Warn of a URL whose host mixes scripts in one label, as a look-alike of
        another domain does (``vаlid.example`` with a Cyrillic ``а``): browsers show it
        as punycode, and it is a provider of its own."""
        host = url.partition("//")[2].partition("/")[0].rpartition("@")[2].partition(":")[0]
        found = mixed_script_label(host)
        if found is not None:
            label, scripts = found
            self.warn(path, line, f"{what}: the host {host!r} mixes "
                      f"{' and '.join(scripts)} letters in one label ({label!r}), as a "
                      "look-alike of another domain does; browsers show it as written "
                      "here, and it is a provider of its own")

    def check_original_url(self, raw: Any, path: str, line: int | None, what: str) -> None:
        """Warn of an ``originalUrl`` that is not a web URL beside a valid ``webUrl``: it
        is kept as written (``originalUrl`` on the article), and clients may link it."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return
        problem = url_type_problem(raw)
        if problem is not None:
            self.warn(path, line, f"{what}: originalUrl dropped: {problem}")
            return
        try:
            canonical_url(raw)
        except InvalidURLError as e:
            self.warn(path, line, f"{what}: originalUrl {e} (kept as written, not used)")

    def entry_fields(self, fields: dict[str, Any], path: str, line: int | None) -> None:
        """Warn of each field that looks meant as one newsgraph reads, which the record
        lacks: under another writer's name, or spelled near it (it stays in `extra`)."""
        unknown = 0
        for key in fields:
            if key in _KNOWN_FIELDS or key == "body" or not isinstance(key, str):
                continue
            if key[:1] in _ODD_SPACES:
                self.warn(path, line, f"field {key!r} opens with a "
                          f"{unicodedata.name(key[0]).lower()} (U+{ord(key[0]):04X}), as an "
                          "indent pasted from a web page may: YAML does not indent with it, "
                          "so this is a field of the record, not of the line above; indent "
                          "with spaces")
                continue
            meant = _OTHER_NAMES.get(key)
            if meant is None and unknown < _MAX_SPELLING_CHECKS:
                unknown += 1
                meant = _near_field(key.lower())
            if meant is not None and fields.get(meant) is None:
                self.warn(path, line, f"field {key!r} is not one newsgraph reads (kept in the "
                          f"article's extra); did you mean {meant!r}?")

    def entry_date(self, fields: dict[str, Any], path: str, line: int | None,
                   what: str) -> datetime | None:
        raw = fields.get("publishedDateTime")
        if raw is None:
            return None
        try:
            return parse_datetime(raw)
        except ValueError as e:
            digits = raw.strip().replace(".", "", 1) if isinstance(raw, str) else ""
            unix = ("; Unix time is read when written as a number (unquoted in YAML), not "
                    "as text" if digits.isascii() and digits.isdigit() else "")
            self.warn(path, line, f"{what}: publishedDateTime dropped: {e}{unix}")
            return None

    def entry_topics(self, raw: Any, path: str, line: int | None) -> list[str]:
        if raw is None:
            return []
        if isinstance(raw, str):
            if "," in raw or ";" in raw:
                # `tags: AI, Privacy` (Jekyll), `AI; Privacy` (a spreadsheet's export): one
                # text, which the writer may mean as a list
                shown = ", ".join(_flow_item(part.strip()) for part in _TOPIC_SEPARATORS.split(raw)
                                  if part.strip())
                self.warn(path, line, f"topics {raw!r} is one text, read as one topic; for "
                          f"several, write a list: [{shown}]")
            raw = [raw]
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = [raw]  # `topics: 2024`, as `topics: [2024]` is read
        if not isinstance(raw, list):
            self.warn(path, line, "topics dropped: expected a list of names, like [AI, "
                                  f"Privacy], got {_value_kind(raw)} {_shown(raw)}")
            return []
        slugs: list[str] = []
        seen: set[str] = set()  # a list's `in` made a record of n topics cost n²/2 steps
        for name in raw:
            if isinstance(name, int | float) and not isinstance(name, bool):
                name = str(name)
            elif isinstance(name, dict) and isinstance(name.get("name"), str):
                name = name["name"]  # {name: AI, slug: ai}: WordPress, Ghost, a provider's form
            elif isinstance(name, list):  # `- [[AI]]` unquoted: YAML reads [['AI']]
                link = unquoted_link(name)
                if link is not None:
                    self.warn(path, line, f"topic {name!r} is how YAML reads the unquoted "
                              f"link [[{link}]]: read as that link; quote it: \"[[{link}]]\"")
                    name = f"[[{link}]]"
            slug = ""
            if isinstance(name, str):
                name = linked_name(name)
                slug = topic_slug(name)
            if not slug:
                got = "" if isinstance(name, str) or name is None else \
                    f", got a {'mapping' if isinstance(name, dict) else type(name).__name__}"
                # (null: YAML's '- ' with nothing after it, not Python's 'None')
                what = "an empty topic item (null)" if name is None else f"topic {_shown(name)}"
                self.warn(path, line, f"{what} skipped: a topic is a name with a "
                          f"letter or digit, a wiki link '[[Name]]' or a mapping with a text "
                          f"'name'{got}")
                continue
            if slug not in seen:
                seen.add(slug)
                slugs.append(slug)
                self.topic_names[slug][name.strip()] += 1
        return slugs

    # -- building ------------------------------------------------------------

    def fail(self, entry: Entry | Record, e: Exception) -> None:
        """Report what one record raised: the boundary that keeps the rest loading."""
        self.report.errors.append(Problem(entry.path, entry.line, "record could not be "
                                          f"loaded: {type(e).__name__}: {e}"))

    def build(self, records: Iterable[Record], *, share_links: bool = False,
              edge_log: list[tuple[str, str, str, dict[str, Any]]] | None = None,
              leftovers: list[Any] | None = None) -> nx.MultiDiGraph:
        """Build the graph (``share_links``, ``edge_log``, ``leftovers``: see
        :func:`build_graph`)."""
        self.leftovers = leftovers
        self.shared_links = {} if share_links else None
        self.edge_log = edge_log if share_links else None
        if self.edge_log:
            self.edge_log.clear()  # this build's edges alone
        self.log_only = self.edge_log is not None
        related = self.add_records(records)
        # networkx's add_edge, less its per-call checks: both ends are articles added
        # above (an end that could not be added has no edge), and only RELATED edges join
        # two articles (so, the related pairs being distinct, each pair is a new edge).
        succ, pred = self.g._succ, self.g._pred
        log = self.edge_log
        if self.log_only:  # every article added is in logged_articles, no other
            assert log is not None
            node_of = self.logged_articles.get
            append = log.append
            for (source, target), evidence in related.items():
                u = node_of(source)
                if u is not None:
                    v = node_of(target)
                    if v is not None:
                        append((u, v, RELATED, {"kind": RELATED, "evidence": evidence}))
            if self.leftovers is not None:
                self.leftovers.append(related)
            related = {}
        if self.leftovers is not None:
            self.leftovers.append((self.logged_articles, self.logged_targets))
        self.logged_articles = {}
        self.logged_targets = {}
        for (source, target), evidence in related.items():
            u, v = article_id(source), article_id(target)
            if u not in succ or v not in succ:
                continue
            data = {"kind": RELATED, "evidence": evidence}
            keydict = succ[u].get(v)
            if keydict is None:
                keydict = succ[u][v] = pred[v][u] = {}
                if log is not None:
                    log.append((u, v, RELATED, data))
            else:
                log = None
            keydict[RELATED] = data
        kept = edge_log is not None and log is not None and self.edge_log is not None
        if edge_log is not None and not kept:
            edge_log.clear()  # not kept: the caller walks the dicts instead
        nx._clear_cache(self.g)
        self.shared_links = self.edge_log = None
        self.log_only = False
        self.leftovers = None
        self.name_nodes()
        self.count(edge_log if kept else None)
        return self.g

    def add_records(self, records: Iterable[Record]) -> dict[tuple[str, str], list[str]]:
        """Add the records' articles and stubs, reporting every problem; return the
        ``RELATED`` pairs with their evidence (the edges are the caller's to add)."""
        full: dict[str, list[Entry]] = defaultdict(list)
        share = self.shared_links is not None  # the loader's build (see add_article)
        intern = sys.intern
        for rec in records:
            try:
                prepared = rec.prepared
                if prepared is not None:  # worked out by a parse worker: replayed
                    url, published = prepared.url, prepared.published
                    if prepared.first_warnings:
                        self.report.warnings.extend(prepared.first_warnings)
                    if share:  # as records arrive, beside the parse, not after it
                        _share_prepared_values(prepared.attrs)
                        if prepared.topics:
                            prepared.topics = tuple(map(intern, prepared.topics))
                else:
                    url = self.entry_url(rec.fields, rec.path, rec.line, "record")
                    if url is None:
                        continue
                    published = self.entry_date(rec.fields, rec.path, rec.line, "record")
                    self.entry_fields(rec.fields, rec.path, rec.line)
                full[url].append(Entry(url, rec.fields, rec.path, rec.line, published,
                                        rec.body, prepared=prepared))
                self.report.records += 1
            except Exception as e:  # noqa: BLE001 - one record never stops a load
                self.fail(rec, e)

        stubs: dict[str, list[Entry]] = defaultdict(list)
        related: dict[tuple[str, str], list[str]] = defaultdict(list)
        # url -> the record that wins, and the sources of all its records
        winners: dict[str, tuple[Entry, list[str]]] = {}
        # The prepared winners' topic spellings, (slug, name) in the order met, counted
        # at once in C (see _count_topic_names) rather than a Counter update each.
        spellings: list[tuple[str, str]] = []
        for url, entries in full.items():
            if len(entries) > 1:
                entries.sort(key=lambda e: e.order)
                winner = entries[-1]
                for loser in entries[:-1]:
                    self.warn(loser.path, loser.line,
                              f"duplicate of {winner.source} (same article {url}); "
                              f"{winner.source} wins: {why_wins(winner, loser)}")
                sources = [e.source for e in entries]
            else:
                winner = entries[0]
                sources = [winner.path if winner.line is None else
                           f"{winner.path}:{winner.line}"]  # (Entry.source, inline)
            winners[url] = (winner, sources)
            try:
                prepared = winner.prepared
                if prepared is not None:  # entry_topics, replayed; its counting deferred
                    if prepared.topic_warnings:
                        self.report.warnings.extend(prepared.topic_warnings)
                    spellings.extend(prepared.topic_names)
                    winner.topics = list(prepared.topics)
                else:
                    self._count_topic_names(spellings)  # in the order met
                    winner.topics = self.entry_topics(winner.fields.get("topics"), winner.path,
                                                      winner.line)
                for entry, source in zip(entries, sources, strict=True):
                    if entry.prepared is not None:  # replayed (replay_related)
                        self.replay_related(entry, url, source, full, related, stubs)
                        entry.prepared.related = ()  # its related dicts may go
                        if entry is not winner:
                            entry.prepared = None
                        continue
                    for target, stub in self.related_entries(entry):
                        evidence = related[(url, target)]
                        if source not in evidence:
                            evidence.append(source)
                        if target not in full:  # a record's article is never a stub
                            stubs[target].append(stub)
            except Exception as e:  # noqa: BLE001
                winner.topics = []
                self.fail(winner, e)
        self._count_topic_names(spellings)

        for winner, sources in winners.values():
            self.add_safely(winner, is_stub=False, sources=sources)
        for url, entries in stubs.items():
            if url in winners:
                continue
            if len(entries) > 1:
                entries.sort(key=lambda e: e.order)
            winner = entries[-1]
            # A prepared listing's fields are bytes until now (read through Any: compiled,
            # the attribute's declared dict would be checked as it is read).
            winner.fields = _listing_fields(cast(Any, winner).fields)
            self.add_safely(winner, is_stub=True, sources=[e.source for e in entries])
        if self.leftovers is not None:
            self.leftovers.append((full, winners, stubs))
        return related

    def related_entries(self, entry: Entry) -> Iterator[tuple[str, Entry]]:
        line = entry.line
        raw = entry.fields.get("related")
        if raw is None:
            return
        if isinstance(raw, dict) or (isinstance(raw, str) and raw.strip()[:8].lower()
                                     .startswith(("http://", "https://"))):
            # One story written alone (`related: https://...`, `related: {webUrl: ...}`),
            # as a note with one link gives it: read as the list of it, as a topic or a
            # provider written alone is read.
            self.warn(entry.path, line, "related is one story, not a list: read as a list "
                      "of it; write it as a list (related: [- {title: ..., webUrl: ...}] or "
                      "- https://...)")
            raw = [{"webUrl": raw.strip()} if isinstance(raw, str) else raw]
        elif not isinstance(raw, list):
            self.warn(entry.path, line, "related dropped: expected a list of stories, each "
                      "a mapping holding its webUrl (- {title: ..., webUrl: https://...}) or "
                      f"its URL as text, got {type(raw).__name__} {_shown(raw)}")
            return
        for i, item in enumerate(raw, start=1):
            what = f"related entry {i}"
            if not isinstance(item, dict):
                self.warn(entry.path, line, f"{what} skipped: expected a mapping holding "
                          "the story's webUrl (- {title: ..., webUrl: https://...}) or its "
                          f"URL as text, got {type(item).__name__} {_shown(item)}")
                continue
            target = self.entry_url(item, entry.path, line, what)
            if target is None:
                continue
            if target == entry.url:
                self.warn(entry.path, line, f"{what} skipped: it links the article to itself")
                continue
            published = self.entry_date(item, entry.path, line, what)
            yield target, Entry(target, item, entry.path, entry.line, published)

    def _count_topic_names(self, spellings: list[tuple[str, str]]) -> None:
        """Count ``spellings``, (slug, name) pairs in the order met, into
        :attr:`topic_names` (as many ``topic_names[slug][name] += 1``, in that order: each
        slug's names keep the order they were first met, which breaks :func:`most_common`'s
        ties), and empty the list."""
        if not spellings:
            return
        names = self.topic_names
        for (slug, name), n in Counter(spellings).items():
            names[slug][name] += n
        spellings.clear()

    def replay_related(self, entry: Entry, url: str, source: str,
                       full: dict[str, list[Entry]],
                       related: dict[tuple[str, str], list[str]],
                       stubs: dict[str, list[Entry]]) -> None:
        """The second pass over a prepared entry's related entries (as
        :meth:`related_entries` reads a plain one's): evidence for each pair, and a stub
        listing for each target no record has (made only for those; its fields still
        pickled: only the stub's winning listing is read, by :meth:`add_records`)."""
        assert entry.prepared is not None
        warnings = self.report.warnings
        for item in entry.prepared.related:
            if isinstance(item, Problem):
                warnings.append(item)
                continue
            target, fields, published = item
            evidence = related[(url, target)]
            if source not in evidence:
                evidence.append(source)
            if target not in full:  # a record's article is never a stub
                # (fields: bytes until this listing wins its stub, in add_records)
                stubs[target].append(Entry(target, fields, entry.path,  # type: ignore[arg-type]
                                           entry.line, published))

    def add_safely(self, entry: Entry, *, is_stub: bool, sources: list[str]) -> None:
        """Add an article; whatever that raises is the record's error, and leaves nothing."""
        try:
            if entry.prepared is not None and not is_stub:
                self.add_prepared(entry, entry.prepared, sources)
                return
            self.add_article(entry, is_stub=is_stub, sources=sources)
        except Exception as e:  # noqa: BLE001 - one record never stops a load
            node = article_id(entry.url)
            if node in self.g:
                self.in_dicts()
                self.g.remove_node(node)
                self.edge_log = None
            self.fail(entry, e)

    def title(self, entry: Entry, is_stub: bool) -> str:
        """The record's title; else, with a warning, its canonical URL."""
        raw = entry.fields.get("title")
        if isinstance(raw, str) and raw.strip():
            return raw.strip()
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return str(raw)  # YAML reads `title: 1984` as a number
        if not is_stub:
            why = "no title" if raw is None else (
                "an empty title" if isinstance(raw, str) else f"a title that is not text "
                f"({type(raw).__name__})")
            self.warn(entry.path, entry.line, f"record has {why}; titled by its URL {entry.url}")
        return entry.url

    def add_article(self, entry: Entry, *, is_stub: bool, sources: list[str]) -> None:
        f = entry.fields
        line = entry.line
        node = article_id(entry.url)
        attrs: dict[str, Any] = {
            "kind": ARTICLE,
            "url": entry.url,
            "web_url": _text(f.get("webUrl")),
            "original_url": _text(f.get("originalUrl")),
            "title": self.title(entry, is_stub),
            "excerpt": self.text(f, "excerpt", entry.path, line),
            "body": entry.body,
            "category": self.text(f, "category", entry.path, line),
            "type": self.text(f, "type", entry.path, line),
            "quality": self.score(f, "quality", entry.path, line),
            "heat": self.score(f, "heat", entry.path, line),
            "published": self.flag(f, "published", entry.path, line),
            "published_at": entry.published_at,
            "images": self.images(f.get("images"), entry.path, line),
            "secured": self.text(f, "secured", entry.path, line),
            "is_stub": is_stub,
            "sources": sources,
            "topics": entry.topics,
            "extra": {k: v for k, v in f.items() if k not in _KNOWN_FIELDS and k != "body"},
        }
        if is_stub:
            attrs["extra"] = {k: v for k, v in attrs["extra"].items() if k not in _STUB_FIELDS}
        provider = f.get("provider")
        if isinstance(provider, dict):  # what the provider node does not model stays here
            others = {k: v for k, v in provider.items() if k not in _PROVIDER_FIELDS}
            if others:
                attrs["extra"]["provider"] = others
        key = self.provider_of(f.get("provider"), entry.url, entry.path, line)
        attrs["provider"] = key
        if self.shared_links is not None:  # the loader's build: values shared as made
            share_node_values(attrs)
        g = self.g
        if isinstance(g, _Capture):  # prepare's: the dict itself, not a copy made of it
            g.attrs = attrs
        elif self.log_only and node not in g._node:
            # A cold build's new node (a stub): networkx's add_node, less its copy of the
            # dict (its keys in the same order) and its checks (the id is never None).
            g._succ[node] = {}
            g._pred[node] = {}
            g._node[node] = attrs
        else:
            if self.log_only:  # never so in a cold build
                self.in_dicts()
            g.add_node(node, **attrs)
        if self.log_only:
            self.logged_articles[entry.url] = node
        self.links(node, key, entry.topics)

    def add_prepared(self, entry: Entry, prepared: Prepared, sources: list[str]) -> None:
        """add_article, replayed from a record's :class:`Prepared`."""
        self.report.warnings.extend(prepared.article_warnings)
        attrs = prepared.attrs
        key = attrs["provider"]
        if prepared.provider_name is not None:
            self.provider_names[key][prepared.provider_name] += 1
        attrs["sources"] = sources
        attrs["topics"] = entry.topics
        node = article_id(entry.url)
        g = self.g
        if node in g._node:  # never so in a cold build: networkx's update of its attributes
            self.in_dicts()
            g.add_node(node, **attrs)
        else:  # the prepared dict becomes the node's, not a copy of it (memory)
            g._succ[node] = {}
            g._pred[node] = {}
            g._node[node] = attrs
            if self.log_only:
                self.logged_articles[entry.url] = node
        self.links(node, key, entry.topics)
        entry.prepared = None  # used: its memory is free for what the load builds next

    def provider_of(self, raw: Any, url: str, path: str, line: int | None) -> str:
        domain = raw.get("domain") if isinstance(raw, dict) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(raw, str) and raw.strip():  # `provider: The Guardian`, as feeds write it
            self.warn(path, line, f"provider {raw!r} is text, not a mapping {{name, domain}}: "
                      "read as its name")
            name = raw
        elif raw is not None and not isinstance(raw, dict | str):
            shown = repr(raw) if len(repr(raw)) <= 80 else repr(raw)[:79] + "…"
            self.warn(path, line, "provider dropped: expected a mapping {name, domain}, got "
                      f"{type(raw).__name__} {shown}; the provider is the URL's host")
        key = None
        if isinstance(domain, str) and domain.strip():
            key = self.provider_keys.get(domain)
            if key is None:
                try:
                    key = self.provider_keys[domain] = provider_key(domain)
                except InvalidURLError as e:
                    self.warn(path, line, f"provider domain ignored: {e}; using the URL's "
                                          "host")
        elif domain is not None and not isinstance(domain, str):  # it was ignored, unsaid
            self.warn(path, line, "provider domain ignored: expected text (a domain, like "
                                  f"'example.com'), got {_value_kind(domain)} "
                                  f"{_shown(domain)}; using the URL's host")
        if key is None:
            key = provider_key(url)
        if isinstance(name, int | float) and not isinstance(name, bool):
            name = str(name)  # JSON's `"name": 1843`, as YAML's plain 1843 is read
        if isinstance(name, str) and name.strip():
            self.provider_names[key][name.strip()] += 1
        elif name is not None and not isinstance(name, str):
            self.warn(path, line, f"provider name ignored: expected text, got {_kind(name)} "
                                  f"{_shown(name)}; the provider is named by its domain")
        return key

    def score(self, f: dict[str, Any], key: str, path: str, line: int | None) -> float | None:
        """``quality`` or ``heat``: a finite number in :data:`SCORE_RANGE` (also written as
        text, ``"39"``, as CMS exports write numbers), else None."""
        value = f.get(key)
        if value is None:
            return None
        low, high = SCORE_RANGE
        number = _number_of_text(value) if isinstance(value, str) else value
        if isinstance(number, int | float) and not isinstance(number, bool) \
                and (not isinstance(number, float) or math.isfinite(number)) \
                and low <= number <= high:
            return number
        shown = str(value) if isinstance(value, TooLongInteger) else _shown(value)
        self.warn(path, line, f"{key} dropped: expected a number from {low} to {high}, "
                              f"got {shown}")
        return None

    def text(self, f: dict[str, Any], key: str, path: str, line: int | None) -> str | None:
        """A field read as text: a number or boolean as JSON writes it (`category: true`
        in JSON is 'true'); a list or mapping is dropped with a warning (it was shown as
        Python's repr of it, "['news', 'tech']")."""
        value = f.get(key)
        if isinstance(value, str) and key == "category":
            # A category is matched whole by `where: {category:}`: ' news' matched no
            # filter, and '' (an export's empty column) answered "" where none is null.
            if not value.strip():
                self.warn(path, line, f"category dropped: it is empty ({_shown(value)}): "
                                      "write one, like 'news', or leave the field out")
                return None
            return value.strip()
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        self.warn(path, line, f"{key} dropped: expected text, got {_kind(value)} "
                              f"{_shown(value)}")
        return None

    def flag(self, f: dict[str, Any], key: str, path: str, line: int | None) -> bool | None:
        """A field read as true or false (``published``); anything else is dropped with a
        warning, which names publishedDateTime for a date (Obsidian's Web Clipper writes
        the publication date as `published:`)."""
        value = f.get(key)
        if value is None or isinstance(value, bool):
            return value
        hint = ""
        if isinstance(value, str) and value.strip():
            try:
                parse_datetime(value)
            except ValueError:
                pass
            else:
                hint = ("; if it is when the story was published, name the field "
                        "'publishedDateTime'")
        self.warn(path, line, f"{key} dropped: expected true or false, got "
                              f"{_shown(value)}{hint}")
        return None

    def images(self, raw: Any, path: str, line: int | None) -> list[dict[str, Any]]:
        if raw is None:
            return []
        shapes = "a mapping {url, width, height} or the image's URL as text"
        if isinstance(raw, dict) or (isinstance(raw, str) and raw.strip()):
            # One image written alone (`images: https://...`), as related reads one story
            self.warn(path, line, "images is one image, not a list: read as a list of it; "
                      "write it as a list (images: [- {url: https://..., width: ..., "
                      "height: ...}] or - https://...)")
            raw = [raw]
        elif not isinstance(raw, list):
            self.warn(path, line, f"images dropped: expected a list of images, each {shapes}, "
                      f"got {_value_kind(raw)} {_shown(raw)}")
            return []
        out = []
        for i, image in enumerate(raw):
            if isinstance(image, str) and image.strip():
                image = {"url": image.strip()}  # Hugo's `images: [cover.jpg]`
            elif not isinstance(image, dict):  # it alone is dropped: it dropped every image
                self.warn(path, line, f"images[{i}] dropped: expected {shapes}, got "
                                      f"{_value_kind(image)} {_shown(image)}")
                continue
            url = image.get("url")
            if url is not None and not isinstance(url, str):  # answered null, unsaid
                self.warn(path, line, f"images[{i}].url dropped: expected text (the image's "
                                      f"URL), got {_value_kind(url)} {_shown(url)}")
                image = {k: v for k, v in image.items() if k != "url"}
            for key in ("width", "height"):
                size = image.get(key)
                if size is None:
                    continue
                pixels = _pixels(size)
                if pixels is None:
                    self.warn(path, line, f"images[{i}].{key} dropped: expected pixels from "
                                          f"0 to {_MAX_INT}, got {_shown(size)}")
                    image = {k: v for k, v in image.items() if k != key}
                elif pixels is not size:
                    image = {**image, key: pixels}
            out.append(image)
        return out

    def name_nodes(self) -> None:
        for node, data in list(self.g.nodes(data=True)):
            if "kind" in data:
                continue
            prefix, _, key = node.partition(":")
            if prefix == PROVIDER:
                names = self.provider_names.get(key)
                data.update(kind=PROVIDER, domain=key, name=most_common(names) or key)
            else:
                data.update(kind=TOPIC, slug=key, name=most_common(self.topic_names[key]))

    def count(self, edge_log: list[tuple[str, str, str, dict[str, Any]]] | None = None
              ) -> None:
        """Count the report's nodes and edges (``edge_log``: every edge once, as
        :func:`build_graph` keeps it, counted by key in C rather than off the dicts)."""
        nodes = self.g._node.values()  # as g.nodes(data=...) and g.edges(keys=True) give
        kinds = Counter(d.get("kind") for d in nodes)
        r = self.report
        r.articles, r.providers, r.topics = kinds[ARTICLE], kinds[PROVIDER], kinds[TOPIC]
        r.stubs = sum(1 for d in nodes if d.get("is_stub"))
        edges = Counter(map(itemgetter(2), edge_log)) if edge_log is not None else Counter(
            chain.from_iterable(
                keydict for nbrs in self.g._succ.values() for keydict in nbrs.values()))
        r.edges = {kind: edges.get(kind, 0) for kind in EDGE_KINDS}


def most_common(names: Counter[str] | None) -> str | None:
    """Return the most frequent spelling, a tie going to the one counted first."""
    if not names:
        return None
    # Most frequent spelling; a tie goes to the spelling seen first.
    return max(names, key=lambda n: names[n])


def why_wins(winner: Entry, loser: Entry) -> str:
    """Say why ``winner`` wins over ``loser``, a listing of the same article."""
    if winner.published_at != loser.published_at:
        return "published later" if loser.published_at is not None else \
            "it has a publication date"
    return ("same publication date" if winner.published_at is not None else
            "neither has a publication date") + ", and it comes later by path and line"


def _number_of_text(text: str) -> int | float | None:
    """The number a text holds when it is one written as JSON writes it (``"39"``,
    ``" 57.5 "``); None otherwise."""
    text = text.strip()
    if len(text) > 40 or not _NUMBER_TEXT.fullmatch(text):
        return None
    return int(text) if text.lstrip("+-").isdigit() else float(text)


def _pixels(size: object) -> int | None:
    """An image's width or height: a whole number from 0 to :data:`_MAX_INT`, also
    written as text (``"1200"``) or as a whole float (``1200.0``); None for any other."""
    if isinstance(size, str):
        size = _number_of_text(size)
    if isinstance(size, float) and size.is_integer():
        size = int(size)
    if isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= _MAX_INT:
        return size
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"


def share_node_values(data: dict[str, Any]) -> None:
    """Let a node's values share objects with equal ones elsewhere, in memory and in
    snapshots: an article's URLs that equal its canonical URL, and short repeated strings
    (interned). A cold build (``share_links``) shares each article's as it is added, a
    prepared record's as it arrives; graph/incremental.py each article it makes. (Every
    TAGGED or PUBLISHED_BY edge's key and data dicts are one per kind from the build on.)"""
    intern = sys.intern
    url = data.get("url")
    if url is not None:
        for key in ("web_url", "original_url"):
            if data.get(key) == url:
                data[key] = url
    for key in ("category", "type", "provider"):
        value = data.get(key)
        if isinstance(value, str) and len(value) <= 64:
            data[key] = intern(value)
    topics = data.get("topics")
    if topics:
        data["topics"] = [intern(t) for t in topics]


def _share_prepared_values(attrs: dict[str, Any]) -> None:
    """:func:`share_node_values` of a prepared record's attributes (see
    :func:`prepare`: every key there, ``topics`` still empty), without its lookups of
    keys that may be missing: a cold load shares 100,000s as they arrive."""
    url = attrs["url"]
    if attrs["web_url"] == url:
        attrs["web_url"] = url
    if attrs["original_url"] == url:
        attrs["original_url"] = url
    intern = sys.intern
    for key in ("category", "type", "provider"):
        value = attrs[key]
        if isinstance(value, str) and len(value) <= 64:
            attrs[key] = intern(value)
    topics = attrs["topics"]
    if topics:
        attrs["topics"] = [intern(t) for t in topics]


_TOPIC_SEPARATORS = re.compile(r"[,;]")


def _text(value: Any) -> str | None:
    """A URL field's text; None for anything else (its URL was refused, with a warning,
    when the article's id was made)."""
    return value if isinstance(value, str) else None


# What YAML reads otherwise at the start of a plain item of a flow list (`[#ai]` is a
# comment, `[*new*]` an alias, `[[Video]]` a nested list), and inside one (`, `, `: `, ` #`).
_FLOW_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BREAKS = re.compile(r"[,\[\]{}]|: |:$| #")


def _flow_item(text: str) -> str:
    """``text`` as an item of a YAML flow list that reads back as it: plain when YAML would
    read it so, else in double quotes (JSON's escapes, which YAML reads too)."""
    if text[0] in _FLOW_INDICATORS or _FLOW_BREAKS.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


def _value_kind(value: Any) -> str:
    """What a value is, in YAML's and JSON's words: 'a list', 'a number', 'a boolean'."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _kind(value)


def _kind(value: Any) -> str:
    """What a value is, in YAML's and JSON's words: 'a list', 'a mapping'."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def build_graph(records: Iterable[Record], report: LoadReport, *,
                share_links: bool = False,
                edge_log: list[tuple[str, str, str, dict[str, Any]]] | None = None,
                leftovers: list[Any] | None = None) -> nx.MultiDiGraph:
    """Build the graph from parsed records, adding counts and problems to ``report``.
    ``share_links``: every TAGGED (PUBLISHED_BY) edge's key dict is one shared dict, for
    a graph that will not change (the loader's, frozen once built). ``edge_log`` (with
    ``share_links``): a list (emptied first) to which every edge is added as ``(source,
    target, key, data)``, in the order networkx's dicts would receive them (each node's
    out-edges and in-edges in their order: :meth:`graph.compact.EdgeArrays.of_log`); left empty when
    the build could not keep it so (a record's node removed after it failed). While it
    is kept, the edges are in it alone: the graph's dicts hold its nodes without edges,
    for :func:`graph.compact.compact` to make its arrays off the log. ``leftovers``: a
    list to which the build adds what it made for itself and is done with (the records'
    entries, the stub listings, the related pairs' keys), not freed: freeing them is ~0.2
    s of CPU at 100k records, which the caller may spend later (``leftovers.clear()``)."""
    return Builder(report).build(records, share_links=share_links, edge_log=edge_log,
                                 leftovers=leftovers)


def check_records(records: Iterable[Record], report: LoadReport) -> None:
    """Add to ``report`` the errors and warnings :func:`build_graph` would report for
    ``records``, by the same rules, without building a graph (what ingest checks a
    record with)."""
    Builder(report, _NodeSet()).add_records(records)  # type: ignore[arg-type,unused-ignore]


class _NodeSet:
    """Stands in for the graph while records are only checked: the nodes added, which
    is all the rules ask of the graph (whether an article is in it)."""

    __slots__ = ("_node", "_succ", "_pred")

    def __init__(self) -> None:
        self._node: dict[str, Any] = {}
        self._succ: dict[str, Any] = {}  # written by Builder.add_prepared, never read
        self._pred: dict[str, Any] = {}

    def add_node(self, node: str, **attrs: Any) -> None:
        self._node[node] = None

    def add_edge(self, u: str, v: str, key: str, **attrs: Any) -> None:
        self._node.setdefault(u)
        self._node.setdefault(v)

    def remove_node(self, node: str) -> None:
        self._node.pop(node, None)

    def __contains__(self, node: object) -> bool:
        return node in self._node
