"""Expanding the graph as an explorer draws it: a frontier walk that pages, skips what the
client already has, and carries degrees, evidence and layout coordinates.

The walk
    Breadth-first from the seeds over the ``via`` edge kinds, either direction: seeds
    first (in the order given), then hop by hop, each node reached through the first
    node of the previous hop that reaches it. A node that fails the filters (``kinds``;
    ``selection`` for articles) is neither returned nor walked through, so every node
    returned is joined to a seed through nodes of the walk. Seeds always pass.
``exclude``
    Nodes the client already has. They are walked through like any other node (hop
    counts and what lies beyond them stay those of the full walk) but never returned.
``limit`` and ``cursor``
    At most ``limit`` nodes are returned; when more remain, ``truncated`` is set and
    ``cursor`` names the place in the walk where the next page starts. Paging on with
    the cursor, or asking again with every node received so far in ``exclude``, or
    both, yields the rest of the same walk: every node once, nothing twice.
Edges
    Each edge of the ``via`` kinds with one end returned on this page and the other
    end returned on this page, returned before the cursor, or in ``exclude``. Over a
    paged walk every edge of the neighborhood arrives once, with the later of its ends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph.analytics import SAME_STORY
from graph.build import ARTICLE, EDGE_KINDS, PROVIDER, TOPIC
from graph.errors import InvalidArgument
from graph.index import WALK_ORDER
from graph.select import Selection, select_articles
from graph.traverse import Edge, Subgraph, check_hops, check_kinds, edge_evidence

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["ALL_EDGE_KINDS", "LAYOUTS", "check_walk", "expand", "select_subgraph", "whole",
           "edge", "degree", "size_hint", "label", "force_layout", "LAYOUT_SEED"]

ALL_EDGE_KINDS = (*WALK_ORDER, SAME_STORY)
LAYOUTS = ("FORCE",)
LAYOUT_SEED = 7
LAYOUT_SCALE = 1000.0
# networkx's spring layout is dense below 500 nodes (0.3 to 2.4 s for 250 to 499 here) and
# far slower above (12 s at 500, 31 s at 2,000): FORCE lays out at most this many.
MAX_LAYOUT_NODES = 300
LAYOUT_ITERATIONS = 50


def check_walk(via: Iterable[str] | None) -> tuple[str, ...]:
    """Return the edge kinds of a walk, in walk order; ``None`` means the three stored kinds.

    ``SAME_STORY`` (derived: syndicated copies) is walked only when named.
    """
    if via is None:
        return WALK_ORDER
    kinds = set()
    for kind in via:
        name = str(kind).upper()
        if name not in ALL_EDGE_KINDS:
            raise InvalidArgument(f"unknown edge kind {kind!r}: expected any of "
                                  f"{', '.join((*EDGE_KINDS, SAME_STORY))}")
        kinds.add(name)
    if not kinds:
        raise InvalidArgument(f"via is empty: give at least one of "
                              f"{', '.join((*EDGE_KINDS, SAME_STORY))}")
    return tuple(k for k in ALL_EDGE_KINDS if k in kinds)


def neighbours(kg: KnowledgeGraph, i: int, via: tuple[str, ...]) -> list[int]:
    """Return the neighbours of index position ``i`` over ``via``, derived kinds included."""
    stored = tuple(k for k in via if k != SAME_STORY)
    out = kg.index.neighbours(i, stored) if stored else []
    if SAME_STORY in via:
        out = [*out, *kg.analytics.same_story_pos.get(i, ())]
    return out


def edge(kg: KnowledgeGraph, source: str, target: str, kind: str) -> Edge:
    """Return the edge ``source → target`` of ``kind`` with its evidence."""
    if kind == SAME_STORY:
        return Edge(source, target, kind, kg.analytics.same_story_evidence(source, target))
    return Edge(source, target, kind, edge_evidence(kg, source, target, kind))


def edges_at(kg: KnowledgeGraph, node: str,
             via: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
    """Yield ``(source, target, kind)`` of the edges of the ``via`` kinds at ``node``:
    out-edges, then in-edges, then ``SAME_STORY`` pairs (smaller id first)."""
    kinds = set(via)
    g = kg.nx
    for _, v, kind in g.out_edges(node, keys=True):
        if kind in kinds:
            yield node, v, kind
    for u, _, kind in g.in_edges(node, keys=True):
        if kind in kinds:
            yield u, node, kind
    if SAME_STORY in kinds:
        for other in kg.analytics.same_story.get(node, ()):
            a, b = sorted((node, other))
            yield a, b, SAME_STORY


def degree(kg: KnowledgeGraph, node: str) -> int:
    """Return the number of stored edges at a node, either direction."""
    return int(kg.nx.degree(node))


def size_hint(n_edges: int) -> float:
    """Return a radius to draw a node of degree ``n_edges`` with: 4, growing with its log.

    >>> [size_hint(d) for d in (0, 1, 3, 7)]
    [4.0, 6.0, 8.0, 10.0]
    """
    return round(4 + 2 * math.log2(1 + n_edges), 2)


def label(kg: KnowledgeGraph, node: str) -> str:
    """Return the text to draw a node with: an article's title, a topic's or provider's name."""
    d = kg.nx.nodes[node]
    return d.get("title") or d.get("name") or d.get("slug") or d.get("domain") or node


