"""The read index: integer ids, adjacency by edge kind and an inverted token index.

Built once from the networkx graph at load; the graph does not change afterwards,
so every answer derived here (a phrase's matches, say) may be cached for the
life of the index.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache

import networkx as nx

from graph.build import ARTICLE, EDGE_KINDS, RELATED, TAGGED
from graph.errors import InvalidURLError
from graph.normalize import canonical_url, tokens

__all__ = ["ReadIndex"]

# Adjacency is walked in this kind order, so the path reported for a node prefers
# a related story, then a shared topic, then a shared provider.
WALK_ORDER = (RELATED, TAGGED) + tuple(k for k in EDGE_KINDS if k not in (RELATED, TAGGED))


class ReadIndex:
    """Integer-keyed views of a knowledge graph for fast traversal and text matching."""

    def __init__(self, g: nx.MultiDiGraph):
        self.ids: list[str] = sorted(g.nodes)
        self.pos: dict[str, int] = {node: i for i, node in enumerate(self.ids)}
        self.kind: list[str] = [g.nodes[n]["kind"] for n in self.ids]
        n = len(self.ids)
        adjacency: dict[str, list[list[int]]] = {k: [[] for _ in range(n)] for k in WALK_ORDER}
        for u, v, kind in g.edges(keys=True):
            a, b = self.pos[u], self.pos[v]
            adjacency[kind][a].append(b)
            adjacency[kind][b].append(a)
        self.adjacency: dict[str, list[tuple[int, ...]]] = {
            kind: [tuple(sorted(set(row))) for row in rows] for kind, rows in adjacency.items()
        }
        self.urls: dict[str, int] = {}
        self.fields: list[tuple[tuple[str, ...], ...]] = [()] * n
        self.postings: dict[str, set[int]] = defaultdict(set)
        self.newest_first: list[float] = [0.0] * n
        for i, node in enumerate(self.ids):
            if self.kind[i] != ARTICLE:
                continue
            data = g.nodes[node]
            self.urls[data["url"]] = i
            for raw in (data.get("web_url"), data.get("original_url")):
                if raw:
                    self.urls.setdefault(raw.strip(), i)
            texts = [data.get("title"), data.get("excerpt"), data.get("body")]
            texts += [g.nodes[f"topic:{slug}"]["name"] for slug in data.get("topics", ())]
            self.fields[i] = tuple(tuple(tokens(t)) for t in texts if t)
            for field_tokens in self.fields[i]:
                for token in field_tokens:
                    self.postings[token].add(i)
            published: datetime | None = data.get("published_at")
            self.newest_first[i] = -published.timestamp() if published else float("inf")
        self.mentioning = lru_cache(maxsize=256)(self._mentioning)

    def article_by_url(self, url: str) -> int | None:
        """Return the index of the article at a raw or canonical URL, or None."""
        found = self.urls.get(url.strip())
        if found is not None:
            return found
        try:
            return self.urls.get(canonical_url(url))
        except InvalidURLError:
            return None

    def neighbours(self, i: int, via: tuple[str, ...]) -> list[int]:
        """Return the neighbours of node ``i`` over the edge kinds ``via``, either direction."""
        out: list[int] = []
        for kind in via:
            out.extend(self.adjacency[kind][i])
        return out

    def _mentioning(self, phrase: tuple[str, ...]) -> frozenset[int]:
        """Return the articles whose title, excerpt, body or a topic name holds the phrase."""
        if not phrase:
            return frozenset()
        candidates = set.intersection(*(self.postings.get(t, set()) for t in phrase))
        return frozenset(i for i in candidates if _holds(self.fields[i], phrase))

    def order_key(self, i: int) -> tuple[float, str]:
        """Sort key within one hop: newest first, then by id."""
        return (self.newest_first[i], self.ids[i])


def _holds(fields: tuple[tuple[str, ...], ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    first = phrase[0]
    for seq in fields:
        for start, token in enumerate(seq):
            if token == first and seq[start : start + n] == phrase:
                return True
    return False
