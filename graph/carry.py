"""The analytics a server reads at once, carried from one graph version to the next:
counts, syndicated copies (kept as story-key groups) and each topic's articles,
recomputed only for what a change touched (the whole-graph ones are left to the
background job, graph/background.py)."""

from __future__ import annotations

from collections.abc import Iterable
from heapq import merge
from typing import TYPE_CHECKING

import networkx as nx

from graph.analytics import story_key
from graph.build import ARTICLE, TAGGED, TOPIC

if TYPE_CHECKING:
    from graph.analytics import Analytics
    from graph.kg import KnowledgeGraph

__all__ = ["carry_analytics"]


def carry_analytics(kg: KnowledgeGraph, old: KnowledgeGraph, touched: Iterable[str]) -> None:
    """Give ``kg`` the per-version analytics a server reads at once (counts, syndicated
    copies, each topic's articles) from ``old``'s, recomputing only what ``touched``
    changes; the whole-graph ones (storylines, PageRank, search) are left to the
    background job (graph/background.py)."""
    g, og = kg.nx, old.nx
    kg.__dict__["counts"] = {"nodes": len(g._node),
                             "edges": sum(kg.report.edges.values())}
    before, after = old.analytics, kg.analytics
    touched = set(touched)
    topics = dict(before.topic_articles)
    retopic: dict[str, None] = {}  # the topics whose articles change, in the order met
    for x in touched:
        for gx in (og, g):
            if x in gx and gx._node[x]["kind"] == ARTICLE:
                for t, kinds in gx._succ[x].items():
                    if TAGGED in kinds:
                        retopic[t] = None
            elif x in gx and gx._node[x]["kind"] == TOPIC:
                retopic[x] = None
    # Each topic once; a big topic's articles are the previous version's, less the
    # touched ones, with the touched ones tagged now merged in (no sort of them all).
    moved = sorted(x for x in touched if _is_article(og, x) or _is_article(g, x))
    gone = set(moved)
    for t in retopic:
        had = topics.pop(t, None)
        if t not in g or not g._pred[t]:
            continue
        if had is None:
            topics[t] = tuple(sorted(g._pred[t]))
            continue
        tagged = g._pred[t]
        topics[t] = tuple(merge([x for x in had if x not in gone],
                                [x for x in moved if x in tagged]))
    after.__dict__["topic_articles"] = topics

    # The groups are read by this function only, and only from the newest version: they
    # are handed over to the next one and changed in place (a copy of every story key
    # per version was the largest corpus-sized step here); ``before`` makes its own again
    # if ever asked.
    groups = _story_groups(before)
    del before.__dict__["story_groups"]
    members: set[str] = set()
    for x in touched:
        for gx, sign in ((og, -1), (g, 1)):
            key = _key_of(gx, x)
            if key is None:
                continue
            have = set(groups.get(key, ()))
            members |= have
            have.discard(x) if sign < 0 else have.add(x)
            groups[key] = tuple(sorted(have))  # kept when empty: no deleted keys
            members |= have
    after.__dict__["story_groups"] = groups
    copies = dict(before.same_story)
    fresh = False  # a key not there before: only then is the dict sorted again
    for a in members | touched:
        key = _key_of(g, a)
        others: tuple[str, ...] = ()
        if key is not None:
            provider = g._node[a]["provider"]
            others = tuple(b for b in groups.get(key, ()) if b != a
                           and g._node[b]["provider"] != provider)
        if others:
            fresh = fresh or a not in copies
            copies[a] = others  # an existing key keeps its place
        else:
            copies.pop(a, None)
    after.__dict__["same_story"] = dict(sorted(copies.items())) if fresh else copies


def _is_article(g: nx.MultiDiGraph, node: str) -> bool:
    data = g._node.get(node)
    return data is not None and data.get("kind") == ARTICLE


def _key_of(g: nx.MultiDiGraph, node: str) -> str | None:
    """The story key of an article with a title of its own, else None."""
    data = g._node.get(node)
    if data is None or data.get("kind") != ARTICLE or data["title"] == data["url"]:
        return None
    return story_key(data["title"])


def _story_groups(a: Analytics) -> dict[str, tuple[str, ...]]:
    """Story key -> the articles with it (by id), kept from version to version."""
    found = a.__dict__.get("story_groups")
    if found is None:
        g = a.kg.nx
        groups: dict[str, list[str]] = {}
        for node in a.articles:
            key = _key_of(g, node)
            if key is not None:
                groups.setdefault(key, []).append(node)
        found = a.__dict__["story_groups"] = {k: tuple(v) for k, v in groups.items()}
    return found