# -- the frontier walk ------------------------------------------------------------------


def _walk(kg: KnowledgeGraph, origins: list[int], hops: int, via: tuple[str, ...],
          passes: Any) -> Iterator[tuple[int, int]]:
    """Yield ``(position, hops)`` in walk order over the nodes that pass."""
    seen = set(origins)
    for s in origins:
        yield s, 0
    frontier = origins
    for depth in range(1, hops + 1):
        nxt = []
        for u in frontier:
            for v in neighbours(kg, u, via):
                if v not in seen:
                    seen.add(v)
                    if passes(v):
                        nxt.append(v)
                        yield v, depth
        if not nxt:
            return
        frontier = nxt


def _fingerprint(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:10]


def _encode(position: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"frontier:{position}:{fingerprint}".encode()).decode()


def _decode(cursor: str, fingerprint: str) -> int:
    try:
        prefix, number, mark = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        position = int(number)
        if prefix != "frontier" or position < 0:
            raise ValueError
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument(f"invalid cursor {cursor!r}: pass the `cursor` of the previous "
                              "page of this neighborhood") from None
    if mark != fingerprint:
        raise InvalidArgument(f"cursor {cursor!r} belongs to another walk: keep the seeds, "
                              "hops, via, kinds and where of the page that gave it")
    return position


