"""Subgraphs in the shapes graph tools read: Cytoscape.js, graphology, networkx node-link,
GraphML and GEXF.

Every format carries the same nodes and edges. A node has its ``kind``, ``label``,
``degree`` (stored edges at it, in the whole graph), ``size`` (a radius hint),
``hops`` (from the nearest seed; absent where no walk happened: the whole graph, or
articles chosen by a ``where`` alone) and, with a layout, ``x`` and ``y``; an article
adds ``url``, ``provider``, ``publishedAt`` (ISO 8601), ``isStub``, ``topics`` and
``storyline`` (null until the storylines are computed: an export never computes them, so
a server's exports before its background analytics are done, and ``newsgraph export``,
carry none); a topic ``slug``, a provider
``domain``. An edge has its stable ``id``, ``kind`` and ``evidence`` (records as
``path:line``). GraphML and GEXF hold only scalars, so there ``topics`` and
``evidence`` are joined with ``" | "`` and absent values are left out.

Formats (each name one shape, the same through GraphQL, HTTP and the CLI)
    ``cytoscape`` — Cytoscape.js ``elements``, as ``cytoscape({elements})`` takes them:
    ``{"nodes": [{"data": {"id", "value", ...}, "position"?}], "edges": [{"data": {"id",
    "source", "target", "key", ...}}]}``; ``value`` (the node id again) and ``key`` (the
    edge's kind) are what ``networkx.cytoscape_graph`` reads a node and a parallel edge by.
    ``cyjs`` — Cytoscape desktop's ``.cyjs`` file: those elements inside
    ``{"data", "directed", "multigraph", "elements"}``; ``networkx.cytoscape_graph`` reads
    it back.
    ``graphology`` — graphology's serialization (what sigma.js loads):
    ``{"attributes", "options": {"type", "multi", "allowSelfLoops"}, "nodes": [{"key",
    "attributes"}], "edges": [{"key", "source", "target", "attributes"}]}``.
    ``node-link`` — networkx's node-link data with ``links``, the form d3-force's
    ``forceLink`` reads; read it back with ``networkx.node_link_graph(data, edges="links")``.
    ``graphml``, ``gexf`` — networkx's writers (GEXF adds ``viz`` size and position); a
    GraphML edge's id is the ``id`` of its element, written once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import networkx as nx

from graph.build import ARTICLE, TOPIC, provider_id, topic_id
from graph.errors import InvalidArgument, shown
from graph.explore import looks
from graph.traverse import Subgraph

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["FORMATS", "JSON_FORMATS", "node_attributes", "edge_attributes", "to_networkx",
           "cytoscape", "graphology", "node_link", "as_json", "iter_json", "iter_graphml",
           "iter_gexf", "write"]

JSON_FORMATS = ("cytoscape", "graphology", "node-link")
FORMATS = ("graphml", "gexf", "node-link", "cytoscape", "cyjs", "graphology")
_JOIN = " | "


def node_attributes(kg: KnowledgeGraph, sub: Subgraph, node: str, *,
                    walked: bool = True) -> dict[str, Any]:
    """Return the attributes every export gives a node (JSON types; None where unknown);
    ``hops`` only when ``walked`` (the subgraph came from a walk)."""
    d = kg.nx.nodes[node]
    text, n_edges, size = looks(kg, node)
    attrs: dict[str, Any] = {"kind": d["kind"], "label": text, "degree": n_edges,
                             "size": size}
    if walked:
        attrs["hops"] = sub.nodes[node]
    if sub.positions is not None and node in sub.positions:
        attrs["x"], attrs["y"] = sub.positions[node]
    if d["kind"] == ARTICLE:
        published = d.get("published_at")
        # Only once the storylines are computed: an export never waits for them.
        storyline = (kg.analytics.peek("storyline_of") or {}).get(node)
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


def to_networkx(kg: KnowledgeGraph, sub: Subgraph, *, flat: bool = False,
                walked: bool = True) -> nx.MultiDiGraph:
    """Return ``sub`` as a networkx ``MultiDiGraph`` keyed by edge kind, as in ``kg.nx``.

    With ``flat``, list attributes are joined into strings and None values dropped, as
    GraphML and GEXF need.
    """
    g = nx.MultiDiGraph(name="newsgraph")
    shape = _flat if flat else dict
    for node in sub.nodes:
        g.add_node(node, **shape(node_attributes(kg, sub, node, walked=walked)))
    for e in sub.edges:
        g.add_edge(e.source, e.target, key=e.kind, id=e.id, **shape(edge_attributes(e)))
    return g


def cytoscape(kg: KnowledgeGraph, sub: Subgraph, *, walked: bool = True) -> dict[str, Any]:
    """Return Cytoscape.js ``elements``: ``{"nodes": [{"data": ...}], "edges": [...]}``."""
    nodes = []
    for node in sub.nodes:
        attrs = node_attributes(kg, sub, node, walked=walked)
        element: dict[str, Any] = {"data": {"id": node, "value": node, **attrs}}
        if "x" in attrs:
            element["position"] = {"x": attrs["x"], "y": attrs["y"]}
        nodes.append(element)
    edges = [{"data": {"id": e.id, "source": e.source, "target": e.target, "key": e.kind,
                       **edge_attributes(e)}} for e in sub.edges]
    return {"nodes": nodes, "edges": edges}


def graphology(kg: KnowledgeGraph, sub: Subgraph, *, walked: bool = True) -> dict[str, Any]:
    """Return graphology's serialized graph, which ``Graph.from``/``import`` and sigma.js load."""
    return {
        "attributes": {"name": "newsgraph"},
        "options": {"type": "directed", "multi": True, "allowSelfLoops": False},
        "nodes": [{"key": n, "attributes": node_attributes(kg, sub, n, walked=walked)}
                  for n in sub.nodes],
        "edges": [{"key": e.id, "source": e.source, "target": e.target,
                   "attributes": edge_attributes(e)} for e in sub.edges],
    }


