"""The benchmark's question in three forms: GraphQL, plain Python, and over HTTP.

"Facial-recognition stories within two hops" answered through the GraphQL schema
and built by hand as the same JSON, so the two can be timed side by side and
checked equal.
"""

from __future__ import annotations

from typing import Any

import graph
from bench.generate import PHRASE
from graph.build import provider_id, topic_id

__all__ = ["WITHIN_QUERY", "within_variables", "plain_within_json"]

WITHIN_QUERY = """
query Within($from: ID!, $first: Int, $mentions: String!) {
  within(from: $from, hops: 2, where: {mentions: $mentions}, first: $first) {
    totalCount
    edges {
      hops
      node {
        id
        ... on Article {
          title url publishedAt
          provider { name domain }
          topics { slug name }
        }
      }
    }
  }
}
"""


def within_variables(start: str, first: int = 20) -> dict[str, Any]:
    """Return the variables of :data:`WITHIN_QUERY` for one start."""
    return {"from": start, "first": first, "mentions": PHRASE}


def plain_within_json(kg: graph.KnowledgeGraph, start: str, first: int = 20,
                      ) -> dict[str, Any]:
    """Return the response :data:`WITHIN_QUERY` gives, built in plain Python."""
    g = kg.nx
    found = kg.within(start, 2, mentions=PHRASE)
    edges = []
    for node, hops in found[:first]:
        d = g.nodes[node]
        p = g.nodes[provider_id(d['provider'])]
        published = d.get("published_at")
        topics = []
        for slug in d.get("topics") or ():
            t = g.nodes[topic_id(slug)]
            topics.append({"slug": t["slug"], "name": t["name"] or t["slug"]})
        edges.append({"hops": hops, "node": {
            "id": node, "title": d["title"], "url": d["url"],
            "publishedAt": published.isoformat() if published is not None else None,
            "provider": {"name": p["name"], "domain": p["domain"]},
            "topics": topics,
        }})
    return {"data": {"within": {"totalCount": len(found), "edges": edges}}}
