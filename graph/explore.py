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
from array import array
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from graph import compact
from graph.analytics import SAME_STORY
from graph.budget import MAX_LAYOUT_NODES, Budget
from graph.build import ARTICLE, PROVIDER, PUBLISHED_BY, TAGGED, TOPIC
from graph.errors import InvalidArgument, shown
from graph.index import KIND_CODES
from graph.select import Selection, check_selection, select_articles
from graph.traverse import ROW_KINDS, Edge, EdgeRows, Subgraph, edge
from graph.walk import Rule, check_hops, check_kinds, check_via, levels

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["LAYOUTS", "expand", "neighborhood", "select_subgraph", "whole", "looks",
           "degree", "size_hint", "label", "force_layout", "LAYOUT_SEED"]

LAYOUTS = ("FORCE",)
LAYOUT_SEED = 7
LAYOUT_SCALE = 1000.0
LAYOUT_ITERATIONS = 50


def _page_edges(kg: KnowledgeGraph, kept: Collection[str], have: Collection[str],
                via: tuple[str, ...], budget: Budget | None = None) -> list[Edge]:
    """Return the edges of the ``via`` kinds with one end in ``kept`` (a page) and the other
    in ``kept`` or ``have``, each once: node by node, its out-edges, its in-edges, then its
    ``SAME_STORY`` pairs (smaller id first); an edge inside the page at its source. The
    deadline of ``budget`` is looked at before each node's rows are read (a page of hubs
    with ``have`` reads their whole in-rows)."""
    kinds = set(via)
    succ, pred = kg.nx._succ, kg.nx._pred  # the views' edges, without their overhead
    same = kg.analytics.same_story if SAME_STORY in kinds else {}
    out = []
    for node in kept:
        if budget is not None:
            budget.check_time()
        for v, keys in succ[node].items():
            if v in kept or v in have:
                out += [edge(kg, node, v, k) for k in keys if k in kinds]
        if have:  # a hub's in-edges are read only when something is known already
            for u, keys in pred[node].items():
                if u in have:
                    out += [edge(kg, u, node, k) for k in keys if k in kinds]
        for other in same.get(node, ()):
            if other in have or (other in kept and node < other):
                a, b = sorted((node, other))
                out.append(edge(kg, a, b, SAME_STORY))
    return out


# -- how a node is drawn ---------------------------------------------------------------


def degree(kg: KnowledgeGraph, node: str) -> int:
    """Return the number of stored edges at a node, either direction."""
    return compact.degree(kg.nx, node)


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


def looks(kg: KnowledgeGraph, node: str) -> tuple[str, int, float]:
    """Return how an explorer draws a node: its label, degree and size."""
    n_edges = degree(kg, node)
    return label(kg, node), n_edges, size_hint(n_edges)


# -- the frontier walk ------------------------------------------------------------------


def _passes(kg: KnowledgeGraph, wanted: frozenset[str], selection: Selection | None,
            budget: Budget | None = None) -> Rule:
    """Return the rule of what the walk may enter: the kinds wanted, and of articles,
    those ``selection`` keeps."""
    index = kg.index
    mask = index.keep_mask(wanted, None)
    if selection is None or selection.empty:
        return mask
    keep = selection.predicate(kg, budget)
    ids, codes, article = index.ids, index.kind_code, KIND_CODES[ARTICLE]

    def rule(nodes: np.ndarray) -> np.ndarray:
        out = mask[nodes].copy()
        for j in np.flatnonzero(out & (codes[nodes] == article)).tolist():
            out[j] = keep(ids[nodes[j]])
        return out

    return rule


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
        raise InvalidArgument(f"invalid cursor {shown(cursor)}: pass the `cursor` of the previous "
                              "page of this neighborhood") from None
    if mark != fingerprint:
        raise InvalidArgument(f"cursor {shown(cursor)} belongs to another walk: keep the seeds, "
                              "hops, via, kinds and where of the page that gave it")
    return position


