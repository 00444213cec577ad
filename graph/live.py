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

Applying a change costs what the change touches, not the corpus: the build is kept
per canonical URL (graph/incremental.py) and redone only for the URLs the changed
files' records hold or link to; the next networkx graph shares every untouched node
with the previous one; the read index and the analytics requests read at once are
carried over from the previous version (graph/reindex.py, graph/carry.py). The version id is a hash
of a sum of per-file hashes, updated per file. See docs/live.md.

With a snapshot cache (``follow(path, cache=...)``), the first version is the folder's
snapshot when it is fresh, and the build state is read back from it
(graph/followcache.py); the state keeps records by reference, reading a file again when
a change needs its records (graph/incremental.py), and its large maps stay in the
snapshot file, read when a change uses them (graph/storedmap.py). What changes leave as
objects (edges in dicts, state entries read) is packed back in a thread
(:meth:`LiveGraph.compact`, graph/compaction.py).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph import firststart, heap, packchild, snapshot
from graph.build import topic_id
from graph.carry import carry_analytics
from graph.change import COUNTS, Change, articles_changed
from graph.compaction import edges_held, pack_edges, swap_edges
from graph.errors import NewsgraphError
from graph.filestate import (
    KeptFile,
    bytes_digest,
    content_digest,
    file_signature,
    lies_in,
    read_plain,
)
from graph.firststart import read_in_child
from graph.followcache import FollowCache, Start
from graph.groupcommit import GroupCommit
from graph.incremental import (
    BuildState,
    FileMoved,
    SnapshotMoved,
    file_key,
)
from graph.kg import KnowledgeGraph
from graph.loader import POOL_MIN_FILES, WANTING_SAID, parse_files
from graph.progress import ProgressCallback, Step, checked
from graph.recordcheck import Checker
from graph.records import (
    DEFAULT_MAX_FILE_BYTES,
    Listing,
    ParsedFile,
    check_include,
    corpus_root,
    list_files,
    lone_surrogate,
    missing_path,
    not_read_for_want,
    parse_file,
)
from graph.reindex import next_index
from graph.storedmap import Packed, StoredMap, will_need

__all__ = ["LiveGraph", "Held", "follow"]

_MOD = 1 << 128
# Files written (and fsynced) at once by graph.ingest: enough for the journal to commit
# them together.
WRITERS = 8
# A file's bytes checked at time V while its modification time is older than V less this
# are unchanged for as long as its signature (size, modification time, inode) is the one
# seen then: a later write stamps a time the file system's coarse clock
# (4 ms a tick here, 10 ms at 100 Hz) cannot put that far back. Younger, a write in the
# same tick could keep the signature.
RACY_NS = 20_000_000
_CLEAN_AT_MOST = 4096  # files remembered clean (a batch's, for the watcher's late events)
_READ_AT_ONCE = 16  # files changed in one apply from which the writer threads read them
# Files changed in one apply from which the snapshot's entries are read ahead (see
# LiveGraph._read_ahead); a batch of ingest's 100 reads ~2,000 entries, mostly the same
# again and again, and advising the whole part each time costs the kernel a walk of it.
READ_AHEAD_FILES = 256
_TOPIC = topic_id("")  # the prefix of every topic node id
# Entries of the build state held as objects (read by changes) past which they are
# packed again (graph/storedmap.py).
_HELD = 2048
# Edges held in dicts past which a version's are packed into arrays: this many, or a
# sixteenth of the graph's (graph/compaction.py).
EDGES_HELD = 4096
# Packings of the build state overtaken by changes in a row, past which the next packs
# holding the folder (see LiveGraph.compact).
_RACES = 3
# Child processes checking ingest's records (graph/recordcheck.py): one checks ~10,000
# records/s (0.08 ms each), more than the server applies; batches sent at once queue.
CHECKERS = 1
# A refresh's child (graph/firststart.py) looks at the folder and writes its snapshot at
# most this many times: the folder changed between look and write in each.
SAVE_TRIES = 3
# An apply applies the files it read again that were edited since they were applied, in
# at most this many rounds (each may read others again); past them, every file is read.
MOVED_ROUNDS = 4

logger = logging.getLogger("newsgraph")


def _told_nobody(step: Step) -> None:
    """The progress callback of a follow nobody asked to hear from."""