def node_link(kg: KnowledgeGraph, sub: Subgraph, *, walked: bool = True) -> dict[str, Any]:
    """Return networkx node-link data of ``sub`` with ``links`` (d3-force's form)."""
    return nx.node_link_data(to_networkx(kg, sub, walked=walked), edges="links")


def as_json(kg: KnowledgeGraph, sub: Subgraph, fmt: str, *,
            walked: bool = True) -> dict[str, Any]:
    """Return ``sub`` in one of :data:`JSON_FORMATS` as JSON-ready data."""
    if fmt == "cytoscape":
        return cytoscape(kg, sub, walked=walked)
    if fmt == "graphology":
        return graphology(kg, sub, walked=walked)
    if fmt == "node-link":
        return node_link(kg, sub, walked=walked)
    raise InvalidArgument(f"unknown format {shown(fmt)}: expected one of {', '.join(JSON_FORMATS)}")


def iter_json(kg: KnowledgeGraph, sub: Subgraph, fmt: str, *, chunk: int = 500,
              check: Callable[[], None] | None = None, walked: bool = True,
              ) -> Iterator[bytes]:
    """Yield ``sub`` as a file in one of :data:`JSON_FORMATS` or ``cyjs``, ``chunk``
    nodes or edges at a time, so no more than that is ever held in memory; ``check()``
    runs before each chunk (a deadline may raise there). The same data :func:`as_json`
    returns (``cyjs``: the Cytoscape elements wrapped), one element a line."""
    if fmt not in (*JSON_FORMATS, "cyjs"):
        raise InvalidArgument(f"unknown format {shown(fmt)}: expected one of "
                              f"{', '.join((*JSON_FORMATS, 'cyjs'))}")

    dump = _COMPACT.encode  # one encoder for every element, not one per json.dumps

    def node_item(node: str) -> Any:
        attrs = node_attributes(kg, sub, node, walked=walked)
        if fmt in ("cytoscape", "cyjs"):
            element: dict[str, Any] = {"data": {"id": node, "value": node, **attrs}}
            if "x" in attrs:
                element["position"] = {"x": attrs["x"], "y": attrs["y"]}
            return element
        if fmt == "graphology":
            return {"key": node, "attributes": attrs}
        return {**attrs, "id": node}  # node-link, as networkx writes it

    def edge_item(e: Any) -> Any:
        if fmt in ("cytoscape", "cyjs"):
            return {"data": {"id": e.id, "source": e.source, "target": e.target,
                             "key": e.kind, **edge_attributes(e)}}
        if fmt == "graphology":
            return {"key": e.id, "source": e.source, "target": e.target,
                    "attributes": edge_attributes(e)}
        return {"id": e.id, **edge_attributes(e), "source": e.source, "target": e.target,
                "key": e.kind}

    if fmt == "cyjs":
        head = ('{"data":{"name":"newsgraph"},"directed":true,"multigraph":true,'
                '"elements":{"nodes":[')
        middle, tail = '],"edges":[', "]}}\n"
    elif fmt == "cytoscape":
        head, middle, tail = '{"nodes":[', '],"edges":[', "]}\n"
    elif fmt == "graphology":
        head = ('{"attributes":{"name":"newsgraph"},"options":{"type":"directed",'
                '"multi":true,"allowSelfLoops":false},"nodes":[')
        middle, tail = '],"edges":[', "]}\n"
    else:  # node-link with "links", as networkx writes it for d3-force
        head = '{"directed":true,"multigraph":true,"graph":{"name":"newsgraph"},"nodes":['
        middle, tail = '],"links":[', "]}\n"
    yield head.encode()
    parts: tuple[tuple[Sequence[Any], Callable[[Any], Any]], ...] = (
        (list(sub.nodes), node_item), (sub.edges, edge_item))
    for part, (items, shape) in enumerate(parts):
        if part:
            yield middle.encode()
        for start in range(0, len(items), chunk):
            if check is not None:
                check()
            lines = [("\n" if start + k == 0 else ",\n") + dump(shape(item))
                     for k, item in enumerate(items[start:start + chunk])]
            yield "".join(lines).encode("utf-8")
    yield tail.encode()


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


