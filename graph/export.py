"""Subgraphs in the shapes graph tools read: Cytoscape.js, graphology, networkx node-link,
GraphML and GEXF.

Every format carries the same nodes and edges. A node has its ``kind``, ``label``,
``degree`` (stored edges at it, in the whole graph), ``size`` (a radius hint),
``hops`` (from the nearest seed; 0 for every node of a whole-graph export) and, with a
layout, ``x`` and ``y``; an article adds ``url``, ``provider``, ``publishedAt``
(ISO 8601), ``isStub``, ``topics`` and ``storyline``; a topic ``slug``, a provider
``domain``. An edge has its stable ``id``, ``kind`` and ``evidence`` (records as
``path:line``). GraphML and GEXF hold only scalars, so there ``topics`` and
``evidence`` are joined with ``" | "`` and absent values are left out.

Formats
    ``cytoscape`` — Cytoscape.js ``elements``: ``{"nodes": [{"data": {"id", ...},
    "position"?}], "edges": [{"data": {"id", "source", "target", ...}}]}``; as a file,
    wrapped as Cytoscape's ``.cyjs`` (``{"data", "directed", "multigraph", "elements"}``).
    ``graphology`` — graphology's serialization (what sigma.js loads):
    ``{"attributes", "options": {"type", "multi", "allowSelfLoops"}, "nodes": [{"key",
    "attributes"}], "edges": [{"key", "source", "target", "attributes"}]}``.
    ``node-link`` — networkx's node-link data, ``edges="edges"``; read it back with
    ``networkx.node_link_graph(data, edges="edges")``.
    ``graphml``, ``gexf`` — networkx's writers (GEXF adds ``viz`` size and position).
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

import networkx as nx

from graph.build import ARTICLE, TOPIC, provider_id, topic_id
from graph.errors import InvalidArgument
from graph.explore import looks
from graph.traverse import Subgraph

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["FORMATS", "JSON_FORMATS", "node_attributes", "edge_attributes", "to_networkx",
           "cytoscape", "graphology", "node_link", "as_json", "write"]

JSON_FORMATS = ("cytoscape", "graphology", "node-link")
FORMATS = ("graphml", "gexf", "node-link", "cytoscape", "graphology")
_JOIN = " | "


def node_attributes(kg: KnowledgeGraph, sub: Subgraph, node: str) -> dict[str, Any]:
    """Return the attributes every export gives a node (JSON types; None where unknown)."""
    d = kg.nx.nodes[node]
    text, n_edges, size = looks(kg, node)
    attrs: dict[str, Any] = {"kind": d["kind"], "label": text, "degree": n_edges,
                             "size": size, "hops": sub.nodes[node]}
    if sub.positions is not None and node in sub.positions:
        attrs["x"], attrs["y"] = sub.positions[node]
    if d["kind"] == ARTICLE:
        published = d.get("published_at")
        storyline = kg.analytics.storyline_of.get(node)
        attrs.update(url=d["url"], provider=provider_id(d['provider']),
                     publishedAt=published.isoformat() if published else None,
                     isStub=bool(d.get("is_stub")),
                     topics=[topic_id(s) for s in d.get("topics") or ()],
                     storyline=storyline.id if storyline else None)
    elif d["kind"] == TOPIC:
        attrs["slug"] = d["slug"]
    else:
        attrs["domain"] = d["domain"]
    return attrs


def edge_attributes(e: Any) -> dict[str, Any]:
    """Return the attributes every export gives an edge."""
    return {"kind": e.kind, "evidence": list(e.evidence)}


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in attrs.items():
        if value is None:
            continue
        out[key] = _JOIN.join(value) if isinstance(value, list) else value
    return out


def to_networkx(kg: KnowledgeGraph, sub: Subgraph, *, flat: bool = False) -> nx.MultiDiGraph:
    """Return ``sub`` as a networkx ``MultiDiGraph`` keyed by edge kind, as in ``kg.nx``.

    With ``flat``, list attributes are joined into strings and None values dropped, as
    GraphML and GEXF need.
    """
    g = nx.MultiDiGraph(name="newsgraph")
    shape = _flat if flat else dict
    for node in sub.nodes:
        g.add_node(node, **shape(node_attributes(kg, sub, node)))
    for e in sub.edges:
        g.add_edge(e.source, e.target, key=e.kind, id=e.id, **shape(edge_attributes(e)))
    return g


def cytoscape(kg: KnowledgeGraph, sub: Subgraph) -> dict[str, Any]:
    """Return Cytoscape.js ``elements``: ``{"nodes": [{"data": ...}], "edges": [...]}``."""
    nodes = []
    for node in sub.nodes:
        attrs = node_attributes(kg, sub, node)
        element: dict[str, Any] = {"data": {"id": node, **attrs}}
        if "x" in attrs:
            element["position"] = {"x": attrs["x"], "y": attrs["y"]}
        nodes.append(element)
    edges = [{"data": {"id": e.id, "source": e.source, "target": e.target,
                       **edge_attributes(e)}} for e in sub.edges]
    return {"nodes": nodes, "edges": edges}


def graphology(kg: KnowledgeGraph, sub: Subgraph) -> dict[str, Any]:
    """Return graphology's serialized graph, which ``Graph.from``/``import`` and sigma.js load."""
    return {
        "attributes": {"name": "newsgraph"},
        "options": {"type": "directed", "multi": True, "allowSelfLoops": False},
        "nodes": [{"key": n, "attributes": node_attributes(kg, sub, n)} for n in sub.nodes],
        "edges": [{"key": e.id, "source": e.source, "target": e.target,
                   "attributes": edge_attributes(e)} for e in sub.edges],
    }


def node_link(kg: KnowledgeGraph, sub: Subgraph) -> dict[str, Any]:
    """Return networkx node-link data (``edges="edges"``) of ``sub``."""
    return nx.node_link_data(to_networkx(kg, sub), edges="edges")


def as_json(kg: KnowledgeGraph, sub: Subgraph, fmt: str) -> dict[str, Any]:
    """Return ``sub`` in one of :data:`JSON_FORMATS` as JSON-ready data."""
    if fmt == "cytoscape":
        return cytoscape(kg, sub)
    if fmt == "graphology":
        return graphology(kg, sub)
    if fmt == "node-link":
        return node_link(kg, sub)
    raise InvalidArgument(f"unknown format {fmt!r}: expected one of {', '.join(JSON_FORMATS)}")


def write(kg: KnowledgeGraph, sub: Subgraph, fmt: str, stream: IO[bytes]) -> None:
    """Write ``sub`` to a binary stream in one of :data:`FORMATS`."""
    if fmt == "graphml":
        # Edge ids must be unique in the file (Gephi merges edges that share one).
        nx.write_graphml(to_networkx(kg, sub, flat=True), stream, edge_id_from_attribute="id")
    elif fmt == "gexf":
        g = to_networkx(kg, sub, flat=True)
        for _, attrs in g.nodes(data=True):
            viz: dict[str, Any] = {"size": attrs["size"]}
            if "x" in attrs:
                viz["position"] = {"x": attrs["x"], "y": attrs["y"], "z": 0.0}
            attrs["viz"] = viz
        nx.write_gexf(g, stream)
    elif fmt in JSON_FORMATS:
        data = as_json(kg, sub, fmt)
        if fmt == "cytoscape":  # Cytoscape's .cyjs file around the elements
            data = {"data": {"name": "newsgraph"}, "directed": True, "multigraph": True,
                    "elements": data}
        stream.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
        stream.write(b"\n")
    else:
        raise InvalidArgument(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
