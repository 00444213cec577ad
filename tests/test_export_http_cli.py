"""Exports over HTTP (GET /export/graph.*) and from the CLI (newsgraph export), read back
with networkx, on the crafted corpus tests/fixtures/explore."""

from __future__ import annotations

import contextlib
import io
import json
from array import array
from pathlib import Path

import networkx as nx
import pytest
from explore_corpus import ALPHA, BETA, COPY, EXPLORE, GAMMA, P2
from servers import run_in_own_loop
from starlette.testclient import TestClient

import graph
from graph import export
from schema.app import create_app
from schema.cli import main
from schema.exports import ExportCut, ForkedWriter


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(EXPLORE)) as c:
        yield c


def _stored(kg) -> list[tuple[str, str, str]]:
    return sorted(kg.nx.edges(keys=True))


def _kinds(g) -> list[tuple[str, str, str]]:
    return sorted((u, v, d["kind"]) for u, v, d in g.edges(data=True))


@pytest.mark.parametrize(("path", "media", "read"), [
    ("/export/graph.graphml", "application/graphml+xml",
     lambda b: nx.read_graphml(io.BytesIO(b), force_multigraph=True)),
    ("/export/graph.gexf", "application/gexf+xml", lambda b: nx.read_gexf(io.BytesIO(b))),
    ("/export/graph.json", "application/json",
     lambda b: nx.node_link_graph(json.loads(b), edges="links")),
])
def test_http_whole_graph_reads_back(client, kg, path, media, read):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.headers["content-disposition"].startswith('attachment; filename="newsgraph.')
    back = read(response.content)
    assert set(back.nodes) == set(kg.nx.nodes)
    assert _kinds(back) == _stored(kg)


def test_http_selects_from_and_hops_and_via(client):
    data = client.get("/export/graph.json", params=[
        ("from", "https://p1.example/alpha-ban"), ("hops", "1"),
        ("via", "RELATED,SAME_STORY")]).json()
    back = nx.node_link_graph(data, edges="links")
    assert set(back.nodes) == {ALPHA, BETA, COPY}
    assert _kinds(back) == sorted([(ALPHA, BETA, "RELATED"), (ALPHA, COPY, "SAME_STORY")])
    assert back.nodes[COPY]["hops"] == 1


def test_http_where_selects_articles_with_their_topics_and_providers(client):
    data = client.get("/export/graph.json", params={"format": "cytoscape",
                                                    "provider": "p2.example"}).json()
    # The Cytoscape.js elements, as cytoscape({elements}) takes them
    assert {n["data"]["id"] for n in data["nodes"]} == {
        BETA, COPY, P2, "topic:privacy", "topic:cameras"}
    dated = client.get("/export/graph.json", params={
        "format": "graphology", "after": "2022-01-05", "before": "2022-02-28",
        "from": BETA, "hops": "1", "layout": "force"}).json()
    assert [n["key"] for n in dated["nodes"]] == [BETA, GAMMA, "topic:privacy", P2]
    assert all({"x", "y"} <= set(n["attributes"]) for n in dated["nodes"])