# What XML 1.0 has no form for: C0 controls but tab, line feed and return, lone
# surrogates, U+FFFE and U+FFFF. Written raw, no XML parser reads the file back.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_chars(value: str) -> str:
    """``value`` with each character XML cannot hold as U+FFFD (a form feed or ``\x01``
    scraped into a title)."""
    return value if value.isprintable() or _NOT_XML.search(value) is None \
        else _NOT_XML.sub("\ufffd", value)


def _text(value: str) -> str:
    """XML character data: ``&``, ``<`` and ``>`` escaped, and a carriage return written
    ``&#13;`` (a parser reads a raw one, and ``\r\n``, as a line feed); most values hold
    none."""
    value = _xml_chars(value)
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        return xml_escape(value, {"\r": "&#13;"})
    return value


def _attribute(value: str) -> str:
    """A quoted XML attribute value, escaped as ElementTree escapes one."""
    value = _xml_chars(value)
    if '"' in value or "&" in value or "<" in value or ">" in value or "\n" in value \
            or "\r" in value or "\t" in value:
        return quoteattr(value)
    return f'"{value}"'


# The GraphML keys: every attribute an export may give, with the type networkx's writer
# declares for its Python values (int "long", float "double", bool "boolean").
_GRAPHML_NODE_KEYS = (("kind", "string"), ("label", "string"), ("degree", "long"),
                      ("size", "double"), ("hops", "long"), ("x", "double"), ("y", "double"),
                      ("url", "string"), ("provider", "string"), ("publishedAt", "string"),
                      ("isStub", "boolean"), ("topics", "string"), ("storyline", "string"),
                      ("slug", "string"), ("domain", "string"))
_GRAPHML_EDGE_KEYS = (("kind", "string"), ("evidence", "string"))
_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')


