"""What :mod:`graph.analytics` computed once for the load, in GraphQL: storylines,
centrality, timelines, co-topic weights and provider overlap, with their resolvers."""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

import graph
from graph.budget import Budget
from graph.errors import shown
from schema.connections import Connection, Edge, page_info
from schema.inputs import (
    MAX_FIRST,
    AfterArg,
    ArticleFilter,
    ArticleOrder,
    BeforeArg,
    FirstArg,
    LastArg,
    selection_of,
)
from schema.nodes import (
    Article,
    Node,
    Provider,
    Topic,
    TopicCount,
    article_page,
)
from schema.pagination import list_key, paginate

__all__ = ["TimeInterval", "Storyline", "StorylineConnection", "ProviderCount", "CoTopic",
           "ProviderOverlap", "CentralArticleEdge", "CentralArticleConnection", "Timeline",
           "TimelineBucket", "resolve_storylines", "resolve_storyline", "resolve_central",
           "resolve_timeline", "co_topics_of", "overlap_of", "storyline_of"]


@strawberry.enum(description="Bucket sizes of a timeline (UTC).")
class TimeInterval(Enum):
    _value_: str  # for mypy: the members' values are strings
    DAY = strawberry.enum_value("DAY", description="One bucket a day.")
    WEEK = strawberry.enum_value("WEEK", description="One bucket an ISO week, from Monday.")
    MONTH = strawberry.enum_value("MONTH", description="One bucket a calendar month.")


# -- storylines ------------------------------------------------------------------------


@strawberry.type(description="A provider with a count of stories.")
class ProviderCount:
    provider: Provider = strawberry.field(description="The provider.")
    count: int = strawberry.field(description="How many stories.")


@strawberry.type(description=(
    "A storyline: a community of stories joined by related links, shared topics and "
    "copies of one story (Louvain, fixed seed), computed once per load. Its id, "
    "'storyline:<16 hex digits>', is named after its central story: the same in every "
    "version of a followed graph while that story is its centre, unknown (null) after."))
class Storyline(Node):
    size: int = strawberry.field(description="How many stories (stubs included).")
    starts_at: datetime | None = strawberry.field(description="The earliest story's date.")
    ends_at: datetime | None = strawberry.field(description="The latest story's date.")
    _story: strawberry.Private[graph.analytics.Storyline]

    @classmethod
    def of(cls, s: graph.analytics.Storyline) -> Storyline:
        return cls(id=strawberry.ID(s.id), size=s.size, starts_at=s.starts_at,
                   ends_at=s.ends_at, _story=s)

    @strawberry.field(description="Its central story: the one with the highest PageRank.")
    def central(self, info: strawberry.Info) -> Article:
        return Article.from_node(info.context["kg"], self._story.central)

    @strawberry.field(description="Its stories.")
    def articles(self, info: strawberry.Info,
                 order_by: Annotated[ArticleOrder, strawberry.argument(
                     description="How to order them; newest first by default.")]
                 = ArticleOrder.PUBLISHED_AT_DESC,
                 first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
                 before: BeforeArg = None) -> Connection[Article]:
        kg = info.context["kg"]
        ids = graph.select.order_articles(kg, self._story.articles, order_by.value)
        return article_page(info, ids, first, after, last, before, (self.id, order_by))

    @strawberry.field(description="Its topics with how many of its stories have each, most first.")
    def top_topics(self, info: strawberry.Info, first: Annotated[int | None, strawberry.argument(
            description=f"How many: 0 to {MAX_FIRST}, 5 by default.")] = 5,
                   ) -> list[TopicCount]:
        kg = info.context["kg"]
        return [TopicCount(topic=Topic.from_node(kg, t), count=n)
                for _, (t, n) in paginate(self._story.topics, "", first).items]

    @strawberry.field(description="Its providers with how many of its stories each published.")
    def providers(self, info: strawberry.Info, first: FirstArg = None) -> list[ProviderCount]:
        kg = info.context["kg"]
        return [ProviderCount(provider=Provider.from_node(kg, p), count=n)
                for _, (p, n) in paginate(self._story.providers, "", first).items]


StorylineConnection = Connection[Storyline]


def resolve_storylines(info: strawberry.Info, first: int | None, after: str | None,
                       last: int | None = None, before: str | None = None
                       ) -> Connection[Storyline]:
    kg = info.context["kg"]
    return Connection[Storyline].of(info, kg.analytics.storylines, Storyline.of, first, after,
                                    last, before)


_STORYLINE_ID = re.compile(r"storyline:[0-9a-f]{16}")


