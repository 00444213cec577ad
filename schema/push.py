"""``newsgraph push FILES... --server URL``: send record files to a server's ingest mutation.

Each file is parsed locally by the loader's rules (a broken file is reported and
skipped; a broken record never leaves this machine), then its records go out in
batches, small enough for the server's body limit, a few in flight at once, with
progress and a summary in the batches' order.
"""

from __future__ import annotations

import http.client
import json
import math
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from graph.errors import InvalidURLError, NewsgraphError, shown
from graph.normalize import canonical_url
from graph.records import DEFAULT_MAX_FILE_BYTES, list_files, parse_file

__all__ = ["push", "PushSummary"]

INGEST = "mutation($r: [JSON!]!) { ingest(records: $r) { status articleId error warnings } }"
# Under the server's default 64 KB request body, with room for the query and escaping; a
# record longer than that goes alone, under the larger limit of a request bearing the
# ingest token (maxIngestBytes, 16 MB).
MAX_BATCH_BYTES = 48 * 1024
# Batches in flight at once: the server writes and applies batches that come together
# as one change (a group commit), so a few at once share its fixed cost per version.
CONCURRENCY = 4
# How long push waits for a batch's answer: a server applies a batch in well under a
# second, and answers 503 while it loads; past this it is said, not waited on.
ANSWER_SECONDS = 60.0


@dataclass
class PushSummary:
    """What a push did: records sent and their statuses, and the local problems."""

    files: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # what the server's file rules dropped from records it wrote anyway
    warnings: list[str] = field(default_factory=list)
    # files not records (a note, another suffix), each with why: said, not sent
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        sent = sum(self.statuses.values())
        counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(self.statuses.items()))
        warned = f"; {len(self.warnings)} warnings" if self.warnings else ""
        skipped = f"; {len(self.skipped)} skipped" if self.skipped else ""
        return (f"pushed {sent} records from {self.files} files: {counts or 'nothing sent'}; "
                f"{len(self.problems)} problems{warned}{skipped}")

    @property
    def ok(self) -> bool:
        return not self.problems and not self.statuses.get("REJECTED") \
            and not self.statuses.get("NOT_ATTEMPTED")


def _value(v: object) -> str:
    if isinstance(v, date | datetime):
        return v.isoformat()
    raise TypeError(f"a {type(v).__name__} is not a record value")


