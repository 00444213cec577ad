"""Strawberry types over the knowledge graph: Node, Article, Topic, Provider and friends.

Each type is built from a graph node by ``from_node``; resolvers call one
``graph`` function and map its result.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

import graph
from graph import select
from graph.build import ARTICLE, PROVIDER, TOPIC, provider_id, topic_id
from graph.traverse import Edge
from schema.pagination import Page, encode_cursor, paginate

if TYPE_CHECKING:
    from schema.explore import CoTopic, ProviderOverlap, Storyline
    from schema.traversal import Path, Subgraph, WithinConnection

MAX_HOPS = 4


def kg_of(info: Info) -> graph.KnowledgeGraph:
    """Return the knowledge graph the request runs against."""
    return info.context["kg"]


# -- enums and inputs ----------------------------------------------------------------


@strawberry.enum(description="The kinds of edge in the graph.")
class EdgeKind(Enum):
    _value_: str  # for mypy: the members' values are strings
    RELATED = strawberry.enum_value("RELATED", description="An article lists another as related.")
    PUBLISHED_BY = strawberry.enum_value(
        "PUBLISHED_BY", description="An article is published by a provider.")
    TAGGED = strawberry.enum_value("TAGGED", description="An article is tagged with a topic.")
    SAME_STORY = strawberry.enum_value("SAME_STORY", description=(
        "Derived: two articles from different providers whose headlines agree (copies of "
        "one story). Walked by every traversal, but only when named in `via`."))


@strawberry.enum(description="The kinds of node in the graph.")
class NodeKind(Enum):
    _value_: str  # for mypy: the members' values are strings
    ARTICLE = strawberry.enum_value("article", description="A news story (full record or stub).")
    PROVIDER = strawberry.enum_value("provider", description="A publisher, keyed by domain.")
    TOPIC = strawberry.enum_value("topic", description="A topic, keyed by slug.")


@strawberry.enum(description="Layouts a subgraph can come with.")
class GraphLayout(Enum):
    _value_: str  # for mypy: the members' values are strings
    FORCE = strawberry.enum_value("FORCE", description=(
        "Force-directed (networkx spring_layout, fixed seed): the same subgraph always gets "
        "the same x, y."))


@strawberry.enum(description="Orders for lists of articles; ties go by id.")
class ArticleOrder(Enum):
    _value_: str  # for mypy: the members' values are strings
    PUBLISHED_AT_DESC = strawberry.enum_value("PUBLISHED_AT_DESC", description="Newest first.")
    PUBLISHED_AT_ASC = strawberry.enum_value("PUBLISHED_AT_ASC", description="Oldest first.")
    QUALITY_DESC = strawberry.enum_value("QUALITY_DESC", description="Highest quality first.")
    HEAT_DESC = strawberry.enum_value("HEAT_DESC", description="Hottest first.")
    TITLE_ASC = strawberry.enum_value("TITLE_ASC", description="By title, A to Z.")


@strawberry.input(description="Conditions on articles. Every field given must hold (AND).")
class ArticleFilter:
    mentions: str | None = strawberry.field(default=None, description=(
        "A phrase the title, excerpt, body or a topic name holds: its lowercase letter-and-"
        "digit tokens, consecutively. 'facial recognition' matches 'Facial-Recognition' "
        "but not 'face recognition'."))
    topics: list[str] | None = strawberry.field(
        default=None, description="Any of these topics, by slug or name.")
    providers: list[str] | None = strawberry.field(
        default=None, description="Any of these providers, by domain, www. form or URL.")
    published_after: datetime | None = strawberry.field(
        default=None, description="Published at or after this instant.")
    published_before: datetime | None = strawberry.field(
        default=None, description="Published at or before this instant.")
    min_quality: float | None = strawberry.field(
        default=None, description="Quality at least this.")
    category: str | None = strawberry.field(
        default=None, description="This category, case-insensitive (e.g. 'news').")
    is_stub: bool | None = strawberry.field(default=None, description=(
        "True for stubs only (articles known only from another record's related list), "
        "false for full records only."))

    def selection(self) -> select.Selection:
        return select.Selection(
            mentions=self.mentions,
            topics=tuple(self.topics) if self.topics is not None else None,
            providers=tuple(self.providers) if self.providers is not None else None,
            published_after=self.published_after, published_before=self.published_before,
            min_quality=self.min_quality, category=self.category, is_stub=self.is_stub)


def selection_of(where: ArticleFilter | None) -> select.Selection | None:
    return where.selection() if where is not None else None


def via_of(via: list[EdgeKind] | None) -> list[str] | None:
    return [k.value for k in via] if via is not None else None


HopsArg = Annotated[int, strawberry.argument(
    description=f"How far to walk: 1 to {MAX_HOPS}. Every node (article, topic, provider) "
                "counts as a hop.")]
ViaArg = Annotated[list[EdgeKind] | None, strawberry.argument(
    description="Edge kinds to walk, in either direction; RELATED, PUBLISHED_BY and TAGGED "
                "by default.")]
WhereArg = Annotated[ArticleFilter | None, strawberry.argument(
    description="Conditions on the articles returned.")]
FirstArg = Annotated[int | None, strawberry.argument(
    description="Page size: 0 to 100, 20 by default.")]
OrderArg = Annotated[ArticleOrder, strawberry.argument(
    description="How to order the articles; newest first by default.")]
AfterArg = Annotated[str | None, strawberry.argument(
    description="Return items after this cursor (an edge's cursor or pageInfo.endCursor).")]
NeighborhoodHopsArg = Annotated[int, strawberry.argument(
    description=f"How far to walk: 0 to {MAX_HOPS}.")]
LimitArg = Annotated[int, strawberry.argument(
    description="At most this many nodes (1 to 2000); `truncated` says when it cut, and "
                "`cursor` continues.")]
NodeKindsArg = Annotated[list[NodeKind] | None, strawberry.argument(
    description="Node kinds kept; all by default. A node of another kind is neither returned "
                "nor walked through; the seeds always are kept.")]
NeighborhoodWhereArg = Annotated[ArticleFilter | None, strawberry.argument(
    description="Conditions on the articles kept; its publishedAfter and publishedBefore are "
                "the publication-date window. An article that fails them is neither returned "
                "nor walked through; topics and providers are not subject to it.")]
ExcludeArg = Annotated[list[strawberry.ID] | None, strawberry.argument(
    description="Nodes the client already has (at most 10000): walked through, so hops stay "
                "those of the full walk, but never returned. Pass every node drawn so far to "
                "get only what is new, with the edges that attach it to the drawing.")]
FrontierArg = Annotated[str | None, strawberry.argument(
    name="after", description="The `cursor` of the previous page: continue the same walk.")]
LayoutArg = Annotated[GraphLayout | None, strawberry.argument(
    description="FORCE to give each node x, y (seeded, so stable); none by default.")]


def check_hops(hops: int, name: str = "hops") -> int:
    return graph.traverse.check_hops(hops, low=1, high=MAX_HOPS, name=name)


# -- small value types ----------------------------------------------------------------


@strawberry.type(description="An image of an article.")
class Image:
    url: str | None = strawberry.field(description="Where the image is.")
    width: int | None = strawberry.field(description="Width in pixels.")
    height: int | None = strawberry.field(description="Height in pixels.")
    is_cached: bool | None = strawberry.field(description="Whether the source cached it.")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Image:
        def num(v: Any) -> int | None:
            return v if isinstance(v, int) and not isinstance(v, bool) else None
        cached = d.get("isCached")
        return cls(url=d.get("url") if isinstance(d.get("url"), str) else None,
                   width=num(d.get("width")), height=num(d.get("height")),
                   is_cached=cached if isinstance(cached, bool) else None)


@strawberry.type(description="Where a Relay connection stands.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass as `after`.")


def page_info(page: Page[Any]) -> PageInfo:
    items = page.items
    return PageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous,
                    start_cursor=encode_cursor(items[0][0]) if items else None,
                    end_cursor=encode_cursor(items[-1][0]) if items else None)


@strawberry.type(description="A directed edge of the graph, as graph explorers draw it.")
class GraphEdge:
    id: strawberry.ID = strawberry.field(description="Stable id: KIND:source->target.")
    source: strawberry.ID = strawberry.field(description="Id of the node the edge leaves.")
    target: strawberry.ID = strawberry.field(description="Id of the node the edge enters.")
    kind: EdgeKind = strawberry.field(description="What the edge means.")
    evidence: list[str] = strawberry.field(description=(
        "The records ('path:line') the edge rests on: for RELATED the records that listed "
        "it; for TAGGED and PUBLISHED_BY the record the article's fields came from; for "
        "SAME_STORY the records carrying the two headlines."))

    @classmethod
    def from_edge(cls, e: Edge) -> GraphEdge:
        return cls(id=strawberry.ID(e.id), source=strawberry.ID(e.source),
                   target=strawberry.ID(e.target), kind=EdgeKind(e.kind),
                   evidence=list(e.evidence))


def node_of(kg: graph.KnowledgeGraph, node_id: str) -> Node:
    """Return the GraphQL object for a node id known to be in the graph."""
    kind = kg.nx.nodes[node_id]["kind"]
    return _NODE_TYPES[kind].from_node(kg, node_id)


# -- the Node interface, with traversal shared by every kind --------------------------


@strawberry.interface(description=(
    "A node of the graph: an Article, Topic or Provider. Its id is readable and stable "
    "across restarts: 'article:<canonical URL>', 'topic:<slug>' or 'provider:<domain>'."))
class Node:
    id: strawberry.ID = strawberry.field(description="Global id of the node.")

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, abstract_type: Any) -> str:
        # Every Node is one of our own types: name it directly instead of Strawberry's
        # generic lookup, which dominated the cost of lists of nodes.
        return obj.__strawberry_definition__.name

    @strawberry.field(description=(
        "Nodes within `hops` of this one, nearest first, then newest, then by id; each edge "
        "carries its distance and the path that explains it. Articles only by default."))
    def within(self, info: Info, hops: HopsArg = 2, via: ViaArg = None, where: WhereArg = None,
               kinds: Annotated[list[NodeKind] | None, strawberry.argument(
                   description="Node kinds returned; [ARTICLE] by default. "
                               "A `where` keeps articles only.")] = None,
               first: FirstArg = None, after: AfterArg = None,
               ) -> Annotated[WithinConnection, strawberry.lazy("schema.traversal")]:
        from schema.limits import budget_of
        from schema.traversal import resolve_within

        return resolve_within(kg_of(info), str(self.id), hops, via, where, kinds, first, after,
                              budget_of(info))

    @strawberry.field(description=(
        "The subgraph within `hops` of this node: nodes with their distance, degree and size, "
        "and the edges among them with their evidence, in the shape graph explorers draw. "
        "Expand a clicked node with `exclude` (what is drawn) and page with `after`."))
    def neighborhood(self, info: Info, hops: NeighborhoodHopsArg = 1, via: ViaArg = None,
                     limit: LimitArg = 200, kinds: NodeKindsArg = None,
                     where: NeighborhoodWhereArg = None, exclude: ExcludeArg = None,
                     after: FrontierArg = None, layout: LayoutArg = None,
                     ) -> Annotated[Subgraph, strawberry.lazy("schema.traversal")]:
        from schema.limits import budget_of
        from schema.traversal import resolve_neighborhood

        return resolve_neighborhood(kg_of(info), [str(self.id)], hops, via, limit, kinds,
                                    where, exclude, after, layout, budget_of(info))

    @strawberry.field(description=(
        "A shortest path from this node to another, as nodes and edges; null when there is "
        "none within `maxHops`."))
    def path_to(self, info: Info,
                id: Annotated[strawberry.ID, strawberry.argument(
                    description="The node to reach: a node id or an article URL.")],
                via: ViaArg = None,
                max_hops: Annotated[int, strawberry.argument(
                    description=f"Longest path considered: 1 to {MAX_HOPS}.")] = 4,
                ) -> Annotated[Path, strawberry.lazy("schema.traversal")] | None:
        from schema.limits import budget_of
        from schema.traversal import resolve_path

        return resolve_path(kg_of(info), str(self.id), str(id), via, max_hops, budget_of(info))


@strawberry.type(description="A news story: a full record, or a stub known from a related list.")
class Article(Node):
    url: str = strawberry.field(description="Canonical URL: the article's identity.")
    web_url: str | None = strawberry.field(description="webUrl as the record gave it.")
    original_url: str | None = strawberry.field(description="originalUrl as the record gave it.")
    title: str = strawberry.field(description="Headline.")
    excerpt: str | None = strawberry.field(description="Summary or lead.")
    body: str | None = strawberry.field(description="Markdown body after the front matter.")
    category: str | None = strawberry.field(description="Category, e.g. 'news'.")
    type: str | None = strawberry.field(description="Record type, e.g. 'article'.")
    published_at: datetime | None = strawberry.field(description="Publication time, UTC.")
    quality: float | None = strawberry.field(description="Quality score from the source.")
    heat: float | None = strawberry.field(description="Heat (popularity) score from the source.")
    published: bool | None = strawberry.field(description="The record's `published` flag.")
    images: list[Image] = strawberry.field(description="Images of the article.")
    is_stub: bool = strawberry.field(description=(
        "True when no record of its own was loaded: it is known only from another "
        "record's related list."))
    sources: list[str] = strawberry.field(description=(
        "Where it came from, as 'path:line': the records that define it, or for a stub "
        "the records that list it."))
    secured: str | None = strawberry.field(description="The opaque `secured` blob, verbatim.")
    extra: JSON = strawberry.field(description="Fields of the record newsgraph does not model.")
    _provider: strawberry.Private[str]
    _topics: strawberry.Private[list[str]]

    @classmethod
    def from_node(cls, kg: graph.KnowledgeGraph, node_id: str) -> Article:
        d = kg.nx.nodes[node_id]
        return cls(
            id=strawberry.ID(node_id), url=d["url"], web_url=d.get("web_url"),
            original_url=d.get("original_url"), title=d["title"], excerpt=d.get("excerpt"),
            body=d.get("body"), category=d.get("category"), type=d.get("type"),
            published_at=d.get("published_at"), quality=d.get("quality"), heat=d.get("heat"),
            published=d.get("published"),
            images=[Image.from_dict(i) for i in d.get("images") or ()],
            is_stub=bool(d.get("is_stub")), sources=list(d.get("sources") or ()),
            secured=d.get("secured") if isinstance(d.get("secured"), str) else None,
            extra=JSON(d.get("extra") or {}), _provider=d["provider"],
            _topics=d.get("topics") or [])

    @strawberry.field(description="Who published it.")
    def provider(self, info: Info) -> Provider:
        return Provider.from_node(kg_of(info), provider_id(self._provider))

    @strawberry.field(description="Its topics, in the record's order.")
    def topics(self, info: Info) -> list[Topic]:
        kg = kg_of(info)
        return [Topic.from_node(kg, topic_id(slug)) for slug in self._topics]

    @strawberry.field(description="Articles this one lists as related, newest first.")
    def related(self, info: Info, first: FirstArg = None, after: AfterArg = None,
                ) -> ArticleConnection:
        kg = kg_of(info)
        out = [v for _, v, k in kg.nx.out_edges(str(self.id), keys=True) if k == "RELATED"]
        return ArticleConnection.of(kg, select.order_articles(kg, out), first, after)

    @strawberry.field(description="Articles that list this one as related, newest first.")
    def related_by(self, info: Info, first: FirstArg = None, after: AfterArg = None,
                   ) -> ArticleConnection:
        kg = kg_of(info)
        inc = [u for u, _, k in kg.nx.in_edges(str(self.id), keys=True) if k == "RELATED"]
        return ArticleConnection.of(kg, select.order_articles(kg, inc), first, after)

    @strawberry.field(description=(
        "The storyline it belongs to; null when it shares no related link, topic or copy "
        "with another story."))
    def storyline(self, info: Info,
                  ) -> Annotated[Storyline, strawberry.lazy("schema.explore")] | None:
        from schema.explore import storyline_of

        return storyline_of(kg_of(info), str(self.id))

    @strawberry.field(description=(
        "Copies of this story from other providers (SAME_STORY): their headlines agree word "
        "for word, each word cut to its first five letters."))
    def same_story(self, info: Info) -> list[Article]:
        kg = kg_of(info)
        copies = kg.analytics.same_story.get(str(self.id), ())
        return [Article.from_node(kg, a) for a in select.order_articles(kg, copies)]

    @strawberry.field(description=(
        "PageRank in the article graph (related links, shared topics, copies); all sum to 1."))
    def centrality(self, info: Info) -> float:
        return kg_of(info).analytics.pagerank[str(self.id)]


@strawberry.type(description="A topic with a count of articles.")
class TopicCount:
    topic: Topic = strawberry.field(description="The topic.")
    count: int = strawberry.field(description="How many articles.")


def articles_connection(kg: graph.KnowledgeGraph, node_id: str, where: ArticleFilter | None,
                        order_by: ArticleOrder, first: int | None,
                        after: str | None) -> ArticleConnection:
    """Return the filtered, ordered page of a topic's or a provider's articles."""
    ids = select.select_articles(kg, selection_of(where), order_by.value,
                                 among=select.articles_of(kg, node_id))
    return ArticleConnection.of(kg, ids, first, after)


@strawberry.type(description="A topic, keyed by slug; shown by its most frequent spelling.")
class Topic(Node):
    slug: str = strawberry.field(description="Lowercase key, e.g. 'facial-recognition'.")
    name: str = strawberry.field(description="The most frequent spelling in the records.")

    @classmethod
    def from_node(cls, kg: graph.KnowledgeGraph, node_id: str) -> Topic:
        d = kg.nx.nodes[node_id]
        return cls(id=strawberry.ID(node_id), slug=d["slug"], name=d["name"] or d["slug"])

    @strawberry.field(description="Articles tagged with it.")
    def articles(self, info: Info, where: WhereArg = None,
                 order_by: OrderArg = ArticleOrder.PUBLISHED_AT_DESC,
                 first: FirstArg = None, after: AfterArg = None) -> ArticleConnection:
        return articles_connection(kg_of(info), str(self.id), where, order_by, first, after)

    @strawberry.field(description="How many articles are tagged with it.")
    def article_count(self, info: Info) -> int:
        return len(select.articles_of(kg_of(info), str(self.id)))

    @strawberry.field(description=(
        "Topics sharing articles with this one, most shared first, with a weight."))
    def co_topics(self, info: Info, first: FirstArg = None,
                  ) -> list[Annotated[CoTopic, strawberry.lazy("schema.explore")]]:
        from schema.explore import co_topics_of

        return co_topics_of(kg_of(info), str(self.id), first)


@strawberry.type(description="A publisher, keyed by domain (lowercase, without www.).")
class Provider(Node):
    domain: str = strawberry.field(description="Domain key, e.g. 'sixthtone.com'.")
    name: str = strawberry.field(description="Name from the records, else the domain.")

    @classmethod
    def from_node(cls, kg: graph.KnowledgeGraph, node_id: str) -> Provider:
        d = kg.nx.nodes[node_id]
        return cls(id=strawberry.ID(node_id), domain=d["domain"], name=d["name"])

    @strawberry.field(description="Articles it published.")
    def articles(self, info: Info, where: WhereArg = None,
                 order_by: OrderArg = ArticleOrder.PUBLISHED_AT_DESC,
                 first: FirstArg = None, after: AfterArg = None) -> ArticleConnection:
        return articles_connection(kg_of(info), str(self.id), where, order_by, first, after)

    @strawberry.field(description="How many articles it published (stubs included).")
    def article_count(self, info: Info) -> int:
        return len(select.articles_of(kg_of(info), str(self.id)))

    @strawberry.field(description="Topics it covers, with article counts, most first.")
    def topics(self, info: Info, first: FirstArg = None) -> list[TopicCount]:
        return _topic_counts(kg_of(info), select.provider_topics(kg_of(info), str(self.id)),
                             first)

    @strawberry.field(description=(
        "Providers covering the same stories: sharing storylines or copies of one story, "
        "most shared first."))
    def overlap(self, info: Info, first: FirstArg = None,
                ) -> list[Annotated[ProviderOverlap, strawberry.lazy("schema.explore")]]:
        from schema.explore import overlap_of

        return overlap_of(kg_of(info), str(self.id), first)


def _topic_counts(kg: graph.KnowledgeGraph, counts: list[tuple[str, int]],
                  first: int | None) -> list[TopicCount]:
    page = paginate(counts, first, None)
    return [TopicCount(topic=Topic.from_node(kg, t), count=n) for _, (t, n) in page.items]


_NODE_TYPES: dict[str, Any] = {ARTICLE: Article, TOPIC: Topic, PROVIDER: Provider}


# -- connections ----------------------------------------------------------------------


@strawberry.type(description="An article in a list, with its cursor.")
class ArticleEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this edge.")
    node: Article = strawberry.field(description="The article.")


@strawberry.type(description="A page of articles.")
class ArticleConnection:
    edges: list[ArticleEdge] = strawberry.field(description="The articles of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many articles in all pages.")

    @classmethod
    def of(cls, kg: graph.KnowledgeGraph, ids: list[str], first: int | None,
           after: str | None) -> ArticleConnection:
        page = paginate(ids, first, after)
        return cls(edges=[ArticleEdge(cursor=encode_cursor(i), node=Article.from_node(kg, n))
                          for i, n in page.items],
                   page_info=page_info(page), total_count=page.total)


@strawberry.type(description="A topic in a list, with its cursor.")
class TopicEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this edge.")
    node: Topic = strawberry.field(description="The topic.")


@strawberry.type(description="A page of topics.")
class TopicConnection:
    edges: list[TopicEdge] = strawberry.field(description="The topics of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many topics in all pages.")


@strawberry.type(description="A provider in a list, with its cursor.")
class ProviderEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this edge.")
    node: Provider = strawberry.field(description="The provider.")


@strawberry.type(description="A page of providers.")
class ProviderConnection:
    edges: list[ProviderEdge] = strawberry.field(description="The providers of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many providers in all pages.")
