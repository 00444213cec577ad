"""newsgraph's knowledge graph: news records → a networkx graph, and traversal over it.

>>> import graph
>>> kg = graph.load("data")                                    # doctest: +SKIP
>>> seed = kg.article("https://www.sixthtone.com/news/1009712/...")  # doctest: +SKIP
>>> kg.within(seed, hops=2, mentions="facial recognition")     # doctest: +SKIP

The names below are imported when first used (PEP 562): reading records
(``graph.records``) or the errors costs no networkx or numpy import, which made
``newsgraph push`` of one file spend most of its second starting up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# name -> the module defining it
_HOME = {
    "load": "graph.loader", "default_data_path": "graph.loader",
    "follow": "graph.live", "LiveGraph": "graph.live",
    "Change": "graph.change", "KnowledgeGraph": "graph.kg",
    "LoadReport": "graph.report", "Problem": "graph.report",
    "Subgraph": "graph.traverse", "Edge": "graph.traverse",
    **dict.fromkeys(("ARTICLE", "PROVIDER", "TOPIC", "RELATED", "PUBLISHED_BY", "TAGGED",
                     "EDGE_KINDS"), "graph.build"),
    **dict.fromkeys(("NewsgraphError", "RecordError", "InvalidURLError", "NodeNotFound",
                     "InvalidArgument", "BudgetExceeded"), "graph.errors"),
    "Budget": "graph.budget",
}

__all__ = [
    "load", "follow", "LiveGraph", "Change", "default_data_path", "KnowledgeGraph",
    "LoadReport", "Problem", "Subgraph", "Edge",
    "ARTICLE", "PROVIDER", "TOPIC", "RELATED", "PUBLISHED_BY", "TAGGED", "EDGE_KINDS",
    "NewsgraphError", "RecordError", "InvalidURLError", "NodeNotFound", "InvalidArgument",
    "Budget", "BudgetExceeded",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'graph' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
