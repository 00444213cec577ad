"""A followed corpus: the graph of a folder as it changes, one immutable version at a time.

``graph.follow(path)`` parses every file once and keeps each file's records. When
files change, :meth:`LiveGraph.apply` re-parses only those files (and the ones that
appeared or vanished from the listing), then builds the next version from the kept
records by exactly the loading rules of :func:`graph.load`, so that after any
sequence of changes the live graph equals a cold load of the folder as it now is:
duplicate URL winners, stubs that appear and vanish, topic spellings, the report.

A version is never changed once made: :meth:`LiveGraph.current` hands out the
newest :class:`KnowledgeGraph`, and a reader keeps the one it took for as long as
it needs it. The version id is a hash over the sorted (relative path, content hash)
pairs of the record files, so two followers of the same folder report the same id.

Applying a change rebuilds the graph and its read index from the kept records
(parsing is the costly part of a load, and it is skipped for unchanged files); it
does not yet patch the previous version in place. See docs/live.md.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.build import ARTICLE, build_graph
from graph.errors import NewsgraphError
from graph.kg import KnowledgeGraph
from graph.loader import parse_files
from graph.records import (
    DEFAULT_MAX_FILE_BYTES,
    Listing,
    ParsedFile,
    Record,
    list_files,
    parse_file,
)
from graph.report import LoadReport

__all__ = ["LiveGraph", "Change", "follow"]

_COUNTS = ("records", "articles", "stubs", "providers", "topics", "edges")


@dataclass(frozen=True, slots=True)
class Change:
    """One applied change: the version it made, from which, and what it touched.

    ``added``, ``updated`` and ``removed`` are article node ids (stubs included)
    whose attributes or edges differ between ``previous`` and ``version``;
    ``files`` are the record files that were added, edited or deleted; ``graph`` is
    the new version's graph.
    """

    version: str
    previous: str | None
    made_at: datetime
    files: tuple[str, ...]
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    counts: dict[str, Any] = field(default_factory=dict)
    graph: KnowledgeGraph | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class _File:
    parsed: ParsedFile
    digest: str
    signature: tuple[int, int, int] | None  # (size, mtime_ns, inode) when parsed


def follow(path: str | os.PathLike[str], *,
           max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, include: Sequence[str] = (),
           follow_symlinks: bool = False) -> LiveGraph:
    """Load a folder and keep following it; return the :class:`LiveGraph`.

    Parameters
    ----------
    path : path-like
        A folder of record files (read recursively) or one file.
    max_file_bytes, include, follow_symlinks
        As in :func:`graph.load`.

    Returns
    -------
    LiveGraph
        ``.current()`` is the graph now; call ``.apply(paths)`` (or let
        :func:`graph.watch.watch` call it) when files change.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.md").write_text("---\\ntitle: A\\nwebUrl: https://x.org/a\\n---\\n")
    >>> live = follow(root)
    >>> live.current().report.articles
    1
    >>> _ = (root / "b.md").write_text("---\\ntitle: B\\nwebUrl: https://x.org/b\\n---\\n")
    >>> change = live.apply([root / "b.md"])
    >>> change.added, live.current().report.articles
    (('article:https://x.org/b',), 2)
    """
    return LiveGraph(path, max_file_bytes=max_file_bytes, include=include,
                     follow_symlinks=follow_symlinks)


class LiveGraph:
    """The graph of a followed folder: ``.current()``, ``.version``, ``.on_change``."""

    def __init__(self, path: str | os.PathLike[str], *,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, include: Sequence[str] = (),
                 follow_symlinks: bool = False):
        self.root = Path(path)
        if not self.root.exists():
            raise NewsgraphError(f"no such file or folder: {str(self.root)!r}")
        self.max_file_bytes = max_file_bytes
        self.include = tuple(include)
        self.follow_symlinks = follow_symlinks
        self._files: dict[str, _File] = {}
        self._callbacks: list[Callable[[Change], None]] = []
        self._lock = threading.Lock()  # one apply at a time; readers never wait
        # Changes asked for while an apply runs wait here, and the next apply takes them
        # all: concurrent callers share one rebuild instead of queueing one each.
        self._queue_lock = threading.Lock()
        self._queued: set[str] | None = set()  # None: rescan everything
        self._asked = self._applied = 0
        self._stale = False  # kept parses newer than the current version (a failed build)
        listing = self._list()
        names = listing.names
        signatures = [_signature(name) for name in names]  # before reading: a later edit shows
        parses = parse_files(names, max_file_bytes, include=self.include)
        for name, signature, parsed in zip(names, signatures, parses, strict=True):
            self._files[name] = _File(parsed, _digest(name, max_file_bytes), signature)
        self._listing = listing
        self._kg = self._assemble()

    def current(self) -> KnowledgeGraph:
        """Return the newest version's graph; it never changes, so keep it for a request."""
        return self._kg

    def on_change(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after each applied change; return a function that
        stops it. Callbacks run in the thread that applied the change."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def records_in(self, name: str) -> int:
        """Return how many records the kept parse of file ``name`` holds (0 if unknown)."""
        kept = self._files.get(name)
        return len(kept.parsed.records) if kept is not None else 0

    def apply(self, paths: Iterable[str | os.PathLike[str]] | None = None) -> Change | None:
        """Re-read the given changed paths (files or folders; every file when None) and
        make the next version; return the :class:`Change`, or None when nothing changed
        (or when another thread's apply, running meanwhile, took these paths with its own:
        by the time this returns, the current version includes them either way)."""
        with self._queue_lock:
            self._asked += 1
            ticket = self._asked
            if paths is None or self._queued is None:
                self._queued = None
            else:
                self._queued.update(os.fspath(p) for p in paths)
        with self._lock:
            if self._applied >= ticket:
                return None
            with self._queue_lock:
                batch, self._queued = self._queued, set()
                upto = self._asked
            try:
                return self._apply(batch)
            finally:
                self._applied = upto

    # -- the work ---------------------------------------------------------------

    def _apply(self, paths: Iterable[str | os.PathLike[str]] | None) -> Change | None:
        listing = self._list()
        names = listing.names
        listed = set(names)
        touched = self._touched(names, paths)
        gone = [name for name in self._files if name not in listed]
        changed: list[str] = []
        before: dict[str, ParsedFile] = {}
        for name in gone:
            before[name] = self._files.pop(name).parsed
            changed.append(name)
        for name in names:
            old = self._files.get(name)
            if old is not None and name not in touched:
                continue
            new = self._read(name)
            if old is not None and old.digest == new.digest and old.parsed == new.parsed:
                old.signature = new.signature
                continue
            if old is not None:
                before[name] = old.parsed
            self._files[name] = new
            changed.append(name)
        if not changed and not self._stale and (listing.errors, listing.skipped) == (
                self._listing.errors, self._listing.skipped):
            return None
        self._listing = listing
        old_kg, previous = self._kg, self.version
        self._stale = True  # until the build below succeeds: the next apply builds again
        kg = self._kg = self._assemble()
        self._stale = False
        added, updated, removed = _articles_changed(
            old_kg, kg, before.values(), (self._files[n].parsed for n in changed
                                          if n in self._files))
        r = kg.report
        change = Change(self.version, previous, self.made_at, tuple(sorted(changed)), added,
                        updated, removed, {name: getattr(r, name) for name in _COUNTS}, kg)
        for callback in list(self._callbacks):
            callback(change)
        return change

    def _touched(self, names: list[str],
                 paths: Iterable[str | os.PathLike[str]] | None) -> set[str]:
        """Return the listed names the changed ``paths`` name or contain; all of them for
        None. Without a path, a file whose size, time or inode moved counts as touched."""
        if paths is None:
            return {n for n in names if n not in self._files
                    or _signature(n) != self._files[n].signature}
        wanted = [os.path.abspath(p) for p in paths]
        exact = set(wanted)
        folders = tuple(w.rstrip(os.sep) + os.sep for w in wanted)
        touched = set()
        for name in names:
            full = os.path.abspath(name)
            if full in exact or full.startswith(folders):
                touched.add(name)
        return touched

    def _list(self) -> Listing:
        return list_files(self.root, follow_symlinks=self.follow_symlinks)

    def _read(self, name: str) -> _File:
        signature = _signature(name)
        parsed = parse_file(Path(name), max_bytes=self.max_file_bytes, include=self.include)
        return _File(parsed, _digest(name, self.max_file_bytes), signature)

    @property
    def version(self) -> str:
        """The id of the newest version: a hash of the corpus content."""
        return self._kg.version or ""

    @property
    def made_at(self) -> datetime:
        """When the newest version was made."""
        return self._kg.made_at or datetime.min.replace(tzinfo=UTC)

    def _assemble(self) -> KnowledgeGraph:
        """Build a version from the kept parses, as :func:`graph.load` builds one."""
        names = sorted(self._files, key=lambda name: name.replace(os.sep, "\0"))
        report = LoadReport()
        report.errors.extend(self._listing.errors)
        report.skipped.extend(self._listing.skipped)

        def records() -> Iterator[Record]:
            for name in names:
                parsed = self._files[name].parsed
                report.count_file(parsed)
                yield from parsed.records

        built = LoadReport()
        g = build_graph(records(), built)
        for name in _COUNTS:
            setattr(report, name, getattr(built, name))
        report.errors.extend(built.errors)
        report.warnings.extend(built.warnings)
        report.skipped.sort(key=lambda p: p.path.replace(os.sep, "\0"))
        kg = KnowledgeGraph(g, report)
        kg.version = self._version_of(names)
        kg.made_at = datetime.now(UTC)
        return kg

    def _version_of(self, names: list[str]) -> str:
        base = self.root if self.root.is_dir() else self.root.parent
        pairs = sorted((os.path.relpath(n, base), self._files[n].digest) for n in names)
        h = hashlib.blake2b(digest_size=8)
        for rel, digest in pairs:
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + digest.encode() + b"\n")
        return h.hexdigest()