def iter_graphml(kg: KnowledgeGraph, sub: Subgraph, *, chunk: int = 500,
                 check: Callable[[], None] | None = None, walked: bool = True,
                 ) -> Iterator[bytes]:
    """Yield ``sub`` as GraphML, ``chunk`` nodes or edges at a time: what networkx's
    ``write_graphml`` writes of :func:`to_networkx` ``(flat=True)`` (an edge's id as the
    element's ``id``, once: Gephi merges edges that share one, and igraph refuses an
    ``id`` data key beside it), without building the graph or an XML tree of it."""
    keys = {("node", name): (f"n{i}", kind) for i, (name, kind) in
            enumerate(_GRAPHML_NODE_KEYS)}
    keys.update({("edge", name): (f"e{i}", kind) for i, (name, kind) in
                 enumerate(_GRAPHML_EDGE_KEYS)})
    head = [_GRAPHML_HEAD, '  <key id="g0" for="graph" attr.name="name" '
                           'attr.type="string" />\n']
    for (scope, name), (key, kind) in keys.items():
        head.append(f'  <key id="{key}" for="{scope}" attr.name={quoteattr(name)} '
                    f'attr.type="{kind}" />\n')
    head.append('  <graph edgedefault="directed">\n')
    yield "".join(head).encode("utf-8")

    def data(scope: str, attrs: dict[str, Any]) -> str:
        out = []
        for name, value in attrs.items():
            if value is None:
                continue
            key, kind = keys[(scope, name)]
            text = (_text(value) if kind == "string" and isinstance(value, str)
                    else _text(_JOIN.join(value)) if isinstance(value, list)
                    else str(bool(value)) if kind == "boolean" else str(int(value))
                    if kind == "long" else str(float(value)) if kind == "double"
                    else _text(str(value)))
            out.append(f'      <data key="{key}">{text}</data>\n')
        return "".join(out)

    quoted: dict[str, str] = {}  # node ids, quoted once: each edge names two

    def quote(node: str) -> str:
        found = quoted.get(node)
        if found is None:
            found = quoted[node] = _attribute(node)
        return found

    def node_item(node: str) -> str:
        inner = data("node", node_attributes(kg, sub, node, walked=walked))
        return (f"    <node id={quote(node)}>\n{inner}    </node>\n" if inner
                else f"    <node id={quote(node)} />\n")

    def edge_item(e: Any) -> str:
        inner = data("edge", edge_attributes(e))
        return (f"    <edge source={quote(e.source)} target={quote(e.target)} "
                f"id={_attribute(e.id)}>\n{inner}    </edge>\n")

    parts: tuple[tuple[Sequence[Any], Callable[[Any], str]], ...] = (
        (list(sub.nodes), node_item), (sub.edges, edge_item))
    for items, shape in parts:
        for start in range(0, len(items), chunk):
            if check is not None:
                check()
            yield "".join(map(shape, items[start:start + chunk])).encode("utf-8")
    yield b'    <data key="g0">newsgraph</data>\n  </graph>\n</graphml>\n'


_GEXF_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<gexf xmlns:viz="http://www.gexf.net/1.2draft/viz" xmlns="http://www.gexf.net/1.2draft" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" '
    'version="1.2">\n'
    '  <meta>\n    <creator>newsgraph</creator>\n  </meta>\n'
    '  <graph defaultedgetype="directed" mode="static" name="newsgraph">\n')