@pytest.mark.parametrize(("path", "params", "status", "message"), [
    ("/export/graph.json", {"format": "dot"}, 400, "unknown format 'dot' for graph.json"),
    ("/export/graph.json", {"hops": "9", "from": BETA}, 400, "hops must be 0 to 4, got 9"),
    ("/export/graph.json", {"hops": "x"}, 400, "hops must be an integer, got 'x'"),
    ("/export/graph.json", {"from": "https://nowhere.example/"}, 404, "no node"),
    ("/export/graph.json", {"via": "FOLLOWS"}, 400, "unknown edge kind 'FOLLOWS'"),
    ("/export/graph.json", {"after": "last week"}, 400, "'last week'"),
    ("/export/graph.dot", {}, 404, "no export graph.dot"),
    # Each was dropped, and the whole graph exported (`?from=$ID` with $ID unset): refused
    # as `--include ''` is.
    ("/export/graph.json", {"from": ""}, 400, "from is empty: give a node id or an article "
                                              "URL, or leave from out"),
    ("/export/graph.json", {"topic": ""}, 400, "topic is empty: give a topic"),
    ("/export/graph.json", {"provider": ","}, 400, "provider is empty: give a provider"),
    ("/export/graph.json", {"via": ""}, 400, "via is empty: give an edge kind"),
    # The format of graph.json alone: graph.graphml?format=cytoscape was GraphML, unsaid.
    ("/export/graph.graphml", {"format": "cytoscape"}, 400,
     "format chooses among graph.json's formats (cytoscape, graphology, node-link): "
     "graph.graphml is GraphML; leave format out, or ask for graph.json?format=cytoscape"),
])
def test_http_errors_say_what_is_allowed(client, path, params, status, message):
    response = client.get(path, params=params)
    assert response.status_code == status
    assert message in response.json()["error"]


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "node-link"])
def test_cli_export_to_a_file_reads_back(tmp_path: Path, kg, fmt, capsys):
    out = tmp_path / f"graph.{fmt}"
    assert main(["export", str(EXPLORE), "--format", fmt, "-o", str(out)]) == 0
    if fmt == "graphml":
        back = nx.read_graphml(out, force_multigraph=True)
    elif fmt == "gexf":
        back = nx.read_gexf(out)
    else:
        back = nx.node_link_graph(json.loads(out.read_text()), edges="links")
    assert set(back.nodes) == set(kg.nx.nodes)
    assert _kinds(back) == _stored(kg)
    assert f"wrote {out}" in capsys.readouterr().err


def test_cli_export_selection_to_stdout(capsysbinary):
    assert main(["export", str(EXPLORE), "--format", "cyjs", "--from",
                 "https://p2.example/beta-debate", "--hops", "1", "--via", "RELATED"]) == 0
    data = json.loads(capsysbinary.readouterr().out)
    assert set(data) == {"data", "directed", "multigraph", "elements"}
    assert [n["data"]["id"] for n in data["elements"]["nodes"]] == [BETA, ALPHA, GAMMA]
    assert {e["data"]["id"] for e in data["elements"]["edges"]} == {
        f"RELATED:{ALPHA}->{BETA}", f"RELATED:{BETA}->{GAMMA}"}


def test_cli_export_where(tmp_path: Path):
    out = tmp_path / "g.gexf"
    assert main(["export", str(EXPLORE), "--format", "gexf", "--topic", "Weather",
                 "--layout", "force", "-o", str(out)]) == 0
    back = nx.read_gexf(out)
    assert {n for n, d in back.nodes(data=True) if d["kind"] == "article"} == {
        "article:https://p3.example/rain", "article:https://p4.example/farmers"}
    assert all("position" in d["viz"] for _, d in back.nodes(data=True))


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "dot"], "invalid choice: 'dot'"),
    (["--format", "gexf", "--from", "topic:nothing"], "no node 'topic:nothing'"),
    (["--format", "gexf", "--after", "soon"], "'soon'"),
])
def test_cli_export_errors_are_one_line_and_exit_2(capsys, args, message):
    with pytest.raises(SystemExit) if "dot" in args else contextlib.nullcontext():
        code = main(["export", str(EXPLORE), *args])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# -- limits of HTTP exports ---------------------------------------------------------

def _client(**settings):
    from schema.settings import Settings

    return TestClient(create_app(EXPLORE, Settings(**settings)))


def test_exports_are_off_in_production_unless_enabled():
    with _client(production=True) as c:
        off = c.get("/export/graph.graphml")
        assert off.status_code == 404 and "--exports" in off.json()["error"]
    with _client(production=True, exports=True) as c:
        assert c.get("/export/graph.graphml").status_code == 200


