"""The schema's types, by concept, gathered for importers: enums, inputs and arguments
(:mod:`schema.inputs`), the objects and their global ids (:mod:`schema.nodes`) and the
generic connection (:mod:`schema.connections`)."""

from __future__ import annotations

from schema.connections import Connection, Edge, PageInfo, page_info, page_of
from schema.inputs import (
    MAX_HOPS,
    AfterArg,
    ArticleFilter,
    ArticleOrder,
    BeforeArg,
    EdgeKind,
    ExcludeArg,
    FirstArg,
    FrontierArg,
    GraphLayout,
    HopsArg,
    LastArg,
    LayoutArg,
    LimitArg,
    NeighborhoodHopsArg,
    NeighborhoodWhereArg,
    NodeKind,
    NodeKindsArg,
    OrderArg,
    ViaArg,
    WhereArg,
    check_hops,
    selection_of,
    via_of,
)
from schema.nodes import (
    Article,
    GraphEdge,
    Image,
    Node,
    Provider,
    Topic,
    TopicCount,
    Traversable,
    article_page,
    find_node,
    kg_of,
    node_of,
)

__all__ = ["Connection", "Edge", "PageInfo", "page_info", "page_of", "MAX_HOPS", "AfterArg",
           "ArticleFilter", "ArticleOrder", "BeforeArg", "EdgeKind", "ExcludeArg", "FirstArg",
           "FrontierArg", "GraphLayout", "HopsArg", "LastArg", "LayoutArg", "LimitArg",
           "NeighborhoodHopsArg", "NeighborhoodWhereArg", "NodeKind", "NodeKindsArg",
           "OrderArg", "ViaArg", "WhereArg", "check_hops", "selection_of", "via_of", "Article",
           "GraphEdge", "Image", "Node", "Provider", "Topic", "TopicCount", "Traversable",
           "article_page", "find_node", "kg_of", "node_of"]
