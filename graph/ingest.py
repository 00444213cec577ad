"""Write records into a followed folder as files, and retract them, never half-written.

A record sent to :func:`ingest` is checked by exactly the rules a file is: it is
written out as the JSON file it will become, and that text is parsed and checked by
the build's own rules (:func:`graph.build.check_records`: the build without its graph);
a record a load would reject is refused with the load's reason. An
accepted record is written to ``<root>/ingested/<hash of its canonical URL>.json``
(a temporary hidden file, fsync, rename, fsync of the folder), so one canonical URL
is one file: sending it again updates that file or leaves it unchanged.

A batch is written by several threads at once (each file's fsync waits on the disk,
and concurrent ones share the filesystem journal's commits), its folder is made
durable with one fsync, and the batch is applied to the live graph as one change,
while other applies wait (:meth:`graph.live.LiveGraph.holding`), so the watcher never
builds a version of half a batch. Batches sent at once are written and applied
together, as one change (a group commit, :mod:`graph.groupcommit`): the fixed cost of a
new version is paid once per group, and each batch is still answered only once its
records are durable and in the current version. Given a :class:`~graph.budget.Budget`, a
batch stops between records once its deadline has passed: the records written before are
answered as usual, the ones after as NOT_ATTEMPTED (nothing of them written; sending them
again is safe). The apply runs in the follow's apply thread, holding the folder until it
ends; a batch whose deadline passes while it runs answers at once, its written records
acknowledged with ``visible`` False (durable, and in the version that apply makes).

:func:`retract` moves the files holding an article's records into
``<root>/.retracted/`` (hidden, so never loaded); nothing is destroyed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.budget import Budget
from graph.build import article_id, check_records
from graph.errors import BudgetExceeded, InvalidURLError, NewsgraphError
from graph.live import Held, LiveGraph
from graph.normalize import canonical_url
from graph.records import ParsedFile, parse_text
from graph.report import LoadReport

__all__ = ["Outcome", "ingest", "retract", "remove_partial", "INGEST_FOLDER", "RETRACTED_FOLDER",
           "CREATED", "UPDATED", "UNCHANGED", "REJECTED", "RETRACTED", "NOT_ATTEMPTED"]

INGEST_FOLDER = "ingested"
RETRACTED_FOLDER = ".retracted"
CREATED, UPDATED, UNCHANGED, REJECTED, RETRACTED, NOT_ATTEMPTED = (
    "CREATED", "UPDATED", "UNCHANGED", "REJECTED", "RETRACTED", "NOT_ATTEMPTED")

# Where a batch that never got the folder reached its time limit.
_WAITED = "waiting for the folder (held by another batch or change being applied)"
_WAIT_S = 0.05  # how often a batch waiting for its writes looks at its deadline
# Temporary files' names: the process id, a prefix and a count (unique among the writer
# threads, and among processes writing into one folder, forked ones too).
_TMP_PREFIX = secrets.token_hex(4) + "-"
_tmp_count = itertools.count()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record: its article id and status, or why it was refused;
    ``visible``: whether the current version holds it (see :func:`ingest`)."""

    status: str
    id: str | None = None
    path: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = field(default=())
    # False: written and durable, but the change holding it was still being applied at
    # the batch's deadline; it is in the next version made once that apply ends.
    visible: bool = True


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} is not a record value")


def _check(fields: Any, index: int) -> tuple[str, str, ParsedFile, tuple[str, ...]] | Outcome:
    """Return the file text, canonical URL, parse and warnings of a record (what a load of
    its file would warn of: a value dropped, a field under another name), or its refusal."""
    if not isinstance(fields, dict):
        return Outcome(REJECTED, error=f"record {index}: expected a record (a mapping of "
                                       f"fields), got {type(fields).__name__}")
    try:
        text = json.dumps(fields, ensure_ascii=False, indent=2, sort_keys=True,
                          default=_json_default) + "\n"
    except (TypeError, ValueError) as e:
        return Outcome(REJECTED, error=f"record {index}: {e}")
    parsed = ParsedFile(f"record {index}")
    parse_text(text, ".json", parsed)
    report = LoadReport()
    check_records(parsed.records, report)  # what a load of the file would report
    problems = parsed.errors + report.errors
    if problems:
        return Outcome(REJECTED, error="; ".join(p.reason for p in problems))
    rec = parsed.records[0]
    warnings = tuple(p.reason for p in parsed.warnings + report.warnings)
    for key in ("webUrl", "originalUrl"):
        raw = rec.fields.get(key)
        if isinstance(raw, str) and raw.strip():
            try:
                return text, canonical_url(raw), parsed, warnings
            except InvalidURLError:
                continue
    return Outcome(REJECTED, error=f"record {index}: no valid URL")  # pragma: no cover


