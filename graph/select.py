"""Selecting, ordering and searching articles; topic and provider aggregates.

The GraphQL ``ArticleFilter`` is a :class:`Selection`; resolvers hand it here and
map what comes back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graph import compact
from graph.build import ARTICLE, PROVIDER, PUBLISHED_BY, TAGGED, TOPIC, provider_id, topic_id
from graph.errors import InvalidArgument, InvalidURLError, shown
from graph.normalize import (
    fold,
    mentions_tokens,
    parse_datetime,
    phrase_regex,
    phrase_tokens,
    provider_key,
    topic_slug,
)

if TYPE_CHECKING:
    from graph.budget import Budget
    from graph.kg import KnowledgeGraph
    from graph.search import SearchHits

__all__ = ["Selection", "check_selection", "ORDERS", "select_articles", "checked", "CHECK_EVERY",
           "order_articles", "search", "search_by_scan", "provider_topics", "articles_of",
           "must_be_topic", "must_be_provider"]

ORDERS = ("PUBLISHED_AT_DESC", "PUBLISHED_AT_ASC", "QUALITY_DESC", "HEAT_DESC", "TITLE_ASC")


@dataclass(frozen=True, slots=True)
class Selection:
    """Conditions on articles, combined with AND; ``None`` leaves a condition out.

    ``topics`` and ``providers`` match any of their items, by slug or name and by
    domain (a URL or ``www.`` form works) respectively.
    """

    mentions: str | None = None
    topics: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    min_quality: float | None = None
    category: str | None = None
    is_stub: bool | None = None

    def __post_init__(self) -> None:
        for name, what in (("topics", "topic (a slug or name)"),
                           ("providers", "provider (a domain)")):
            given = getattr(self, name)
            if given is not None and not isinstance(given, tuple):
                # One given alone is one, not the topics of its characters ("ai": 'a', 'i')
                object.__setattr__(self, name, (given,) if isinstance(given, str)
                                   else tuple(given))
            # An empty list matched no article, unsaid (a form with every box cleared sends it).
            if getattr(self, name) is not None and not getattr(self, name):
                raise InvalidArgument(f"{name} is empty: give at least one {what}, or leave "
                                      f"{name} out to keep articles of any {name[:-1]}")
        if isinstance(self.category, str) and not self.category.strip():
            # "" kept the articles with no category and "   " none, unsaid
            raise InvalidArgument("category is empty: give one, like 'news', or leave "
                                  "category out")

    @property
    def empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__slots__)

    def check(self) -> None:
        """Raise InvalidArgument for what no corpus could match: a phrase without a letter
        or digit, a topic or provider that cannot be one (a query finds these as it runs;
        a watch that runs only at the next change calls this when it starts)."""
        if self.mentions is not None:
            mentions_tokens(self.mentions)
        for topic in self.topics or ():
            must_be_topic(topic)
        for provider in self.providers or ():
            must_be_provider(provider)

    def predicate(self, kg: KnowledgeGraph, budget: Budget | None = None):
        """Return a function of a node id that is True for the articles selected; the
        first look for a ``mentions`` phrase is charged to ``budget``'s deadline."""
        g = kg.nx
        matches = (kg.index.mentioning(mentions_tokens(self.mentions), budget=budget)
                   if self.mentions is not None else None)
        pos = kg.index.pos
        topics = _resolve_all(kg.topic, self.topics, must_be_topic)
        providers = _resolve_all(kg.provider, self.providers, must_be_provider)
        after = _utc(self.published_after, "publishedAfter")
        before = _utc(self.published_before, "publishedBefore")
        category = self.category.strip().lower() if self.category is not None else None

        def keep(node: str) -> bool:
            data = g.nodes[node]
            if data.get("kind") != ARTICLE:
                return False
            if matches is not None and pos[node] not in matches:
                return False
            if self.is_stub is not None and bool(data.get("is_stub")) != self.is_stub:
                return False
            if providers is not None and provider_id(data['provider']) not in providers:
                return False
            if topics is not None and not any(topic_id(s) in topics for s in data["topics"]):
                return False
            published = data.get("published_at")
            if after is not None and (published is None or published < after):
                return False
            if before is not None and (published is None or published > before):
                return False
            if self.min_quality is not None and (data.get("quality") is None
                                                 or data["quality"] < self.min_quality):
                return False
            if category is not None and (data.get("category") or "").lower() != category:
                return False
            return True

        return keep