def follow(path: str | os.PathLike[str], *,
           max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, include: Sequence[str] = (),
           follow_symlinks: bool = False,
           cache: str | os.PathLike[str] | bool | None = None,
           progress: ProgressCallback | None = None) -> LiveGraph:
    """Load a folder and keep following it; return the :class:`LiveGraph`.

    Parameters
    ----------
    path : path-like
        A folder of record files (read recursively) or one file.
    max_file_bytes, include, follow_symlinks
        As in :func:`graph.load`.
    cache : path-like or bool, optional
        A folder for snapshots, as in :func:`graph.load`. When the folder's snapshot is
        fresh and holds the table of its files (one a follow wrote), the first version
        is the snapshot's graph, at once, and the files are read only by
        :meth:`LiveGraph.resume` (the first apply calls it); else the folder is read,
        and its first version written as its snapshot.
    progress : callable, optional
        Told how the first load goes, as :func:`graph.load` tells it
        (:mod:`graph.progress`): ``parse``, ``build`` (the graph and its read index)
        and ``snapshot``, or ``snapshot-read`` for a start from the snapshot.

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
                     follow_symlinks=follow_symlinks, cache=cache,
                     progress=checked(progress))


class LiveGraph:
    """The graph of a followed folder: ``.current()``, ``.version``, ``.on_change``;
    ``.from_cache`` and ``.caught_up`` say how it started (from its cache's snapshot,
    and how many files behind the folder that was)."""

    def __init__(self, path: str | os.PathLike[str], *,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, include: Sequence[str] = (),
                 follow_symlinks: bool = False,
                 cache: str | os.PathLike[str] | bool | None = None,
                 progress: ProgressCallback | None = None,
                 _snapshot_only: bool = False):
        # _snapshot_only: read the folder and write its snapshot, nothing more (the child
        # of a first start, graph/firststart.py; the object is not used after).
        if path is not None and not str(os.fspath(path)).strip():  # Path("") is "."
            raise NewsgraphError(f"an empty path ({path!r}): give a folder or file of records "
                                 "('.' for the current folder)")
        self.root = Path(path)
        if not self.root.exists():
            raise missing_path(self.root)
        # Versions come and go for as long as this lives: keep the big blocks they
        # free from staying in the process (graph.heap).
        heap.pin_mmap_threshold()
        self.max_file_bytes = max_file_bytes
        self.include = check_include(include)
        self.follow_symlinks = follow_symlinks
        # A file swapped for a symlink to outside after it was looked at is not read.
        self._within = corpus_root(self.root, follow_symlinks=follow_symlinks)
        # A dict, or once a follow goes on from a snapshot's state, stored with it
        # (graph/storedmap.py): read when used.
        self._files: MutableMapping[str, KeptFile] = {}
        self._dirs: set[str] = set()  # folders holding known files
        self._state = BuildState()
        self._callbacks: list[Callable[[Change], None]] = []
        self._lock = threading.Lock()  # one apply at a time; readers never wait
        # Changes asked for while an apply runs wait here, and the next apply takes them
        # all: concurrent callers share one rebuild instead of queueing one each.
        self._queue_lock = threading.Lock()
        self._stagers: ThreadPoolExecutor | None = None  # see stagers
        self._queued: set[str] | None = set()  # None: rescan everything
        self._asked = self._applied = 0
        # Set while the build state may be half-changed (an apply failed midway): the
        # next apply builds it again from the kept parses.
        self._stale = False
        self._known: dict[str, tuple[bytes, ParsedFile]] = {}  # see holding()
        self._signed: dict[str, tuple[int, int, int]] = {}  # see Held.__call__
        self._real_folders: dict[str, bool] = {}  # see _in_real_folder (per batch)
        self._exact: set[str] = set()  # files whose kept parse is of the bytes hashed
        # Files a batch wrote whose bytes the apply checked, by the signature they had
        # then, not racy (see RACY_NS): the watcher's events for them, coming after that
        # apply, find the same signature and read none of them again.
        self._clean: dict[str, tuple[int, int, int]] = {}
        # Files whose last read failed for want of a resource of the process (descriptors,
        # memory): read again by the watcher (unread()), though they do not change.
        self._wanting: set[str] = set()
        self._version_sum = 0
        self._base = self._base_of()  # what file paths in the version id are relative to
        # False while the build state's inputs are not read (a start from a snapshot):
        # resume() reads them, before any change is applied.
        self.resumed = True
        # How the follow started: from the snapshot its cache folder held (fresh, or
        # ``caught_up`` files behind and those applied before it was handed out), or
        # not (the folder read, here or by a child writing the snapshot started from).
        # Not ``current().from_snapshot``: that is the version's, and a catch-up makes one.
        self.from_cache = False
        self.caught_up = 0
        self._start: Start | None = None  # what a start from the snapshot read, until resumed
        self._compacting = False  # a compaction thread runs (see compact())
        self._changes = 0  # applies begun: a packing made beside them is of the state if unchanged
        self._raced = 0  # packings in a row that a change overtook (see compact())
        # Whether compact() packs the state in a forked child (graph/packchild.py).
        self.pack_in_child = packchild.available()
        self._released = False  # a first load's build state let go for its snapshot's
        # Ingested batches waiting for the folder: the one that gets it writes and
        # applies all of them as one change (graph.ingest).
        self.batches: GroupCommit[Any] = GroupCommit()
        # Writes the snapshot anew in a child once enough changed (graph/firststart.py);
        # None without a cache folder, for a small folder, and until the follow started.
        self._refresh: firststart.SnapshotRefresh | None = None
        self._cache = FollowCache.of(cache, self.root, self._options())
        pending = self._cache.open() if self._cache is not None else None
        listing = self._list()
        names = listing.names
        digest = self._cache.fingerprint(names) if self._cache is not None else None
        tell = progress if progress is not None else _told_nobody
        if pending is not None:
            tell(Step("snapshot-read", 0, 1))
            if self._start_from(pending, digest, listing):
                tell(Step("snapshot-read", 1, 1, self.current().report.records))
                behind = self._catch_up(tell)
                self.from_cache, self.caught_up = True, behind
                if _snapshot_only:  # a refresh's child: the caught-up version written
                    if behind:
                        self._save()
                    return
                self._refresh_later(behind, len(names))
                return
        private = None
        if self._cache is None and not _snapshot_only and \
                len(names) >= firststart.CHILD_MIN_FILES:
            # No cache folder (--no-cache): the first read still goes to a child, which
            # writes its snapshot into a private folder, removed once started from: the
            # follower holds a warm start's heap, not what a first read's peak left (at
            # 100k, 1,716 MB after 1,000 changes against a cold load's 911).
            private = Path(tempfile.mkdtemp(prefix="newsgraph-follow-"))
            self._cache = FollowCache(private, self.root, self._options())
            digest = self._cache.fingerprint(names)
        try:
            if (not _snapshot_only and self._cache is not None and digest is not None
                    and read_in_child(self.root, len(names), self._cache.cache_dir,
                                      max_file_bytes=max_file_bytes, include=self.include,
                                      follow_symlinks=follow_symlinks, progress=tell)):
                # Started as a warm start from the snapshot the child wrote (its progress
                # told as it went); when the folder changed while it read (no snapshot
                # written, or a stale one), read here.
                pending = self._cache.open()
                listing = self._list()
                names = listing.names
                digest = self._cache.fingerprint(names)
                if pending is not None and self._start_from(pending, digest, listing):
                    tell(Step("snapshot", 1, 1, self.current().report.records))
                    behind = self._catch_up(tell)  # files changed after the child read them
                    if private is None:  # (a private folder goes once started from)
                        self._refresh_later(behind, len(names))
                    return
        finally:
            if private is not None:
                # The snapshot file stays open (its long texts and the build state's
                # entries are read from it when used): its space is given back when
                # the follow goes. Nothing else can open it.
                self._cache = None
                shutil.rmtree(private, ignore_errors=True)
        signatures = [file_signature(name) for name in names]  # before reading: a later edit shows
        parses = parse_files(names, max_file_bytes, include=self.include, within=self._within)
        tell(Step("parse", 0, len(names)))
        found = 0
        for done, (name, seen, parsed) in enumerate(zip(names, signatures, parses, strict=True),
                                                    start=1):
            self._add_file(name, KeptFile(parsed, content_digest(name, max_file_bytes), seen))
            found += len(parsed.records)
            tell(Step("parse", done, len(names), found))
        tell(Step("build", 0, 1, found))
        self._listing = listing
        self._kg = self._assemble()
        tell(Step("build", 1, 1, self._kg.report.records))
        if self._cache is not None and digest is not None:
            tell(Step("snapshot", 0, 1, self._kg.report.records))
            # Written, the graph built and its build state are let go before the snapshot
            # is read back (_let_go_built), so that what is read back does not fill the
            # holes they leave: at 20k, 285 -> 205 MiB when following (pymalloc's arenas
            # 200 -> 122 for the same 28 MiB of objects; 112 MiB and 32 from a snapshot).
            held = [self._kg]
            self._kg = None  # type: ignore[assignment]
            if _snapshot_only:
                self._cache.write(held, digest, self._kept(), lambda: self._list().names,
                                  self._adopt, read_back=False)
                return
            kg = self._cache.write(held, digest, self._kept(), lambda: self._list().names,
                                   self._adopt, release=self._let_go_built)
            self._released = False
            if kg is None:  # not read back once let go: built again, the files read again
                kg = self._assemble()
            self._kg = kg
            # What was built, in reference cycles: collected and its pages given back
            # now, not at the collector's next full pass (at 20k, 453 -> 281 MiB).
            gc.collect()
            heap.release()
            tell(Step("snapshot", 1, 1, kg.report.records))
        self._listing = _without_names(listing)
        self._compact_later()
        self._refresh_later(0, len(names))

    def _options(self) -> dict[str, object]:
        """The load options a snapshot is for, as graph.load names them."""
        options: dict[str, object] = {"max_file_bytes": self.max_file_bytes}
        if self.include:
            options["include"] = list(self.include)
        if self.follow_symlinks:
            options["follow_symlinks"] = True
        return options

    def _kept(self) -> dict[str, Any] | None:
        """What a snapshot keeps for a follow to go on from it (graph/followcache.py)."""
        return FollowCache.kept(self._listing.names, self._files, self._rel, self._state,
                                self.root, self._version_sum, self._dirs,
                                (self._listing.errors, self._listing.skipped))

    def _start_from(self, pending: object, digest: str | None, listing: Listing) -> bool:
        """Make the snapshot's graph the first version, when it is fresh and holds every
        listed file's hash and signature; return whether it did."""
        assert self._cache is not None
        start = self._cache.start(pending, digest, listing.names,  # type: ignore[arg-type]
                                  self._rel, self._base)
        if start is None:
            return False
        self._start = start
        self._version_sum = start.version_sum  # what _add_file sums
        self._dirs = start.dirs
        if start.behind is not None:
            # The snapshot's own listing notes: its state makes its report with them,
            # and a rescan finds them changed if they did.
            errors, skipped = start.behind
            self._listing = Listing(errors=errors, skipped=skipped)
        else:
            self._listing = _without_names(listing)
        self._kg = self._stamp(start.kg)
        self.resumed = False
        return True

    def _catch_up(self, tell: ProgressCallback) -> int:
        """After a start from a snapshot behind the folder (files changed since it was
        written, graph/followcache.py): apply them now, as a rescan does (only the files
        whose signature differs are read), so the first version handed out is the
        folder's as it is. Returns how many files the snapshot was behind."""
        start = self._start
        if start is None or start.behind is None:
            return 0
        behind = start.behind_files
        tell(Step("catch-up", 0, behind, self.current().report.records))
        self.apply(None)
        tell(Step("catch-up", behind, behind, self.current().report.records))
        return behind

    def _save(self) -> None:
        """Write the version caught up as the folder's snapshot (a refresh's child,
        graph/firststart.py), when no file changed between the folder's look and the
        write: each try looks again, and applies what changed since the last."""
        assert self._cache is not None
        for _ in range(SAVE_TRIES):
            names = self._list().names
            digest = self._cache.fingerprint(names)
            self.apply(None)
            kept = FollowCache.kept(names, self._files, self._rel, self._state, self.root,
                                    self._version_sum, self._dirs,
                                    (self._listing.errors, self._listing.skipped))
            if digest is None or kept is None:
                continue
            if not_read_for_want(self._kg.report.errors):
                logger.warning("snapshot of %s not refreshed: %s", self.root, WANTING_SAID)
                return
            if self._cache.write([self._kg], digest, kept, lambda: self._list().names,
                                 self._adopt, read_back=False) is None:
                return
        logger.info("snapshot of %s not refreshed: the folder changed during each of %d "
                    "tries", self.root, SAVE_TRIES)

    def _refresh_later(self, behind: int, files: int) -> None:
        """Keep the snapshot close to the folder of ``files`` files from now on
        (graph/firststart.py), the files it is ``behind`` counted as changed since it was
        written. (The folder's listing counts them: a follow started from the snapshot
        holds no file's entry until its state is read back.)"""
        if self._cache is None or files < firststart.CHILD_MIN_FILES:
            return
        self._refresh = firststart.SnapshotRefresh(
            self.root, self._cache.cache_dir, max_file_bytes=self.max_file_bytes,
            include=self.include, follow_symlinks=self.follow_symlinks, unsaved=behind)

    def resume(self) -> Change | None:
        """Make ready the build state the next changes are applied to, for a version
        started from a snapshot (the first apply does it too; a no-op once done): read
        back from the snapshot, else from every file. Returns the change when a file
        read no longer held what the snapshot was made of."""
        with self._lock:
            return self._resume()

    def _resume(self) -> Change | None:
        if self.resumed:
            return None
        self._changes += 1
        start, self._start = self._start, None
        assert start is not None
        found = None
        if start.state is not None:
            found = FollowCache.state(
                start.state, self.root, len(start.table), self._kg.report,
                lambda state: state.report(self._listing.errors, self._listing.skipped))
        if found is not None:  # go on from the state the snapshot holds: no file read
            self._state, self._files = found
            self._state.reader = self._reread
            self._state.resolve(self._kg.nx)
            self.resumed = True
            return None
        files = start.kept_files()
        names = list(files)
        signatures = [file_signature(name) for name in names]
        parses = parse_files(names, self.max_file_bytes, include=self.include,
                             within=self._within)
        reads = []
        for name, seen, parsed in zip(names, signatures, parses, strict=True):
            content = content_digest(name, self.max_file_bytes)
            if not_read_for_want(parsed.errors, content):
                # Not the file's state but this process's (descriptors, memory, under a
                # flood of connections): each such file was taken as changed into an
                # error, and the version made of them served none of their articles.
                # Resumed on a later try (graph/watch.py tries the change again).
                self._start = start
                said = parsed.errors[0].reason if parsed.errors else "cannot read file"
                raise OSError(f"a file of {str(self.root)!r} could not be read for want of "
                              f"a resource of this process ({name}: {said}): following "
                              "resumes once it can be")
            if content == files[name].digest:
                # The bodies only go into node attributes, which the snapshot holds: not
                # kept while every file is read (read again when a change needs one).
                for rec in parsed.records:
                    rec.body = None
            reads.append((name, seen, parsed, content))
        self._files = files
        del start, files
        moved = False
        for name, seen, parsed, content in reads:
            kept = self._files[name]
            if content == kept.digest:
                kept.parsed, kept.lean = parsed, False
                continue
            # Changed after the snapshot was checked: the snapshot's graph is not made
            # of these bytes, so the build state cannot go on from it.
            moved = True
            self._drop_file(name)
            self._add_file(name, KeptFile(parsed, content, seen))
        self.resumed = True
        if moved:
            self._stale = True  # the next version is built from every file
            return self._apply([])
        self._state = BuildState(reader=self._reread)
        ordered = sorted(self._files, key=file_key)
        # No graph is built: the snapshot's is the one these files make.
        self._state.change((), [self._files[name].parsed for name in ordered],  # type: ignore[misc]
                           graph=False)
        for name in ordered:
            self._files[name].let_go()
        made = self._state.report(self._listing.errors, self._listing.skipped).as_dict()
        if made != self._kg.report.as_dict():
            # Not the snapshot's graph after all (it cannot be, unless newsgraph's rules
            # changed under the same code): build the version from the files.
            logger.warning("the snapshot of %s is not what its files make: building the "
                           "graph from them", self.root)
            self._stale = True
            return self._apply([])
        self._adopt(self._kg, stamp=False)
        heap.release()
        self._compact_later()
        return None

    def _adopt(self, kg: KnowledgeGraph, state: Any = None, *,
               stamp: bool = True) -> KnowledgeGraph | None:
        """Make ``kg`` (the same graph, read from a snapshot: columns and arrays) the one
        the build state changes; its node attributes are read from the columns. With
        ``state``, the snapshot's state part just written (of this build state and these
        files), go on from it: the objects built are let go, their blobs read from the
        file when used. None when the state cannot be gone on from and the build state
        was let go for it (:meth:`_let_go_built`)."""
        found = None if state is None else FollowCache.state(
            state, self.root, len(self._files), kg.report,
            lambda made: made.report(self._listing.errors, self._listing.skipped))
        if found is not None:
            self._state, self._files = found
            self._state.reader = self._reread
        elif self._released:  # the build state was let go for this one: built again
            return None
        self._state.resolve(kg.nx)
        return self._stamp(kg) if stamp else kg

    def _let_go_built(self) -> None:
        """Let go the build state of a first load, written to its snapshot and read back
        next (FollowCache.write: the graph built goes too), and collect them. (Its table
        of files, let go too, made no difference: 204.0 against 204.8 MiB at 20k.)"""
        self._state = BuildState(reader=self._reread)
        self._released = True
        gc.collect()
        heap.release()

    def compact(self) -> bool:
        """Pack what the changes left as objects back into arrays and blobs: the newest
        version's edges held in dicts (graph/compaction.py) and the build state's entries
        held (graph/storedmap.py). The version stays the same, with the same content:
        only its storage changes. Runs in a thread of its own after an apply that left
        enough to pack (:meth:`_compact_later`); returns whether it packed anything.

        The packing runs beside the applies; the folder is held only to swap the packed
        storage in, and only if no change was applied meanwhile (what was packed is then
        what the state holds; else it is packed again after the next change). Before,
        the state's entries were packed holding the folder: a file landing then waited
        for it. After ``_RACES`` packings in a row overtaken by changes (a stream of
        changes each quicker than a packing), it packs holding the folder, as before,
        so that what is held stays bounded.

        The state's entries are packed by a child forked holding the folder, between
        changes (graph/packchild.py: the work leaves the serving interpreter, which reads
        back the packed bytes), and its packing is taken even when changes came
        meanwhile: the entries they used stay held (:meth:`StoredMap.adopt`), the rest
        are packed. When no child can be had, or it fails, they are packed here."""
        return self._finish_packing(self._begin_packing())

    def _begin_packing(self) -> _Packing:
        """The first step of :meth:`compact`, holding the folder: what is packed, and
        the child packing the state (forked now, between changes), if any."""
        with self._lock:  # between changes: none under way while the state is read
            began = _Packing(self._kg, self._changes, self._stored_maps())
            if self.pack_in_child and self._held() > 0 and \
                    not any(mapping.marked for mapping in began.maps):
                # Forked here, its state is the one between changes (graph/packchild.py);
                # what changes use from now on stays held when its packing is taken.
                began.child = packchild.start(began.maps)
                if began.child is not None:
                    for mapping in began.maps:
                        mapping.mark()
        return began

    def _finish_packing(self, began: _Packing) -> bool:
        """The rest of :meth:`compact`: pack (or take the child's packing) and swap in."""
        kg, changes, maps, child = began.kg, began.changes, began.maps, began.child
        edges = None
        if edges_held(kg.nx) >= self._edges_worth_packing(kg):
            # The version never changes: packed beside its readers and the next apply.
            edges = pack_edges(kg.nx, kg.index.ids, kg.index.pos)
        packs: list[tuple[StoredMap, Packed | None]] | None = None
        deltas = None
        if child is not None:
            deltas = child.result()
            if deltas is None:  # the child failed: packed here, as without one
                logger.info("packing the followed state of %s in a child failed; "
                            "packing it here", self.root)
                child = None
                for mapping in maps:
                    mapping.adopt(None)
        if self._raced < _RACES and child is None:
            try:
                packs = [(mapping, mapping.packed()) for mapping in maps]
            except Exception:  # noqa: BLE001 - a change under way changed what was read
                if self._changes == changes:
                    raise
        with self._lock:
            swapped = edges is not None and self._kg is kg
            if swapped:
                assert edges is not None
                swap_edges(kg.nx, edges)
            packed = self._held() > 0
            if deltas is not None:
                # Taken whatever changes came meanwhile: what they used stays held.
                now = self._stored_maps()
                same = not self._stale and len(now) == len(maps) and all(
                    a is b for a, b in zip(maps, now, strict=True))
                for mapping, delta in zip(maps, deltas, strict=True):
                    mapping.adopt(delta if same else None)
                packed = packed and same
            elif packed and self._raced >= _RACES:
                self._state.compact()
                if isinstance(self._files, StoredMap):
                    self._files.compact()
                self._raced = 0
            elif packed and packs is not None and self._changes == changes:
                for mapping, pack in packs:
                    mapping.install(pack)
                self._raced = 0
            elif packed:
                self._raced += 1
                packed = False
        heap.release()
        return swapped or packed

    def _stored_maps(self) -> list[StoredMap]:
        """The build state's stored maps and the table of files, when stored."""
        files = [self._files] if isinstance(self._files, StoredMap) else []
        return [*self._state.stored_maps(), *files]

    def _held(self) -> int:
        """Entries of the build state and the table of files held as objects."""
        files = self._files.held_count if isinstance(self._files, StoredMap) else 0
        return self._state.held_count + files

    def _edges_worth_packing(self, kg: KnowledgeGraph) -> int:
        return max(EDGES_HELD, sum(kg.report.edges.values()) // 16 if EDGES_HELD else 0)

    def _compact_later(self) -> None:
        """Start :meth:`compact` in a thread when enough is held to pack and none runs."""
        if self._compacting or not self.resumed:
            return
        if self._held() <= _HELD and \
                edges_held(self._kg.nx) < self._edges_worth_packing(self._kg):
            return
        self._compacting = True

        def run() -> None:
            try:
                self.compact()
            except Exception:  # the graph stays as it was: only memory is at stake
                logger.exception("compacting the followed graph of %s failed", self.root)
            finally:
                self._compacting = False

        threading.Thread(target=run, name="newsgraph-compact", daemon=True).start()

    def current(self) -> KnowledgeGraph:
        """Return the newest version's graph; it never changes, so keep it for a request."""
        return self._kg

    def on_change(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after each applied change; return a function that
        stops it. Callbacks run in the thread that applied the change."""
        if not callable(callback):  # kept, it failed the next change (an ingest) instead
            raise TypeError(f"on_change takes a callable, called with each graph.Change; got "
                            f"{type(callback).__name__} {callback!r:.60}")
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    @functools.cached_property
    def writers(self) -> ThreadPoolExecutor:
        """The threads that write files into this folder for :mod:`graph.ingest`, kept
        from batch to batch (idle between them): starting them per batch cost more than
        a batch's fsyncs. Made on first use, under :meth:`holding`."""
        return ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="newsgraph-ingest")

    @functools.cached_property
    def checker(self) -> Checker:
        """Checks the records :mod:`graph.ingest` is sent by the file rules, in a child
        process of its own when one can be started safely (graph/recordcheck.py): that
        work needs no graph, and the server's one interpreter is the bound under
        sustained ingest. Made on first use; the child on the first large batch."""
        return Checker(workers=CHECKERS)

    @property
    def stagers(self) -> ThreadPoolExecutor:
        """The threads that write a batch's temporary files before it holds the folder
        (:mod:`graph.ingest`), apart from :attr:`writers`: the work done holding the folder
        (a group's renames, the apply's reads of its files) never queues behind the next
        batches' writes ahead (at 100k beside 16 clients, a group's renames and its apply's
        reads waited there: 7% of the apply). Made on first use, by any batch's thread."""
        with self._queue_lock:
            if self._stagers is None:
                self._stagers = ThreadPoolExecutor(max_workers=WRITERS,
                                                   thread_name_prefix="newsgraph-stage")
            return self._stagers

    def records_in(self, name: str) -> int:
        """Return how many records the kept parse of file ``name`` holds (0 if unknown)."""
        if not self.resumed:
            self.resume()
        files = self._files
        # Looked at, not held: this runs beside the applies, which alone change the map.
        kept = files.peek(name) if isinstance(files, StoredMap) else files.get(name)
        if kept is None or kept.parsed is None:
            return 0
        return kept.count if kept.lean else len(kept.parsed.records)

    def apply(self, paths: Iterable[str | os.PathLike[str]] | None = None) -> Change | None:
        """Re-read the given changed paths (files or folders; every file when None) and
        make the next version; return the :class:`Change`, or None when nothing changed
        (or when another thread's apply, running meanwhile, took these paths with its own:
        by the time this returns, the current version includes them either way)."""
        if paths is None:
            # Every file's signature compared before the folder is held (at 100k from a
            # snapshot ~9 s, during which a file dropped or a batch sent waited); held,
            # only the files that differ are read and applied.
            paths = self._look()
        elif isinstance(paths, str | bytes | os.PathLike):
            # A str iterates as its characters, each taken for a path: nothing applied.
            raise TypeError(f"apply takes a list of paths (or None for every file); got one "
                            f"{type(paths).__name__} {os.fspath(paths)!r:.80}: put it in a list")
        ticket = self._ask(paths)
        with self._lock:
            if self._applied >= ticket:
                return None
            return self._take()

    def _look(self) -> list[str] | None:
        """The paths a rescan would find changed (listed now with another signature than
        kept, not listed yet, or gone), looked for without holding the folder; None to
        rescan holding it (a build to make again, a listing whose problems changed, or
        a change that moved what was being looked at).

        What the look saw may be out of date once the folder is held: the paths are
        applied as any change's are, each looked at again then (gone, added, a folder);
        a file changed after it was looked at is a change of its own, which the
        watcher — running before the look, graph/watch.py — names."""
        if not self.resumed:
            self.resume()
        # An apply under way marks the state stale until its version is made: wait for it
        # (a batch's apply, tens of ms) rather than give up and hold the folder for a whole
        # rescan (~3 s at 100k, a file dropped meanwhile waiting for it).
        with self._lock:
            stale = self._stale
        if stale:
            return None
        try:
            listing = self._list()
            if (listing.errors, listing.skipped) != (self._listing.errors,
                                                     self._listing.skipped):
                return None
            names = listing.names
            touched, kept = self._looked(names)
            # Every kept file listed (a listing names each once): none is gone, and the
            # kept table — from a snapshot, a stored map whose keys are read entry by
            # entry — is not gone through (ing37).
            listed = set(names)
            gone = [] if kept == len(self._files) else [
                name for name in list(self._files) if name not in listed]
        except (RuntimeError, KeyError, OSError):  # the table changed as it was read
            return None
        return sorted(touched, key=file_key) + gone

    @functools.cached_property
    def appliers(self) -> ThreadPoolExecutor:
        """The thread that runs an apply handed off by a holder of the folder
        (:meth:`Held.later`), holding the folder until that apply ends."""
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsgraph-apply")

    @contextlib.contextmanager
    def holding(self, timeout: float | None = None) -> Iterator[Held]:
        """Hold every other apply back while files are written; yield the :class:`Held`
        that applies them (call it once, at the end, or hand the apply off with its
        ``later``). With a ``timeout``, raise TimeoutError when another apply or writer
        still holds the folder after that many seconds.

        Applies asked for meanwhile (the watcher seeing the files appear) wait, and the
        one apply at the end takes their paths too, so no version holds half of the
        files written, and the files are not read again for those applies.
        ``apply(paths, known)`` may hand over what the writer knows of a file it wrote,
        ``{path: (bytes, parse)}``: a file whose bytes are still those is not parsed again.
        """
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise TimeoutError(f"another change to {str(self.root)!r} held the folder "
                               f"for {timeout:g} s")
        held = Held(self)
        try:
            yield held
        finally:
            if not held.handed:  # a handed-off apply lets the folder go when it ends
                self._lock.release()

    def _ask(self, paths: Iterable[str | os.PathLike[str]] | None) -> int:
        """Queue ``paths`` (None: everything) for the next apply; return the ticket."""
        with self._queue_lock:
            self._asked += 1
            if paths is None or self._queued is None:
                self._queued = None
            else:
                self._queued.update(os.fspath(p) for p in paths)
            return self._asked

    def _take(self) -> Change | None:
        """Apply everything queued, holding ``self._lock``."""
        with self._queue_lock:
            batch, self._queued = self._queued, set()
            upto = self._asked
        try:
            return self._apply(batch)
        finally:
            self._applied = upto

    # -- the work ---------------------------------------------------------------

    def _apply(self, paths: Iterable[str | os.PathLike[str]] | None,
               also: Sequence[str] = ()) -> Change | None:
        """Apply the changed ``paths`` (None: rescan); ``also``: files an apply that
        gave up on its change had changed, named in this one's."""
        self._changes += 1
        try:
            # The stored entries it reads (hundreds a batch) look at the snapshot file's
            # signature once, not each (graph/snapshot.py).
            with snapshot.checked_once():
                return self._apply_once(paths, also)
        except SnapshotMoved as e:
            # The state and the table of files are read from the snapshot when used, and
            # it cannot be read any more: forget them, and read every file.
            logger.warning("%s: reading the whole folder again", e)
            self._files, self._dirs, self._version_sum = {}, set(), 0
            self._exact.clear()
            self._clean.clear()
            self._stale = True
            return self._apply_once(None, also)

    def _apply_once(self, paths: Iterable[str | os.PathLike[str]] | None,
                    also: Sequence[str] = ()) -> Change | None:
        if not self.resumed:
            self._resume()
        self._base = self._base_of()
        wanted = None if paths is None else list(paths)
        found = None if wanted is None else self._listed_among(wanted)
        if found is None:  # list the whole folder again
            listing = self._list()
            names = listing.names
            listed = set(names)
            kept = -1
            if wanted is None:
                touched, kept = self._looked(names)
            else:
                touched = self._touched(names, wanted)
            # As the look: every kept file listed, none gone (ing37).
            gone = [] if kept == len(self._files) else [
                name for name in self._files if name not in listed]
        else:
            listing = self._listing
            touched, gone_now, seen = found
            # A file whose signature is still the one it had when an apply checked its
            # bytes (a batch's file, named again by the watcher's late event) is not read.
            touched = {name for name in touched if name not in self._clean
                       or self._clean[name] != seen.get(name) or name not in self._files}
            names = sorted(touched, key=file_key)
            gone = [name for name in gone_now if name in self._files]
        if len(names) + len(gone) >= READ_AHEAD_FILES:
            self._read_ahead()
        changed: list[str] = list(also)
        read: list[str] = []  # the files parsed again
        before: dict[str, ParsedFile] = {}
        after: list[ParsedFile] = []
        for name in gone:
            self._exact.discard(name)
            before[name] = self._drop_file(name).parsed  # type: ignore[assignment]
            changed.append(name)
        # A rescan's touched names hold every name without a kept entry (_touched): no
        # second look at each entry (from a snapshot, each look reads and checks a block).
        to_read = [name for name in names if name in touched or (
            wanted is not None and name not in self._files)]
        landed = self._as_landed(to_read, seen) if found is not None and self._signed else {}
        reads = self._read_all([name for name in to_read if name not in landed])
        reads.update(landed)
        for name in names:
            if name not in reads:
                continue
            old = self._files.get(name)
            new = reads[name]
            assert new.parsed is not None
            if old is not None and old.digest == new.digest and (
                    new.parsed is old.parsed or old.same_parse(new.parsed)):
                if new is not old:  # read whole (else: not read, for want: unread())
                    self._wanting.discard(name)
                old.signature = new.signature
                continue
            if old is not None:
                before[name] = self._drop_file(name).parsed  # type: ignore[assignment]
            self._add_file(name, new)
            after.append(new.parsed)
            changed.append(name)
            read.append(name)
        if not changed and not self._stale and (listing.errors, listing.skipped) == (
                self._listing.errors, self._listing.skipped):
            return None
        self._listing = _without_names(listing)
        old_kg, previous = self._kg, self.version
        if self._stale:
            kg = self._assemble()
            touched_nodes = set(kg.nx) | set(old_kg.nx)
        else:
            self._stale = True  # until the change below is made: the next apply builds again
            self._state.moved = {}
            try:
                kg, touched_nodes = self._advance(old_kg, list(before.values()), after)
                # Files the change read again that were edited since they were applied:
                # applied now, in this version (see _reread), until none is left.
                for _ in range(MOVED_ROUNDS):
                    moved, self._state.moved = self._state.moved, {}
                    if not moved:
                        break
                    again: list[ParsedFile] = []
                    now: list[ParsedFile] = []
                    for name, new_kept in moved.items():
                        if new_kept is None:
                            new_kept = self._looked_again(name)
                        again.append(self._drop_file(name).parsed)  # type: ignore[arg-type]
                        self._exact.discard(name)
                        self._clean.pop(name, None)
                        changed.append(name)
                        if new_kept is not None:
                            self._add_file(name, new_kept)
                            now.append(new_kept.parsed)
                            read.append(name)
                    kg, more = self._advance(kg, again, now)
                    touched_nodes |= more
                else:
                    if self._state.moved:
                        raise FileMoved(next(iter(self._state.moved)))
            except FileMoved as e:
                # A file the change read again for its records holds other bytes now (its
                # change is not applied yet): apply everything as it now is, every file
                # read again (stale).
                logger.info("%s changed meanwhile: reading the whole folder again", e)
                return self._apply(None, also=changed)
            finally:
                self._state.moved = None
            for name in read:
                self._files[name].let_go()
        self._kg = kg
        self._stale = False
        added, updated, removed = articles_changed(old_kg, kg, touched_nodes)
        r = kg.report
        change = Change(self.version, previous, self.made_at, tuple(sorted(set(changed))), added,
                        updated, removed, {name: getattr(r, name) for name in COUNTS}, kg)
        for callback in list(self._callbacks):
            callback(change)
        heap.release_soon()  # the previous version's pages, given back (not waited for)
        self._compact_later()
        if self._refresh is not None:
            self._refresh.changed(len(change.files))
        return change

    def _read_ahead(self) -> None:
        """Have the build state's entries and the table of files read ahead from the
        snapshot they are left in, for a change of many files (a `git checkout`): it
        reads thousands of entries scattered over the file, and each one the kernel let
        go of since — the snapshot is ~700 MB at 100k records — is a wait for the disk
        (at 100k, 1,450 files: 53,000 reads, 11.5 s of the apply's 40 s)."""
        if isinstance(self._files, StoredMap) and self._files.base is not None:
            will_need(self._files.base.reader)
        self._state.read_ahead()

    def _listed_among(self, paths: list[str | os.PathLike[str]],
                      ) -> tuple[set[str], set[str], dict[str, tuple[int, int, int]]] | None:
        """For changed paths that are plain files inside the folder: the names listed now,
        the names gone, and the signatures of the files named, without listing the
        folder. None when a path is anything else (a folder, a symlink, outside, ...):
        then the folder is listed again."""
        if not self.root.is_dir() or self._listing.errors or self._listing.skipped:
            return None
        base = os.path.abspath(self.root)
        real_base = os.path.realpath(base)
        shown = str(self.root)
        present: set[str] = set()
        gone: set[str] = set()
        seen: dict[str, tuple[int, int, int]] = {}
        real: dict[str, str] = {}  # folder -> its real path (a batch's files share one)
        for p in paths:
            full = os.path.abspath(p)
            rel = os.path.relpath(full, base)
            parts = rel.split(os.sep)
            if rel == "." or parts[0] == ".." or any(lone_surrogate(x) for x in parts):
                return None
            if any(x.startswith(".") for x in parts):
                continue  # hidden: never listed (a rename out of it names its target too)
            name = rel if shown == "." else os.path.join(shown, rel)
            folder = os.path.dirname(rel)
            parent = os.path.dirname(full)
            if parent not in real:
                real[parent] = os.path.realpath(parent)
            if real[parent] != os.path.join(real_base, folder).rstrip(os.sep):
                return None  # reached through a symlink
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                if self._holds_folder(name):
                    return None
                gone.add(name)
                continue
            except OSError:
                return None
            if stat.S_ISDIR(st.st_mode) and not self._holds_folder(name):
                if name in self._files:  # a file replaced by a folder of its name
                    gone.add(name)
                # A new folder: list it alone. Anything its listing notes (a symlink, an
                # unreadable folder) is judged by a listing of the whole corpus instead.
                inner = list_files(Path(name), follow_symlinks=self.follow_symlinks)
                if inner.errors or inner.skipped:
                    return None
                present.update(inner.names)
                continue
            if not stat.S_ISREG(st.st_mode) or self._holds_folder(name):
                return None
            present.add(name)
            seen[name] = (st.st_size, st.st_mtime_ns, st.st_ino)
        return present, gone, seen

    def _as_landed(self, names: list[str], seen: dict[str, tuple[int, int, int]],
                   ) -> dict[str, KeptFile]:
        """The files among ``names`` that a batch wrote (:meth:`Held.__call__`'s
        ``signed``) whose signature, looked at by this apply (``seen``), is still the one
        their temporary file had when written, and older than that look by RACY_NS:
        they hold the bytes handed over (a write since would have moved the time), so
        they are kept as handed, not read back (before, four system calls each in the
        writer threads, holding the folder, each a wait for the interpreter beside busy
        query threads). A file within RACY_NS of the look is read as before."""
        began = time.time_ns()
        out: dict[str, KeptFile] = {}
        for name in names:
            full = os.path.abspath(name)
            signature = self._signed.get(full)
            known = self._known.get(full)
            if signature is None or known is None or seen.get(name) != signature \
                    or signature[1] >= began - RACY_NS or not self._in_real_folder(name):
                continue
            self._exact.add(name)
            if len(self._clean) >= _CLEAN_AT_MOST:
                self._clean.clear()
            self._clean[name] = signature
            out[name] = KeptFile(known[1], bytes_digest(known[0]), signature)
        return out

    def _holds_folder(self, name: str) -> bool:
        """True when ``name`` is (or was) a folder holding known files."""
        return name in self._dirs

    def _add_file(self, name: str, kept: KeptFile) -> None:
        self._files[name] = kept
        if not_read_for_want(kept.parsed.errors if kept.parsed is not None else (),
                             kept.digest):
            self._wanting.add(name)
        else:
            self._wanting.discard(name)
        self._version_sum = (self._version_sum + self._term(name, kept.digest)) % _MOD
        parent = os.path.dirname(name)
        while parent and parent not in self._dirs:
            self._dirs.add(parent)
            parent = os.path.dirname(parent)

    def _drop_file(self, name: str) -> KeptFile:
        kept = self._files.pop(name)
        self._clean.pop(name, None)
        self._wanting.discard(name)
        self._version_sum = (self._version_sum - self._term(name, kept.digest)) % _MOD
        return kept

    def _term(self, name: str, digest: str) -> int:
        """One file's share of the version id: a hash of (path within the folder, content
        hash). The id hashes their sum, so a change updates it in O(1)."""
        rel = self._rel(name)
        h = hashlib.blake2b(rel.encode("utf-8", "surrogateescape") + b"\0" + digest.encode(),
                            digest_size=16)
        return int.from_bytes(h.digest(), "big")

    def _rel(self, name: str) -> str:
        """A listed file's path within the folder (what the version id hashes)."""
        base = self._base
        if name.startswith(base + os.sep) and os.path.normpath(name) == name:
            return name[len(base) + 1:]  # what relpath gives, without its getcwd and splits
        return os.path.relpath(name, base)

    def _touched(self, names: list[str],
                 paths: Iterable[str | os.PathLike[str]] | None) -> set[str]:
        """Return the listed names the changed ``paths`` name or contain; all of them for
        None. Without a path, a file whose size, time or inode moved counts as touched."""
        if paths is None:
            return self._looked(names)[0]
        wanted = [os.path.abspath(p) for p in paths]
        exact = set(wanted)
        folders = tuple(w.rstrip(os.sep) + os.sep for w in wanted)
        touched = set()
        for name in names:
            full = os.path.abspath(name)
            if full in exact or full.startswith(folders):
                touched.add(name)
        return touched

    def _looked(self, names: list[str]) -> tuple[set[str], int]:
        """The listed ``names`` whose size, time or inode moved from the kept ones, or
        with none kept; and how many of them have a kept entry."""
        files = self._files
        peek = files.peek if isinstance(files, StoredMap) else files.get
        touched, found = set(), 0
        for name, signature in zip(names, _signatures(names), strict=True):
            kept = peek(name)
            if kept is None:
                touched.add(name)
                continue
            found += 1
            if signature != kept.signature:
                touched.add(name)
        return touched, found

    def _base_of(self) -> str:
        return str(self.root if self.root.is_dir() else self.root.parent)

    def _list(self) -> Listing:
        return list_files(self.root, follow_symlinks=self.follow_symlinks)

    def _read_all(self, names: list[str], fresh: bool = False) -> dict[str, KeptFile]:
        """:meth:`_read` each file; many at once by the writer threads. Each read is a few
        system calls, after each of which the reading thread waits for the interpreter
        again: beside busy query threads, one file after another took most of a batch's
        apply; in several threads the waits overlap. Thousands (a rescan after the
        snapshot moved, a fallback's build) are parsed by the parse pool, as a load
        parses them: the writer threads share one interpreter. ``fresh``: each read as a
        file never read (a kept parse whose records were let go is not one to keep)."""
        def old(name: str) -> KeptFile | None:
            return None if fresh else self._files.get(name)

        if len(names) >= POOL_MIN_FILES:
            return self._parse_all(names, old)
        if len(names) < _READ_AT_ONCE:
            return {name: self._read(name, old(name)) for name in names}
        reads = {name: self.writers.submit(self._read, name, old(name)) for name in names}
        wait(reads.values())
        return {name: read.result() for name, read in reads.items()}

    def _parse_all(self, names: list[str], old: Callable[[str], KeptFile | None],
                   ) -> dict[str, KeptFile]:
        """:meth:`_read` each file, those no batch handed over parsed by the parse pool
        (graph/loader.py; in this process when no pool can be started beside its
        threads): its signature taken before, its hash after, as :meth:`_read` does."""
        out: dict[str, KeptFile] = {}
        rest: list[str] = []
        for name in names:
            if os.path.abspath(name) in self._known:
                out[name] = self._read(name, old(name))
            else:
                rest.append(name)
        signatures = [file_signature(name) for name in rest]
        parses = parse_files(rest, self.max_file_bytes, include=self.include,
                             within=self._within)
        for name, seen, parsed in zip(rest, signatures, parses, strict=True):
            self._clean.pop(name, None)
            self._exact.discard(name)
            digest = content_digest(name, self.max_file_bytes)
            kept = old(name)
            if kept is not None and not_read_for_want(parsed.errors, digest):
                self._wanting.add(name)  # as _read keeps it: what the file last gave
                out[name] = kept
                continue
            out[name] = KeptFile(parsed, digest, seen)
        return out

    def _in_real_folder(self, name: str) -> bool:
        """True when the folder holding ``name`` really lies in the corpus (no symlink on
        the way): then a file opened without following a symlink does too. Looked up
        once per folder per apply."""
        if self._within is None:
            return True
        folder = os.path.dirname(os.path.abspath(name))
        found = self._real_folders.get(folder)
        if found is None:
            found = self._real_folders[folder] = lies_in(folder, self._within)
        return found

    def _reread(self, name: str) -> ParsedFile:
        """A file's parse, read again for the build state: refused (:class:`FileMoved`)
        when its bytes are not those it was last read as."""
        kept = self._files.get(name)
        if kept is None:
            raise FileMoved(name)
        digest = content_digest(name, self.max_file_bytes)
        moved = self._state.moved
        if digest != kept.digest:
            # Edited since it was applied, its change not applied yet. During an apply
            # that can (a dict): read as it now is, and applied by that apply, in the
            # same version (a burst of edits read the whole folder again before: a
            # cold load's work in the follower).
            if moved is None:
                raise FileMoved(name)
            if name in moved:
                found = moved[name]
                if found is None:
                    raise FileMoved(name)
                return found.parsed
            _refuse_wanting(name, None, digest)
            if ":" in digest or digest == "not-a-file":
                # Gone (a `git checkout` or `rsync --delete` deletes and renames
                # hundreds at once, their events still to come) or not a file: none of
                # its records is read, and the apply looks at it again (_looked_again).
                moved[name] = None
                raise FileMoved(name)
            signature = file_signature(name)
        parsed = parse_file(Path(name), max_bytes=self.max_file_bytes, include=self.include,
                            within=self._within)
        _refuse_wanting(name, parsed, None)
        if content_digest(name, self.max_file_bytes) != digest:
            raise FileMoved(name)
        if digest != kept.digest:
            assert moved is not None
            moved[name] = KeptFile(parsed, digest, signature)
        return parsed

    def _looked_again(self, name: str) -> KeptFile | None:
        """A file a change found gone or not a file when it read it again: None when it
        is gone (deleted, or renamed: its new name has an event of its own), else read
        as it now is. Anything else there (a folder, a symlink) is for a listing of the
        whole folder to judge (:class:`FileMoved`)."""
        try:
            st = os.lstat(name)
        except FileNotFoundError:
            return None
        except OSError:
            raise FileMoved(name) from None
        if not stat.S_ISREG(st.st_mode) or not self._in_real_folder(name):
            raise FileMoved(name)
        kept = self._read(name)
        _refuse_wanting(name, kept.parsed, kept.digest)
        return kept

    def _read(self, name: str, old: KeptFile | None = None) -> KeptFile:
        self._clean.pop(name, None)
        known = self._known.get(os.path.abspath(name))
        if known is not None and self._in_real_folder(name):
            # A file a batch just wrote: its bytes, read once, are those handed over
            # (else, changed meanwhile, it is parsed below like any other).
            began = time.time_ns()
            found = read_plain(name, self.max_file_bytes)
            if found is not None and found[0] == known[0]:
                self._exact.add(name)
                if found[1][1] < began - RACY_NS:
                    if len(self._clean) >= _CLEAN_AT_MOST:
                        self._clean.clear()
                    self._clean[name] = found[1]
                return KeptFile(known[1], bytes_digest(found[0]), found[1])
        signature = file_signature(name)
        if (known is not None or old is not None) and (
                self._within is None or lies_in(name, self._within)):
            digest = content_digest(name, self.max_file_bytes)
            if known is not None and digest == bytes_digest(known[0]):
                self._exact.add(name)
                return KeptFile(known[1], digest, signature)  # it holds what was handed
            if (old is not None and digest == old.digest and name in self._exact
                    and old.parsed is not None):
                # The bytes handed over and applied last time (the watcher's late events
                # for a batch's files: each was parsed again, ~17 ms a batch at 100k). Not
                # for a file read here: its parse and its hash are two reads, which a
                # write in between makes differ, and only a new parse mends that.
                return KeptFile(old.parsed, digest, signature)
        self._exact.discard(name)
        parsed = parse_file(Path(name), max_bytes=self.max_file_bytes, include=self.include,
                            within=self._within)
        digest = content_digest(name, self.max_file_bytes)
        if old is not None and not_read_for_want(parsed.errors, digest):
            # Not read for want of a resource of this process: the version keeps what
            # the file last gave (it was taken as changed into an error, its articles
            # gone), and the watcher reads it again (unread()).
            self._wanting.add(name)
            return old
        return KeptFile(parsed, digest, signature)

    def unread(self) -> list[str]:
        """The files whose last read failed for want of a resource of this process (open
        files, memory), not for anything in them: to be applied again (graph/watch.py
        does), since no change of theirs will name them."""
        return sorted(self._wanting.copy(), key=file_key)  # (one C call: an apply may add)

    @property
    def version(self) -> str:
        """The id of the newest version: a hash of the corpus content."""
        return self._kg.version or ""

    @property
    def made_at(self) -> datetime:
        """When the newest version was made."""
        return self._kg.made_at or datetime.min.replace(tzinfo=UTC)

    def _assemble(self) -> KnowledgeGraph:
        """Build a version from every file (at start, and after a failed apply; a file
        whose records were let go is read again): the same incremental build, with every
        file new."""
        names = sorted(self._files, key=file_key)
        unread = [name for name in names
                  if (kept := self._files[name]).lean or kept.parsed is None]
        again = self._read_all(unread, fresh=True)
        for name, new in again.items():
            _refuse_wanting(name, new.parsed, new.digest)  # not the file's state
        for name, new in again.items():
            self._drop_file(name)
            self._add_file(name, new)
        self._state = BuildState(reader=self._reread)
        g, _ = self._state.change((), [self._files[name].parsed  # type: ignore[misc]
                                       for name in names])
        for name in names:
            self._files[name].let_go()
        kg = KnowledgeGraph(g, self._state.report(self._listing.errors,
                                                  self._listing.skipped))
        return self._stamp(kg)

    def _advance(self, old: KnowledgeGraph, before: list[ParsedFile],
                 after: list[ParsedFile]) -> tuple[KnowledgeGraph, set[str]]:
        """Make the next version from the previous one and the files that changed."""
        g, touched = self._state.change(before, after)
        report = self._state.report(self._listing.errors, self._listing.skipped)
        nodes = touched.rewritten | touched.added | touched.removed
        # Relinked nodes only gained or lost a RELATED edge from the nodes above: the
        # index finds them as those nodes' neighbours; the change reports them updated.
        if len(nodes) > max(len(g) // 8, 256):  # much of the graph: index it afresh
            return self._stamp(KnowledgeGraph(g, report)), nodes | touched.relinked
        # Topic lookups by name are the previous version's unless a topic came, went or
        # was renamed (a topic gaining articles is not touched).
        same_topics = not any(x.startswith(_TOPIC) for x in nodes)
        kg = KnowledgeGraph(g, report, index=next_index(old.index, old.nx, g, nodes),
                            topic_names=old._topic_names if same_topics else None)
        carry_analytics(kg, old, nodes)
        return self._stamp(kg), nodes | touched.relinked

    def _stamp(self, kg: KnowledgeGraph) -> KnowledgeGraph:
        h = hashlib.blake2b(self._version_sum.to_bytes(16, "big"), digest_size=8)
        kg.version = h.hexdigest()
        kg.made_at = datetime.now(UTC)
        kg.__dict__.setdefault("from_snapshot", False)  # True: read from a snapshot at start
        return kg


@dataclass(slots=True)
class _Packing:
    """A compaction begun (:meth:`LiveGraph._begin_packing`): the version and the count
    of changes then, the stored maps it packs, the child packing them (None: here)."""

    kg: KnowledgeGraph
    changes: int
    maps: list[StoredMap]
    child: packchild.Packing | None = None


def _signatures(names: list[str]) -> list[tuple[int, int, int] | None]:
    """Each file's signature (:func:`file_signature`), stat'ed in one pass
    (:func:`graph.snapshot.file_stats`: in C when built, the interpreter let go once, not
    once a file — at 100k beside busy query threads each os.stat waited to have it
    back); a file that cannot be stat'ed (gone since it was listed) makes the pass give
    up, and then each is stat'ed alone (None for one that cannot be)."""
    try:
        return [(size, mtime, ino) for size, mtime, ino, _ in snapshot.file_stats(names)]
    except OSError:
        return [file_signature(name) for name in names]


def _refuse_wanting(name: str, parsed: ParsedFile | None, digest: str | None) -> None:
    """Raise OSError when a file read again for the records a change needs could not be
    read for want of a resource of this process (descriptors, memory): the change fails,
    and is tried again (graph/watch.py), rather than take the file as changed into an
    error, its articles gone from the version."""
    if not_read_for_want(parsed.errors if parsed is not None else (), digest):
        raise OSError(f"{name}: could not be read again for want of a resource of this "
                      "process (open files, memory)")


class Held:
    """The folder held by :meth:`LiveGraph.holding`: call it to apply the files written
    meanwhile, or hand that apply to the follow's apply thread with :meth:`later` (the
    folder stays held until the apply ends, so applies are still one at a time)."""

    __slots__ = ("live", "handed")

    def __init__(self, live: LiveGraph) -> None:
        self.live = live
        self.handed = False

    def __call__(self, paths: Iterable[str | os.PathLike[str]],
                 known: Mapping[str, tuple[bytes, ParsedFile]] | None = None,
                 signed: Mapping[str, tuple[int, int, int]] | None = None,
                 ) -> Change | None:
        """Apply the changed ``paths`` (with what the writer ``known`` of them, and the
        signature each had as it was ``signed``: written and renamed) now."""
        live = self.live
        live._ask(paths)
        live._known = {os.path.abspath(p): v for p, v in (known or {}).items()}
        live._signed = {os.path.abspath(p): v for p, v in (signed or {}).items()}
        live._real_folders = {}
        try:
            return live._take()
        finally:
            live._known = {}
            live._signed = {}

    def later(self, paths: Iterable[str | os.PathLike[str]],
              known: Mapping[str, tuple[bytes, ParsedFile]] | None = None,
              signed: Mapping[str, tuple[int, int, int]] | None = None,
              ) -> Future[Change | None]:
        """Apply the changed ``paths`` in the apply thread, which lets the folder go when
        it is done; return its future. The holder's ``with`` then ends without waiting:
        a writer answers by its deadline while a long apply of what it wrote goes on."""
        def run() -> Change | None:
            try:
                return self(paths, known, signed)
            finally:
                self.live._lock.release()

        future = self.live.appliers.submit(run)
        self.handed = True
        future.add_done_callback(_log_failure)
        return future


def _log_failure(future: Future[Change | None]) -> None:
    if not future.cancelled() and (error := future.exception()) is not None:
        logger.error("applying written files failed: %r (the next change reads the "
                     "folder again)", error)


def _without_names(listing: Listing) -> Listing:
    """What a follow keeps of a listing once it is applied: its notes, not its names
    (the files are the keys of the kept files; ~8 MiB of paths at 100k records)."""
    return Listing(errors=listing.errors, skipped=listing.skipped)
