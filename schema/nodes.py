"""The objects of the graph, by the Relay Global Object Identification specification:
``Node`` (exactly ``id``), ``Traversable`` (the walks, on Article, Topic and Provider),
the three kinds, the graph's edges, and refetching any of them by id (``find_node``).

Each type is built from a graph node by ``from_node``; resolvers call one ``graph``
function and map its result. Ids are readable and stable across restarts; each names
one object of one type.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

import graph
from graph import select
from graph.build import ARTICLE, PROVIDER, TOPIC, provider_id, topic_id
from graph.errors import shown
from graph.normalize import canonical_url
from graph.traverse import Edge, edge
from graph.walk import EDGE_ID_KIND
from schema.connections import Connection
from schema.inputs import (
    MAX_HOPS,
    AfterArg,
    ArticleOrder,
    BeforeArg,
    EdgeKind,
    ExcludeArg,
    FirstArg,
    FrontierArg,
    HopsArg,
    LastArg,
    LayoutArg,
    LimitArg,
    MaxHopsArg,
    NeighborhoodHopsArg,
    NeighborhoodWhereArg,
    NodeKindsArg,
    OrderArg,
    ViaArg,
    WhereArg,
    WithinKindsArg,
    selection_of,
)
from schema.nodeview import NodeView, ViewLink, define_view, resolve_by_class
from schema.pagination import paginate

if TYPE_CHECKING:
    from schema.analytics import CoTopic, ProviderOverlap, Storyline
    from schema.traversal import Path, Subgraph, WithinConnection


def kg_of(info: Info) -> graph.KnowledgeGraph:
    """Return the knowledge graph the request runs against."""
    return info.context["kg"]


@strawberry.interface(description=(
    "An object with a global id (Relay Global Object Identification): refetch any of them "
    "with node(id:). Ids are readable and stable across restarts: 'article:<canonical "
    "URL>', 'topic:<slug>', 'provider:<domain>', 'storyline:<16 hex digits>' or, for an "
    "edge, 'KIND:<source id>-><target id>'."))
class Node:
    id: strawberry.ID = strawberry.field(description="Global id: one object of one type.")

    # Every Node is one of our own types: name it directly instead of Strawberry's
    # generic lookup, which dominated the cost of lists of nodes.
    resolve_type = classmethod(resolve_by_class)  # type: ignore[var-annotated]


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


@strawberry.type(description=(
    "A directed edge of the graph, as graph explorers draw it. Its id, "
    "'KIND:<source id>-><target id>', is stable: node(id:) refetches it."))
class GraphEdge(Node):
    source: strawberry.ID = strawberry.field(description="Id of the node the edge leaves.")
    target: strawberry.ID = strawberry.field(description="Id of the node the edge enters.")
    kind: EdgeKind = strawberry.field(description="What the edge means.")
    evidence: list[str] = strawberry.field(description=(
        "The records ('path:line') the edge rests on: for RELATED the records that listed "
        "it; for TAGGED and PUBLISHED_BY the record the article's fields came from; for "
        "SAME_STORY the records carrying the two headlines."))

    @classmethod
    def from_edge(cls, e: Edge) -> GraphEdge:
        """Return the GraphQL edge of a graph edge."""
        return cls(id=strawberry.ID(e.id), source=strawberry.ID(e.source),
                   target=strawberry.ID(e.target), kind=EdgeKind(e.kind),
                   evidence=list(e.evidence))


@strawberry.interface(description=(
    "A node of the graph that walks start from: an Article, Topic or Provider."))
class Traversable(Node):
    @strawberry.field(description=(
        "Nodes within `hops` of this one, nearest first, then newest, then by id; each edge "
        "carries its distance and the path that explains it. Articles only by default."))
    def within(self, info: Info, hops: HopsArg = 2, via: ViaArg = None, where: WhereArg = None,
               kinds: WithinKindsArg = None,
               first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
               before: BeforeArg = None,
               ) -> Annotated[WithinConnection, strawberry.lazy("schema.traversal")]:
        from schema.cost import budget_of
        from schema.traversal import resolve_within

        return resolve_within(kg_of(info), str(self.id), hops, via, where, kinds, first, after,
                              last, before, budget_of(info))

    @strawberry.field(description=(
        "The subgraph within `hops` of this node: nodes with their distance, degree and size, "
        "and the edges among them with their evidence, in the shape graph explorers draw. "
        "Expand a clicked node with `exclude` (what is drawn) and page with `after`."))
    def neighborhood(self, info: Info, hops: NeighborhoodHopsArg = 1, via: ViaArg = None,
                     limit: LimitArg = 200, kinds: NodeKindsArg = None,
                     where: NeighborhoodWhereArg = None, exclude: ExcludeArg = None,
                     after: FrontierArg = None, layout: LayoutArg = None,
                     ) -> Annotated[Subgraph, strawberry.lazy("schema.traversal")]:
        from schema.cost import budget_of
        from schema.traversal import resolve_neighborhood

        return resolve_neighborhood(kg_of(info), [str(self.id)], hops, via, limit, kinds,
                                    where, exclude, after, layout, budget_of(info))

    @strawberry.field(description=(
        "A shortest path from this node to another, as nodes and edges; null when there is "
        "none within `maxHops`."))
    def path_to(self, info: Info,
                id: Annotated[strawberry.ID, strawberry.argument(
                    description="The node to reach: a node id or an article URL.")],
                via: ViaArg = None, max_hops: MaxHopsArg = MAX_HOPS,
                ) -> Annotated[Path, strawberry.lazy("schema.traversal")] | None:
        from schema.cost import budget_of
        from schema.traversal import resolve_path

        return resolve_path(kg_of(info), str(self.id), str(id), via, max_hops, budget_of(info))


@strawberry.type(description="A news story: a full record, or a stub known from a related list.")
class Article(Traversable, NodeView):
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
    _node: strawberry.Private[Mapping[str, Any]]

    @strawberry.field(description="Who published it.")
    def provider(self, info: Info) -> Provider:
        return _provider_of(kg_of(info), self._node)

    @strawberry.field(description="Its topics, in the record's order.")
    def topics(self, info: Info) -> list[Topic]:
        return _topics_of(kg_of(info), self._node)

    @strawberry.field(description="Articles this one lists as related, newest first.")
    def related(self, info: Info, first: FirstArg = None, after: AfterArg = None,
                last: LastArg = None, before: BeforeArg = None) -> Connection[Article]:
        kg = kg_of(info)
        out = [v for _, v, k in kg.nx.out_edges(str(self.id), keys=True) if k == "RELATED"]
        return article_page(info, select.order_articles(kg, out), first, after, last, before,
                            (self.id,))

    @strawberry.field(description="Articles that list this one as related, newest first.")
    def related_by(self, info: Info, first: FirstArg = None, after: AfterArg = None,
                   last: LastArg = None, before: BeforeArg = None) -> Connection[Article]:
        kg = kg_of(info)
        inc = [u for u, _, k in kg.nx.in_edges(str(self.id), keys=True) if k == "RELATED"]
        return article_page(info, select.order_articles(kg, inc), first, after, last, before,
                            (self.id,))

    @strawberry.field(description=(
        "The storyline it belongs to; null when it shares no related link, topic or copy "
        "with another story."))
    def storyline(self, info: Info,
                  ) -> Annotated[Storyline, strawberry.lazy("schema.analytics")] | None:
        from schema.analytics import storyline_of

        return storyline_of(kg_of(info), str(self.id))

    @strawberry.field(description=(
        "Copies of this story from other providers (SAME_STORY): their headlines agree word "
        "for word, each word cut to its first five letters."))
    def same_story(self, info: Info) -> list[Article]:
        kg = kg_of(info)
        copies = kg.analytics.same_story.get(str(self.id), ())
        return [Article.from_node(kg, a) for a in select.order_articles(kg, copies)]

    @strawberry.field(description=(
        "PageRank in the article graph (related links, shared topics, copies); all sum to 1. "
        "Null, with a NOT_READY error, while a server computes it after its load."))
    def centrality(self, info: Info) -> float | None:
        return kg_of(info).analytics.pagerank[str(self.id)]


@strawberry.type(description="A topic with a count of articles.")
class TopicCount:
    topic: Topic = strawberry.field(description="The topic.")
    count: int = strawberry.field(description="How many articles.")


def article_page(info: Info, ids: list[str], first: int | None, after: str | None,
                 last: int | None, before: str | None, bound: tuple[Any, ...]
                 ) -> Connection[Article]:
    """Return one page of articles by id; its cursors bound to this field and ``bound``."""
    kg = kg_of(info)
    return Connection[Article].of(info, ids, lambda n: Article.from_node(kg, n), first, after,
                                  last, before, bound=bound)


def _articles_field(description: str) -> Any:
    """Return the ``articles`` field of a topic or a provider: its articles, filtered and
    ordered, a page at a time."""
    def articles(self: Traversable, info: Info, where: WhereArg = None,
                 order_by: OrderArg = ArticleOrder.PUBLISHED_AT_DESC,
                 first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
                 before: BeforeArg = None) -> Connection[Article]:
        from schema.cost import budget_of

        kg, node_id = kg_of(info), str(self.id)
        ids = select.select_articles(kg, selection_of(where), order_by.value,
                                     among=select.articles_of(kg, node_id),
                                     budget=budget_of(info))
        return article_page(info, ids, first, after, last, before, (node_id, where, order_by))
    return strawberry.field(resolver=articles, description=description)


def _article_count_field(description: str) -> Any:
    """Return the ``articleCount`` field of a topic or a provider."""
    def article_count(self: Traversable, info: Info) -> int:
        return len(select.articles_of(kg_of(info), str(self.id)))
    return strawberry.field(resolver=article_count, description=description)


@strawberry.type(description="A topic, keyed by slug; shown by its most frequent spelling.")
class Topic(Traversable, NodeView):
    slug: str = strawberry.field(description="Lowercase key, e.g. 'facial-recognition'.")
    name: str = strawberry.field(description="The most frequent spelling in the records.")
    _node: strawberry.Private[Mapping[str, Any]]

    articles = _articles_field("Articles tagged with it.")
    article_count = _article_count_field("How many articles are tagged with it.")

    @strawberry.field(description=(
        "Topics sharing articles with this one, most shared first, with a weight. Null, "
        "with a NOT_READY error, while a server computes the weights after its load."))
    def co_topics(self, info: Info, first: FirstArg = None,
                  ) -> list[Annotated[CoTopic, strawberry.lazy("schema.analytics")]] | None:
        from schema.analytics import co_topics_of

        return co_topics_of(kg_of(info), str(self.id), first)


@strawberry.type(description="A publisher, keyed by domain (lowercase, without www.).")
class Provider(Traversable, NodeView):
    domain: str = strawberry.field(description="Domain key, e.g. 'sixthtone.com'.")
    name: str = strawberry.field(description="Name from the records, else the domain.")
    _node: strawberry.Private[Mapping[str, Any]]

    articles = _articles_field("Articles it published.")
    article_count = _article_count_field("How many articles it published (stubs included).")

    @strawberry.field(description="Topics it covers, with article counts, most first.")
    def topics(self, info: Info, first: FirstArg = None) -> list[TopicCount]:
        return _topic_counts(kg_of(info), select.provider_topics(kg_of(info), str(self.id)),
                             first)

    @strawberry.field(description=(
        "Providers covering the same stories: sharing storylines or copies of one story, "
        "most shared first. Null, with a NOT_READY error, while a server computes the "
        "storylines after its load."))
    def overlap(self, info: Info, first: FirstArg = None,
                ) -> list[Annotated[ProviderOverlap, strawberry.lazy("schema.analytics")]] | None:
        from schema.analytics import overlap_of

        return overlap_of(kg_of(info), str(self.id), first)


def _topic_counts(kg: graph.KnowledgeGraph, counts: list[tuple[str, int]],
                  first: int | None) -> list[TopicCount]:
    page = paginate(counts, "", first)
    return [TopicCount(topic=Topic.from_node(kg, t), count=n) for _, (t, n) in page.items]



# What each field of a node's view reads (schema/nodeview.py): the node's attributes as
# the record gave them, checked where a record may hold another type.

def _image_list(d: Mapping[str, Any]) -> list[Image]:
    return [Image.from_dict(i) for i in d.get("images") or ()]


def _secured(d: Mapping[str, Any]) -> str | None:
    value = d.get("secured")
    return value if isinstance(value, str) else None


_provider_of = ViewLink(Provider, lambda d: provider_id(d["provider"]))
_topics_of = ViewLink(Topic, lambda d: [topic_id(slug) for slug in d.get("topics") or ()],
                      many=True)


define_view(Article, {
    "url": itemgetter("url"), "title": itemgetter("title"),
    **{name: methodcaller("get", name) for name in (
        "web_url", "original_url", "excerpt", "body", "category", "type", "published_at",
        "quality", "heat", "published")},
    "images": _image_list, "is_stub": lambda d: bool(d.get("is_stub")),
    "sources": lambda d: list(d.get("sources") or ()), "secured": _secured,
    "extra": lambda d: JSON(d.get("extra") or {}),
}, {"provider": _provider_of, "topics": _topics_of})
define_view(Topic, {"slug": itemgetter("slug"), "name": lambda d: d["name"] or d["slug"]})
define_view(Provider, {"domain": itemgetter("domain"), "name": itemgetter("name")})

_NODE_TYPES: dict[str, Any] = {ARTICLE: Article, TOPIC: Topic, PROVIDER: Provider}


def node_of(kg: graph.KnowledgeGraph, node_id: str) -> Traversable:
    """Return the GraphQL object for a node id known to be in the graph."""
    try:  # (kg[node_id] says which node is missing; read directly, one call less)
        data = kg.nx._node[node_id]  # (not .nodes: one Python call less)
    except KeyError:
        data = kg[node_id]
    view = object.__new__(_NODE_TYPES[data["kind"]])  # as viewing() makes it
    attributes = view.__dict__
    attributes["id"] = node_id
    attributes["_node"] = data
    return view


# Where an edge id's target may start. A URL may hold '->' and even '->article:', so each
# such place is tried (an edge's ends are nodes of the graph: at most one split is one);
# past a few, the id is no edge's (each try hashes the id once).
_TARGET_START = re.compile(r"->(?=(?:article|topic|provider):.)", re.S)
_MAX_EDGE_SPLITS = 16
_FORMS = ("'article:<url>', 'topic:<slug or name>', 'provider:<domain>', "
          "'storyline:<16 hex digits>' "
          "or an edge's 'KIND:<source id>-><target id>'")


def id_kind(ref: str) -> str | None:
    """The kind an id names by its form — 'article', 'topic', 'provider', 'storyline' or
    'edge' — or None for no id's form (a URL, a typo)."""
    if EDGE_ID_KIND.match(ref) and _TARGET_START.search(ref):
        return "edge"
    prefix, colon, rest = ref.partition(":")
    return prefix if colon and rest and prefix in _KINDS else None