def expand(
    kg: KnowledgeGraph, seeds: str | Iterable[str], hops: int = 1,
    via: Iterable[str] | None = None, kinds: Iterable[str] | None = None,
    selection: Selection | None = None, exclude: Iterable[str] = (),
    limit: int | None = None, after: str | None = None, layout: str | None = None,
) -> Subgraph:
    """Return one page of the neighborhood of ``seeds``, as described in the module docstring.

    Parameters
    ----------
    kg : KnowledgeGraph
    seeds : str or iterable of str
        Node ids or article URLs.
    hops : int
        How far to walk, at least 0.
    via : iterable of str, optional
        Edge kinds walked; ``RELATED``, ``TAGGED``, ``PUBLISHED_BY`` by default,
        ``SAME_STORY`` when named.
    kinds : iterable of str, optional
        Node kinds kept (``article``, ``topic``, ``provider``); all by default.
    selection : Selection, optional
        Conditions on the articles kept (its dates are the publication window);
        topics and providers are not subject to it.
    exclude : iterable of str
        Nodes the client already has: walked through, never returned. Unknown ones are
        ignored.
    limit : int, optional
        At most this many nodes.
    after : str, optional
        The ``cursor`` of the previous page.
    layout : str, optional
        ``"FORCE"`` to add seeded force-directed coordinates (see :func:`force_layout`).

    Returns
    -------
    Subgraph
        ``nodes`` (id → hops) in walk order, ``edges`` with evidence, ``truncated``,
        ``cursor`` (None when the walk is complete) and ``positions``.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph import KnowledgeGraph
    >>> g = nx.MultiDiGraph()
    >>> for n in ("a", "b", "c"):
    ...     g.add_node(f"article:https://x.com/{n}", kind="article", url=f"https://x.com/{n}",
    ...                title=n.upper(), provider="x.com", topics=[], sources=[f"{n}.md:2"])
    >>> _ = g.add_edge("article:https://x.com/a", "article:https://x.com/b", key="RELATED",
    ...                kind="RELATED", evidence=["a.md:2"])
    >>> _ = g.add_edge("article:https://x.com/b", "article:https://x.com/c", key="RELATED",
    ...                kind="RELATED", evidence=["b.md:2"])
    >>> kg = KnowledgeGraph(g)
    >>> page = expand(kg, "https://x.com/a", hops=2, limit=2)
    >>> list(page.nodes), page.truncated
    (['article:https://x.com/a', 'article:https://x.com/b'], True)
    >>> rest = expand(kg, "https://x.com/a", hops=2, limit=2, after=page.cursor)
    >>> rest.nodes, [(e.source[-1], e.target[-1], e.evidence) for e in rest.edges]
    ({'article:https://x.com/c': 2}, [('b', 'c', ('b.md:2',))])
    """
    check_hops(hops, low=0)
    walk = check_walk(via)
    wanted = check_kinds(kinds)
    if limit is not None:
        check_hops(limit, low=1, name="limit")
    if layout is not None and layout not in LAYOUTS:
        raise InvalidArgument(f"unknown layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    index = kg.index
    refs = [seeds] if isinstance(seeds, str) else list(seeds)
    if not refs:
        raise InvalidArgument("give at least one seed to expand from")
    origins = list(dict.fromkeys(index.pos[str(kg.resolve(s))] for s in refs))
    known = {index.pos[n] for n in (kg.resolve(x, missing_ok=True) for x in exclude) if n}
    keep = selection.predicate(kg) if selection is not None and not selection.empty else None

    def passes(i: int) -> bool:
        kind = index.kind[i]
        if kind not in wanted:
            return False
        return keep is None or kind != ARTICLE or keep(index.ids[i])

    mark = _fingerprint([index.ids[i] for i in origins], hops, walk, sorted(wanted), selection)
    start = _decode(after, mark) if after is not None else 0
    sub = Subgraph()
    taken: list[int] = []
    for position, (i, depth) in enumerate(_walk(kg, origins, hops, walk, passes)):
        if position < start or i in known:
            known.add(i)
            continue
        if limit is not None and len(taken) >= limit:
            sub.truncated = True
            sub.cursor = _encode(position, mark)
            break
        taken.append(i)
        sub.nodes[index.ids[i]] = depth
    have = {index.ids[i] for i in known}
    kept = sub.nodes
    for node in kept:
        for source, target, kind in edges_at(kg, node, walk):
            other = target if source == node else source
            # Once: an edge between two nodes of this page is taken at its source.
            if other in have or (other in kept and source == node):
                sub.edges.append(edge(kg, source, target, kind))
    if layout is not None:
        sub.positions = force_layout(sub)
    return sub


def force_layout(sub: Subgraph, seed: int = LAYOUT_SEED,
                 scale: float = LAYOUT_SCALE) -> dict[str, tuple[float, float]]:
    """Return seeded force-directed ``(x, y)`` for each node of ``sub``, within ±``scale``.

    networkx's ``spring_layout`` over the undirected subgraph, :data:`LAYOUT_ITERATIONS`
    iterations; the same subgraph always gets the same coordinates. At most
    :data:`MAX_LAYOUT_NODES` nodes: a larger subgraph raises InvalidArgument.
    """
    if len(sub.nodes) > MAX_LAYOUT_NODES:
        raise InvalidArgument(
            f"a FORCE layout places at most {MAX_LAYOUT_NODES} nodes; this one has "
            f"{len(sub.nodes)}: ask for fewer (limit) or lay the graph out in the client")
    g = nx.Graph()
    g.add_nodes_from(sub.nodes)
    g.add_edges_from((e.source, e.target) for e in sub.edges
                     if e.source in sub.nodes and e.target in sub.nodes)
    if not g:
        return {}
    pos = nx.spring_layout(g, seed=seed, scale=scale, iterations=LAYOUT_ITERATIONS)
    return {n: (round(float(x), 3), round(float(y), 3)) for n, (x, y) in pos.items()}


# -- selections for export -----------------------------------------------------------


def whole(kg: KnowledgeGraph, via: Iterable[str] | None = None) -> Subgraph:
    """Return the whole graph as a subgraph: every node (hops 0), every edge of ``via``."""
    walk = check_walk(via)
    nodes = dict.fromkeys(kg.index.ids, 0)
    sub = Subgraph(nodes=nodes)
    sub.edges = _edges_among(kg, nodes, walk)
    return sub


def select_subgraph(
    kg: KnowledgeGraph, seeds: Collection[str] = (), hops: int = 1,
    via: Iterable[str] | None = None, selection: Selection | None = None,
) -> Subgraph:
    """Return what an export selects: the whole graph; or the articles ``selection`` keeps
    with their topics and providers (hops 1); or, with ``seeds``, the walk of
    :func:`expand` (``selection`` filtering its articles), unlimited.
    """
    if seeds:
        return expand(kg, seeds, hops, via, selection=selection)
    if selection is None or selection.empty:
        return whole(kg, via)
    walk = check_walk(via)
    nodes: dict[str, int] = {}
    for article in sorted(select_articles(kg, selection)):
        nodes[article] = 0
    g = kg.nx
    for article in list(nodes):
        for _, v, kind in g.out_edges(article, keys=True):
            if kind in walk and g.nodes[v]["kind"] in (TOPIC, PROVIDER):
                nodes.setdefault(v, 1)
    return Subgraph(nodes=nodes, edges=_edges_among(kg, nodes, walk))


def _edges_among(kg: KnowledgeGraph, nodes: Collection[str], via: tuple[str, ...]) -> list[Edge]:
    kinds = set(via)
    out = [edge(kg, u, v, k) for u in nodes for _, v, k in kg.nx.out_edges(u, keys=True)
           if k in kinds and v in nodes]
    if SAME_STORY in kinds:
        out += [edge(kg, a, b, SAME_STORY) for a, b in kg.analytics.same_story_edges()
                if a in nodes and b in nodes]
    return out