@pytest.mark.parametrize(("settings", "params", "said"), [
    ({"max_export_nodes": 5}, {}, "this export holds 15 nodes or more; at most 5"),
    ({"max_export_edges": 3}, {"via": "RELATED,TAGGED"}, "edges or more; at most 3"),
    ({"max_export_nodes": 2}, {"from": BETA, "hops": "2"}, "this export holds 3 nodes or "
                                                         "more; at most 2"),
    ({"max_export_edges": 1}, {"provider": "p2.example"}, "edges or more; at most 1"),
])
def test_exports_past_their_caps_are_refused_before_writing(settings, params, said):
    with _client(**settings) as c:
        for path in ("/export/graph.json", "/export/graph.graphml"):
            refused = c.get(path, params=params)
            assert refused.status_code == 413, refused.text
            assert said in refused.json()["error"]
            assert "newsgraph export" in refused.json()["error"]


def test_a_json_export_is_streamed_and_says_its_size():
    with _client() as c:
        r = c.get("/export/graph.json", params={"format": "graphology"})
        assert r.status_code == 200 and "content-length" not in r.headers
        assert r.headers["x-newsgraph-cost"] == "nodes=15, edges=17"
        assert len(r.json()["nodes"]) == 15


def test_an_export_with_a_layout_says_its_layout_work():
    with _client() as c:
        r = c.get("/export/graph.json", params={"from": ALPHA, "hops": 1, "layout": "force"})
        assert r.status_code == 200, r.text
        nodes = len(r.json()["nodes"])
        assert r.headers["x-newsgraph-cost"].startswith(f"nodes={nodes}, edges=")
        iterations = int(r.headers["x-newsgraph-cost"].rsplit("layoutIterations=", 1)[1])
        assert 0 < iterations <= graph.explore.LAYOUT_ITERATIONS


def test_exports_past_the_concurrency_limit_answer_429_then_go_on():
    with _client(max_exports=1) as c:
        with c.stream("GET", "/export/graph.json") as first:
            assert first.status_code == 200
            busy = c.get("/export/graph.json")
            assert busy.status_code == 429 and "limit maxExports = 1" in busy.json()["error"]
            first.read()
        assert c.get("/export/graph.json").status_code == 200


def test_an_export_past_the_deadline_stops_with_a_clear_error():
    with _client(timeout=1e-6) as c:
        late = c.get("/export/graph.graphml")
        assert late.status_code == 400 and "ran past its time limit" in late.json()["error"]



@pytest.mark.parametrize("params", [{}, {"from": ALPHA, "hops": "3"}],
                         ids=["whole graph", "from"])
def test_an_export_whose_deadline_passes_while_selecting_stops_there(monkeypatch, kg, params):
    """The whole graph's edges (120k at 20k records) are gathered with the deadline looked at
    before each node's: an export past it stops there with the export's own words (it went
    on to the last edge and answered 400 long after the deadline), and says what to do."""
    import time as clock

    from graph import explore

    made: list[object] = []
    real_page_edge = explore.edge

    def slow(real):
        def make(*args, **kwargs):
            made.append(args)
            clock.sleep(0.2)
            return real(*args, **kwargs)
        return make

    class SlowRows(array):  # the whole graph's edges, kept as numbers (three an edge)
        def append(self, value: int) -> None:
            made.append(value)
            clock.sleep(0.2)
            super().append(value)

    monkeypatch.setattr(explore, "array", SlowRows)
    monkeypatch.setattr(explore, "edge", slow(real_page_edge))
    with _client(timeout=0.5) as c:
        late = c.get("/export/graph.graphml", params=params)
    assert late.status_code == 400, late.text
    said = late.json()["error"]
    assert "the export ran past its time limit of 0.5 s" in said
    assert "narrow it with from/hops or where" in said and "newsgraph export" in said
    assert len(made) < kg.nx.number_of_edges()


def _slow_writes(monkeypatch) -> list[ForkedWriter]:
    """Make every export write take a minute (in the forked child), and keep the writers."""
    import time as clock

    made: list[ForkedWriter] = []
    real_init = ForkedWriter.__init__

    def slow_write(kg, sub, fmt, stream, **options):
        stream.write(b"<?xml")
        stream.flush()
        clock.sleep(60)

    def keep(self, *args, **options):
        real_init(self, *args, **options)
        made.append(self)

    monkeypatch.setattr(export, "write", slow_write)
    monkeypatch.setattr(ForkedWriter, "__init__", keep)
    return made