def expand(
    kg: KnowledgeGraph, seeds: str | Iterable[str], hops: int = 1,
    via: Iterable[str] | None = None, kinds: Iterable[str] | None = None,
    selection: Selection | None = None, exclude: Iterable[str] = (),
    limit: int | None = None, after: str | None = None, layout: str | None = None,
    budget: Budget | None = None,
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
        Nodes the client already has: walked through, never returned (see the module
        docstring; :func:`neighborhood` has an example). Unknown ones are ignored.
    limit : int, optional
        At most this many nodes.
    after : str, optional
        The ``cursor`` of the previous page.
    layout : str, optional
        ``"FORCE"`` to add seeded force-directed coordinates (see :func:`force_layout`).
    budget : Budget, optional
        What the walk may spend; unlimited by default.

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

    ``exclude``: b is walked through, not returned, so c keeps its 2 hops; the edges
    that join what is returned to what the caller has come along.

    >>> sub = expand(kg, "https://x.com/a", hops=2, exclude=["https://x.com/b"])
    >>> sub.nodes, [(e.source[-1], e.target[-1]) for e in sub.edges]
    ({'article:https://x.com/a': 0, 'article:https://x.com/c': 2}, [('a', 'b'), ('b', 'c')])
    """
    check_hops(hops, low=0)
    walk = check_via(via)
    wanted = check_kinds(kinds)
    check_selection(selection, "selection")
    if limit is not None:
        check_hops(limit, low=1, name="limit")
    if layout is not None and layout not in LAYOUTS:
        raise InvalidArgument(f"unknown layout {shown(layout)}: expected one of "
                              f"{', '.join(LAYOUTS)}")
    index = kg.index
    refs = [seeds] if isinstance(seeds, str) else list(seeds)
    if not refs:
        raise InvalidArgument("give at least one seed to expand from")
    origins = list(dict.fromkeys(index.pos[str(kg.resolve(s))] for s in refs))
    if isinstance(exclude, str):  # one id, not the ids of its characters
        exclude = (exclude,)
    known = {index.pos[n] for n in (kg.resolve(x, missing_ok=True) for x in exclude) if n}
    mark = _fingerprint([index.ids[i] for i in origins], hops, walk, sorted(wanted), selection)
    start = _decode(after, mark) if after is not None else 0
    sub = Subgraph()
    position = 0
    walked = levels(kg, origins, hops, walk, passes=_passes(kg, wanted, selection, budget),
                    budget=budget)
    for depth, nodes, _, _ in walked:
        for i in nodes.tolist():
            if position < start or i in known:
                known.add(i)
            elif limit is not None and len(sub.nodes) >= limit:
                sub.truncated = True
                sub.cursor = _encode(position, mark)
                break
            else:
                sub.nodes[index.ids[i]] = depth
            position += 1
        if sub.truncated:
            walked.close()  # the rest of the walk is neither read nor charged
            break
    sub.edges = _page_edges(kg, sub.nodes, {index.ids[i] for i in known}, walk, budget)
    if layout is not None:
        sub.positions = force_layout(sub, budget=budget)
    return sub


def neighborhood(
    kg: KnowledgeGraph, start: str | Iterable[str], hops: int = 1,
    via: Iterable[str] | None = None, limit: int | None = None,
    exclude: Iterable[str] = (), budget: Budget | None = None,
) -> Subgraph:
    """Return the subgraph within ``hops`` of one or more seeds: :func:`expand` without
    filters or layout.

    ``exclude`` names nodes the caller already has: they are walked through, so hops and
    what lies beyond them stay those of the full walk, but never returned; the edges
    that join them to the nodes returned are.

    See :func:`expand` for an example.
    """
    return expand(kg, start, hops, via, exclude=exclude, limit=limit, budget=budget)


def force_layout(sub: Subgraph, seed: int = LAYOUT_SEED, scale: float = LAYOUT_SCALE,
                 budget: Budget | None = None) -> dict[str, tuple[float, float]]:
    """Return seeded force-directed ``(x, y)`` for each node of ``sub``, within ±``scale``.

    networkx's ``spring_layout`` over the undirected subgraph (its dense
    Fruchterman-Reingold, :data:`LAYOUT_ITERATIONS` iterations, the same coordinates),
    run here so that ``budget``'s deadline is checked before every iteration and the work
    is counted in ``budget.work`` (``layoutNodes``, ``layoutIterations``). The same
    subgraph always gets the same coordinates. At most :data:`MAX_LAYOUT_NODES` nodes: a
    larger subgraph raises InvalidArgument.
    """
    if len(sub.nodes) > MAX_LAYOUT_NODES:
        raise InvalidArgument(
            f"a FORCE layout places at most {MAX_LAYOUT_NODES} nodes; this one has "
            f"{len(sub.nodes)}: ask for fewer (limit) or lay the graph out in the client")
    order = list(sub.nodes)
    if not order:
        return {}
    if budget is not None:
        budget.count("layoutNodes", len(order))
    if len(order) == 1:
        return {order[0]: (0.0, 0.0)}
    # The adjacency networkx's to_numpy_array makes of the undirected subgraph (an edge
    # of any kind, either way or repeated, is 1; a loop is 1 on the diagonal), made
    # here: a networkx graph's views refer back to it, a cycle left for the collector.
    at = {n: i for i, n in enumerate(order)}
    adjacency = np.zeros((len(order), len(order)))
    for e in sub.edges:
        i, j = at.get(e.source), at.get(e.target)
        if i is not None and j is not None:
            adjacency[i, j] = adjacency[j, i] = 1.0
    pos = _fruchterman_reingold(adjacency, np.random.RandomState(seed), LAYOUT_ITERATIONS,
                                budget)
    pos = nx.rescale_layout(pos, scale=scale)
    return {n: (round(float(x), 3), round(float(y), 3)) for n, (x, y) in zip(order, pos,
                                                                            strict=True)}


def _fruchterman_reingold(a: np.ndarray, rng: np.random.RandomState, iterations: int,
                          budget: Budget | None, threshold: float = 1e-4) -> np.ndarray:
    """networkx's dense ``_fruchterman_reingold`` (2-D, no fixed nodes), step for step,
    with the budget's deadline checked before each iteration."""
    n = a.shape[0]
    pos = np.asarray(rng.rand(n, 2), dtype=a.dtype)
    k = np.sqrt(1.0 / n)
    # The first step is a tenth of the domain, cooled linearly to dt at the last one.
    t = max(max(pos.T[0]) - min(pos.T[0]), max(pos.T[1]) - min(pos.T[1])) * 0.1
    dt = t / (iterations + 1)
    for _ in range(iterations):
        if budget is not None:
            budget.check_time()
            budget.count("layoutIterations", 1)
        delta = pos[:, np.newaxis, :] - pos[np.newaxis, :, :]
        distance = np.linalg.norm(delta, axis=-1)
        np.clip(distance, 0.01, None, out=distance)
        displacement = np.einsum("ijk,ij->ik", delta, (k * k / distance**2 - a * distance / k))
        length = np.clip(np.linalg.norm(displacement, axis=-1), a_min=0.01, a_max=None)
        delta_pos = np.einsum("ij,i->ij", displacement, t / length)
        pos += delta_pos
        t -= dt
        if (np.linalg.norm(delta_pos) / n) < threshold:
            break
    return pos


