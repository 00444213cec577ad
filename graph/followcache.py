"""A followed folder's snapshot: the first version of :func:`graph.follow` read from it,
or written to it.

A follow needs more than a load to go on from a snapshot: the content hash of every
file (the version id is made of them, graph/live.py) and its signature (what a rescan
compares), and the inputs of its build (graph/incremental.py, ``BuildState``: records
by reference, links, spellings, problems). A snapshot a follow writes holds them (a
table of files, :data:`graph.snapshot.FileTable`, and the state with each file's parse,
its large maps as stored blobs, graph/storedmap.py), signed with the rest; one a load
wrote has none, and a follow does not start from it. A follow started from the snapshot
reads the state's head back (:meth:`FollowCache.state`) and leaves its blobs in the file,
read when a change uses them. The snapshot
is used as a load's when its fingerprint is the corpus's now (every file's path, size,
modification time, inode and change time, the options, newsgraph's code). One a follow
wrote before files changed (the same code, folder and options: its ``basis``) is
**caught up**: started from, and the files added, gone or changed since applied to it
before the follow is handed out, when they are at most :data:`CATCH_UP_ALWAYS` or a
quarter of the folder's (else the folder is read again). A stale or corrupt snapshot
is never served. The state is pickled: like every part of
a snapshot, it is read back only once the file's signature (keyed BLAKE3 under the per-user
key) verifies.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph import snapshot
from graph.errors import SnapshotChanged
from graph.filestate import KeptFile
from graph.incremental import BuildState, FileMoved, pack_state, unpack_state
from graph.kg import KnowledgeGraph
from graph.loader import WANTING_SAID
from graph.records import not_read_for_want
from graph.report import LoadReport
from graph.storedmap import StoredMap

__all__ = ["FollowCache", "Start", "CATCH_UP_ALWAYS"]

logger = logging.getLogger("newsgraph")

# A snapshot behind its folder is caught up (the files changed since applied to it) when
# at most this many files changed, or a quarter of the folder's; past that the folder
# is read again (a first start: its snapshot written anew).
CATCH_UP_ALWAYS = 2000


def _pause() -> None:
    """Let the other threads run (between the chunks of a long read holding the GIL)."""
    time.sleep(0.001)


@dataclass(slots=True)
class Start:
    """What a follow starts from when its snapshot is fresh: the snapshot's graph (the
    first version), the listed names and the snapshot's table of files (a row per name:
    path within the folder, content hash, size, modification time, inode; kept as read,
    ~300 bytes a file more if made into objects), the version id's sum and the folders
    holding files, and the state's part (read by :meth:`FollowCache.state` when the
    follow resumes)."""

    kg: KnowledgeGraph
    names: list[str]
    table: snapshot.FileTable
    version_sum: int
    dirs: set[str]
    state: Any
    # For a snapshot behind its folder (files changed since it was written): the
    # listing's notes (errors, skipped) when it was written; the follow catches up.
    behind: tuple[list[Any], list[Any]] | None = None
    behind_files: int = 0  # how many files were added, removed or changed since

    def kept_files(self) -> dict[str, KeptFile]:
        """The files as a follow keeps them before it read any (no parse)."""
        return {name: KeptFile(None, content, (size, mtime, inode))
                for name, (_, content, size, mtime, inode) in zip(self.names, self.table,
                                                                  strict=True)}


class FollowCache:
    """Where a followed folder's snapshot lives, and the load options it is for."""

    def __init__(self, cache_dir: Path, root: Path, options: dict[str, Any]):
        self.cache_dir, self.root, self.options = cache_dir, root, options

    @classmethod
    def of(cls, cache: str | os.PathLike[str] | bool | None, root: Path,
           options: dict[str, Any]) -> FollowCache | None:
        """The cache for ``cache`` as :func:`graph.load` takes it; None for none."""
        if not cache:
            return None
        folder = snapshot.default_cache_dir() if cache is True else Path(cache)
        return cls(folder, root, options)

    def open(self) -> snapshot.PendingSnapshot | None:
        """Start reading the stored snapshot (checked in a thread); None when there is
        none to read (said why)."""
        pending = snapshot.open_snapshot(self.cache_dir, self.root)
        if isinstance(pending, str):
            self._not_used(pending)
            return None
        return pending

    def fingerprint(self, names: list[str]) -> str | None:
        """The corpus's fingerprint now; None when a file vanished while listed."""
        try:
            return snapshot.fingerprint(self.root, names, self.options)
        except OSError as e:
            logger.info("snapshot not used: the corpus changed while it was listed (%s)", e)
            return None

    def result(self, pending: snapshot.PendingSnapshot, digest: str | None,
               behind: bool = False) -> tuple[Any, ...] | None:
        """``(graph, report, index, kept)`` when the snapshot is fresh, verified and
        holds what a follow keeps (``{"files": table, "state": pickled state}``); else
        None (said why). With ``behind``, also one a follow wrote before files changed
        (``pending.behind`` says which)."""
        if digest is None:
            pending.close()
            return None
        stored = pending.result(digest, with_files=True,
                                basis=snapshot.basis(self.root, self.options) if behind else None)
        if stored is None:
            self._not_used(pending.reason or "unknown reason")
            return None
        if stored[3] is None:
            self._not_used("written by a load, without the table of files a follow needs")
            return None
        return stored

    def start(self, pending: snapshot.PendingSnapshot, digest: str | None,
              names: list[str], rel: Callable[[str], str], base: str) -> Start | None:
        """What the follow of the folder listed as ``names`` starts from: the snapshot
        when it is fresh, verified, and its table of files is the listing (``rel``: a
        listed name's path within the folder ``base``); else None (said why)."""
        stored = self.result(pending, digest, behind=True)
        if stored is None:
            return None
        g, report, index, kept = stored
        table = kept["files"]
        prefix = base + os.sep
        cut = len(prefix)
        notes, changed = None, 0
        if pending.behind:
            behind = self._behind(table, names, prefix, kept)
            if behind is None:
                return None
            names, notes, changed = behind
        elif len(table) != len(names) or any(
                (name[cut:] if name.startswith(prefix) else rel(name)) != row[0]
                for name, row in zip(names, table, strict=True)):
            logger.warning("snapshot not used: its table of files is not the corpus's "
                           "listing; reading the corpus")
            return None
        kg = KnowledgeGraph(g, report, index=index)
        kg.from_snapshot = True  # type: ignore[attr-defined]
        return Start(kg, names, table, int.from_bytes(kept["sum"], "big"),
                     set(kept["dirs"]), kept.get("state"), notes,
                     changed if notes is not None else 0)

    def _behind(self, table: snapshot.FileTable, names: list[str], prefix: str,
                kept: Mapping[str, Any],
                ) -> tuple[list[str], tuple[list[Any], list[Any]], int] | None:
        """For a snapshot a follow wrote before the folder's files changed: the names it
        was made of and its listing's notes, when catching it up is worth it — at most
        ``CATCH_UP_ALWAYS`` files, or a quarter of the folder's, added, gone or with
        another size, modification time or inode; else None (said why)."""
        if "notes" not in kept or any(not name.startswith(prefix) for name in names):
            self._not_used("stale: the corpus changed since it was written")
            return None
        try:
            stats = snapshot.file_stats(names)
        except OSError as e:
            self._not_used(f"stale, and the corpus changed while it was listed ({e})")
            return None
        listed = dict(zip((name[len(prefix):] for name in names), stats, strict=True))
        changed = len(names) + len(table)
        for rel, _, size, mtime, inode in table:
            now = listed.get(rel)
            if now is not None:
                changed -= 1 if (size, mtime, inode) != now[:3] else 2
        if changed > max(CATCH_UP_ALWAYS, len(names) // 4):
            self._not_used(f"stale: {changed:,} of its {len(table):,} files changed since "
                           "it was written, more than catching up is worth")
            return None
        logger.info("snapshot %s is %d file(s) behind the corpus: starting from it and "
                    "applying them", snapshot.snapshot_path(self.cache_dir, self.root),
                    changed)
        errors, skipped = pickle.loads(kept["notes"])
        return [prefix + row[0] for row in table], (errors, skipped), changed

    @staticmethod
    def kept(names: list[str], files: Mapping[str, KeptFile], rel: Callable[[str], str],
             state: BuildState, root: Path, version_sum: int, dirs: set[str],
             notes: tuple[list[Any], list[Any]] = ([], []),
             ) -> dict[str, Any] | None:
        """What a snapshot keeps for a follow to go on from it: every listed file's
        (relative path, content hash, signature), in listing order, and the build state
        with each file's parse (its problems and record count) stored with it (see
        :func:`graph.incremental.pack_state`); None when a file's signature is not
        known."""
        rows: snapshot.FileTable = []
        for name in names:
            kept = files.get(name)
            if kept is None or kept.signature is None or not kept.lean:
                return None
            rows.append((rel(name), kept.digest, *kept.signature))
        packed = pack_state(state, str(root), {"files": files})
        # The version id's sum and the folders, so that a start from the snapshot does
        # not hash every file's path again (~2 s at 100k).
        # The listing's notes (folders not read, entries left out), for a start from the
        # snapshot once files changed: the state's report is checked with them.
        return {"files": rows, "state": packed, "sum": version_sum.to_bytes(16, "big"),
                "dirs": sorted(dirs), "notes": pickle.dumps(notes, protocol=5)}

    @staticmethod
    def state(part: Any, root: Path, count: int, report: LoadReport,
              made: Callable[[BuildState], LoadReport]) -> tuple[BuildState, StoredMap] | None:
        """The build state a snapshot holds (``part``) and its table of each file's
        parse, both read from the file when used; None (said why, and the follow reads
        the files instead) when it cannot be read, was kept for another path to the
        folder (``root``), for another count of files, or does not make ``report`` (the
        snapshot graph's: ``made(state)`` says what the state makes)."""
        try:
            # The head only: the stored maps (the state's, the files') stay in the
            # snapshot file, read when a change uses them.
            kept_root, state, stored = unpack_state(snapshot.state_reader(part), _pause)
        except (OSError, ValueError, SnapshotChanged, FileMoved) as e:
            logger.warning("the build state in the snapshot of %s is not read (%s): "
                           "reading the files", root, e)
            return None
        files = stored.get("files")
        if kept_root != str(root) or files is None or len(files) != count:
            return None
        if made(state).as_dict() != report.as_dict():
            return None
        return state, files

    def write(self, held: list[KnowledgeGraph], digest: str, files: dict[str, Any] | None,
              listed: Callable[[], list[str]],
              adopt: Callable[[KnowledgeGraph, Any], KnowledgeGraph | None],
              release: Callable[[], None] | None = None,
              read_back: bool = True) -> KnowledgeGraph | None:
        """Write the graph ``held`` (a list of it, emptied: the caller keeps no reference)
        with ``files`` as the snapshot at fingerprint ``digest`` when the corpus
        (``listed()`` now) still has it, and return the graph read back from it, columns
        and arrays, handed to ``adopt`` with the state part written (a follow goes on
        from it); else (or when it cannot be written: said) the graph given.

        With ``release``, the graph given is let go once written, before the snapshot is
        read back, and ``release()`` is called to let go what else the caller holds of
        it: the objects read back are then laid out as a warm start's, not in the holes
        the graph leaves among them when it goes after (pymalloc keeps an arena while
        one object in it lives). None is returned when the snapshot written cannot be
        read back then, or ``adopt`` returns None: the caller builds the graph again.
        Without ``read_back`` (a first start's child, graph/firststart.py), None once
        written."""
        built: KnowledgeGraph | None = held.pop()
        assert built is not None
        if files is None:
            return built
        if not_read_for_want(built.report.errors):
            logger.warning("snapshot not written: %s", WANTING_SAID)
            return built
        try:
            if snapshot.fingerprint(self.root, listed(), self.options) != digest:
                logger.info("snapshot not written: the corpus changed while it was read")
                return built
            snapshot.prepare_cache(self.cache_dir)
            blocks: set[int] = set()
            spans: list[tuple[int, int, bytes]] = []
            parts = snapshot.pack_parts(built.nx, built.report, built.index, by_blocks=blocks,
                                        files=files)
            path = snapshot.write_packed(self.cache_dir, self.root, digest, snapshot.PARTS,
                                         parts, spans, by_blocks=blocks,
                                         basis=snapshot.basis(self.root, self.options))
        except (OSError, ValueError) as e:  # only a slower next start: said, not raised
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            logger.warning("snapshot not written to %s: %s", self.cache_dir, reason)
            return built
        if not read_back:
            return None
        if release is not None:
            del parts, files
            built = None
            release()
        try:
            g, report, index, kept = snapshot.unpack(
                snapshot.PARTS, snapshot.read_parts(path, spans), with_files=True)
        except (OSError, ValueError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            logger.warning("snapshot written to %s not read back: %s", self.cache_dir, reason)
            return built
        return adopt(KnowledgeGraph(g, report, index=index), (kept or {}).get("state"))

    def _not_used(self, reason: str) -> None:
        routine = reason.startswith(("no snapshot", "stale", "written by a load"))
        (logger.info if routine else logger.warning)(
            "snapshot %s not used: %s; reading the corpus",
            snapshot.snapshot_path(self.cache_dir, self.root), reason)
