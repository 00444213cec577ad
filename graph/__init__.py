"""newsgraph's knowledge graph: news records → a networkx graph, and traversal over it.

>>> import graph
>>> kg = graph.load("data")                                    # doctest: +SKIP
>>> seed = kg.article("https://www.sixthtone.com/news/1009712/...")  # doctest: +SKIP
>>> kg.within(seed, hops=2, mentions="facial recognition")     # doctest: +SKIP
"""

from graph.budget import Budget
from graph.build import ARTICLE, EDGE_KINDS, PROVIDER, PUBLISHED_BY, RELATED, TAGGED, TOPIC
from graph.change import Change
from graph.errors import (
    BudgetExceeded,
    InvalidArgument,
    InvalidURLError,
    NewsgraphError,
    NodeNotFound,
    RecordError,
)
from graph.kg import KnowledgeGraph
from graph.live import LiveGraph, follow
from graph.loader import default_data_path, load
from graph.report import LoadReport, Problem
from graph.traverse import Edge, Subgraph

__all__ = [
    "load", "follow", "LiveGraph", "Change", "default_data_path", "KnowledgeGraph",
    "LoadReport", "Problem", "Subgraph", "Edge",
    "ARTICLE", "PROVIDER", "TOPIC", "RELATED", "PUBLISHED_BY", "TAGGED", "EDGE_KINDS",
    "NewsgraphError", "RecordError", "InvalidURLError", "NodeNotFound", "InvalidArgument",
    "Budget", "BudgetExceeded",
]