def _records(paths: list[Path], summary: PushSummary, max_bytes: int, problems: list[str],
             ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each record of ``paths``, with where it is; what cannot be read goes to
    ``problems``."""
    for path in paths:
        listing = list_files(path)
        problems += [str(p) for p in listing.errors]
        summary.skipped += [f"{p.path}: skipped: {p.reason}" for p in listing.skipped]
        for name in listing.names:
            parsed = parse_file(Path(name), max_bytes=max_bytes)
            if parsed.skipped:
                summary.skipped.append(f"{parsed.skipped.path}: skipped: "
                                       f"{parsed.skipped.reason}")
                continue
            summary.files += 1
            problems += [str(p) for p in parsed.errors]
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
         concurrency: int = CONCURRENCY, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
         out: TextIO = sys.stderr) -> PushSummary:
    """Send the records of ``paths`` (files or folders) to ``server``'s ingest mutation,
    up to ``concurrency`` batches in flight at once; files past ``max_file_bytes`` are
    refused here, as a load refuses them.

    The summary, its problems and the progress lines come in the order of the batches,
    as if they had been sent one after another; a batch holding a record whose canonical
    URL is in a batch in flight waits for that one's answer, so the later record lands
    last, as it would one batch at a time."""
    if batch < 1:
        raise NewsgraphError(f"--batch must be at least 1, got {batch}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise NewsgraphError(f"--concurrency must be a whole number, at least 1, got "
                             f"{concurrency!r}")
    url = graphql_url(server)
    summary = PushSummary()
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    local: list[str] = []  # what parsing found, handed to the next batch's place in line
    sent: deque[_Sent] = deque()  # in the order of the batches; counted from the head

    def count_answered() -> None:
        """Count the batches answered at the head of the line; once any batch failed,
        wait for those before it, count them and raise its failure."""
        if any(s.answer.done() and s.answer.exception() is not None for s in sent):
            wait([s.answer for s in sent])
        while sent and sent[0].answer.done():
            done = sent.popleft()
            summary.problems += done.before
            for where, result in done.answer.result():
                _count(summary, where, result)
            print(f"pushed {sum(summary.statuses.values())} records", file=out, flush=True)

    with ThreadPoolExecutor(max_workers=concurrency,
                            thread_name_prefix="newsgraph-push") as pool:
        try:
            for group in _batches(_records(paths, summary, max_file_bytes, local), batch):
                keys = {k for _, fields in group if (k := _url_key(fields)) is not None}
                while True:
                    flying = [s for s in sent if not s.answer.done()]
                    if len(flying) < concurrency and not any(keys & s.keys for s in flying):
                        break
                    wait([s.answer for s in flying], return_when=FIRST_COMPLETED)
                    count_answered()
                before, local[:] = local[:], []
                sent.append(_Sent(pool.submit(_send_all, url, headers, group), keys, before))
                count_answered()
            wait([s.answer for s in sent])
            count_answered()
        finally:
            for s in sent:  # a batch failed (counted up to it): the rest are not sent
                s.answer.cancel()
    summary.problems += local
    return summary


@dataclass
class _Sent:
    """A batch sent: its answer to come, its records' canonical URLs, and the problems
    parsing found before it (counted before its answer, as one at a time would)."""

    answer: Future[list[tuple[str, dict[str, Any]]]]
    keys: set[str]
    before: list[str]


def _url_key(fields: dict[str, Any]) -> str | None:
    """The canonical URL the server files a record under (its first valid URL field),
    None when it has none (the server refuses it)."""
    for key in ("webUrl", "originalUrl"):
        raw = fields.get(key)
        if isinstance(raw, str) and raw.strip():
            try:
                return canonical_url(raw)
            except InvalidURLError:
                continue
    return None


def _send_all(url: str, headers: dict[str, str], group: list[tuple[str, dict[str, Any]]],
              ) -> list[tuple[str, dict[str, Any]]]:
    """Send one batch; send again what the server's time limit cut off (NOT_ATTEMPTED:
    "send it again") until every record has its outcome or a request attempts none of
    them. Returns each record's place and outcome, in the batch's order."""
    outcomes: dict[int, tuple[str, dict[str, Any]]] = {}
    pending = list(enumerate(group))
    while pending:
        results = _send(url, headers, [sent for _, sent in pending])
        late = [(i, sent) for (i, sent), result in zip(pending, results, strict=True)
                if result["status"] == "NOT_ATTEMPTED"]
        for (i, (where, _)), result in zip(pending, results, strict=True):
            outcomes[i] = (where, result)
        if len(late) == len(pending):  # the server attempted none: it would not move on
            break
        pending = late
    return [outcomes[i] for i in sorted(outcomes)]


def _send(url: str, headers: dict[str, str], group: list[tuple[str, dict[str, Any]]],
          ) -> list[dict[str, Any]]:
    """One ingest request: each record's answer, in order. A server still loading its
    corpus (503, ``NOT_READY``) is waited for as its ``Retry-After`` says, up to
    :data:`ANSWER_SECONDS`; whatever else the server answers (a proxy's error page,
    another web server, no answer) is a :class:`NewsgraphError` saying what came back."""
    body = json.dumps({"query": INGEST, "variables": {"r": [f for _, f in group]}},
                      default=_value, ensure_ascii=False).encode()
    waited_until = time.monotonic() + ANSWER_SECONDS
    said = False
    while True:
        status, kind, raw, retry = _post(url, headers, body)
        answer = _graphql_answer(url, status, kind, raw)
        loading = status == 503 and _first_code(answer) == "NOT_READY"
        if not loading:
            break
        left = waited_until - time.monotonic()
        if left <= 0:
            raise NewsgraphError(f"{url} is still loading its corpus after "
                                 f"{ANSWER_SECONDS:g} s ({answer['errors'][0]['message']}): "
                                 "push again once its /readyz says ready")
        if not said:
            print(f"newsgraph: {url} is loading its corpus "
                  f"({answer['errors'][0]['message']}); waiting", file=sys.stderr, flush=True)
            said = True
        time.sleep(min(max(retry, 0.1), 5.0, left))
    if status == 413 and answer.get("errors"):
        # Too long for the server (a record past its maxIngestBytes): this batch's
        # records are refused, and the push goes on with the others.
        refused = f"the server refused it: {answer['errors'][0]['message']}"
        return [{"status": "REJECTED", "error": refused} for _ in group]
    if answer.get("errors"):
        raise NewsgraphError(f"{url} refused the batch: {answer['errors'][0]['message']}")
    results = (answer.get("data") or {}).get("ingest")
    if not isinstance(results, list) or not all(
            isinstance(r, dict) and isinstance(r.get("status"), str) for r in results):
        raise NewsgraphError(f"{url} answered {shown(answer)}, not a GraphQL answer to the "
                             "ingest mutation: is --server a newsgraph server?")
    if len(results) != len(group):
        raise NewsgraphError(f"{url} answered {len(results)} outcomes for {len(group)} "
                             f"record{'s' if len(group) != 1 else ''} sent: is --server a "
                             "newsgraph server?")
    return results


def _post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes, float]:
    """POST ``body``: the answer's status, content type, bytes and ``Retry-After``
    seconds (1 when it says none)."""
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_SECONDS) as r:
            return r.status, r.headers.get_content_type(), r.read(), 1.0
    except urllib.error.HTTPError as e:
        kind = e.headers.get_content_type() if e.headers is not None else "no content type"
        try:
            retry = float(e.headers.get("Retry-After") or 1) if e.headers is not None else 1.0
        except ValueError:  # an HTTP date: wait the default
            retry = 1.0
        return e.code, kind, e.read(), retry if math.isfinite(retry) else 1.0
    except (TimeoutError, urllib.error.URLError) as e:
        if not isinstance(e, TimeoutError) and not isinstance(e.reason, TimeoutError):
            raise NewsgraphError(f"cannot reach {url}: {e}") from e
        raise NewsgraphError(
            f"{url} sent no answer within {ANSWER_SECONDS:g} s (a server still loading its "
            "corpus, or busy); this batch may have been written: pushing again is safe, a "
            "record already there is answered 'unchanged'") from e
    except http.client.RemoteDisconnected as e:
        raise NewsgraphError(f"{url} closed the connection without an answer: is --server "
                             "a newsgraph server (newsgraph serve)?") from e
    except OSError as e:
        raise NewsgraphError(f"cannot reach {url}: {e}") from e


def _first_code(answer: dict[str, Any]) -> str | None:
    errors = answer.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        extensions = errors[0].get("extensions")
        if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
            return extensions["code"]
    return None


def _graphql_answer(url: str, status: int, kind: str, raw: bytes) -> dict[str, Any]:
    """The JSON object a GraphQL server answers (``data``, ``errors``); anything else is a
    :class:`NewsgraphError` showing its status, content type and start."""
    try:
        answer = json.loads(raw)
    except ValueError:  # not JSON, or not UTF-8
        answer = None
    if isinstance(answer, dict) and ("data" in answer or isinstance(answer.get("errors"), list)
                                     and answer["errors"]
                                     and isinstance(answer["errors"][0], dict)
                                     and "message" in answer["errors"][0]):
        return answer
    start = raw[:120].decode("utf-8", "replace")
    raise NewsgraphError(f"{url} answered HTTP {status} with {kind}, not a GraphQL answer: "
                         f"{start!r}: is --server a newsgraph server (newsgraph serve), and "
                         "is it up?")


def _count(summary: PushSummary, where: str, result: dict[str, Any]) -> None:
    status = result["status"]
    summary.statuses[status] = summary.statuses.get(status, 0) + 1
    if status in ("REJECTED", "NOT_ATTEMPTED"):
        summary.problems.append(f"{where}: {result['error']}")
    summary.warnings += [f"{where}: warning: {w}" for w in result.get("warnings") or ()]
