"""Bytes per article by component: where a loaded graph's memory goes.

Run as ``python -m bench.memory PATH [--cache DIR]``. Loads the corpus, then walks the
objects each part of the graph holds and sums their sizes (``sys.getsizeof``,
``ndarray.nbytes``), each object counted once, in the order of the table: an object
shared by two parts (a URL both a node attribute and a dict key) counts in the first.
Prints a table and the same figures as JSON; the resident set is beside it.

With ``--analytics`` it then runs the whole-graph analytics as a server does (a forked
process that sends them back, :mod:`graph.background`) and adds what they brought:
each part's own objects (the graph's excluded) and the resident set's growth.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

__all__ = ["main", "components", "analytics_parts", "ADJACENCY", "EDGE_DATA"]

ADJACENCY = "adjacency (networkx dicts; loaded: arrays, graph/compact.py)"
EDGE_DATA = "edge data dicts (kind, RELATED evidence)"

_LEAVES = (str, bytes, bytearray, int, float, bool, datetime, date, type(None))


def _deep(roots: Iterable[Any], seen: set[int]) -> int:
    """Sum the sizes of ``roots`` and everything they hold not yet in ``seen``."""
    import numpy as np

    total = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += obj.nbytes + sys.getsizeof(np.empty(0))
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, _LEAVES):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
        elif hasattr(obj, "__slots__"):  # a storyline
            stack.extend(getattr(obj, name) for name in obj.__slots__ if hasattr(obj, name))
    return total


def _column_parts(column: Any) -> list[Any]:
    """What a node column holds: its arrays and buffers (bytes, a snapshot's part), and
    the values of a column of codes."""
    return [getattr(column, name) for name in column.__slots__ if not name.startswith("_")]


def components(kg: Any) -> dict[str, int]:
    """Return the bytes each part of a loaded graph holds, each object counted once."""
    from graph.compact import edge_arrays
    from graph.nodeattrs import node_columns

    g = kg.nx
    seen: set[int] = set()
    text_keys = ("title", "excerpt", "body", "secured")
    out: dict[str, int] = {}
    # Shared with everything: the node id strings (keys of every adjacency dict).
    out["node ids"] = _deep(list(g._node), seen)
    columns = node_columns(g)
    if columns is None:  # a dict per node
        out["node attribute dicts (containers)"] = sum(
            sys.getsizeof(d) for d in g._node.values() if id(d) not in seen)
        seen.update(id(d) for d in g._node.values())
        out["article text (title, excerpt, body, secured)"] = _deep(
            (d[k] for d in g._node.values() for k in text_keys if k in d), seen)
        out["other node attributes (URLs, dates, images, topics, ...)"] = _deep(
            (v for d in g._node.values() for v in d.values()), seen)
    else:  # columns (graph/columns.py): the buffers, the codes' values, the layouts
        out["node attribute columns: layouts"] = _deep(
            [columns.layout_of, columns.layouts, columns._readers], seen)
        out["article text (title, excerpt, body, secured)"] = _deep(
            [_column_parts(columns.columns[k]) for k in text_keys if k in columns.columns],
            seen)
        out["other node attributes (URLs, dates, images, topics, ...)"] = _deep(
            [_column_parts(c) for c in columns.columns.values()], seen)
    edges = edge_arrays(g)
    if edges is None:  # networkx's own dicts (a live graph's versions)
        out[EDGE_DATA] = _deep(
            (d for nbrs in g._succ.values() for kd in nbrs.values() for d in kd.values()), seen)
        out[ADJACENCY] = _deep([g._succ, g._pred], seen) + sys.getsizeof(g._node)
    else:  # a loaded graph's arrays, which kg.nx reads through views (graph/compact.py)
        data = edges.data
        out[EDGE_DATA] = _deep([data.shape, data.plain, data.evidence_indptr, data.evidence,
                                data.strings, data.other], seen)
        out[ADJACENCY] = _deep([edges.keys] + [
            getattr(edges, name) for name in ("out_indptr", "out_target", "out_key",
                                              "in_indptr", "in_source", "in_edge")],
            seen) + sys.getsizeof(g._node)
    index = kg.index
    arrays = [v for v in vars(index).values() if type(v).__name__ == "ndarray"]
    arrays += [getattr(c, name) for c in index.csr.values() for name in c.__slots__]
    out["read index: numpy (CSR per edge kind, ranks, offsets)"] = _deep(arrays, seen)
    blobs = [index.text] if index.text is not None else []  # None: the text held once
    out["read index: lowercased text blob"] = _deep(blobs + [t for t, _, _ in index.extra_text],
                                                    seen)
    out["read index: Python lists and dicts (ids, positions, kinds, URLs, ...)"] = _deep(
        [v for k, v in vars(index).items() if k != "g"], seen)
    out["other (topic names, analytics caches)"] = _deep([kg._topic_names], seen)
    return out


def analytics_parts(kg: Any) -> dict[str, int]:
    """Return the bytes each installed whole-graph part holds beyond the graph's objects."""
    seen: set[int] = {id(kg.index)}  # reached again from its own fields and postings
    from graph.nodeattrs import node_columns

    columns = node_columns(kg.nx)
    _deep(list(kg.nx._node) + ([_column_parts(c) for c in columns.columns.values()]
                                if columns is not None else list(kg.nx._node.values())), seen)
    _deep([v for k, v in vars(kg.index).items() if k not in ("g", "words")], seen)
    parts = kg.analytics._parts
    return {f"analytics: {name}": _deep([parts[name]], seen) for name in parts}


def _with_analytics(kg: Any) -> tuple[dict[str, int], int]:
    """Run the analytics job as a server does; return its parts' sizes and the resident
    set's growth over it."""
    import gc

    from bench.measure import rss_bytes
    from graph.background import BackgroundAnalytics

    gc.collect()
    before = rss_bytes()
    job = BackgroundAnalytics(kg).start()
    if not job.wait():
        raise SystemExit(f"the analytics job failed: {job.status()}")
    gc.collect()
    return analytics_parts(kg), rss_bytes() - before


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.memory")
    p.add_argument("path")
    p.add_argument("--cache", default=None, help="snapshot cache folder (default: none)")
    p.add_argument("--analytics", action="store_true",
                   help="then run the background analytics and add what they hold")
    args = p.parse_args(argv)
    import graph
    from bench.measure import rss_bytes

    before = rss_bytes()
    kg = graph.load(args.path, cache=args.cache) if args.cache else graph.load(args.path)
    rss = rss_bytes()
    articles = kg.report.articles
    parts = components(kg)
    total = sum(parts.values())
    rows = [(name, size) for name, size in parts.items()]
    rows += [("sum of the above", total), ("resident set growth over the load", rss - before),
             ("resident set", rss)]
    extra: dict[str, Any] = {}
    if args.analytics:
        added, growth = _with_analytics(kg)
        rows += list(added.items())
        rows += [("sum of the analytics parts", sum(added.values())),
                 ("resident set growth over the analytics", growth),
                 ("resident set with the analytics", rss_bytes()),
                 ("read index: lowercased text blob, now", len(kg.index.text or b""))]
        extra = {"analytics": added, "analytics_rss_growth": growth,
                 "rss_with_analytics": rss_bytes()}
    width = max(len(name) for name, _ in rows)
    print(f"{'component'.ljust(width)}  {'MiB':>8}  {'bytes/article':>13}")
    for name, size in rows:
        print(f"{name.ljust(width)}  {size / 2**20:8.1f}  {size / articles:13,.0f}")
    print(f"({articles:,} articles, {kg.report.records:,} records, "
          f"{kg.counts['edges']:,} edges)")
    json.dump({"articles": articles, "components": parts, "rss": rss,
               "rss_growth": rss - before, **extra}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
