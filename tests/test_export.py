"""Exports (graph.export): every format read back by networkx, or checked against the
keys its library documents, on the crafted corpus tests/fixtures/explore."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest
from explore_corpus import ALPHA, BETA, COPY, EXPLORE, GAMMA, P1, P2

import graph
from graph import explore, export
from graph.analytics import storyline_id
from graph.select import Selection

ALL_KINDS = ["RELATED", "TAGGED", "PUBLISHED_BY", "SAME_STORY"]


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


def _written(kg, sub, fmt) -> bytes:
    out = io.BytesIO()
    export.write(kg, sub, fmt, out)
    return out.getvalue()


def _read(fmt: str, data: bytes):
    if fmt == "graphml":
        return nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    if fmt == "gexf":
        return nx.read_gexf(io.BytesIO(data))
    return nx.node_link_graph(json.loads(data), edges="links")


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "node-link"])
@pytest.mark.parametrize("select", ["whole", "neighborhood"])
def test_exports_read_back_with_the_same_nodes_edges_and_kinds(kg, fmt, select):
    if select == "whole":
        sub = explore.whole(kg, via=ALL_KINDS)
    else:
        sub = explore.expand(kg, BETA, hops=2, via=ALL_KINDS, layout="FORCE")
    back = _read(fmt, _written(kg, sub, fmt))
    assert set(back.nodes) == set(sub.nodes)
    assert {n: d["kind"] for n, d in back.nodes(data=True)} == {
        n: kg.nx.nodes[n]["kind"] for n in sub.nodes}
    assert sorted((u, v, d["kind"]) for u, v, d in back.edges(data=True)) == sorted(
        (e.source, e.target, e.kind) for e in sub.edges)
    assert back.is_directed()


def test_whole_graph_export_holds_every_stored_edge_and_same_story(kg):
    sub = explore.whole(kg, via=ALL_KINDS)
    assert len(sub.nodes) == kg.nx.number_of_nodes() == 15
    assert len(sub.edges) == kg.nx.number_of_edges() + 1
    assert len(explore.whole(kg).edges) == kg.nx.number_of_edges()


def test_graphml_attributes_are_flat(kg):
    kg.analytics.storylines  # noqa: B018 - what a server computes after its load
    sub = explore.expand(kg, ALPHA, hops=1)
    back = _read("graphml", _written(kg, sub, "graphml"))
    alpha = back.nodes[ALPHA]
    assert alpha["topics"] == "topic:privacy | topic:cameras"
    assert alpha["publishedAt"] == "2022-01-03T09:00:00+00:00"
    assert alpha["isStub"] is False and alpha["hops"] == 0 and alpha["degree"] == 4
    assert alpha["storyline"] == storyline_id(ALPHA)
    [(key, edge)] = [(k, d) for u, v, k, d in back.edges(keys=True, data=True)
                     if d["kind"] == "RELATED"]
    assert edge["evidence"] == f"{EXPLORE}/alpha.md:2"
    # The edge id is the element's id (networkx reads it as the key), written once.
    assert key == f"RELATED:{ALPHA}->{BETA}" and "id" not in edge


def test_an_export_never_computes_the_storylines():
    fresh = graph.load(EXPLORE)
    sub = explore.expand(fresh, ALPHA, hops=1)
    alpha = _read("graphml", _written(fresh, sub, "graphml")).nodes[ALPHA]
    assert "storyline" not in alpha and fresh.analytics.peek("storylines") is None
    fresh.analytics.storylines  # noqa: B018 - computed, as a server's background job does
    again = _read("graphml", _written(fresh, sub, "graphml")).nodes[ALPHA]
    assert again["storyline"] == storyline_id(ALPHA)


def test_gexf_carries_size_and_position(kg):
    sub = explore.expand(kg, ALPHA, hops=1, layout="FORCE")
    back = _read("gexf", _written(kg, sub, "gexf"))
    viz = back.nodes[ALPHA]["viz"]
    assert viz["size"] == explore.size_hint(4)
    assert (viz["position"]["x"], viz["position"]["y"]) == pytest.approx(sub.positions[ALPHA])


def test_node_link_keeps_lists_and_reads_back(kg):
    sub = explore.expand(kg, BETA, hops=1)
    data = export.node_link(kg, sub)
    assert set(data) == {"directed", "multigraph", "graph", "nodes", "links"}
    assert data["directed"] is True and data["multigraph"] is True
    beta = next(n for n in data["nodes"] if n["id"] == BETA)
    assert beta["topics"] == ["topic:privacy"]
    assert beta["label"] == "Beta council debates scanner ban"
    back = nx.node_link_graph(data, edges="links")
    assert back.has_edge(BETA, GAMMA, key="RELATED")
    assert back.edges[BETA, GAMMA, "RELATED"]["evidence"] == [f"{EXPLORE}/beta.md:2"]


def test_cytoscape_elements_have_the_documented_keys(kg):
    sub = explore.expand(kg, ALPHA, hops=1, via=ALL_KINDS, layout="FORCE")
    elements = export.cytoscape(kg, sub)
    assert set(elements) == {"nodes", "edges"}
    assert [n["data"]["id"] for n in elements["nodes"]] == list(sub.nodes)
    first = elements["nodes"][0]
    assert first["data"]["label"] == "Alpha city bans face scanners"
    assert first["position"] == {"x": sub.positions[ALPHA][0], "y": sub.positions[ALPHA][1]}
    edges = {e["data"]["id"]: e["data"] for e in elements["edges"]}
    assert edges[f"SAME_STORY:{ALPHA}->{COPY}"] == {
        "id": f"SAME_STORY:{ALPHA}->{COPY}", "source": ALPHA, "target": COPY,
        "key": "SAME_STORY", "kind": "SAME_STORY",
        "evidence": [f"{EXPLORE}/alpha.md:2", f"{EXPLORE}/delta.md:2"]}
    ids = {n["data"]["id"] for n in elements["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in edges.values())


def test_cytoscape_file_is_the_elements_and_cyjs_wraps_them(kg):
    sub = explore.expand(kg, ALPHA, hops=1)
    assert json.loads(_written(kg, sub, "cytoscape")) == export.cytoscape(kg, sub)
    data = json.loads(_written(kg, sub, "cyjs"))
    assert set(data) == {"data", "directed", "multigraph", "elements"}
    assert set(data["elements"]) == {"nodes", "edges"}


def test_graphology_serialization_has_the_documented_keys(kg):
    sub = explore.expand(kg, ALPHA, hops=1, layout="FORCE")
    data = export.graphology(kg, sub)
    assert set(data) == {"attributes", "options", "nodes", "edges"}
    assert data["options"] == {"type": "directed", "multi": True, "allowSelfLoops": False}
    assert [n["key"] for n in data["nodes"]] == list(sub.nodes)
    alpha = data["nodes"][0]["attributes"]
    # what sigma.js needs to draw without a layout of its own
    assert {"label", "x", "y", "size"} <= set(alpha) and "type" not in alpha
    assert all(set(e) == {"key", "source", "target", "attributes"} for e in data["edges"])
    assert {(e["source"], e["target"]) for e in data["edges"]} == {
        (e.source, e.target) for e in sub.edges}
    assert (ALPHA, P1) in {(e["source"], e["target"]) for e in data["edges"]}


def test_as_json_rejects_unknown_formats(kg):
    with pytest.raises(graph.InvalidArgument, match="expected one of cytoscape"):
        export.as_json(kg, explore.whole(kg), "dot")
    with pytest.raises(graph.InvalidArgument, match="expected one of graphml"):
        export.write(kg, explore.whole(kg), "dot", io.BytesIO())


def test_select_subgraph(kg):
    assert explore.select_subgraph(kg).nodes == explore.whole(kg).nodes
    picked = explore.select_subgraph(kg, selection=Selection(providers=("p2.example",)))
    assert picked.nodes == {BETA: 0, COPY: 0, "topic:privacy": 1, P2: 1, "topic:cameras": 1}
    assert {(e.source, e.target) for e in picked.edges} == {
        (BETA, "topic:privacy"), (BETA, P2), (COPY, P2), (COPY, "topic:cameras")}
    walked = explore.select_subgraph(kg, seeds=[ALPHA], hops=1)
    assert walked.nodes == explore.expand(kg, ALPHA, hops=1).nodes


@pytest.mark.parametrize("fmt", ["cytoscape", "graphology", "node-link"])
def test_json_files_are_streamed_in_chunks_and_hold_what_as_json_holds(kg, fmt):
    sub = explore.whole(kg, via=ALL_KINDS)
    pieces = list(export.iter_json(kg, sub, fmt, chunk=2))
    # Never more than two elements per piece past the head: nothing holds the whole file.
    assert len(pieces) >= (len(sub.nodes) + len(sub.edges)) // 2
    data = json.loads(b"".join(pieces))
    want = export.as_json(kg, sub, fmt)
    if fmt == "node-link":  # networkx lists links by source node; the stream, as walked
        key = json.dumps
        assert {k: v for k, v in data.items() if k != "links"} == {
            k: v for k, v in want.items() if k != "links"}
        assert sorted(map(key, data["links"])) == sorted(map(key, want["links"]))
    else:
        assert data == want
    cyjs = json.loads(b"".join(export.iter_json(kg, sub, "cyjs", chunk=2)))
    assert cyjs == {"data": {"name": "newsgraph"}, "directed": True, "multigraph": True,
                    "elements": export.cytoscape(kg, sub)}


def test_a_json_stream_stops_when_its_check_raises(kg):
    sub = explore.whole(kg)
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 3:
            raise graph.InvalidArgument("past its deadline")

    with pytest.raises(graph.InvalidArgument):
        b"".join(export.iter_json(kg, sub, "graphology", chunk=2, check=check))
    assert len(calls) == 3


def _graphml_by_networkx(kg, sub, walked: bool = True) -> bytes:
    """What networkx's writer makes of the export's graph: the reference of the GraphML
    newsgraph writes itself, a chunk at a time."""
    g = export.to_networkx(kg, sub, flat=True, walked=walked)
    keyed = nx.MultiDiGraph(**g.graph)
    keyed.add_nodes_from(g.nodes(data=True))
    for u, v, attrs in g.edges(data=True):
        edge_attrs = dict(attrs)
        keyed.add_edge(u, v, key=edge_attrs.pop("id"), **edge_attrs)
    out = io.BytesIO()
    nx.write_graphml(keyed, out)
    return out.getvalue()


def _same_graph(a, b) -> None:
    assert a.graph == b.graph
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert a.is_multigraph() == b.is_multigraph()
    options = {"keys": True} if a.is_multigraph() else {}
    assert sorted(a.edges(data=True, **options), key=repr) == sorted(
        b.edges(data=True, **options), key=repr)


def test_graphml_of_hostile_text_reads_back_as_networkx_writes_it(tmp_path):
    from conftest import write_record

    write_record(tmp_path, "a.md", {"title": 'Quotes " & <tags> \'too\' ]]>',
                                    "webUrl": "https://x.example/a?b=1&c=<2>",
                                    "topics": ["A & B", "<C>"]})
    hostile = graph.load(tmp_path)
    sub = explore.whole(hostile)
    out = io.BytesIO()
    export.write(hostile, sub, "graphml", out, walked=False)
    _same_graph(_read("graphml", out.getvalue()),
                _read("graphml", _graphml_by_networkx(hostile, sub, False)))


def test_graphml_is_written_a_chunk_at_a_time(tmp_path):
    """Writing holds a chunk of elements, not a tree of the whole file."""
    import tracemalloc

    from bench.generate import generate

    generate(1500, tmp_path, seed=5)
    big = graph.load(tmp_path)
    sub = explore.whole(big)
    size = len(_graphml_by_networkx(big, sub, walked=False))

    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            return len(b)

    tracemalloc.start()
    try:
        export.write(big, sub, "graphml", Sink(), walked=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 4, (peak, size)


def _gexf_by_networkx(kg, sub, walked: bool = True) -> bytes:
    """What networkx's writer makes of the export's graph: the reference of the GEXF
    newsgraph writes itself, a chunk at a time."""
    g = export.to_networkx(kg, sub, flat=True, walked=walked)
    for _, attrs in g.nodes(data=True):
        viz: dict = {"size": attrs["size"]}
        if "x" in attrs:
            viz["position"] = {"x": attrs["x"], "y": attrs["y"], "z": 0.0}
        attrs["viz"] = viz
    out = io.BytesIO()
    nx.write_gexf(g, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("select", ["whole", "neighborhood", "where", "nothing"])
def test_the_written_file_reads_back_as_networkx_writes_it(kg, fmt, select):
    kg.analytics.storylines  # noqa: B018 - with storylines, as a server's exports have
    walked = select == "neighborhood"
    sub = (explore.whole(kg, via=ALL_KINDS) if select == "whole"
           else explore.expand(kg, BETA, hops=2, via=ALL_KINDS, layout="FORCE") if walked
           else explore.select_subgraph(kg, selection=Selection(providers=("p2.example",)))
           if select == "where"
           else explore.select_subgraph(kg, selection=Selection(mentions="no such words")))
    out = io.BytesIO()
    export.write(kg, sub, fmt, out, walked=walked)
    by_networkx = {"graphml": _graphml_by_networkx, "gexf": _gexf_by_networkx}[fmt]
    _same_graph(_read(fmt, out.getvalue()), _read(fmt, by_networkx(kg, sub, walked)))


def test_gexf_is_written_a_chunk_at_a_time(tmp_path):
    import tracemalloc

    from bench.generate import generate

    generate(1500, tmp_path, seed=5)
    big = graph.load(tmp_path)
    sub = explore.whole(big)
    size = len(_gexf_by_networkx(big, sub, walked=False))
    out = io.BytesIO()
    tracemalloc.start()
    try:
        for _ in export.iter_gexf(big, sub, walked=False):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 4, (peak, size)
    export.write(big, sub, "gexf", out, walked=False)
    _same_graph(_read("gexf", out.getvalue()),
                _read("gexf", _gexf_by_networkx(big, sub, False)))


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_text_holding_control_characters_is_exported_as_xml_every_reader_reads(tmp_path, fmt):
    # XML 1.0 has no form for C0 control characters (a form feed or a \x01 scraped into a
    # title, a topic): the file was written with them raw, and no XML parser read it back
    # ("not well-formed (invalid token)"). Each is written as U+FFFD, the character kept
    # for one that cannot be shown.
    from conftest import write_record

    write_record(tmp_path, "a.json", {"title": "Form\x0cfeed\x01 ti\x1ftle",
                                      "webUrl": "https://x.example/a",
                                      "topics": ["\x01AI", "Tab\tand\nnew line"]},
                 form="json")
    kg = graph.load(tmp_path)
    out = io.BytesIO()
    export.write(kg, explore.whole(kg), fmt, out, walked=False)
    read = _read(fmt, out.getvalue())
    labels = {attrs.get("label") for _, attrs in read.nodes(data=True)}
    assert "Form\ufffdfeed\ufffd ti\ufffdtle" in labels
    assert "\ufffdAI" in labels


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_a_carriage_return_in_text_reads_back_as_written(tmp_path, fmt):
    # An XML parser turns a raw carriage return (and "\r\n") in character data into a line
    # feed: GraphML element text written raw read back changed ("tab\there\rcr" as
    # "tab\there\ncr"); GEXF's attribute values were escaped already. Written as "&#13;".
    from conftest import write_record

    write_record(tmp_path, "a.json", {"title": "One\rtwo\r\nthree\nfour",
                                      "webUrl": "https://x.example/a"}, form="json")
    kg = graph.load(tmp_path)
    out = io.BytesIO()
    export.write(kg, explore.whole(kg), fmt, out, walked=False)
    labels = {attrs.get("label") for _, attrs in _read(fmt, out.getvalue()).nodes(data=True)}
    assert "One\rtwo\r\nthree\nfour" in labels


def test_cyjs_reads_back_with_networkx_cytoscape_graph(kg):
    # networkx's reader of Cytoscape JSON takes a node's id from its "value" and a parallel
    # edge's key from its "key": without them it raised KeyError: 'value', and edges between
    # the same two nodes (RELATED and SAME_STORY) would have fallen onto one key.
    sub = explore.whole(kg, via=ALL_KINDS)
    back = nx.cytoscape_graph(json.loads(_written(kg, sub, "cyjs")))
    assert back.is_directed() and back.is_multigraph()
    assert set(back.nodes) == set(sub.nodes)
    assert {n: d["kind"] for n, d in back.nodes(data=True)} == {
        n: kg.nx.nodes[n]["kind"] for n in sub.nodes}
    assert sorted((u, v, k) for u, v, k in back.edges(keys=True)) == sorted(
        (e.source, e.target, e.kind) for e in sub.edges)
    assert json.loads(_written(kg, sub, "cyjs"))["elements"] == export.cytoscape(kg, sub)
