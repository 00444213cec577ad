"""The explorer's GraphQL surface: paths with evidence, storylines, centrality, timelines,
co-topic weights and provider overlap, with their resolvers.

Everything here reads what :mod:`graph.analytics` computed once for the load, or runs
one call of :mod:`graph.explore` / :mod:`graph.paths`.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

import graph
from graph.budget import Budget
from graph.paths import GraphPath, k_shortest_paths
from graph.paths import StoryLink as GraphStoryLink
from schema.pagination import encode_cursor, paginate
from schema.types import (
    AfterArg,
    Article,
    ArticleConnection,
    ArticleFilter,
    ArticleOrder,
    EdgeKind,
    FirstArg,
    GraphEdge,
    Node,
    PageInfo,
    Provider,
    Topic,
    TopicCount,
    check_hops,
    node_of,
    page_info,
    selection_of,
    via_of,
)

__all__ = ["TimeInterval", "StoryLinkKind", "StoryLink", "Storyline", "StorylineConnection",
           "ProviderCount", "CoTopic", "ProviderOverlap", "CentralArticleConnection",
           "Timeline", "TimelineBucket", "story_links_of", "resolve_paths",
           "resolve_storylines", "resolve_storyline", "resolve_central", "resolve_timeline",
           "co_topics_of", "overlap_of", "storyline_of"]


@strawberry.enum(description="Bucket sizes of a timeline (UTC).")
class TimeInterval(Enum):
    _value_: str  # for mypy: the members' values are strings
    DAY = strawberry.enum_value("DAY", description="One bucket a day.")
    WEEK = strawberry.enum_value("WEEK", description="One bucket an ISO week, from Monday.")
    MONTH = strawberry.enum_value("MONTH", description="One bucket a calendar month.")


@strawberry.enum(description="Why two consecutive stories of a path are linked.")
class StoryLinkKind(Enum):
    _value_: str  # for mypy: the members' values are strings
    RELATED = strawberry.enum_value(
        "RELATED", description="One story lists the other as related.")
    SHARED_TOPIC = strawberry.enum_value(
        "SHARED_TOPIC", description="Both stories are tagged with one topic (`through`).")
    SHARED_PROVIDER = strawberry.enum_value(
        "SHARED_PROVIDER", description="Both stories are published by one provider (`through`).")
    SAME_STORY = strawberry.enum_value(
        "SAME_STORY", description="Copies of one story from different providers.")


# -- paths ---------------------------------------------------------------------------


@strawberry.type(description=(
    "Why two consecutive stories of a path are linked, with the records that say so."))
class StoryLink:
    source: Article = strawberry.field(description="The earlier story along the path.")
    target: Article = strawberry.field(description="The next story along the path.")
    kind: StoryLinkKind = strawberry.field(description="How they are linked.")
    through: Node | None = strawberry.field(description=(
        "The topic or provider the two stories share; null for a direct link."))
    evidence: list[str] = strawberry.field(description=(
        "The records ('path:line') behind the link: the record that lists a related "
        "story, the records that tag or publish the two stories, or carry the two copies."))
    text: str = strawberry.field(description="The link in words, ready to show.")


def story_links_of(kg: graph.KnowledgeGraph, links: tuple[GraphStoryLink, ...] | list[
        GraphStoryLink]) -> list[StoryLink]:
    """Map graph story links to GraphQL."""
    return [StoryLink(source=Article.from_node(kg, x.source),
                      target=Article.from_node(kg, x.target), kind=StoryLinkKind(x.kind),
                      through=node_of(kg, x.through) if x.through else None,
                      evidence=list(x.evidence), text=x.text) for x in links]


def _path(kg: graph.KnowledgeGraph, p: GraphPath):
    from schema.traversal import Path

    return Path(length=p.length, nodes=[node_of(kg, n) for n in p.nodes],
                edges=[GraphEdge.from_edge(e) for e in p.edges],
                links=story_links_of(kg, p.links))


def resolve_paths(kg: graph.KnowledgeGraph, start: str, end: str, k: int, max_hops: int,
                  via: list[EdgeKind] | None, budget: Budget | None = None) -> list:
    check_hops(max_hops, name="maxHops")
    a, b = kg.resolve(start, missing_ok=True), kg.resolve(end, missing_ok=True)
    if a is None or b is None:
        return []
    return [_path(kg, p) for p in k_shortest_paths(kg, a, b, k, max_hops, via_of(via),
                                                   budget)]


# -- storylines ------------------------------------------------------------------------


@strawberry.type(description="A provider with a count of stories.")
class ProviderCount:
    provider: Provider = strawberry.field(description="The provider.")
    count: int = strawberry.field(description="How many stories.")


@strawberry.type(description=(
    "A storyline: a community of stories joined by related links, shared topics and "
    "copies of one story (Louvain, fixed seed), computed once per load."))
class Storyline:
    id: strawberry.ID = strawberry.field(description=(
        "'storyline:<n>', numbered from 1 by size (largest first); stable for a load."))
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
                 first: FirstArg = None, after: AfterArg = None) -> ArticleConnection:
        kg = info.context["kg"]
        ids = graph.select.order_articles(kg, self._story.articles, order_by.value)
        return ArticleConnection.of(kg, ids, first, after)

    @strawberry.field(description="Its topics with how many of its stories have each, most first.")
    def top_topics(self, info: strawberry.Info, first: Annotated[int | None, strawberry.argument(
            description="How many: 0 to 100, 5 by default.")] = 5) -> list[TopicCount]:
        kg = info.context["kg"]
        return [TopicCount(topic=Topic.from_node(kg, t), count=n)
                for _, (t, n) in paginate(self._story.topics, first, None).items]

    @strawberry.field(description="Its providers with how many of its stories each published.")
    def providers(self, info: strawberry.Info, first: FirstArg = None) -> list[ProviderCount]:
        kg = info.context["kg"]
        return [ProviderCount(provider=Provider.from_node(kg, p), count=n)
                for _, (p, n) in paginate(self._story.providers, first, None).items]


@strawberry.type(description="A storyline in a list, with its cursor.")
class StorylineEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this edge.")
    node: Storyline = strawberry.field(description="The storyline.")


@strawberry.type(description="A page of storylines, largest first.")
class StorylineConnection:
    edges: list[StorylineEdge] = strawberry.field(description="The storylines of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many storylines in all pages.")


def resolve_storylines(kg: graph.KnowledgeGraph, first: int | None,
                       after: str | None) -> StorylineConnection:
    page = paginate(kg.analytics.storylines, first, after)
    return StorylineConnection(
        edges=[StorylineEdge(cursor=encode_cursor(i), node=Storyline.of(s))
               for i, s in page.items],
        page_info=page_info(page), total_count=page.total)


def resolve_storyline(kg: graph.KnowledgeGraph, storyline_id: str) -> Storyline | None:
    found = kg.analytics.storyline_by_id.get(storyline_id)
    return Storyline.of(found) if found else None


def storyline_of(kg: graph.KnowledgeGraph, article: str) -> Storyline | None:
    found = kg.analytics.storyline_of.get(article)
    return Storyline.of(found) if found else None


# -- centrality, timelines, co-topics, overlap --------------------------------------------


@strawberry.type(description="An article with its PageRank, in a list.")
class CentralArticleEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this edge.")
    score: float = strawberry.field(description="PageRank in the article graph (all sum to 1).")
    node: Article = strawberry.field(description="The article.")


@strawberry.type(description="A page of articles by PageRank, highest first.")
class CentralArticleConnection:
    edges: list[CentralArticleEdge] = strawberry.field(description="The articles of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many articles in all pages.")


def resolve_central(kg: graph.KnowledgeGraph, where: ArticleFilter | None, first: int | None,
                    after: str | None) -> CentralArticleConnection:
    page = paginate(kg.analytics.central(selection_of(where)), first, after)
    return CentralArticleConnection(
        edges=[CentralArticleEdge(cursor=encode_cursor(i), score=score,
                                  node=Article.from_node(kg, a))
               for i, (a, score) in page.items],
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
                     interval: TimeInterval) -> Timeline:
    buckets, undated = kg.analytics.timeline_of(selection_of(where), interval.value)
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
            for _, (t, n, w) in paginate(rows, first, None).items]


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
    rows = kg.analytics.provider_overlap.get(provider, [])
    return [ProviderOverlap(provider=Provider.from_node(kg, p), shared_storylines=s,
                            same_stories=c, score=score)
            for _, (p, s, c, score) in paginate(rows, first, None).items]