def check_selection(selection: Any, name: str) -> None:
    """Refuse a ``where`` that is no :class:`Selection` (a dict in the GraphQL filter's
    shape raised AttributeError from deep inside), naming what was given."""
    if selection is not None and not isinstance(selection, Selection):
        raise TypeError(f"{name} takes a graph.select.Selection (or None for every article); "
                        f"got {type(selection).__name__} {selection!r:.60}: e.g. "
                        "Selection(topics=('ai',))")


def _resolve_all(lookup, refs: Iterable[str] | None,
                 must_be: Callable[[str], None]) -> set[str] | None:
    """Return the nodes ``refs`` name; one the corpus lacks names none, one no corpus
    could hold (``must_be`` refuses it) raises InvalidArgument."""
    if refs is None:
        return None
    found = set()
    for ref in refs:
        node = lookup(ref)
        if node is None:
            must_be(ref)
        else:
            found.add(node)
    return found


def must_be_topic(ref: str) -> None:
    """Raise InvalidArgument when ``ref`` cannot name a topic: no letter or digit (every
    slug has one), with or without its ``topic:`` prefix."""
    if not topic_slug(ref.removeprefix(f"{TOPIC}:")):
        raise InvalidArgument(
            f"{shown(ref)} cannot be a topic: a topic's slug or name holds a letter or digit, "
            "like 'facial-recognition' or 'Facial Recognition'")


def must_be_provider(ref: str) -> None:
    """Raise InvalidArgument when ``ref`` cannot name a provider: no domain, URL or
    ``www.`` form, with or without its ``provider:`` prefix."""
    try:
        provider_key(ref.removeprefix(f"{PROVIDER}:"))
    except InvalidURLError as e:
        raise InvalidArgument(str(e)) from e