def article_at(kg: graph.KnowledgeGraph, url: str) -> str | None:
    """Return the article node at a URL (raw, canonical or its id), None when the corpus
    has none; raise InvalidArgument when ``url`` cannot be an article's URL at all (a
    typo answered null, as if the story were not in the corpus)."""
    found = kg.article(url)
    if found is None:
        _must_be(canonical_url, url.removeprefix(f"{ARTICLE}:"))
    return found


def provider_at(kg: graph.KnowledgeGraph, domain: str) -> str | None:
    """Return the provider node of a domain, None when the corpus has none; raise
    InvalidArgument when ``domain`` cannot be a domain."""
    found = kg.provider(domain)
    if found is None:
        select.must_be_provider(domain)
    return found


def topic_at(kg: graph.KnowledgeGraph, name: str) -> str | None:
    """Return the topic node of a slug or name, None when the corpus has none; raise
    InvalidArgument when ``name`` cannot be a topic (no letter or digit: every slug has one)."""
    found = kg.topic(name)
    if found is None:
        select.must_be_topic(name)
    return found


def _must_be(normalize: Any, value: str) -> None:
    try:
        normalize(value)
    except graph.InvalidURLError as e:
        raise graph.InvalidArgument(str(e)) from e


def find_node(kg: graph.KnowledgeGraph, ref: str) -> Node | None:
    """Return the object with a global id, null when none has it.

    Every spelling the typed root fields accept works after the prefix: any URL of an
    article, a topic's slug or name, a provider's domain, www. form or URL. The object
    answers with its canonical id. A malformed id raises InvalidArgument.
    """
    kind = EDGE_ID_KIND.match(ref)
    if kind is not None:
        ends = ref[kind.end():]
        splits = [m.start() for m in _TARGET_START.finditer(ends) if m.start() > 0]
        if splits:
            for at in splits[:_MAX_EDGE_SPLITS]:
                found_edge = _find_edge(kg, kind.group(1), ends[:at], ends[at + 2:])
                if found_edge is not None:
                    return found_edge
            return None
    prefix, colon, rest = ref.partition(":")
    if not colon or not rest:
        raise graph.InvalidArgument(f"malformed id {shown(ref)}: expected {_FORMS}"
                                    f"{_encoded(ref)}")
    if prefix == "storyline":
        from schema.analytics import resolve_storyline

        return resolve_storyline(kg, ref)
    lookup = {ARTICLE: article_at, TOPIC: topic_at, PROVIDER: provider_at}.get(prefix)
    if lookup is None:
        raise graph.InvalidArgument(f"malformed id {shown(ref)}: expected {_FORMS}"
                                    f"{_encoded(ref)}")
    try:
        found = (ref if ref in kg.nx and kg.nx.nodes[ref]["kind"] == prefix
                 else lookup(kg, rest))
    except graph.InvalidArgument as e:
        raise graph.InvalidArgument(f"malformed id {shown(ref)}: {e}") from e
    return node_of(kg, found) if found is not None else None


