"""The naive way to ask "stories mentioning a phrase within N hops": networkx alone.

``single_source_shortest_path_length`` on the undirected view of the graph, then a
scan of each article's text with the phrase rule. No read index, no caches: this is
the yardstick the fast path is measured against, and the oracle it must agree with.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graph.build import topic_id
from graph.normalize import phrase_tokens, tokens

__all__ = ["naive_within", "phrase_holds"]


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