def _utc(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as e:
        raise InvalidArgument(f"{name}: {e}") from e


def order_articles(kg: KnowledgeGraph, nodes: Iterable[str],
                   order: str = "PUBLISHED_AT_DESC") -> list[str]:
    """Return article ids sorted by an order from :data:`ORDERS`; ties go by id."""
    if order not in ORDERS:
        raise InvalidArgument(f"unknown order {shown(order)}: expected one of {', '.join(ORDERS)}")
    g = kg.nx
    nodes = sorted(nodes)  # the final tie-break, kept by the stable sorts below
    if order == "TITLE_ASC":
        nodes.sort(key=lambda n: g.nodes[n]["title"].casefold())
    elif order in ("PUBLISHED_AT_DESC", "PUBLISHED_AT_ASC"):
        newest = kg.index.newest_first
        pos = kg.index.pos
        if order == "PUBLISHED_AT_DESC":
            nodes.sort(key=lambda n: newest[pos[n]])
        else:  # oldest first; undated articles still last
            nodes.sort(key=lambda n: (newest[pos[n]] == float("inf"), -newest[pos[n]]))
    else:
        field = "quality" if order == "QUALITY_DESC" else "heat"
        nodes.sort(key=lambda n: (g.nodes[n].get(field) is None, -(g.nodes[n].get(field) or 0)))
    return nodes


def select_articles(kg: KnowledgeGraph, selection: Selection | None = None,
                    order: str = "PUBLISHED_AT_DESC",
                    among: Iterable[str] | None = None,
                    budget: Budget | None = None) -> list[str]:
    """Return the ids of the articles that ``selection`` keeps, in ``order``; the
    deadline of ``budget`` is looked at every :data:`CHECK_EVERY` articles tested."""
    index = kg.index
    if among is None:
        among = index.ids_in_order(ARTICLE)
    if selection is not None and not selection.empty:
        keep = selection.predicate(kg, budget)
        among = (n for n in checked(among, budget) if keep(n))
    elif budget is not None:
        budget.check_time()
    return order_articles(kg, among, order)


CHECK_EVERY = 4096  # articles a filter tests between two looks at the deadline


def checked(items: Iterable[str], budget: Budget | None) -> Iterator[str]:
    """Yield ``items``, looking at ``budget``'s deadline every :data:`CHECK_EVERY`."""
    if budget is None:
        yield from items
        return
    for k, item in enumerate(items):
        if k % CHECK_EVERY == 0:
            budget.check_time()
        yield item


def articles_of(kg: KnowledgeGraph, node: str) -> list[str]:
    """Return the ids of the articles tagged with a topic or published by a provider."""
    kind = TAGGED if kg.nx.nodes[node]["kind"] == "topic" else PUBLISHED_BY
    return compact.sources(kg.nx, node, kind)


# Search ranks a hit in the title above one in the excerpt above one in the body.
_SEARCH_FIELDS = (("title", 3), ("excerpt", 2), ("body", 1))


def search(kg: KnowledgeGraph, text: str,
           check: Callable[[int], None] | None = None) -> SearchHits:
    """Return ``(article_id, field)`` for articles holding every token of ``text``.

    Ranked by the best field holding the whole phrase (title, then excerpt, then
    body), then by the best field holding all the tokens, then newest first.
    ``field`` names the best field the phrase (or, failing that, the tokens) was in.
    Read off the search index (graph/search.py); ``check(n)`` hears of every ``n``
    articles whose text is read to rank them.
    """
    return kg.analytics.search_index.search(kg, text, check)


def search_by_scan(kg: KnowledgeGraph, text: str) -> list[tuple[str, str]]:
    """:func:`search` without an index, reading every candidate's fields: the reference
    the index is tested against."""
    wanted = phrase_tokens(text)
    if not wanted:
        raise InvalidArgument(f"search text {text!r} has no letters or digits to search for")
    index = kg.index
    candidates = set.intersection(*(index.postings.get(t, set()) for t in wanted))
    # The token rule as regexes over case-folded text, so no field is split into a list:
    # a token is a maximal run of letters and digits, a phrase its tokens with any
    # non-alphanumeric run between them.
    phrase = re.compile(phrase_regex(wanted))
    each = [re.compile(phrase_regex((t,))) for t in dict.fromkeys(wanted)]
    ranked = []
    for i in candidates:
        data = kg.nx.nodes[index.ids[i]]
        phrase_in = tokens_in = None
        for name, weight in _SEARCH_FIELDS:
            text = fold(data.get(name) or "")
            if not text:
                continue
            if tokens_in is None and all(p.search(text) for p in each):
                tokens_in = (name, weight)
            if tokens_in is not None and phrase_in is None and phrase.search(text):
                phrase_in = (name, weight)
        hit = phrase_in or tokens_in or ("topics", 0)
        rank = (-(phrase_in or ("", 0))[1], -(tokens_in or ("", 0))[1], *index.order_key(i))
        ranked.append((rank, index.ids[i], hit[0]))
    ranked.sort()
    return [(node, field_hit) for _, node, field_hit in ranked]




def provider_topics(kg: KnowledgeGraph, provider: str) -> list[tuple[str, int]]:
    """Return ``(topic_id, articles)`` for the topics a provider covers, most first."""
    counts: Counter[str] = Counter()
    for article in articles_of(kg, provider):
        for slug in kg.nx.nodes[article]["topics"]:
            counts[topic_id(slug)] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
