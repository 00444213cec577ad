"""Ingest's records checked by the file rules, in a process of its own when it pays.

Checking a record (:func:`check`) writes it out as the JSON file text it will become,
parses that text and checks it by the build's own rules (:func:`graph.build.check_records`):
pure work on the record alone, ~0.4 ms of CPU a record at 100k, none of which needs the
served graph. In the server it ran in the interpreter the queries and the apply share
(one core's worth: lead32 saw the server never past 1.08 cores while the second core
sat mostly idle), so a :class:`Checker` hands a batch's records to a child process
instead, and gets back each record's file bytes, canonical URL, parse and warnings, or
why it is refused — the same values :func:`check` gives here, unpickled (a fraction of
the parse's cost).

The child is started as the parse pool's workers are (:func:`graph.loader.pool_context`:
forked from a process running one thread, else by the program's ``forkserver`` or
``spawn`` start method, which ``newsgraph serve`` sets); with neither, for a batch of
fewer than :data:`CHILD_MIN_RECORDS` records, or once the child has failed, the records
are checked in this process, as before. The child dies with the server: it watches its
server and exits once that is gone (a ``kill -9`` of the server leaves no child).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date, datetime
from typing import Any

from graph.build import check_records
from graph.errors import InvalidURLError
from graph.loader import pool_context
from graph.normalize import canonical_url
from graph.records import ParsedFile, parse_text
from graph.report import LoadReport

__all__ = ["Checked", "Checker", "check", "CHILD_MIN_RECORDS"]

# A batch of fewer records is checked in the server: a round trip to the child costs
# about what checking a few records does.
CHILD_MIN_RECORDS = 8
_WATCH_S = 0.5  # how often the child looks whether its parent is still there

logger = logging.getLogger("newsgraph")

# A record accepted: its file bytes, canonical URL, parse (named "record <index>") and
# warnings; refused: the reason, as one line.
Checked = tuple[bytes, str, ParsedFile, tuple[str, ...]] | str


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} is not a record value")


def check(fields: Any, index: int) -> Checked:
    """Return the file bytes, canonical URL, parse and warnings of a record (what a load
    of its file would warn of: a value dropped, a field under another name), or why it
    is refused."""
    if not isinstance(fields, dict):
        return (f"record {index}: expected a record (a mapping of fields), got "
                f"{type(fields).__name__}")
    try:
        text = json.dumps(fields, ensure_ascii=False, indent=2, sort_keys=True,
                          default=_json_default) + "\n"
    except (TypeError, ValueError) as e:
        return f"record {index}: {e}"
    parsed = ParsedFile(f"record {index}")
    parse_text(text, ".json", parsed)
    report = LoadReport()
    check_records(parsed.records, report)  # what a load of the file would report
    problems = parsed.errors + report.errors
    if problems:
        return "; ".join(p.reason for p in problems)
    rec = parsed.records[0]
    warnings = tuple(p.reason for p in parsed.warnings + report.warnings)
    for key in ("webUrl", "originalUrl"):
        raw = rec.fields.get(key)
        if isinstance(raw, str) and raw.strip():
            try:
                return text.encode(), canonical_url(raw), parsed, warnings
            except InvalidURLError:
                continue
    return f"record {index}: no valid URL"  # pragma: no cover


def check_batch(records: list[Any], first: int = 0) -> list[Checked]:
    """:func:`check` each record, numbered from ``first``."""
    return [check(fields, i) for i, fields in enumerate(records, start=first)]


class Checker:
    """Checks batches of records in a child process (see the module's docstring), or
    here when no child can be started safely. Thread-safe; the child is started on the
    first batch large enough."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._off = False  # no child: none can be started safely, or one failed

    def submit(self, records: list[Any]) -> Future[list[Checked]]:
        """Start checking ``records``; the future gives one :data:`Checked` each, in order.
        A batch the child cannot check (it died, or cannot be started) is checked here."""
        pool = self._child() if len(records) >= CHILD_MIN_RECORDS else None
        if pool is not None:
            try:
                future = pool.submit(check_batch, records)
            except RuntimeError as e:  # broken, or shut down meanwhile
                self._give_up(e)
            else:
                return _HereIfBroken(future, records, self)
        done: Future[list[Checked]] = Future()
        done.set_result(check_batch(records))
        return done

    def _child(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and not self._off:
                context = pool_context()
                if context is None:
                    self._off = True
                    return None
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=context,
                    initializer=_watch_parent, initargs=(os.getpid(), _started(os.getpid())))
            return self._pool

    def _give_up(self, error: BaseException) -> None:
        """Check here from now on (said once): the child failed."""
        with self._lock:
            if self._off:
                return
            self._off = True
            pool, self._pool = self._pool, None
        logger.warning("the ingest checker process failed (%s: %s); checking records in "
                       "the server", type(error).__name__, error)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """End the child, if one runs."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._off = True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class _HereIfBroken(Future[list[Checked]]):
    """The child's answer; if the child broke meanwhile, the batch checked here."""

    def __init__(self, inner: Future[list[Checked]], records: list[Any], checker: Checker):
        super().__init__()
        self._inner, self._records, self._checker = inner, records, checker
        inner.add_done_callback(self._take)

    def _take(self, inner: Future[list[Checked]]) -> None:
        if inner.cancelled():
            self.cancel()
            return
        try:
            self.set_result(inner.result())
        except Exception as e:  # noqa: BLE001 - the child died (killed, out of memory)
            self._checker._give_up(e)
            try:
                self.set_result(check_batch(self._records))
            except BaseException as here:  # noqa: BLE001 - the caller gets it
                self.set_exception(here)


def _watch_parent(parent: int, started: str | None) -> None:
    """In the child: exit once ``parent`` (the server, which started at ``started``) is
    gone. Its own parent is no sign: with ``forkserver`` that is the fork server, which
    lives on while a child it forked holds the server's end of its pipe — as this one
    does (multiprocessing hands it over so that the child could start processes too)."""
    def watch() -> None:
        while _started(parent) == started:
            time.sleep(_WATCH_S)
        os._exit(0)

    threading.Thread(target=watch, name="newsgraph-check-watch", daemon=True).start()


def _started(pid: int) -> str | None:
    """When process ``pid`` started (its clock ticks since boot, from ``/proc``: a pid
    taken again by another process has another), or None when there is none; where
    ``/proc`` cannot say, "alive" while a signal 0 reaches it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return None if fields[0] == b"Z" else fields[19].decode()
    except FileNotFoundError:
        return None
    except (OSError, IndexError):  # pragma: no cover - no /proc (not Linux)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return "alive"
        return "alive"
