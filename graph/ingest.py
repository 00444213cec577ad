"""Write records into a followed folder as files, and retract them, never half-written.

A record sent to :func:`ingest` is checked by exactly the rules a file is: it is
written out as the JSON file it will become, and that text is parsed and checked by
the build's own rules (:func:`graph.build.check_records`: the build without its graph);
a record a load would reject is refused with the load's reason. A batch of
:data:`~graph.recordcheck.CHILD_MIN_RECORDS` or more is checked in a child process of
its own (:mod:`graph.recordcheck`: the check needs no graph, and the server's one
interpreter is the bound under sustained ingest). An
accepted record is written to ``<root>/ingested/<hash of its canonical URL>.json``
(a temporary hidden file, fsync, rename, fsync of the folder), so one canonical URL
is one file: sending it again updates that file or leaves it unchanged.

A batch's temporary files are written and fsynced by several threads at once (each
fsync waits on the disk, and concurrent ones share the filesystem journal's commits)
before the folder is held — while the previous group's renames or apply hold it — and
holding the folder it only renames them into place and makes the folder durable with
one fsync; the batch is then applied to the live graph as one change, while other
applies wait (:meth:`graph.live.LiveGraph.holding`), so the watcher never builds a
version of half a batch. Batches sent at once are landed and applied together, as one
change (a group commit, :mod:`graph.groupcommit`): the fixed cost of a new version is
paid once per group, and each batch is still answered only once its records are
durable and in the current version. Given a :class:`~graph.budget.Budget`, a
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
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from graph.budget import Budget
from graph.build import article_id
from graph.errors import BudgetExceeded, InvalidURLError, NewsgraphError
from graph.live import Held, LiveGraph
from graph.normalize import canonical_url
from graph.recordcheck import CHILD_MIN_RECORDS, Checked, Checker, check
from graph.records import ParsedFile, compiled_filestats

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


def _check(fields: Any, index: int) -> tuple[str, str, ParsedFile, tuple[str, ...]] | Outcome:
    """Return the file text, canonical URL, parse and warnings of a record (what a load of
    its file would warn of: a value dropped, a field under another name), or its refusal."""
    return _outcome(check(fields, index))


def _outcome(checked: Checked) -> tuple[str, str, ParsedFile, tuple[str, ...]] | Outcome:
    if isinstance(checked, str):
        return Outcome(REJECTED, error=checked)
    data, url, parsed, warnings = checked
    return data.decode(), url, parsed, warnings


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

    Each record's bytes are written to a hidden temporary file and fsynced before the
    folder is held, while another group's writes or apply hold it; holding the folder,
    a batch only renames its files into place and fsyncs the folder once. Batches sent
    at once (several clients, or one pushing several at a time) are landed and applied
    together (:class:`~graph.groupcommit.GroupCommit`): the batch that gets the folder
    takes the others waiting for it, and one new version holds them all. Each batch is
    checked and written in its own thread before it waits.
    """
    if isinstance(records, str | bytes | Mapping):
        # Iterated, a dict gave its keys and a str its characters, each a REJECTED record.
        raise TypeError(f"ingest takes a list of records (each a mapping of fields); got one "
                        f"{type(records).__name__} {records!r:.60}: put it in a list")
    folder = _folder(live) / INGEST_FOLDER
    batch = _Batch(records, budget)
    for index, checked in _checked(live.checker, records, budget):
        if checked is None:  # the deadline passed before it: so it did for the rest too
            batch.outcomes += [_not_attempted(fields, i, budget)
                               for i, fields in enumerate(records[index:], start=index)]
            break
        if isinstance(checked, str):
            batch.outcomes.append(Outcome(REJECTED, error=checked))
            continue
        data, url, parsed, warnings = checked
        batch.outcomes.append(None)
        batch.accepted.append((index, url, data, parsed, warnings))
    try:
        if batch.accepted:
            _stage(folder, live.stagers, batch)
        if batch.accepted and not live.batches.run(
                batch, live.holding, lambda apply, group: _commit(folder, live, apply, group),
                left=budget.left if budget is not None else None):
            # the folder stayed held (another batch or change applied) past the deadline
            batch.outcomes = [o if o is not None else
                              _not_attempted(records[i], i, budget, _WAITED)
                              for i, o in enumerate(batch.outcomes)]
            batch.spare += [tmp.path for tmp in batch.staged.values() if tmp is not None]
    finally:
        for tmp in batch.spare:  # never renamed into place: the folder is not held for this
            tmp.unlink(missing_ok=True)
    if batch.failed is not None:  # the files written are applied; the failure is the answer
        raise batch.failed
    if batch.applied is not None and not _applied_by(batch.applied, budget):
        # written and durable; the apply of the group's files goes on past the deadline
        batch.outcomes = [replace(o, visible=False) if o is not None and o.status in (
            CREATED, UPDATED, UNCHANGED) else o for o in batch.outcomes]
    elif batch.applied is not None:
        batch.outcomes = _lost_said(live, batch.outcomes)
    return [o for o in batch.outcomes if o is not None]