def _signature(name: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(name)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _digest(name: str, max_bytes: int) -> str:
    """Return a hash of a file's bytes (up to the size limit); never opens a pipe for
    reading, as :func:`graph.records.parse_file` does not."""
    h = hashlib.blake2b(digest_size=16)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        return f"unreadable:{e.errno}"
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return "not-a-file"
        if st.st_size > max_bytes:
            return f"too-big:{st.st_size}"
        h.update(f.read(max_bytes + 1))
    return h.hexdigest()


def _articles_changed(old: KnowledgeGraph, new: KnowledgeGraph,
                      before: Iterable[ParsedFile], after: Iterable[ParsedFile],
                      ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Return the article ids added, updated and removed between two versions, looking
    only at the articles the changed files named (their records and related entries)."""
    from graph.build import article_id
    from graph.errors import InvalidURLError
    from graph.normalize import canonical_url

    candidates: set[str] = set()
    for parsed in (*before, *after):
        for rec in parsed.records:
            entries = [rec.fields]
            related = rec.fields.get("related")
            if isinstance(related, list):
                entries += [r for r in related if isinstance(r, dict)]
            for fields in entries:
                for key in ("webUrl", "originalUrl"):
                    raw = fields.get(key)
                    if isinstance(raw, str) and raw.strip():
                        try:
                            candidates.add(article_id(canonical_url(raw)))
                        except InvalidURLError:
                            pass
    added, updated, removed = [], [], []
    for node in sorted(candidates):
        was, now = node in old.nx, node in new.nx
        if now and new.nx.nodes[node].get("kind") != ARTICLE:
            continue
        if was and not now:
            removed.append(node)
        elif now and not was:
            added.append(node)
        elif now and (old.nx.nodes[node] != new.nx.nodes[node]
                      or _edges(old, node) != _edges(new, node)):
            updated.append(node)
    return tuple(added), tuple(updated), tuple(removed)


def _edges(kg: KnowledgeGraph, node: str) -> set[tuple[str, str, str]]:
    g = kg.nx
    return ({(node, v, k) for _, v, k in g.out_edges(node, keys=True)}
            | {(u, node, k) for u, _, k in g.in_edges(node, keys=True)})
