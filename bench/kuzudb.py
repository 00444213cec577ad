"""The 2-hop query in a real graph database: Kuzu (embedded), on the same nodes and edges.

The loaded graph is copied into a Kuzu database: one node table ``Node(id, kind,
mentions)`` and one relationship table ``Edge(FROM Node TO Node, kind)``, every edge of
the networkx graph once. ``mentions`` is the phrase rule (:mod:`bench.naive`'s, not the
read index's) applied once to every article at import, as newsgraph caches a phrase's
matches on its first use; the walk itself is Cypher's::

    MATCH (s:Node)-[e:Edge*1..2]-(a:Node)
    WHERE s.id = $start AND a.id <> $start AND a.kind = 'article' AND a.mentions
    RETURN a.id, min(length(e))

Edges are walked in both directions, as ``kg.within`` walks them. Kuzu is an optional
extra (``pip install 'newsgraph[bench]'``); :func:`available` says whether it is there.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.naive import phrase_holds

__all__ = ["available", "WITHIN_CYPHER", "KuzuGraph", "open_kuzu", "MISSING"]

MISSING = "kuzu is not installed: pip install 'newsgraph[bench]' to compare against Kuzu"

WITHIN_CYPHER = (
    "MATCH (s:Node)-[e:Edge*1..2]-(a:Node) "
    "WHERE s.id = $start AND a.id <> $start AND a.kind = 'article' AND a.mentions "
    "RETURN a.id, min(length(e))"
)


def available() -> bool:
    """Return True when the ``kuzu`` package can be imported."""
    try:
        import kuzu  # noqa: F401
    except ImportError:
        return False
    return True


class KuzuGraph:
    """A Kuzu database holding a knowledge graph's nodes and edges, and one connection."""

    def __init__(self, conn: Any, import_s: float):
        self.conn = conn
        self.import_s = import_s

    def within(self, start: str) -> list[tuple[str, int]]:
        """Return ``(article_id, hops)`` for the articles within 2 hops of ``start`` that
        mention the phrase, sorted (Kuzu gives them in no particular order)."""
        result = self.conn.execute(WITHIN_CYPHER, {"start": start})
        found = []
        while result.has_next():
            node, hops = result.get_next()
            found.append((node, int(hops)))
        return sorted(found)


@contextmanager
def open_kuzu(g: Any, phrase: str) -> Iterator[KuzuGraph]:
    """Copy the networkx graph ``g`` into a new Kuzu database in a temporary folder, with
    each article's ``mentions`` of ``phrase``; yield it, and delete it afterwards."""
    import kuzu

    with tempfile.TemporaryDirectory(prefix="newsgraph-kuzu-") as tmp:
        began = time.perf_counter()
        nodes_csv, edges_csv = Path(tmp) / "nodes.csv", Path(tmp) / "edges.csv"
        with nodes_csv.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            for node, data in g.nodes(data=True):
                holds = data["kind"] == "article" and phrase_holds(g, data, phrase)
                w.writerow([node, data["kind"], "true" if holds else "false"])
        with edges_csv.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            for u, v, kind in g.edges(keys=True):
                w.writerow([u, v, kind])
        db = kuzu.Database(str(Path(tmp) / "db"))
        conn = kuzu.Connection(db)
        conn.execute("CREATE NODE TABLE Node(id STRING, kind STRING, mentions BOOLEAN, "
                     "PRIMARY KEY (id))")
        conn.execute("CREATE REL TABLE Edge(FROM Node TO Node, kind STRING)")
        conn.execute(f"COPY Node FROM '{nodes_csv}' (HEADER=false)")
        conn.execute(f"COPY Edge FROM '{edges_csv}' (HEADER=false)")
        try:
            yield KuzuGraph(conn, time.perf_counter() - began)
        finally:
            conn.close()
            db.close()