def ingest(live: LiveGraph, records: list[Any], budget: Budget | None = None,
           ) -> list[Outcome]:
    """Write each acceptable record as a file in ``live``'s folder and apply the change.

    Returns one :class:`Outcome` per record, in order. A record is acknowledged
    (CREATED, UPDATED or UNCHANGED) only once its file is durably in place, and
    then once the current version holds it too — or, with a ``budget``, at its deadline
    if the apply of the written files still runs then: those records answer with
    ``visible`` False (written and durable, in the version that apply makes). With a
    ``budget``, its deadline is also checked before each record: once it has passed, no
    more records are written, and each one left is answered NOT_ATTEMPTED.

    Batches sent at once (several clients, or one pushing several at a time) are
    written and applied together (:class:`~graph.groupcommit.GroupCommit`): the batch
    that gets the folder takes the others waiting for it, their files are written by
    the writer threads at once, and one new version holds them all. Each batch is
    checked in its own thread before it waits.
    """
    folder = _folder(live) / INGEST_FOLDER
    batch = _Batch(records, budget)
    for index, fields in enumerate(records):
        if _past(budget):
            batch.outcomes += [_not_attempted(fields, i, budget)
                               for i, fields in enumerate(records[index:], start=index)]
            break
        checked = _check(fields, index)
        if isinstance(checked, Outcome):
            batch.outcomes.append(checked)
            continue
        text, url, parsed, warnings = checked
        batch.outcomes.append(None)
        batch.accepted.append((index, url, text.encode(), parsed, warnings))
    if batch.accepted and not live.batches.run(
            batch, live.holding, lambda apply, group: _commit(folder, live, apply, group),
            left=budget.left if budget is not None else None):
        # the folder stayed held (another batch or change applied) past the deadline
        batch.outcomes = [o if o is not None else
                          _not_attempted(records[i], i, budget, _WAITED)
                          for i, o in enumerate(batch.outcomes)]
    if batch.failed is not None:  # the files written are applied; the failure is the answer
        raise batch.failed
    if batch.applied is not None and not _applied_by(batch.applied, budget):
        # written and durable; the apply of the group's files goes on past the deadline
        batch.outcomes = [replace(o, visible=False) if o is not None and o.status in (
            CREATED, UPDATED, UNCHANGED) else o for o in batch.outcomes]
    return [o for o in batch.outcomes if o is not None]


def _applied_by(applied: Future[Any], budget: Budget | None) -> bool:
    """Wait for the apply of a batch's group until the batch's deadline (no deadline:
    until it ends); True once it ended. An apply's failure is raised."""
    left = budget.left() if budget is not None else None
    try:
        applied.result(timeout=None if left is None else max(left, 0.0))
    except TimeoutError:
        return False
    return True


@dataclass(slots=True)
class _Batch:
    """One call's records: their outcomes (None: accepted, not yet written) and what
    was accepted, ``(index, canonical URL, file bytes, parse, warnings)``."""

    records: list[Any]
    budget: Budget | None
    outcomes: list[Outcome | None] = field(default_factory=list)
    accepted: list[tuple[int, str, bytes, ParsedFile, tuple[str, ...]]] = field(
        default_factory=list)
    failed: BaseException | None = None
    applied: Future[Any] | None = None  # the apply of its group's files


def _commit(folder: Path, live: LiveGraph, apply: Held, group: list[_Batch]) -> None:
    """Write the accepted records of ``group``'s batches, in order, and apply them as
    one change; fill in each batch's outcomes (or its failure)."""
    with _Writes(folder, live.writers) as writes:
        paths = {(b, index): folder / (hashlib.blake2b(url.encode(), digest_size=10)
                                       .hexdigest() + ".json")
                 for b, batch in enumerate(group) for index, url, _, _, _ in batch.accepted}
        # What each file holds is looked at before any write starts: a lookup in the
        # folder waits behind the writers' creates and renames.
        on_disk = writes.held(list(paths.values()))
        holds: dict[Path, bytes | None] = {}  # what a file holds once earlier records land
        for b, batch in enumerate(group):
            for index, url, data, parsed, warnings in batch.accepted:
                path = paths[b, index]
                earlier = path in holds  # the same URL earlier in the group
                old = holds[path] if earlier else on_disk[path]
                holds[path] = data
                status = UNCHANGED if old == data else CREATED if old is None else UPDATED
                if status != UNCHANGED or earlier:  # a repeat lands (or not) after the first
                    writes.put((b, index), path, data, parsed)
                batch.outcomes[index] = Outcome(status, article_id(url), str(path),
                                                warnings=warnings)
        stopped: set[int] = set()
        while not writes.landed_all(_WAIT_S):
            past = {b for b, batch in enumerate(group)
                    if b not in stopped and _past(batch.budget)}
            if past:  # their writes not started: not attempted
                stopped.update(past)
                for b, index in writes.cancel(lambda key: key[0] in stopped):
                    batch = group[b]
                    batch.outcomes[index] = _not_attempted(batch.records[index], index,
                                                           batch.budget)
        written, failed = writes.finish()
        for (b, _), error in failed.items():
            group[b].failed = group[b].failed or error
        if written:
            # Applied in the follow's apply thread, which holds the folder until it is
            # done: each batch waits for it only until its own deadline.
            applied = apply.later(written, writes.known)
            for batch in group:
                batch.applied = applied