def resolve_storyline(kg: graph.KnowledgeGraph, storyline_id: str) -> Storyline | None:
    """Return the storyline of an id, null when unknown; a malformed id is an error."""
    if not _STORYLINE_ID.fullmatch(storyline_id):
        raise graph.InvalidArgument(
            f"malformed id {shown(storyline_id)}: a storyline's id is 'storyline:<16 hex "
            "digits>', named after its central story (numbered ids were places in one "
            "version's list, and are no longer read): ask an article's `storyline { id }` "
            "or `storylines` for the current ids")
    found = kg.analytics.storyline_by_id.get(storyline_id)
    return Storyline.of(found) if found else None


def storyline_of(kg: graph.KnowledgeGraph, article: str) -> Storyline | None:
    found = kg.analytics.storyline_of.get(article)
    return Storyline.of(found) if found else None


# -- centrality, timelines, co-topics, overlap --------------------------------------------


@strawberry.type(description="An article with its PageRank, in a list.")
class CentralArticleEdge(Edge[Article]):
    score: float = strawberry.field(description="PageRank in the article graph (all sum to 1).")


@strawberry.type(description="A page of articles by PageRank, highest first.")
class CentralArticleConnection(Connection[Article]):
    edges: list[CentralArticleEdge] = strawberry.field(  # type: ignore[assignment]
        description="The articles of this page.")


def resolve_central(kg: graph.KnowledgeGraph, where: ArticleFilter | None, first: int | None,
                    after: str | None, last: int | None = None,
                    before: str | None = None, budget: Budget | None = None,
                    ) -> CentralArticleConnection:
    # Ids first, scores for the page only: the whole ranking is 131,331 ids at 100k.
    page = paginate(kg.analytics.central_ids(selection_of(where), budget),
                    list_key("central", where), first, after, last, before)
    rank = kg.analytics.pagerank
    return CentralArticleConnection(
        edges=[CentralArticleEdge(cursor=page.cursor(i), score=rank[a],
                                  node=Article.from_node(kg, a))
               for i, a in page.items],
        page_info=page_info(page), total_count=page.total)


@strawberry.type(description="One bucket of a timeline: [start, end) and its count.")
class TimelineBucket:
    start: datetime = strawberry.field(description="Where the bucket starts (included), UTC.")
    end: datetime = strawberry.field(description="Where it ends (excluded), UTC.")
    label: str = strawberry.field(description="'2022-02-21', '2022-W08' or '2022-02'.")
    count: int = strawberry.field(description="Articles published in it.")


@strawberry.type(description="Articles counted per day, week or month.")
class Timeline:
    interval: TimeInterval = strawberry.field(description="The bucket size.")
    buckets: list[TimelineBucket] = strawberry.field(description=(
        "Every bucket from the first dated article's to the last one's, empty ones included, "
        "oldest first."))
    total: int = strawberry.field(description="Dated articles counted.")
    undated: int = strawberry.field(description="Articles selected that have no date.")


def resolve_timeline(kg: graph.KnowledgeGraph, where: ArticleFilter | None,
                     interval: TimeInterval, budget: Budget | None = None) -> Timeline:
    buckets, undated = kg.analytics.timeline_of(selection_of(where), interval.value, budget)
    return Timeline(interval=interval, undated=undated, total=sum(b.count for b in buckets),
                    buckets=[TimelineBucket(start=b.start, end=b.end, label=b.label,
                                            count=b.count) for b in buckets])


@strawberry.type(description="A topic sharing articles with another, and how strongly.")
class CoTopic:
    topic: Topic = strawberry.field(description="The other topic.")
    count: int = strawberry.field(description="How many articles have both.")
    weight: float = strawberry.field(description=(
        "Jaccard index of the two topics' articles: both / either, 0 to 1."))


def co_topics_of(kg: graph.KnowledgeGraph, topic: str, first: int | None) -> list[CoTopic]:
    rows = kg.analytics.co_topics.get(topic, [])
    return [CoTopic(topic=Topic.from_node(kg, t), count=n, weight=w)
            for _, (t, n, w) in paginate(rows, "", first).items]


@strawberry.type(description="A provider covering the same stories as another.")
class ProviderOverlap:
    provider: Provider = strawberry.field(description="The other provider.")
    shared_storylines: int = strawberry.field(description=(
        "Storylines both published stories in."))
    same_stories: int = strawberry.field(description=(
        "Pairs of copies of one story, one from each (SAME_STORY)."))
    score: float = strawberry.field(description=(
        "Jaccard index of the storylines they cover: both / either, 0 to 1."))


def overlap_of(kg: graph.KnowledgeGraph, provider: str, first: int | None
               ) -> list[ProviderOverlap]:
    rows = kg.analytics.provider_overlap.get(provider, ())
    return [ProviderOverlap(provider=Provider.from_node(kg, p), shared_storylines=s,
                            same_stories=c, score=score)
            for _, (p, s, c, score) in paginate(rows, "", first).items]
