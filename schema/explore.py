"""Paths with their evidence in GraphQL: why consecutive stories are linked, and
``paths`` (k shortest), each one call of :mod:`graph.paths`. (Storylines, centrality,
timelines and the other analytics: :mod:`schema.analytics`.)"""

from __future__ import annotations

from enum import Enum

import strawberry

import graph
from graph.budget import Budget
from graph.paths import GraphPath, k_shortest_paths
from graph.paths import StoryLink as GraphStoryLink
from schema.inputs import (
    EdgeKind,
    via_of,
)
from schema.nodes import (
    Article,
    GraphEdge,
    Node,
    node_of,
)

__all__ = ["StoryLinkKind", "StoryLink", "story_links_of", "resolve_paths"]


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
    try:
        found = k_shortest_paths(kg, start, end, k, max_hops, via_of(via), budget)
    except graph.NodeNotFound:
        return []  # no path to or from a node the graph does not hold
    return [_path(kg, p) for p in found]