_Key = tuple[int, int]  # a record: its batch in the group, its place in the batch


class _Writes:
    """The files of a group of batches, written by a few threads at once, each durably
    (temp file, fsync, rename), the folder fsynced once at the end."""

    def __init__(self, folder: Path, pool: ThreadPoolExecutor) -> None:
        self.folder = folder
        self.pool = pool  # shared by the batches: 8 thread starts cost ~40 ms a batch
        self.writing: dict[Path, tuple[_Key, Future[None]]] = {}  # path: (record, write)
        self.landed: set[Path] = set()  # written by an earlier record of the group
        self.known: dict[str, tuple[bytes, ParsedFile]] = {}  # what each file will hold

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, *exc: object) -> None:
        """Drop this batch's writes not started; wait for those running."""
        for _, write in self.writing.values():
            write.cancel()
        wait([write for _, write in self.writing.values()])

    def held(self, paths: list[Path]) -> dict[Path, bytes | None]:
        """What each file holds now (None: no file), looked at by the writer threads at
        once: each look is a system call, after which the calling thread waits for the
        interpreter again — behind every busy query thread, one look after another."""
        looks = {path: self.pool.submit(_held, path) for path in dict.fromkeys(paths)}
        wait(looks.values())
        return {path: look.result() for path, look in looks.items()}

    def put(self, key: _Key, path: Path, data: bytes, parsed: ParsedFile) -> None:
        """Queue writing record ``key`` as ``data`` at ``path``; ``parsed`` is the parse
        of ``data``. All of a group is queued at once (the calling thread then waits once,
        not once per write it queues); the writes not started by a batch's deadline are
        dropped (:meth:`cancel`)."""
        if path in self.writing:  # the same URL twice in a group: in order
            self.writing[path][1].result()
            self.landed.add(path)
        if not self.writing:
            self.folder.mkdir(parents=True, exist_ok=True)
        write = self.pool.submit(_write_durably, path, data)
        self.writing[path] = (key, write)
        self.known[str(path)] = (data, _named(parsed, str(path)))

    def landed_all(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the writes; True once every one ended."""
        _, left = wait([write for _, write in self.writing.values()], timeout=timeout)
        return not left

    def cancel(self, which: Callable[[_Key], bool]) -> list[_Key]:
        """Drop the writes of the records ``which`` says not started yet; return them."""
        dropped = [(path, key) for path, (key, write) in self.writing.items()
                   if which(key) and write.cancel()]
        for path, _ in dropped:
            del self.writing[path]
        return [key for _, key in dropped]

    def finish(self) -> tuple[list[Path], dict[_Key, BaseException]]:
        """Wait for the writes; make their renames durable; return the files written and
        the records whose write failed, with the failure."""
        failed = {key: error for key, write in self.writing.values()
                  if (error := write.exception()) is not None}
        written = sorted(self.landed | {path for path, (_, write) in self.writing.items()
                                        if write.exception() is None})
        if written:
            _fsync_folder(self.folder)  # the renames, made durable once for the batch
        return written, failed


def _held(path: Path) -> bytes | None:
    """The bytes of the file at ``path``, None when there is none."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _named(parsed: ParsedFile, name: str) -> ParsedFile:
    """The parse of a record's text, as the file ``name`` holding it would be parsed."""
    return ParsedFile(name, [replace(r, path=name) for r in parsed.records],
                      [replace(p, path=name) for p in parsed.errors],
                      [replace(p, path=name) for p in parsed.warnings])


def _past(budget: Budget | None) -> bool:
    """Whether the batch's deadline has passed. Only the deadline: a batch never waits
    for a turn among a server's long operations (its ``pace``, schema/lanes.py), since it
    holds the folder meanwhile and every apply (the watcher's too) would wait with it;
    it runs beside the lane's holder instead."""
    if budget is None:
        return False
    try:
        budget.check_deadline()
    except BudgetExceeded:
        return True
    return False


def _not_attempted(fields: Any, index: int, budget: Budget | None,
                   where: str = "before this record") -> Outcome:
    """The answer for a record a batch stopped before: nothing of it was written.
    ``where``: when the batch reached its time limit."""
    seconds = f" of {budget.seconds:g} s" if budget is not None and budget.seconds else ""
    node = None
    if isinstance(fields, dict):
        for key in ("webUrl", "originalUrl"):
            raw = fields.get(key)
            if isinstance(raw, str):
                try:
                    node = article_id(canonical_url(raw))
                    break
                except InvalidURLError:
                    continue
    return Outcome(NOT_ATTEMPTED, node, error=(
        f"record {index}: not attempted: the batch reached its time limit{seconds} {where}, "
        "and nothing of it was written; send it again (ingest is idempotent by canonical "
        "URL: a record already written answers UNCHANGED)"))


def retract(live: LiveGraph, url: str, budget: Budget | None = None) -> Outcome:
    """Move the files holding the records of the article at ``url`` out of the corpus
    (into ``.retracted/``) and apply the change; refuse when a file holds other records.
    With a ``budget``, wait for the folder (held by a batch or an apply) only until its
    deadline: then nothing is moved, and the answer is NOT_ATTEMPTED."""
    try:
        node = article_id(canonical_url(url))
    except InvalidURLError as e:
        return Outcome(REJECTED, error=str(e))
    kg = live.current()
    if node not in kg or kg[node].get("is_stub"):
        return Outcome(REJECTED, id=node, error=f"no record of {node!r} in the corpus "
                                                "(a stub has no file of its own)")
    files = sorted({source.rsplit(":", 1)[0] if source.rsplit(":", 1)[-1].isdigit()
                    else source for source in kg[node]["sources"]})
    others = [f for f in files if live.records_in(f) > 1]
    if others:
        return Outcome(REJECTED, id=node, error=(
            f"{others[0]!r} holds other records too: edit that file to remove the story"))
    root = _folder(live)
    left = budget.left() if budget is not None else None
    try:
        # The files move while the folder is held: no apply sees half of them gone.
        with live.holding(None if left is None else max(left, 0.0)) as apply:
            moved = []
            for name in files:
                src = Path(name)
                rel = os.path.relpath(src, root)
                dst = _unused(root / RETRACTED_FOLDER / rel)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                _fsync_folder(src.parent)
                _fsync_folder(dst.parent)
                moved.append(src)
            apply(moved)
    except TimeoutError:
        seconds = f" of {budget.seconds:g} s" if budget is not None and budget.seconds else ""
        return Outcome(NOT_ATTEMPTED, id=node, error=(
            f"not attempted: the retraction reached its time limit{seconds} {_WAITED}, "
            "and nothing was moved; send it again"))
    return Outcome(RETRACTED, id=node, path=", ".join(files))


def _unused(path: Path) -> Path:
    """``path``, or ``name.1.md``, ``name.2.md``... beside it when a story retracted before
    from the same file is there (a move onto it would destroy it)."""
    n = 0
    found = path
    while found.exists():
        n += 1
        found = path.with_name(f"{path.stem}.{n}{path.suffix}")
    return found


def remove_partial(root: Path) -> list[Path]:
    """Delete the temporary files a crash left in ``root/ingested`` (never loaded: hidden);
    return them. A record acknowledged before the crash is in its final file already."""
    folder = Path(root) / INGEST_FOLDER
    if not folder.is_dir():
        return []
    left = [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    for path in left:
        path.unlink(missing_ok=True)
    return left


def _folder(live: LiveGraph) -> Path:
    if not live.root.is_dir():
        raise NewsgraphError(f"records are written into a folder; {str(live.root)!r} is a file")
    return live.root


def _write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new, whole;
    the caller makes the rename durable with one fsync of the folder.

    Five system calls (open, write, fsync, close, rename) and nothing else: after each
    one the writer thread waits for the interpreter again, behind every busy query
    thread — a buffered file object and a random name per file added four more."""
    unique = f"{os.getpid()}-{_TMP_PREFIX}{next(_tmp_count)}"
    tmp = path.with_name(f".{path.name}.{unique}.tmp")  # hidden: never loaded
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
