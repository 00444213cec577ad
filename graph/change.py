"""One applied change of a followed folder: the version it made, from which, and the
articles it added, updated and removed (what subscribers and the page are told)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph.build import ARTICLE
from graph.kg import KnowledgeGraph

__all__ = ["Change", "articles_changed", "COUNTS"]

# The report's counts a change carries.
COUNTS = ("records", "articles", "stubs", "providers", "topics", "edges")


@dataclass(frozen=True, slots=True)
class Change:
    """One applied change: the version it made, from which, and what it touched.

    ``added``, ``updated`` and ``removed`` are article node ids (stubs included)
    whose attributes or edges differ between ``previous`` and ``version``;
    ``files`` are the record files that were added, edited or deleted; ``graph`` is
    the new version's graph.
    """

    version: str
    previous: str | None
    made_at: datetime
    files: tuple[str, ...]
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    counts: dict[str, Any] = field(default_factory=dict)
    graph: KnowledgeGraph | None = field(default=None, repr=False, compare=False)



def articles_changed(old: KnowledgeGraph, new: KnowledgeGraph, candidates: Iterable[str],
                     ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Return the article ids added, updated and removed between two versions, looking
    only at the nodes the change touched."""
    added, updated, removed = [], [], []
    for node in sorted(candidates):
        was = node in old.nx and old.nx.nodes[node].get("kind") == ARTICLE
        now = node in new.nx and new.nx.nodes[node].get("kind") == ARTICLE
        if was and not now:
            removed.append(node)
        elif now and not was:
            added.append(node)
        elif now and (old.nx.nodes[node] != new.nx.nodes[node]
                      or _edges(old, node) != _edges(new, node)):
            updated.append(node)
    return tuple(added), tuple(updated), tuple(removed)


def _edges(kg: KnowledgeGraph, node: str) -> set[tuple[str, str, str]]:
    """A followed version's edges at ``node``, read from its adjacency dicts (networkx's
    edge views cost more than the few edges of an article)."""
    g = kg.nx
    return ({(node, v, k) for v, keys in g._succ[node].items() for k in keys}
            | {(u, node, k) for u, keys in g._pred[node].items() for k in keys})