_BASE64 = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}|[A-Za-z0-9_-]{8,}={0,2}")
_KINDS = (ARTICLE, TOPIC, PROVIDER, "storyline")


def _encoded(ref: str) -> str:
    """What to say of an id encoded in base64, as Relay's servers encode theirs
    (graphql-relay's ``toGlobalId('Article', id)``) and some client caches do: what it
    decodes to, when that is an id (``Article:`` written for ``article:`` too); else ""."""
    if not _BASE64.fullmatch(ref):
        return ""
    padded = ref + "=" * (-len(ref) % 4)
    try:
        text = (base64.urlsafe_b64decode(padded) if "-" in ref or "_" in ref
                else base64.b64decode(padded, validate=True)).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return ""
    prefix, colon, rest = text.partition(":")
    if not (colon and rest and (prefix.lower() in _KINDS or EDGE_ID_KIND.match(text))):
        return ""
    ours = f"{prefix.lower()}:{rest}" if prefix.lower() in _KINDS else text
    return (f"; it is base64 for {shown(text)}: send an id as the `id` field gives it, not "
            f"encoded ({shown(ours)}): newsgraph's ids are readable text")


def _find_edge(kg: graph.KnowledgeGraph, kind: str, source: str, target: str
               ) -> GraphEdge | None:
    if source not in kg.nx or target not in kg.nx:
        return None
    if kind == "SAME_STORY":
        if source < target and target in kg.analytics.same_story.get(source, ()):
            return GraphEdge.from_edge(edge(kg, source, target, kind))
        return None
    if kg.nx.has_edge(source, target, key=kind):
        return GraphEdge.from_edge(edge(kg, source, target, kind))
    return None
