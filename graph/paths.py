"""Paths between two nodes, and why each step exists.

:func:`k_shortest_paths` returns up to ``k`` shortest simple paths in the undirected
simple view of the chosen edge kinds (networkx's ``shortest_simple_paths``), each edge
with its evidence, and each pair of consecutive stories along a path with the reason
they are linked: one lists the other as related, they share a topic or a provider, or
they are copies of one story.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graph.analytics import SAME_STORY
from graph.budget import MAX_PATHS, Budget
from graph.build import ARTICLE, PROVIDER, RELATED, provider_id
from graph.explore import label
from graph.traverse import Edge, edge
from graph.walk import adjacency, check_hops, check_via, shortest

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["StoryLink", "GraphPath", "k_shortest_paths", "path_edges", "story_links",
           "LINK_KINDS", "MAX_PATHS"]

LINK_KINDS = ("RELATED", "SHARED_TOPIC", "SHARED_PROVIDER", "SAME_STORY")


@dataclass(frozen=True, slots=True)
class StoryLink:
    """Why two consecutive stories of a path are linked.

    ``kind`` is one of :data:`LINK_KINDS`; ``through`` the topic or provider they share
    (None for a direct link); ``evidence`` the records behind it; ``text`` says it in words.
    """

    source: str
    target: str
    kind: str
    through: str | None
    evidence: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class GraphPath:
    """A path: its nodes from start to end, the edges between them, and the story links."""

    nodes: tuple[str, ...]
    edges: tuple[Edge, ...]
    links: tuple[StoryLink, ...]

    @property
    def length(self) -> int:
        return len(self.nodes) - 1


def path_edges(kg: KnowledgeGraph, nodes: Iterable[str], via: tuple[str, ...]) -> list[Edge]:
    """Return the edge joining each consecutive pair, in its stored direction, with evidence.

    Where two nodes are joined by several kinds, the first in walk order wins
    (``RELATED``, ``TAGGED``, ``PUBLISHED_BY``, ``SAME_STORY``).
    """
    nodes = list(nodes)
    g = kg.nx
    same = kg.analytics.same_story if SAME_STORY in via else {}
    out = []
    for u, v in zip(nodes, nodes[1:], strict=False):
        for kind in via:
            if kind == SAME_STORY:
                if v in same.get(u, ()):
                    a, b = sorted((u, v))
                    out.append(edge(kg, a, b, kind))
                    break
                continue
            if g.has_edge(u, v, key=kind):
                out.append(edge(kg, u, v, kind))
                break
            if g.has_edge(v, u, key=kind):
                out.append(edge(kg, v, u, kind))
                break
    return out


def story_links(kg: KnowledgeGraph, nodes: list[str], edges: list[Edge]) -> list[StoryLink]:
    """Return why each pair of consecutive stories along a path is linked."""
    g = kg.nx
    out = []
    for i, u in enumerate(nodes):
        if g.nodes[u]["kind"] != ARTICLE:
            continue
        if i + 1 < len(nodes) and g.nodes[nodes[i + 1]]["kind"] == ARTICLE:
            e = edges[i]
            v = nodes[i + 1]
            out.append(StoryLink(u, v, e.kind if e.kind == SAME_STORY else RELATED, None,
                                 e.evidence, _direct_text(kg, e)))
        elif i + 2 < len(nodes) and g.nodes[nodes[i + 2]]["kind"] == ARTICLE:
            mid, v = nodes[i + 1], nodes[i + 2]
            evidence = tuple(dict.fromkeys((*edges[i].evidence, *edges[i + 1].evidence)))
            if g.nodes[mid]["kind"] == PROVIDER:
                kind, text = "SHARED_PROVIDER", "are both published by"
            else:
                kind, text = "SHARED_TOPIC", "are both tagged"
            out.append(StoryLink(u, v, kind, mid, evidence,
                                 f'"{label(kg, u)}" and "{label(kg, v)}" {text} '
                                 f"{label(kg, mid)}"))
    return out


def _direct_text(kg: KnowledgeGraph, e: Edge) -> str:
    a, b = label(kg, e.source), label(kg, e.target)
    if e.kind == SAME_STORY:
        pa, pb = (label(kg, provider_id(kg.nx.nodes[n]['provider']))
                  for n in (e.source, e.target))
        return f'"{a}" ({pa}) and "{b}" ({pb}) are copies of one story'
    where = f" (in {', '.join(e.evidence)})" if e.evidence else ""
    return f'"{a}" lists "{b}" as related{where}'


def k_shortest_paths(kg: KnowledgeGraph, source: str, target: str, k: int = 3,
                     max_hops: int = 4, via: Iterable[str] | None = None,
                     budget: Budget | None = None) -> list[GraphPath]:
    """Return up to ``k`` shortest simple paths from ``source`` to ``target``, shortest first.

    Parameters
    ----------
    kg : KnowledgeGraph
    source, target : str
        Node ids or article URLs.
    k : int
        At most this many paths, 1 to :data:`MAX_PATHS`.
    max_hops : int
        Longest path kept, at least 1.
    via : iterable of str, optional
        Edge kinds walked, either direction; the three stored kinds by default,
        ``SAME_STORY`` when named.
    budget : Budget, optional
        What the walks may spend in all; unlimited by default.

    Returns
    -------
    list of GraphPath
        Shortest first; paths of one length by their node ids, in order. Empty when no
        path is at most ``max_hops`` long.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph import KnowledgeGraph
    >>> g = nx.MultiDiGraph()
    >>> for n in ("a", "b"):
    ...     g.add_node(f"article:https://x.com/{n}", kind="article", url=f"https://x.com/{n}",
    ...                title=n.upper(), provider="x.com", topics=["ai"], sources=[f"{n}.md:2"])
    ...     _ = g.add_edge(f"article:https://x.com/{n}", "topic:ai", key="TAGGED", kind="TAGGED")
    >>> g.nodes["topic:ai"].update(kind="topic", slug="ai", name="AI")
    >>> [p.text for p in k_shortest_paths(KnowledgeGraph(g), "https://x.com/a",
    ...                                   "https://x.com/b")[0].links]
    ['"A" and "B" are both tagged AI']
    """
    check_hops(k, low=1, high=MAX_PATHS, name="k")
    check_hops(max_hops, low=1, name="maxHops")
    walk = check_via(via)
    index = kg.index
    a, b = str(kg.resolve(source)), str(kg.resolve(target))
    out = []
    for found in _yen(kg, index.pos[a], index.pos[b], k, max_hops, walk, budget):
        nodes = [index.ids[i] for i in found]
        edges = path_edges(kg, nodes, walk)
        out.append(GraphPath(tuple(nodes), tuple(edges), tuple(story_links(kg, nodes, edges))))
    return out


def _yen(kg: KnowledgeGraph, a: int, b: int, k: int, max_hops: int, via: tuple[str, ...],
         budget: Budget | None) -> list[list[int]]:
    """Return up to ``k`` shortest simple paths of at most ``max_hops`` edges (positions).

    Yen's algorithm: each next path leaves a found one at a spur node, through an edge
    no found path with the same root takes, over nodes not on the root.
    """
    budget = budget if budget is not None else Budget()
    first = shortest(kg, [a], b, max_hops, via, budget=budget)
    if first is None:
        return []
    rows = adjacency(kg, via)
    found = [first]
    # Candidates by length, then by node ids (positions are id order only in a load's index).
    ids = kg.index.ids
    queue: list[tuple[int, tuple[str, ...], tuple[int, ...]]] = []
    queued: set[tuple[int, ...]] = set()
    n = len(kg.index.ids)
    while len(found) < k:
        last = found[-1]
        for i in range(1, len(last)):
            root, spur = last[:i], last[i - 1]
            left = max_hops - i  # edges still allowed after the spur's first step
            if left < 0:
                break
            taken = {p[i] for p in found if len(p) > i and p[:i] == root}
            passes = np.ones(n, dtype=bool)
            passes[root] = False
            budget.charge(int(rows.degree[spur]))
            steps = [v for v in dict.fromkeys(rows.row(spur)) if passes[v] and v not in taken]
            tail = shortest(kg, steps, b, left, via, passes=passes, budget=budget)
            if tail is None:
                continue
            path = tuple(root + tail)
            if path not in queued:
                queued.add(path)
                heapq.heappush(queue, (len(path), tuple(ids[v] for v in path), path))
        if not queue:
            break
        found.append(list(heapq.heappop(queue)[2]))
    return sorted(found, key=lambda p: (len(p), [ids[v] for v in p]))