def iter_gexf(kg: KnowledgeGraph, sub: Subgraph, *, chunk: int = 500,
              check: Callable[[], None] | None = None, walked: bool = True,
              ) -> Iterator[bytes]:
    """Yield ``sub`` as GEXF 1.2, ``chunk`` nodes or edges at a time: what networkx's
    ``write_gexf`` writes of :func:`to_networkx` ``(flat=True)`` with ``viz`` size and
    position (a node's ``label`` as its label, an edge's kind as ``networkx_key``), without
    building the graph or an XML tree of it."""
    node_keys = {name: (str(i), "long" if kind == "long" else kind)
                 for i, (name, kind) in enumerate(k for k in _GRAPHML_NODE_KEYS
                                                  if k[0] != "label")}
    edge_keys = {name: (str(len(node_keys) + i), kind) for i, (name, kind) in
                 enumerate((*_GRAPHML_EDGE_KEYS, ("networkx_key", "string")))}
    head = [_GEXF_HEAD]
    for scope, table in (("edge", edge_keys), ("node", node_keys)):
        if not (sub.edges if scope == "edge" else sub.nodes):
            continue  # as networkx: no attributes where there is nothing
        head.append(f'    <attributes mode="static" class="{scope}">\n')
        head.extend(f'      <attribute id="{key}" title={_attribute(name)} type="{kind}" />\n'
                    for name, (key, kind) in table.items())
        head.append("    </attributes>\n")
    head.append("    <nodes>\n")
    yield "".join(head).encode("utf-8")

    def values(table: dict[str, tuple[str, str]], attrs: dict[str, Any]) -> str:
        out = []
        for name, value in attrs.items():
            if value is None:
                continue
            key, kind = table[name]
            text = (_attribute(value) if isinstance(value, str)
                    else _attribute(_JOIN.join(value)) if isinstance(value, list)
                    else f'"{str(bool(value)).lower()}"' if kind == "boolean"
                    else f'"{int(value)}"' if kind == "long" else f'"{float(value)}"')
            out.append(f"          <attvalue for=\"{key}\" value={text} />\n")
        return "".join(out)

    def node_item(node: str) -> str:
        attrs = node_attributes(kg, sub, node, walked=walked)
        label = attrs.pop("label")
        viz = f'        <viz:size value="{float(attrs["size"])}" />\n'
        if "x" in attrs:
            viz += (f'        <viz:position x="{float(attrs["x"])}" '
                    f'y="{float(attrs["y"])}" z="0.0" />\n')
        return (f"      <node id={_attribute(node)} label={_attribute(label)}>\n{viz}"
                f"        <attvalues>\n{values(node_keys, attrs)}        </attvalues>\n"
                "      </node>\n")

    def edge_item(e: Any) -> str:
        attrs = {**edge_attributes(e), "networkx_key": e.kind}
        return (f"      <edge source={_attribute(e.source)} target={_attribute(e.target)} "
                f"id={_attribute(e.id)}>\n"
                f"        <attvalues>\n{values(edge_keys, attrs)}        </attvalues>\n"
                "      </edge>\n")

    parts: tuple[tuple[Sequence[Any], Callable[[Any], str], str], ...] = (
        (list(sub.nodes), node_item, "    </nodes>\n    <edges>\n"),
        (sub.edges, edge_item, "    </edges>\n"))
    for items, shape, end in parts:
        for start in range(0, len(items), chunk):
            if check is not None:
                check()
            yield "".join(map(shape, items[start:start + chunk])).encode("utf-8")
        yield end.encode("utf-8")
    yield b"  </graph>\n</gexf>\n"


def write(kg: KnowledgeGraph, sub: Subgraph, fmt: str, stream: IO[bytes], *,
          walked: bool = True) -> None:
    """Write ``sub`` to a binary stream in one of :data:`FORMATS`; ``walked`` False for a
    subgraph no walk made (no ``hops`` then)."""
    if fmt == "graphml":
        for piece in iter_graphml(kg, sub, walked=walked):
            stream.write(piece)
    elif fmt == "gexf":
        for piece in iter_gexf(kg, sub, walked=walked):
            stream.write(piece)
    elif fmt in JSON_FORMATS or fmt == "cyjs":  # streamed, a chunk of elements at a time
        for piece in iter_json(kg, sub, fmt, walked=walked):
            stream.write(piece)
    else:
        raise InvalidArgument(f"unknown format {shown(fmt)}: expected one of {', '.join(FORMATS)}")
