"""Serving over real HTTP on loopback: a server process and a load-generating client.

``python -m bench.http serve PATH --port P [--cache DIR]`` (``--port 0``: a port the
system chooses, said on its ``READY <port>`` line) runs newsgraph's app under
uvicorn (one worker, as ``newsgraph serve`` does) with extra routes: ``/plain``, a bare
Starlette endpoint that returns a payload set by ``PUT /plain`` (the ceiling a GraphQL
endpoint on the same server could reach), ``/plain-within`` and ``/graphql-standard``
(below).

``python -m bench.http client --port P --starts FILE`` drives it from its own process
over raw asyncio streams (HTTP/1.1 keep-alive, a fixed number of connections, each
phase bounded in seconds), and prints JSON:

* ``graphql_distinct``: the within query, each request from a different start, so no
  cache can hide the work;
* ``plain``: the bare endpoint returning the bytes of one GraphQL response;
* ``plain_within``: ``/plain-within``, a bare Starlette endpoint that does the same walk
  for each start and returns the same JSON built by hand (bench/queries.py), distinct
  starts as for ``graphql_distinct``: what the GraphQL layer costs on top of the work;
* ``graphql_repeated``: that one query again and again;
* ``graphql_distinct_standard``: as ``graphql_distinct``, at ``/graphql-standard``, the
  same view on graphql-core's standard executor instead of plans (schema/plan.py).

The three distinct-start phases run in turns (three rounds), each turn with starts of
its own, so that a change in the machine's load falls on all three alike.

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from typing import Any

from bench.measure import percentile
from bench.queries import WITHIN_QUERY, within_variables

__all__ = ["main", "within_body"]

HOST = "127.0.0.1"
HTTP_FIRST = 10  # articles per response over HTTP, as an explorer's side panel shows
ROUNDS = 3  # turns of the phases compared with each other


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    import graph
    from bench.measure import peak_rss_bytes, rss_bytes
    from bench.queries import plain_within_json
    from schema.app import GraphQLView, create_app
    from schema.cli import SERVING_LOOP
    from schema.http import encode_response
    from schema.live import graph_of
    from schema.middleware.cache import ResponseCache
    from schema.query import schema

    options: dict[str, Any] = {}
    if args.cache:
        options["cache"] = args.cache
    kg = graph.load(args.path, **options)
    app = create_app(kg)
    payload = {"body": b"{}"}

    async def plain(request: Request) -> Response:
        if request.method == "PUT":
            payload["body"] = await request.body()
            return Response(b"", status_code=204)
        await request.body()
        return Response(payload["body"], media_type="application/json")

    async def plain_within(request: Request) -> Response:
        body = json.loads(await request.body())
        start = body["variables"]["from"]
        first = body["variables"].get("first", HTTP_FIRST)
        # Written by the encoder GraphQL's answers use: the comparison is of the rest.
        return Response(encode_response(plain_within_json(kg, start, first)),
                        media_type="application/json")

    async def rss(request: Request) -> Response:
        return Response(json.dumps({"peak_rss": peak_rss_bytes(), "rss": rss_bytes()}),
                        media_type="application/json")

    app.router.routes.insert(0, Route("/plain", plain, methods=["POST", "PUT"]))
    app.router.routes.insert(0, Route("/plain-within", plain_within, methods=["POST"]))

    class StandardView(GraphQLView):
        async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
            return {**await super().get_context(request, response), "planned": False}

    # Behind the same response cache as /graphql (distinct bodies: each a miss).
    settings = app.state.settings
    standard = ResponseCache(StandardView(schema, settings), graph_of,
                             max_bytes=int(settings.response_cache_mb * 2**20))
    app.router.routes.insert(0, Route("/graphql-standard", standard, methods=["POST"]))
    app.router.routes.insert(0, Route("/bench-rss", rss))
    config = uvicorn.Config(app, host=HOST, port=args.port, log_level="warning",
                            access_log=False, http="httptools", loop=SERVING_LOOP)  # as serve
    server = uvicorn.Server(config)
    # Bound and listening here, before READY: with --port 0 the system chooses the port
    # as it binds (a port chosen free beforehand could be taken by another socket of a
    # shared machine first), and a connection made after READY waits in the backlog.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, args.port))
    sock.listen(2048)
    print(f"READY {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    return 0


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode("ascii") + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected here")
        return status, await self.reader.readexactly(length)


async def _connect(port: int) -> _Conn:
    reader, writer = await asyncio.open_connection(HOST, port)
    return _Conn(reader, writer)


async def _phase(port: int, path: str, bodies: list[bytes], seconds: float,
                 connections: int, expect: bytes | None) -> dict[str, Any]:
    """Send requests from ``connections`` connections for ``seconds``; each takes the
    next body in turn. Return counts, req/s and latency percentiles."""
    conns = [await _connect(port) for _ in range(connections)]
    latencies: list[float] = []
    errors = 0
    mismatches = 0
    cursor = 0
    deadline = time.perf_counter() + seconds

    async def worker(conn: _Conn) -> None:
        nonlocal cursor, errors, mismatches
        while True:  # each connection sends at least one request, however short the phase
            body = bodies[cursor % len(bodies)]
            cursor += 1
            t = time.perf_counter()
            status, got = await conn.request("POST", path, body)
            latencies.append(time.perf_counter() - t)
            if status != 200 or b'"errors"' in got:
                errors += 1
            elif expect is not None and got != expect:
                mismatches += 1
            if time.perf_counter() >= deadline:
                break

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.writer.close()
    return _summary(latencies, elapsed, errors, mismatches, min(len(bodies), len(latencies)))


def _summary(latencies: list[float], elapsed: float, errors: int, mismatches: int,
             distinct: int) -> dict[str, Any]:
    return {
        "requests": len(latencies), "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 50) * 1e3, "p99_ms": percentile(latencies, 99) * 1e3,
        "errors": errors, "mismatches": mismatches, "distinct_bodies": distinct,
        "latencies": latencies,
    }


async def _interleaved(port: int, paths: dict[str, str], bodies: list[bytes],
                       seconds: float, connections: int, rounds: int = ROUNDS,
                       ) -> dict[str, dict[str, Any]]:
    """Run phases that compare with each other in turns (A, B, C, A, B, C, ...), so that
    a change in the machine's load falls on all of them alike; each turn sends its own
    slice of ``bodies``, so no body is sent twice and no stored answer serves it."""
    turns = [(name, k) for k in range(rounds) for name in paths]
    size = max(1, len(bodies) // len(turns))
    parts: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
    for i, (name, _) in enumerate(turns):
        chunk = bodies[i * size:(i + 1) * size] or bodies
        parts[name].append(await _phase(port, paths[name], chunk, seconds / rounds,
                                         connections, None))
    out = {}
    for name, runs in parts.items():
        latencies = [x for run in runs for x in run["latencies"]]
        out[name] = _summary(latencies, sum(run["seconds"] for run in runs),
                             sum(run["errors"] for run in runs),
                             sum(run["mismatches"] for run in runs),
                             sum(run["distinct_bodies"] for run in runs))
    return out


def within_body(start: str) -> bytes:
    """The body of one distinct request of the HTTP rows: the within query from ``start``."""
    return json.dumps({"query": WITHIN_QUERY,
                       "variables": within_variables(start, HTTP_FIRST)}).encode()


async def _client(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.starts, encoding="utf-8") as f:
        starts: list[str] = json.load(f)
    # A server that answered some of these already would answer them from its cache.
    distinct = [within_body(s) for s in starts[args.skip:] or starts]
    repeated = distinct[0]
    conn = await _connect(args.port)
    status, reference = await conn.request("POST", "/graphql", repeated)
    if status != 200:
        raise RuntimeError(f"GraphQL answered {status}: {reference[:200]!r}")
    same = True
    if not args.only_distinct:
        await conn.request("PUT", "/plain", reference)
        # The bare walk answers the same data as GraphQL (without extensions.cost).
        for body in distinct[1:6]:
            _, by_graphql = await conn.request("POST", "/graphql", body)
            _, by_hand = await conn.request("POST", "/plain-within", body)
            same = same and json.loads(by_graphql)["data"] == json.loads(by_hand)["data"]
    conn.writer.close()
    out: dict[str, Any] = {"connections": args.connections, "seconds": args.seconds,
                           "response_bytes": len(reference), "plain_within_same_data": same}
    # A short warm-up, so the first phase does not pay for imports and first calls.
    await _phase(args.port, "/graphql", distinct[-50:], 0.3, args.connections, None)
    if args.only_distinct:  # a `newsgraph serve`, which has no /plain (bench/workers.py)
        out["graphql_distinct"] = await _phase(args.port, "/graphql", distinct[1:] or distinct,
                                               args.seconds, args.connections, None)
        return out
    out.update(await _interleaved(args.port, {
        "graphql_distinct": "/graphql", "plain_within": "/plain-within",
        "graphql_distinct_standard": "/graphql-standard"},
        distinct[6:-50] or distinct, args.seconds, args.connections))
    out["plain"] = await _phase(args.port, "/plain", [repeated], args.seconds,
                                args.connections, reference)
    out["graphql_repeated"] = await _phase(args.port, "/graphql", [repeated], args.seconds,
                                           args.connections, reference)
    for phase in out.values():
        if isinstance(phase, dict):
            phase.pop("latencies", None)
    conn = await _connect(args.port)
    writer = conn.writer
    writer.write(f"GET /bench-rss HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    await writer.drain()
    line = await conn.reader.readline()
    if line.split()[1] == b"200":
        length = 0
        while (h := await conn.reader.readline()) not in (b"\r\n", b""):
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":")[1])
        out["server"] = json.loads(await conn.reader.readexactly(length))
    writer.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("path")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--cache", default=None)
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--starts", required=True, help="a JSON list of start ids")
    c.add_argument("--seconds", type=float, default=3.0)
    c.add_argument("--connections", type=int, default=16)
    c.add_argument("--only-distinct", action="store_true",
                   help="only the distinct GraphQL phase (any newsgraph serve)")
    c.add_argument("--skip", type=int, default=0,
                   help="skip the first N starts (a server already asked for them)")
    args = p.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    json.dump(asyncio.run(_client(args)), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