def _checked(checker: Checker, records: list[Any], budget: Budget | None,
             ) -> Iterator[tuple[int, Checked | None]]:
    """Each record's check, in order, until the deadline: then None for the record the
    batch stops before. A batch is checked by ``checker``'s child process when it has
    one (graph/recordcheck.py), waited for until the deadline; else here, one record
    after another, the deadline looked at before each."""
    if len(records) >= CHILD_MIN_RECORDS and not _past(budget):
        left = budget.left() if budget is not None else None
        try:
            answers = checker.submit(records).result(
                timeout=None if left is None else max(left, 0.0))
        except TimeoutError:
            yield 0, None
            return
        for index, checked in enumerate(answers):
            if _past(budget):
                yield index, None
                return
            yield index, checked
        return
    for index, fields in enumerate(records):
        if _past(budget):
            yield index, None
            return
        yield index, check(fields, index)


def _lost_said(live: LiveGraph, outcomes: list[Outcome | None]) -> list[Outcome | None]:
    """Add to each record written whose article another file of the corpus holds, and
    wins (published later, ...), the load's word for it: the version served shows that
    file's record, not the one pushed, which its pusher would not learn otherwise."""
    written = {o.path: i for i, o in enumerate(outcomes)
               if o is not None and o.path is not None and o.status in (CREATED, UPDATED,
                                                                         UNCHANGED)}
    if not written:
        return outcomes
    out = list(outcomes)
    for problem in live.current().report.warnings:
        i = written.get(problem.path)
        if i is not None and problem.reason.startswith("duplicate of "):
            lost = out[i]
            assert lost is not None
            out[i] = replace(lost, warnings=(*lost.warnings,
                                             f"not the record served: {problem.reason}"))
    return out


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
    was accepted, ``(index, canonical URL, file bytes, parse, warnings)``; each accepted
    record's file (``paths``) and the temporary file holding its bytes (``staged``; None
    when its file held those bytes already), by its index; the temporary files to remove
    once its group is done (``spare``: never renamed into place)."""

    records: list[Any]
    budget: Budget | None
    outcomes: list[Outcome | None] = field(default_factory=list)
    accepted: list[tuple[int, str, bytes, ParsedFile, tuple[str, ...]]] = field(
        default_factory=list)
    paths: dict[int, Path] = field(default_factory=dict)
    staged: dict[int, Staged | None] = field(default_factory=dict)
    spare: list[Path] = field(default_factory=list)
    failed: BaseException | None = None
    applied: Future[Any] | None = None  # the apply of its group's files


def _stage(folder: Path, pool: ThreadPoolExecutor, batch: _Batch) -> None:
    """Write each accepted record of ``batch`` to a temporary file beside its own and
    fsync it, by ``pool``'s threads at once (:attr:`~graph.live.LiveGraph.stagers`, not the
    threads that work holding the folder), before the folder is held (while another
    group's renames or apply hold it). Records whose write has not started by the
    batch's deadline are NOT_ATTEMPTED; a failed write is the batch's failure. Either
    way the record leaves ``batch.accepted``."""
    folder.mkdir(parents=True, exist_ok=True)
    writes: dict[int, Future[Staged | None]] = {}
    for index, url, data, _, _ in batch.accepted:
        path = folder / (hashlib.blake2b(url.encode(), digest_size=10).hexdigest() + ".json")
        batch.paths[index] = path
        writes[index] = pool.submit(_write_temporary, path, data)
    dropped: set[int] = set()
    while wait(writes.values(), timeout=_WAIT_S).not_done:
        if _past(batch.budget):  # the writes not started: not attempted
            dropped = {index for index, write in writes.items() if write.cancel()}
            # (a cancelled write counts as done only once a writer thread dequeues it)
            wait([write for index, write in writes.items() if index not in dropped])
            break
    kept = []
    for entry in batch.accepted:
        index = entry[0]
        write = writes[index]
        if index in dropped:
            batch.outcomes[index] = _not_attempted(batch.records[index], index, batch.budget)
        elif (error := write.exception()) is not None:
            batch.failed = batch.failed or error
        else:
            batch.staged[index] = write.result()
            kept.append(entry)
    batch.accepted = kept


def _commit(folder: Path, live: LiveGraph, apply: Held, group: list[_Batch]) -> None:
    """Holding the folder: rename the written files of ``group``'s batches into place
    (the last record of each file, in the order the batches were queued), fsync the
    folder, and hand their apply to the apply thread; fill in each batch's outcomes
    (or its failure)."""
    last: dict[Path, tuple[int, int]] = {}  # a file: the group's last record for it
    entries: dict[tuple[int, int], tuple[bytes, ParsedFile]] = {}
    for b, batch in enumerate(group):
        for index, _, data, parsed, _ in batch.accepted:
            last[batch.paths[index]] = (b, index)
            entries[b, index] = (data, parsed)
    with _Writes(folder, live.writers) as writes:
        for path, (b, index) in last.items():
            data, parsed = entries[b, index]
            writes.put((b, index), path, group[b].staged[index], data, parsed)
        written, failed = writes.finish()
    failed_paths = {path: error for path, (key, _) in writes.writing.items()
                    if (error := failed.get(key)) is not None}
    holds = dict(writes.before)  # what each file holds as the group's records land
    for b, batch in enumerate(group):
        for index, url, data, _, warnings in batch.accepted:
            path = batch.paths[index]
            if path in failed_paths:
                batch.failed = batch.failed or failed_paths[path]
            old = holds.get(path)
            holds[path] = data
            status = UNCHANGED if old == data else CREATED if old is None else UPDATED
            batch.outcomes[index] = Outcome(status, article_id(url), str(path),
                                            warnings=warnings)
            tmp = batch.staged[index]
            if tmp is not None and (b, index) not in writes.renamed:
                batch.spare.append(tmp.path)
    if written:
        # Applied in the follow's apply thread, which holds the folder until it is
        # done: each batch waits for it only until its own deadline.
        applied = apply.later(written, writes.known, writes.signed)
        for batch in group:
            batch.applied = applied


_Key = tuple[int, int]  # a record: its batch in the group, its place in the batch
_Signature = tuple[int, int, int]  # a file's size, modification time (ns), inode


class _Writes:
    """A group's files landed by a few threads at once, holding the folder: each one
    looked at, then its temporary file renamed into place unless it holds those bytes
    already; the folder fsynced once at the end."""

    def __init__(self, folder: Path, pool: ThreadPoolExecutor) -> None:
        self.folder = folder
        self.pool = pool  # shared by the batches: 8 thread starts cost ~40 ms a batch
        self.writing: dict[Path, tuple[_Key, Future[tuple[bytes | None, _Signature | None]]]] = {}
        self.before: dict[Path, bytes | None] = {}  # what each file held (None: no file)
        self.renamed: set[_Key] = set()  # the records whose temporary file is in place
        self.known: dict[str, tuple[bytes, ParsedFile]] = {}  # what each file now holds
        # Each file's signature as its temporary file was written (and renamed, which
        # keeps it): the apply reads back no file whose signature is still that one.
        self.signed: dict[str, tuple[int, int, int]] = {}

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, *exc: object) -> None:
        """Wait for the landings under way."""
        wait([landing for _, landing in self.writing.values()])

    def put(self, key: _Key, path: Path, tmp: Staged | None, data: bytes,
            parsed: ParsedFile) -> None:
        """Land record ``key`` (the group's last for ``path``): ``tmp`` holds ``data``,
        durably (None: ``path`` held ``data`` when it was written; if it no longer does,
        ``data`` is written now); ``parsed`` is the parse of ``data``."""
        self.writing[path] = (key, self.pool.submit(_land, path, tmp, data))
        self.known[str(path)] = (data, _named(parsed, str(path)))

    def finish(self) -> tuple[list[Path], dict[_Key, BaseException]]:
        """Wait for the landings; make their renames durable; return the files written and
        the records whose landing failed, with the failure."""
        wait([landing for _, landing in self.writing.values()])
        failed: dict[_Key, BaseException] = {}
        written = []
        for path, (key, landing) in self.writing.items():
            if (error := landing.exception()) is not None:
                failed[key] = error
                self.known.pop(str(path))
                continue
            self.before[path], landed = landing.result()
            if landed is not None:
                written.append(path)
                self.renamed.add(key)
                self.signed[str(path)] = landed
            else:
                self.known.pop(str(path))
        if written:
            _fsync_folder(self.folder)  # the renames, made durable once for the group
        return sorted(written), failed


def _land(path: Path, tmp: Staged | None, data: bytes,
          ) -> tuple[bytes | None, tuple[int, int, int] | None]:
    """Put ``data`` at ``path`` (holding the folder); return what ``path`` held before and,
    when it changed, the signature the file has now (None: unchanged). ``tmp`` holds
    ``data`` durably already (None: none was written, since ``path`` held ``data``
    then)."""
    old = _held(path)
    if old == data:
        return old, None
    if tmp is None:  # the file changed since it was looked at: written now
        tmp = _write_temporary(path, data, look=False)
        assert tmp is not None
        try:
            os.replace(tmp.path, path)
        except BaseException:
            tmp.path.unlink(missing_ok=True)
            raise
    else:
        os.replace(tmp.path, path)
    return old, tmp.signature


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


class Staged(NamedTuple):
    """A record's bytes written to a hidden temporary file, fsynced: the file, and its
    signature (size, modification time, inode) then, which its rename keeps."""

    path: Path
    signature: tuple[int, int, int]


# A file written whole and fsynced in one call that lets the interpreter go once
# (graph/_native/filestats.c), or None: os's calls, one wait for the interpreter each.
_write_synced: Callable[[Path, bytes], tuple[int, int, int]] | None = getattr(
    compiled_filestats(), "write_synced", None)


def _write_temporary(path: Path, data: bytes, look: bool = True) -> Staged | None:
    """Write ``data`` to a hidden temporary file beside ``path`` and fsync it; return it
    and its signature (a rename makes it ``path``: a crash leaves the old file or the
    new, whole, and a temporary file that the next start removes). With ``look``, return
    None instead when ``path`` holds ``data`` already.

    Six system calls (open, write, fsync, fstat, close; the rename later) and nothing
    else: after each one os's functions let the interpreter go, and the writer thread
    waits for it again behind every busy query thread — a buffered file object and a
    random name per file added four more. ``_write_synced`` (compiled) makes the five
    in one call, one wait (ing37). The fstat spares the apply a read of the file (four
    calls) holding the folder."""
    if look and _held(path) == data:
        return None
    unique = f"{os.getpid()}-{_TMP_PREFIX}{next(_tmp_count)}"
    tmp = path.with_name(f".{path.name}.{unique}.tmp")  # hidden: never loaded
    write = _write_synced
    try:
        if write is not None:
            return Staged(tmp, write(tmp, data))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Staged(tmp, (st.st_size, st.st_mtime_ns, st.st_ino))


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
