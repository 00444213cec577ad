"""The schema's enums, inputs and shared argument types (hops, via, where, paging)."""

from __future__ import annotations

import math
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

import graph
from graph import select
from schema.settings import CEILINGS

MAX_HOPS = CEILINGS["max_hops"]
MAX_FIRST = CEILINGS["max_first"]


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
        if self.min_quality is not None and not math.isfinite(self.min_quality):
            # Written in the document, 1e400 is read as infinity by graphql-core (as a
            # variable it is refused); the filter then matched nothing, unsaid.
            raise graph.InvalidArgument(
                f"minQuality must be a finite number (a quality is 0 to 100), got one read "
                f"as {self.min_quality}")
        return select.Selection(
            mentions=self.mentions,
            topics=tuple(self.topics) if self.topics is not None else None,
            providers=tuple(self.providers) if self.providers is not None else None,
            published_after=self.published_after, published_before=self.published_before,
            min_quality=self.min_quality, category=self.category, is_stub=self.is_stub)


def selection_of(where: ArticleFilter | None) -> select.Selection | None:
    """Return the graph selection of a `where`, None for none."""
    return where.selection() if where is not None else None


def via_of(via: list[EdgeKind] | None) -> list[str] | None:
    """Return the edge kinds of a `via` as graph/ spells them, None for the default."""
    return [k.value for k in via] if via is not None else None


HopsArg = Annotated[int, strawberry.argument(
    description=f"How far to walk: 1 to {MAX_HOPS}. Every node (article, topic, provider) "
                "counts as a hop.")]
ViaArg = Annotated[list[EdgeKind] | None, strawberry.argument(
    description="Edge kinds to walk, in either direction; RELATED, PUBLISHED_BY and TAGGED "
                "by default, SAME_STORY when named.")]
WhereArg = Annotated[ArticleFilter | None, strawberry.argument(
    description="Conditions on the articles returned.")]
FirstArg = Annotated[int | None, strawberry.argument(
    description=f"Page size: 0 to {MAX_FIRST}, 20 by default.")]
OrderArg = Annotated[ArticleOrder, strawberry.argument(
    description="How to order the articles; newest first by default.")]
AfterArg = Annotated[str | None, strawberry.argument(
    description="Return items after this cursor (an edge's cursor or pageInfo.endCursor).")]
LastArg = Annotated[int | None, strawberry.argument(
    description=f"Page size from the end: 0 to {MAX_FIRST}; pages backward with `before`.")]
BeforeArg = Annotated[str | None, strawberry.argument(
    description="Return items before this cursor (an edge's cursor or "
                "pageInfo.startCursor).")]
WithinKindsArg = Annotated[list[NodeKind] | None, strawberry.argument(
    description="Node kinds returned; [ARTICLE] by default. A `where` keeps articles only.")]
MaxHopsArg = Annotated[int, strawberry.argument(
    description=f"Longest path considered: 1 to {MAX_HOPS}.")]
NeighborhoodHopsArg = Annotated[int, strawberry.argument(
    description=f"How far to walk: 0 to {MAX_HOPS}.")]
LimitArg = Annotated[int, strawberry.argument(
    description=f"At most this many nodes (1 to {CEILINGS['max_neighborhood']}); "
                "`truncated` says when it cut, and "
                "`cursor` continues.")]
NodeKindsArg = Annotated[list[NodeKind] | None, strawberry.argument(
    description="Node kinds kept; all by default. A node of another kind is neither returned "
                "nor walked through; the seeds always are kept.")]
NeighborhoodWhereArg = Annotated[ArticleFilter | None, strawberry.argument(
    description="Conditions on the articles kept; its publishedAfter and publishedBefore are "
                "the publication-date window. An article that fails them is neither returned "
                "nor walked through; topics and providers are not subject to it.")]
ExcludeArg = Annotated[list[strawberry.ID] | None, strawberry.argument(
    description=f"Nodes the client already has (at most {CEILINGS['max_exclude']}): "
                "walked through, so hops stay "
                "those of the full walk, but never returned. Pass every node drawn so far to "
                "get only what is new, with the edges that attach it to the drawing.")]
FrontierArg = Annotated[str | None, strawberry.argument(
    name="after", description="The `cursor` of the previous page: continue the same walk.")]
LayoutArg = Annotated[GraphLayout | None, strawberry.argument(
    description="FORCE to give each node x, y (seeded, so stable); none by default.")]
