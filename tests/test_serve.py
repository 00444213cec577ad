"""One real process: `newsgraph serve` on a free port, queried over HTTP, then stopped."""

from __future__ import annotations

import json
import signal
import socket
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.typing import Subprotocol

import graph
from tests.servers import running_server

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
START = "https://www.sixthtone.com/news/1/school-scanners"


@pytest.fixture
def server():
    with running_server(str(CORPUS)) as base:
        yield base


def post(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_serve_answers_the_example_over_http_as_kg_within_does(server):
    base = server
    data = post(base, f'{{ article(url: "{START}") {{ within(hops: 2, where: '
                      '{mentions: "facial recognition"}) '
                      '{ totalCount edges { hops node { id } } } } }')
    got = [(e["node"]["id"], e["hops"]) for e in data["data"]["article"]["within"]["edges"]]
    kg = graph.load(CORPUS)
    assert got == kg.within(START, hops=2, mentions="facial recognition")
    assert len(got) == 2
    ready = json.load(urllib.request.urlopen(f"{base}/readyz", timeout=5))
    assert ready["articles"] == 9



def _raw(base: str, request: bytes, then: bytes | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as bytes on a socket (and ``then`` a moment later, as a client whose
    headers come after its request line); return the status, headers and body."""
    import time

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        if then is not None:
            time.sleep(0.3)
            try:
                s.sendall(then)
            except OSError:  # answered and closed before the headers came: the test fails
                pass
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("request_bytes", "status", "says"), [
    # Apollo's and urql's GET for queries put the document in the URL: one past 65,535
    # bytes, which the HTTP parser cannot hold, got a plain-text "Invalid HTTP request
    # received." that no GraphQL client reads as an error.
    (b"GET /graphql?query=" + b"%7B" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
     414, "send the query in a POST"),
    (b"GET /graphql HTTP/1.1\r\nHost x\r\n\r\n", 400, "not a valid HTTP/1.1 request"),
])
def test_a_request_the_http_parser_refuses_gets_a_graphql_error(server, request_bytes, status,
                                                               says):
    code, headers, body = _raw(server, request_bytes)
    assert code == status
    assert headers["content-type"].startswith("application/json")
    [error] = json.loads(body)["errors"]
    assert says in error["message"], error
    # the server still answers everyone else
    assert post(server, "{ stats { articles } }")["data"]["stats"]["articles"] > 0


def test_a_websocket_message_past_max_body_bytes_is_refused_as_it_arrives(server):
    # uvicorn's default let a client send 16 MB in one message, held whole and decoded on
    # the event loop; serve caps it at maxBodyBytes, closing with 1009 (message too big).
    url = server.replace("http://", "ws://") + "/graphql"
    with ws_connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                    max_size=None, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send('{"type": "subscribe", "id": "1", "payload": {"query": "'
                + "x" * 4_000_000 + '"}}')
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 1009, (ws.close_code, ws.close_reason)
    # said by the frame reader ("frame exceeds limit of 65536 bytes"), or by the app's check
    assert "65536" in ws.close_reason.replace(",", ""), ws.close_reason
    assert post(server, "{ stats { articles } }")["data"]["stats"]["articles"] > 0


@pytest.fixture
def cors_server():
    with running_server(str(CORPUS), "--cors-origin", "https://app.example",
                        analytics=False) as base:
        yield base


LONG_GET = b"GET /graphql?query=" + b"%7B" + b"a" * 70_000 + b" HTTP/1.1\r\n"


@pytest.mark.parametrize("split", [False, True])
def test_a_url_too_long_answer_is_readable_by_a_listed_origin(cors_server, split):
    # A browser app (Apollo's useGETForQueries) sees the 414's body only when the answer
    # carries CORS headers for its origin: without them its fetch failed with a CORS
    # error and the words saying to POST never reached it.
    headers = b"Host: x\r\nOrigin: https://app.example\r\n\r\n"
    code, got, body = (_raw(cors_server, LONG_GET, headers) if split
                       else _raw(cors_server, LONG_GET + headers))
    assert code == 414
    assert got.get("access-control-allow-origin") == "https://app.example", got
    assert "origin" in got.get("vary", "").lower()
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "URL_TOO_LONG"


def test_a_url_too_long_answer_names_no_origin_not_listed(cors_server):
    code, got, _ = _raw(cors_server, LONG_GET + b"Host: x\r\nOrigin: https://evil.example\r\n\r\n")
    assert code == 414
    assert "access-control-allow-origin" not in got
    code, got, _ = _raw(cors_server, LONG_GET + b"Host: x\r\n\r\n")
    assert code == 414 and "access-control-allow-origin" not in got


@pytest.fixture(scope="module", params=[None, 2], ids=["one process", "workers"])
def quick_server(request):
    """A server with a 2 s request timeout, returned once every worker holds the analytics
    (a worker replaced by one holding them closes the connections it has open)."""
    from bench.workers import serve, served_port
    from schema.loadtest import stop_server

    proc = serve(CORPUS, 0, request.param, "--timeout", "2", within=300)
    try:
        yield f"http://127.0.0.1:{served_port(proc)}"
    finally:
        stop_server(proc, signal.SIGTERM, timeout=60)


def _open(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_a_request_head_sent_a_line_at_a_time_is_answered_408_by_the_timeout(quick_server):
    # slowloris: a header line every 0.3 s kept the connection (and a file descriptor)
    # open for as long as the client went on; now the head has the request's timeout (2 s
    # here) from its first byte. The 10 s below are a hang guard, not a timing.
    import time

    with _open(quick_server) as s:
        s.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        s.settimeout(0.3)
        answer, started = b"", time.monotonic()
        while time.monotonic() - started < 10:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                s.sendall(b"x-slow: line\r\n")
                continue
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"connection: close" in head.lower()
    [error] = json.loads(body)["errors"]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert "did not arrive within 2 s" in error["message"], error
    # the server still answers everyone else
    assert post(quick_server, "{ stats { articles } }")["data"]["stats"]["articles"] > 0


def test_a_connection_that_sends_nothing_is_closed_by_the_timeout(quick_server):
    with _open(quick_server) as s:
        assert s.recv(65536) == b""  # closed (a recv past 10 s raises: the hang guard)


def test_a_head_sent_whole_on_a_kept_connection_is_not_cut_by_the_timeout(quick_server):
    # Requests on one keep-alive connection, each sent whole, 1 s apart (under uvicorn's
    # 5 s keep-alive): the timer of each head ends with its head.
    import time

    request = (b"POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
               b"content-length: 37\r\n\r\n" + b'{"query": "{ stats { articles } }"}  ')
    with _open(quick_server) as s:
        for _ in range(4):
            s.sendall(request)
            answer = s.recv(65536)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 "), answer[:200]
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            while len(body) < length:
                body += s.recv(65536)
            assert json.loads(body)["data"]["stats"]["articles"] > 0
            time.sleep(1)


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one process", "workers"])
def test_serve_says_the_load_summary_once(tmp_path: Path, workers: list[str]) -> None:
    # serve's log said "newsgraph: loaded: 46 records from 37 files → ..." and then the
    # report printed the same line again, bare, before its warnings (with --workers, which
    # loads in the supervisor, only the report said it).
    from tests.servers import serve_on_any_port

    corpus = Path(__file__).parent.parent / "data"
    served = serve_on_any_port(str(corpus), "--no-cache", "--no-watch", *workers)
    try:
        served.wait_for_line("newsgraph: ready")  # a hang guard only
    finally:
        served.stop(signal.SIGTERM)
    lines = served.output().splitlines(keepends=True)
    summaries = [line for line in lines if "records from" in line]
    assert len(summaries) == 1, "".join(lines)
    assert summaries[0].startswith("newsgraph: loaded: ")
    assert "warnings:\n" in lines  # the report's problems are still said, after it


def test_a_port_taken_between_its_choice_and_the_servers_bind_is_chosen_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """tests.servers.free_port lets its port go before the server binds it: on a shared
    machine another socket may take it meanwhile. The server then says the port is in
    use, and running_server starts it again on another port instead of failing."""
    from tests import servers

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1]])
        real = servers.free_port
        monkeypatch.setattr(servers, "free_port", lambda: next(ports, None) or real())
        with servers.running_server(str(CORPUS), analytics=False) as base:
            assert post(base, "{ stats { articles } }")["data"]["stats"]["articles"] == 9
            assert not base.endswith(f":{taken.getsockname()[1]}")


def test_serve_on_any_port_serves_where_it_says_it_binds() -> None:
    # --port 0: the system chooses a free port as the server binds it, so no other socket
    # can take it between a test's choice and the bind (tests.servers.free_port's race).
    from tests.servers import serve_on_any_port

    served = serve_on_any_port(str(CORPUS), "--no-cache", "--no-watch")
    try:
        assert served.port > 0 and served.base == f"http://127.0.0.1:{served.port}"
        served.wait_for_line("newsgraph: ready")
        assert post(served.base, "{ stats { articles } }")["data"]["stats"]["articles"] == 9
    finally:
        assert served.stop() in (0, 130, -signal.SIGINT)  # 130: ended by its SIGINT
    assert "serving GraphQL at" in served.output()