def test_an_export_still_writing_at_the_deadline_is_ended(monkeypatch):
    made = _slow_writes(monkeypatch)
    with _client(timeout=0.5) as c, pytest.raises(ExportCut) as e:
        c.get("/export/graph.graphml")
    assert "ran past its time limit of 0.5 s" in str(e.value)
    [writer] = made
    assert writer.pid is None and writer.fd == -1


def test_a_client_that_leaves_an_export_ends_its_writer(monkeypatch):
    import asyncio

    from schema.settings import Settings

    made = _slow_writes(monkeypatch)
    app = create_app(graph.load(EXPLORE), Settings(timeout=60))
    sent: list[dict] = []
    pending = [{"type": "http.request", "body": b"", "more_body": False}]
    read = asyncio.Event()  # made in the loop's thread, on Python >= 3.10

    async def receive():
        if pending:
            return pending.pop()
        # The client reads the start (however long the fork took on a busy machine,
        # else it left before the export began), then goes away.
        await read.wait()
        await asyncio.sleep(0.3)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body":
            read.set()

    scope = {"type": "http", "method": "GET", "path": "/export/graph.graphml",
             "raw_path": b"/export/graph.graphml", "query_string": b"", "root_path": "",
             "scheme": "http", "http_version": "1.1", "headers": [],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "app": app}
    run_in_own_loop(asyncio.wait_for(app(scope, receive, send), 30))  # a hang guard
    assert sent[0]["status"] == 200
    [writer] = made
    assert writer.pid is None and writer.fd == -1  # the child was ended and reaped


def test_an_http_export_with_hops_and_no_from_is_refused(client):
    # ?hops=2 alone exported the whole graph, the hops silently ignored (as the CLI did).
    r = client.get("/export/graph.json?hops=2")
    assert r.status_code == 400, r.text
    assert "hops says how far to walk from the 'from' nodes, and no 'from' was given" in r.text
    assert "?from=ID" in r.text
    assert client.get("/export/graph.json", params={"hops": "2", "from": BETA}).status_code == 200


def test_an_export_cut_at_its_deadline_after_its_status_logs_one_line_and_ends_unfinished(
        monkeypatch):
    """A real server (uvicorn, as `newsgraph serve` runs it): the client has the 200 and the
    start of the file when the deadline passes. It must be able to tell the file is cut
    (the chunked body ends without its last chunk: http.client raises IncompleteRead), and
    the server's log says so in one line, not uvicorn's traceback of the deadline's error."""
    import functools
    import http.client
    import logging
    import socket
    import threading

    import uvicorn

    from schema.httpprotocol import GraphQLHttpToolsProtocol
    from schema.settings import Settings

    made = _slow_writes(monkeypatch)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    watched = [logging.getLogger(name) for name in ("uvicorn.error", "newsgraph")]
    for logger in watched:
        logger.addHandler(keep)
    app = create_app(EXPLORE, Settings(timeout=0.5))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        app, http=functools.partial(GraphQLHttpToolsProtocol), log_config=None,
        log_level="info", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(600):  # a hang guard: the lifespan loads the graph
            if server.started:
                break
            threading.Event().wait(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/export/graph.graphml")
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        assert cut.value.partial.startswith(b"<?xml")
        conn.close()
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        for logger in watched:
            logger.removeHandler(keep)
    [writer] = made
    assert writer.pid is None and writer.fd == -1
    said = [r for r in records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in said] == [None], [r.getMessage() for r in said]
    [line] = [r.getMessage() for r in said]
    assert "\n" not in line
    assert "GET /export/graph.graphml" in line and "cut at its time limit of 0.5 s" in line
    assert "after 5 bytes" in line and "200" in line
