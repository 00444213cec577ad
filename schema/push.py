"""``newsgraph push FILES... --server URL``: send record files to a server's ingest mutation.

Each file is parsed locally by the loader's rules (a broken file is reported and
skipped; a broken record never leaves this machine), then its records go out in
batches, small enough for the server's body limit, with progress and a summary.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from graph.errors import NewsgraphError
from graph.records import DEFAULT_MAX_FILE_BYTES, list_files, parse_file

__all__ = ["push", "PushSummary"]

INGEST = "mutation($r: [JSON!]!) { ingest(records: $r) { status id error warnings } }"
# Under the server's default 64 KB request body, with room for the query and escaping; a
# record longer than that goes alone, under the larger limit of a request bearing the
# ingest token (maxIngestBytes, 16 MB).
MAX_BATCH_BYTES = 48 * 1024


@dataclass
class PushSummary:
    """What a push did: records sent and their statuses, and the local problems."""

    files: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # what the server's file rules dropped from records it wrote anyway
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        sent = sum(self.statuses.values())
        counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(self.statuses.items()))
        warned = f"; {len(self.warnings)} warnings" if self.warnings else ""
        return (f"pushed {sent} records from {self.files} files: {counts or 'nothing sent'}; "
                f"{len(self.problems)} problems{warned}")

    @property
    def ok(self) -> bool:
        return not self.problems and not self.statuses.get("REJECTED") \
            and not self.statuses.get("NOT_ATTEMPTED")


def _value(v: object) -> str:
    if isinstance(v, date | datetime):
        return v.isoformat()
    raise TypeError(f"a {type(v).__name__} is not a record value")


def _records(paths: list[Path], summary: PushSummary, max_bytes: int,
             ) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in paths:
        listing = list_files(path)
        summary.problems += [str(p) for p in listing.errors]
        for name in listing.names:
            parsed = parse_file(Path(name), max_bytes=max_bytes)
            if parsed.skipped:
                continue
            summary.files += 1
            summary.problems += [str(p) for p in parsed.errors]
            for rec in parsed.records:
                fields = dict(rec.fields)
                if rec.body is not None:
                    fields["body"] = rec.body
                where = rec.path if rec.line is None else f"{rec.path}:{rec.line}"
                yield where, fields


def _batches(records: Iterator[tuple[str, dict[str, Any]]], size: int,
             ) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    batch: list[tuple[str, dict[str, Any]]] = []
    used = 0
    for where, fields in records:
        n = len(json.dumps(fields, default=_value, ensure_ascii=False).encode())
        if batch and (len(batch) >= size or used + n > MAX_BATCH_BYTES):
            yield batch
            batch, used = [], 0
        batch.append((where, fields))
        used += n
    if batch:
        yield batch


def graphql_url(server: str) -> str:
    """Return the GraphQL endpoint of ``server`` (``.../graphql`` added unless there);
    raise NewsgraphError unless it is an http(s) URL with a host and a valid port."""
    allowed = "an http or https URL with a host, like 'http://127.0.0.1:8000'"
    try:
        parts = urlsplit(server)
        port = parts.port
    except ValueError as e:  # "http://[::1", a port past 65535
        raise NewsgraphError(f"--server {server!r} is not a valid URL ({e}): expected "
                             f"{allowed}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        raise NewsgraphError(f"--server {server!r} is not {allowed}")
    base = server.rstrip("/")
    return base if base.endswith("/graphql") else base + "/graphql"


def push(paths: list[Path], server: str, token: str | None, *, batch: int = 100,
         max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, out: TextIO = sys.stderr,
         ) -> PushSummary:
    """Send the records of ``paths`` (files or folders) to ``server``'s ingest mutation;
    files past ``max_file_bytes`` are refused here, as a load refuses them."""
    if batch < 1:
        raise NewsgraphError(f"--batch must be at least 1, got {batch}")
    url = graphql_url(server)
    summary = PushSummary()
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    for group in _batches(_records(paths, summary, max_file_bytes), batch):
        pending = group
        while pending:
            results = _send(url, headers, pending)
            late = [(sent, result) for sent, result in zip(pending, results, strict=True)
                    if result["status"] == "NOT_ATTEMPTED"]
            for (where, _), result in zip(pending, results, strict=True):
                if result["status"] != "NOT_ATTEMPTED":
                    _count(summary, where, result)
            if len(late) == len(pending):  # the server attempted none: it would not move on
                for (where, _), result in late:
                    _count(summary, where, result)
                break
            # "send it again": what the batch's time limit cut off goes out in a new request
            pending = [sent for sent, _ in late]
        print(f"pushed {sum(summary.statuses.values())} records", file=out, flush=True)
    return summary


def _send(url: str, headers: dict[str, str], group: list[tuple[str, dict[str, Any]]],
          ) -> list[dict[str, Any]]:
    """One ingest request: each record's answer, in order."""
    body = json.dumps({"query": INGEST, "variables": {"r": [f for _, f in group]}},
                      default=_value, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            answer = json.load(r)
    except urllib.error.HTTPError as e:
        answer = json.loads(e.read() or b"{}")
        if e.code == 413 and answer.get("errors"):
            # Too long for the server (a record past its maxIngestBytes): this batch's
            # records are refused, and the push goes on with the others.
            refused = f"the server refused it: {answer['errors'][0]['message']}"
            return [{"status": "REJECTED", "error": refused} for _ in group]
    except OSError as e:
        raise NewsgraphError(f"cannot reach {url}: {e}") from e
    if answer.get("errors"):
        raise NewsgraphError(f"{url} refused the batch: {answer['errors'][0]['message']}")
    results: list[dict[str, Any]] = answer["data"]["ingest"]
    return results


def _count(summary: PushSummary, where: str, result: dict[str, Any]) -> None:
    status = result["status"]
    summary.statuses[status] = summary.statuses.get(status, 0) + 1
    if status in ("REJECTED", "NOT_ATTEMPTED"):
        summary.problems.append(f"{where}: {result['error']}")
    summary.warnings += [f"{where}: warning: {w}" for w in result.get("warnings") or ()]
