"""The KnowledgeGraph: the networkx graph, its load report, lookups and traversal."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

import networkx as nx

from graph import explore, paths, traverse
from graph.build import ARTICLE, PROVIDER, TOPIC, provider_id, topic_id
from graph.compact import edge_arrays
from graph.errors import InvalidArgument, InvalidURLError, NodeNotFound, shown
from graph.index import ReadIndex
from graph.normalize import provider_key, topic_slug
from graph.report import LoadReport
from graph.select import Selection
from graph.walk import EDGE_ID_KIND

if TYPE_CHECKING:
    from graph.analytics import Analytics
    from graph.budget import Budget
    from graph.frames import Frames

__all__ = ["KnowledgeGraph"]

_NODE_FORMS = "'article:<url>', 'topic:<slug>' or 'provider:<domain>', or an article URL"
# Ids the API gives that name no node: a storyline's and an edge's ('KIND:<source>-><target>').
_NOT_A_NODE = re.compile(f"(storyline):|{EDGE_ID_KIND.pattern}")


def _text(method: str, value: object, what: str) -> None:
    """Refuse a lookup of something that is not text, naming what was given."""
    if not isinstance(value, str):
        raise TypeError(f"kg.{method} takes {what} as a str, got {type(value).__name__} "
                        f"{value!r:.80}")


class KnowledgeGraph:
    """A loaded news graph: ``.nx`` is the networkx graph, ``.report`` the load report.

    ``graph.load`` makes ``.nx`` read-only (frozen), its edges held as arrays
    (:mod:`graph.compact`); ``.nx.copy()`` is a graph to change.

    Node ids are readable and stable: ``article:<canonical URL>``,
    ``provider:<domain>``, ``topic:<slug>``. Every node has a ``kind``; every edge a
    ``kind`` (``RELATED``, ``PUBLISHED_BY``, ``TAGGED``), which is also its key.
    """

    # Set on the versions a followed corpus makes (graph.live): the content hash of the
    # corpus and when the version was made; None on a graph.load snapshot.
    version: str | None = None
    made_at: datetime | None = None

    def __init__(self, g: nx.MultiDiGraph, report: LoadReport | None = None, *,
                 index: ReadIndex | None = None,
                 topic_names: dict[str, str] | None = None):
        self.nx = g
        self.report = report if report is not None else LoadReport()
        # A snapshot hands over the index it stored with the graph.
        self.index = index if index is not None else ReadIndex(g)
        if topic_names is not None:  # a version whose topics are its previous one's
            self._topic_names = topic_names
            return
        nodes, ids = g._node, self.index.ids
        self._topic_names = {
            nodes[ids[i]]["name"].lower(): ids[i]
            for i in self.index.in_id_order(TOPIC).tolist()  # the last in id order wins
            if nodes[ids[i]].get("name")
        }

    @cached_property
    def analytics(self) -> Analytics:
        """Storylines, centrality, syndicated copies and other per-load analytics,
        computed once, on first use; see :mod:`graph.analytics`."""
        from graph.analytics import Analytics

        return Analytics(self)

    @cached_property
    def counts(self) -> dict[str, int]:
        """``{"nodes": ..., "edges": ...}``, counted once: a multigraph recounts its edges
        (every node's adjacency) on each ``number_of_edges()``."""
        edges = edge_arrays(self.nx)
        return {"nodes": self.nx.number_of_nodes(),
                "edges": len(edges) if edges is not None else self.nx.number_of_edges()}

    def frames(self) -> Frames:
        """Return the graph as tidy pandas DataFrames, one per node kind and one per edge
        kind (needs ``pip install 'newsgraph[pandas]'``); see :func:`graph.frames.frames`."""
        from graph.frames import frames

        return frames(self)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {self.counts['nodes']} nodes, {self.counts['edges']} edges>"

    def __contains__(self, node: object) -> bool:
        return node in self.nx

    def __iter__(self) -> Iterator[str]:
        """The node ids, as ``iter(kg.nx)`` gives them (not ``kg[0]``, ``kg[1]``, ...)."""
        return iter(self.nx)

    def __getitem__(self, node: str) -> dict[str, Any]:
        """Return the attributes of a node by id; raise NodeNotFound if absent."""
        try:
            return self.nx.nodes[node]
        except (KeyError, TypeError):
            pass
        article = self.article(node) if isinstance(node, str) else None
        if article is not None:
            raise NodeNotFound(f"no node {shown(node)}: that is an article's URL; its node "
                               f"is {article!r} (kg[kg.article(url)])")
        raise NodeNotFound(f"no node {shown(node)}: expected a node id such as 'article:<url>', "
                           "'topic:<slug>' or 'provider:<domain>'")

    # -- lookups: each returns a node id, or None ----------------------------

    def article(self, url: str) -> str | None:
        """Return the node id of the article at a URL, raw or canonical, or of its id with
        the URL in any spelling ('article:http://...?utm_source=x'); or None."""
        _text("article", url, "a URL or node id")
        if url in self.nx and self.nx.nodes[url].get("kind") == ARTICLE:
            return url
        i = self.index.article_by_url(url)
        if i is None and url.startswith(f"{ARTICLE}:"):  # its id with the URL in any spelling
            i = self.index.article_by_url(url.removeprefix(f"{ARTICLE}:"))
        return None if i is None else self.index.ids[i]

    def provider(self, domain: str) -> str | None:
        """Return the node id of a provider by domain, ``www.`` form or URL, or of its id
        with the domain in any of those spellings; or None."""
        _text("provider", domain, "a domain, URL or node id")
        if domain in self.nx and self.nx.nodes[domain].get("kind") == PROVIDER:
            return domain
        domain = domain.removeprefix(f"{PROVIDER}:")  # its id, the domain in any spelling
        try:
            node = provider_id(provider_key(domain))
        except InvalidURLError:
            return None
        return node if node in self.nx else None

    def topic(self, name: str) -> str | None:
        """Return the node id of a topic by slug or any spelling of its name, or None."""
        _text("topic", name, "a name, slug or node id")
        if name in self.nx and self.nx.nodes[name].get("kind") == TOPIC:
            return name
        node = topic_id(topic_slug(name))
        if node in self.nx:
            return node
        if name.startswith(f"{TOPIC}:"):  # an id of an older rule: topic:straße is topic:strasse
            node = topic_id(topic_slug(name.removeprefix(f"{TOPIC}:")))
            if node in self.nx:
                return node
        return self._topic_names.get(name.strip().lower())

    @overload
    def resolve(self, ref: str, *, missing_ok: Literal[False] = False) -> str: ...
    @overload
    def resolve(self, ref: str, *, missing_ok: bool) -> str | None: ...

    def resolve(self, ref: str, *, missing_ok: bool = False) -> str | None:
        """Return the node id for a node id or an article URL.

        Raises NodeNotFound when nothing matches, unless ``missing_ok``.
        """
        _text("resolve", ref, "a node id or an article URL")
        if ref in self.nx:
            return ref
        node = (self.topic(ref) if ref.startswith(f"{TOPIC}:")
                else self.provider(ref) if ref.startswith(f"{PROVIDER}:") else self.article(ref))
        if node is None and not missing_ok:
            other = _NOT_A_NODE.match(ref)
            if other is not None:
                what = ("a storyline's id (its stories are its members)" if other.group(1)
                        else "an edge's id (KIND:<source id>-><target id>; start from one of "
                             "its ends)")
                raise InvalidArgument(f"{shown(ref)} is {what}, not a node's: expected a "
                                      f"node id such as {_NODE_FORMS}")
            raise NodeNotFound(f"no node {shown(ref)}: expected a node id such as "
                               f"{_NODE_FORMS}")
        return node

    def mentions(self, node: str, phrase: str) -> bool:
        """Return True when the article ``node`` holds ``phrase`` (the ``mentions`` rule)."""
        from graph.normalize import mentions_tokens

        i = self.index.pos.get(node)
        return i is not None and i in self.index.mentioning(mentions_tokens(phrase))

    # -- traversal ------------------------------------------------------------

    def within(self, start: str, hops: int = 2, via: Iterable[str] | None = None,
               mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
               where: Selection | None = None,
               budget: Budget | None = None) -> list[tuple[str, int]]:
        """Return ``(node_id, hops)`` within ``hops`` of ``start``; see
        :func:`graph.traverse.within`."""
        return traverse.within(self, start, hops, via, mentions, kinds, where, budget)

    def within_paths(self, start: str, hops: int = 2, via: Iterable[str] | None = None,
                     mentions: str | None = None, kinds: Iterable[str] | None = (ARTICLE,),
                     where: Selection | None = None, budget: Budget | None = None,
                     ) -> list[tuple[str, int, list[str]]]:
        """Like :meth:`within`, with the path from ``start`` that explains each node."""
        return traverse.within_paths(self, start, hops, via, mentions, kinds, where, budget)

    def within_lazy_paths(self, start: str, hops: int = 2, via: Iterable[str] | None = None,
                          mentions: str | None = None,
                          kinds: Iterable[str] | None = (ARTICLE,),
                          where: Selection | None = None, budget: Budget | None = None,
                          ) -> tuple[traverse.Found, Callable[[str], list[str]]]:
        """Like :meth:`within`, with a function giving the path of a found node on demand;
        see :func:`graph.traverse.within_lazy_paths`."""
        return traverse.within_lazy_paths(self, start, hops, via, mentions, kinds, where,
                                          budget)

    def neighborhood(self, start: str | Iterable[str], hops: int = 1,
                     via: Iterable[str] | None = None, limit: int | None = None,
                     exclude: Iterable[str] = (),
                     budget: Budget | None = None) -> traverse.Subgraph:
        """Return the subgraph within ``hops`` of ``start``; ``exclude`` is walked through,
        never returned. See :func:`graph.explore.neighborhood`."""
        return explore.neighborhood(self, start, hops, via, limit, exclude, budget)

    def shortest_path(self, a: str, b: str, via: Iterable[str] | None = None,
                      max_hops: int | None = None,
                      budget: Budget | None = None) -> list[str] | None:
        """Return a shortest path of node ids from ``a`` to ``b``, or None."""
        return traverse.shortest_path(self, a, b, via, max_hops, budget)

    def path_edges(self, path: list[str], via: Iterable[str] | None = None,
                   ) -> list[traverse.Edge]:
        """Return the edges along a path, each in its stored direction."""
        return paths.path_edges(self, path, traverse.check_via(via))