# -- selections for export -----------------------------------------------------------


def whole(kg: KnowledgeGraph, via: Iterable[str] | None = None,
          budget: Budget | None = None) -> Subgraph:
    """Return the whole graph as a subgraph: every node (hops 0), every edge of ``via``
    (``budget``'s deadline looked at before each node's edges)."""
    walk = check_via(via)
    nodes = dict.fromkeys(kg.index.ids_in_order(), 0)
    sub = Subgraph(nodes=nodes)
    sub.edges = _edges_among(kg, nodes, walk, budget)
    return sub


def select_subgraph(
    kg: KnowledgeGraph, seeds: Collection[str] = (), hops: int = 1,
    via: Iterable[str] | None = None, selection: Selection | None = None,
    budget: Budget | None = None,
) -> Subgraph:
    """Return what an export selects: the whole graph; or the articles ``selection`` keeps
    with their topics and providers (hops 1); or, with ``seeds``, the walk of
    :func:`expand` (``selection`` filtering its articles), unlimited.
    """
    if seeds:
        return expand(kg, seeds, hops, via, selection=selection, budget=budget)
    if selection is None or selection.empty:
        return whole(kg, via, budget)
    walk = check_via(via)
    index = kg.index
    starts = [index.pos[a] for a in sorted(select_articles(kg, selection, budget=budget))]
    nodes: dict[str, int] = {}
    steps = tuple(k for k in walk if k in (TAGGED, PUBLISHED_BY))
    if steps:
        # One hop from the articles to their topics and providers.
        keep = index.keep_mask(frozenset((TOPIC, PROVIDER)), None)
        for level in levels(kg, starts, 1, steps, keep=keep, budget=budget):
            nodes.update(dict.fromkeys((index.ids[i] for i in level.reported().tolist()),
                                       level.depth))
    else:
        nodes = dict.fromkeys((index.ids[i] for i in starts), 0)
    return Subgraph(nodes=nodes, edges=_edges_among(kg, nodes, walk, budget))


def _edges_among(kg: KnowledgeGraph, nodes: Collection[str], via: tuple[str, ...],
                 budget: Budget | None = None) -> EdgeRows:
    kinds = set(via)
    # Each stored edge read straight off networkx's adjacency dicts (a whole-graph export
    # has hundreds of thousands) and kept as three numbers (EdgeRows: not scanned by the
    # collector while the export is written).
    succ, pos = kg.nx._succ, kg.index.pos
    codes = {k: c for c, k in enumerate(ROW_KINDS) if k in kinds}
    rows = array("i")
    add = rows.append
    for u in nodes:
        if budget is not None:
            budget.check_time()
        at = pos[u]
        for v, keyed in succ[u].items():
            if v not in nodes:
                continue
            to = -1
            for k in keyed:
                code = codes.get(k)
                if code is None:
                    continue
                if to < 0:
                    to = pos[v]
                add(at)
                add(to)
                add(code)
    if SAME_STORY in kinds:
        same = codes[SAME_STORY]
        for a, b in kg.analytics.same_story_edges():
            if a in nodes and b in nodes:
                add(pos[a])
                add(pos[b])
                add(same)
    return EdgeRows(kg, np.array(rows, dtype=np.int32).reshape(-1, 3))
