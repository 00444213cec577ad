"""The naive way to ask "stories mentioning a phrase within N hops": networkx alone.

``single_source_shortest_path_length`` on the undirected view of the graph, then a
scan of each article's text with the phrase rule. No read index, no caches: this is
the yardstick the fast path is measured against, and the oracle it must agree with.

:class:`NaiveStoryWatch` is the same for a storyAdded subscription: its whole zone walked
again and compared at every change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx

from graph.arrivals import ADDED, ENTERED, UPDATED, Arrival
from graph.build import ARTICLE, topic_id
from graph.normalize import phrase_tokens, tokens

__all__ = ["naive_within", "phrase_holds", "NaiveStoryWatch"]


def _mentions(g: nx.MultiDiGraph, data: dict[str, Any], phrase: tuple[str, ...]) -> bool:
    texts = [data.get("title"), data.get("excerpt"), data.get("body")]
    texts += [g.nodes[topic_id(slug)]["name"] for slug in data.get("topics", ())]
    n = len(phrase)
    for text in texts:
        if not text:
            continue
        seq = tokens(text)
        if any(tuple(seq[i : i + n]) == phrase for i in range(len(seq) - n + 1)):
            return True
    return False


def phrase_holds(g: nx.MultiDiGraph, data: dict[str, Any], phrase: str) -> bool:
    """Return True when the article with attributes ``data`` holds ``phrase``: the
    ``mentions`` rule, read from the networkx graph alone."""
    return _mentions(g, data, phrase_tokens(phrase))


def naive_within(g: nx.MultiDiGraph, start: str, hops: int, mentions: str,
                 ) -> list[tuple[str, int]]:
    """Return ``(article_id, hops)`` like ``kg.within(start, hops, mentions=...)``."""
    undirected = g.to_undirected(as_view=True)
    lengths = nx.single_source_shortest_path_length(undirected, start, cutoff=hops)
    phrase = phrase_tokens(mentions)
    found = []
    for node, depth in lengths.items():
        if depth == 0:
            continue
        data = g.nodes[node]
        if data["kind"] != "article" or not _mentions(g, data, phrase):
            continue
        published = data.get("published_at")
        newest_first = -published.timestamp() if published else float("inf")
        found.append((depth, newest_first, node))
    found.sort()
    return [(node, depth) for depth, _, node in found]


class NaiveStoryWatch:
    """A storyAdded watch as each subscription held one before subs40: every change
    walks the whole zone again and compares every article in it with the zone it last
    saw (``graph/arrivals.py`` as it was). The yardstick of ``bench.subscriptions`` and
    the oracle of ``tests/test_arrivals.py``: :class:`graph.arrivals.StoryWatch` must
    push what this pushes."""

    def __init__(self, kg: Any, selection: Any = None, start: str | None = None,
                 hops: int = 2, via: tuple[str, ...] | None = None):
        self.selection = selection if selection is not None and not selection.empty else None
        if self.selection is not None:
            self.selection.check()
        self.start = start
        self.hops = hops
        self.via = via
        self.zone: dict[str, int] = self._zone(kg)[0]

    def _zone(self, kg: Any) -> tuple[dict[str, int], Callable[[str], list[str]]]:
        if self.start is None or self.start not in kg:
            return {}, lambda node: []
        found, path_of = kg.within_lazy_paths(self.start, self.hops, self.via)
        return dict(found), path_of

    def arrivals(self, change: Any) -> list[Arrival]:
        """Return what the change brings, found by walking the zone again."""
        kg = change.graph
        if kg is None:
            return []
        keep = self.selection.predicate(kg) if self.selection is not None else None

        def wanted(node: str) -> bool:
            data = kg.nx.nodes[node]
            return (data.get("kind") == ARTICLE and not data.get("is_stub")
                    and (keep is None or keep(node)))

        out: list[Arrival] = []
        if self.start is None:
            for why, nodes in ((ADDED, change.added), (UPDATED, change.updated)):
                out += [Arrival(n, why) for n in nodes if n in kg and wanted(n)]
            return out
        before = self.zone
        zone, path_of = self._zone(kg)
        self.zone = zone
        added, updated = set(change.added), set(change.updated)
        for node, hops in zone.items():
            if node not in kg or not wanted(node):
                continue
            reason = (ADDED if node in added else ENTERED if node not in before
                      else UPDATED if node in updated else None)
            if reason is not None:
                out.append(Arrival(node, reason, hops, tuple(path_of(node))))
        return out
