"""A followed folder's snapshot: the first version of :func:`graph.follow` read from it,
or written to it.

A follow needs more than a load to go on from a snapshot: the content hash of every
file (the version id is made of them, graph/live.py) and its signature (what a rescan
compares), and the inputs of its build (graph/incremental.py, ``BuildState``: records
by reference, links, spellings, problems). A snapshot a follow writes holds them (a
table of files, :data:`graph.snapshot.FileTable`, and the state pickled), signed with
the rest; one a load wrote has none, and a follow does not start from it. The snapshot
is used under the same rule as a load's: only when its fingerprint is the corpus's
now (every file's path, size, modification time, inode and change time, the options,
newsgraph's code), so a folder changed while no follow ran reads every file again, and
a stale or corrupt snapshot is never served. The state is pickled: like every part of
a snapshot, it is read back only once the file's signature (HMAC under the per-user
key) verifies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph import snapshot
from graph.kg import KnowledgeGraph

__all__ = ["FollowCache"]

logger = logging.getLogger("newsgraph")


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
               ) -> tuple[Any, ...] | None:
        """``(graph, report, index, kept)`` when the snapshot is fresh, verified and
        holds what a follow keeps (``{"files": table, "state": pickled state}``); else
        None (said why)."""
        if digest is None:
            pending.close()
            return None
        stored = pending.result(digest, with_files=True)
        if stored is None:
            self._not_used(pending.reason or "unknown reason")
            return None
        if stored[3] is None:
            self._not_used("written by a load, without the table of files a follow needs")
            return None
        return stored

    def write(self, kg: KnowledgeGraph, digest: str, files: dict[str, Any] | None,
              listed: Callable[[], list[str]],
              adopt: Callable[[KnowledgeGraph], KnowledgeGraph]) -> KnowledgeGraph:
        """Write ``kg`` (with ``files``) as the snapshot at fingerprint ``digest`` when
        the corpus (``listed()`` now) still has it, and return the graph read back from
        it, columns and arrays, handed to ``adopt``; else (or when it cannot be
        written: said) ``kg``."""
        if files is None:
            return kg
        try:
            if snapshot.fingerprint(self.root, listed(), self.options) != digest:
                logger.info("snapshot not written: the corpus changed while it was read")
                return kg
            snapshot.prepare_cache(self.cache_dir)
            blocks: set[int] = set()
            spans: list[tuple[int, int, bytes]] = []
            parts = snapshot.pack_parts(kg.nx, kg.report, kg.index, by_blocks=blocks,
                                        files=files)
            path = snapshot.write_packed(self.cache_dir, self.root, digest, snapshot.PARTS,
                                         parts, spans, by_blocks=blocks)
            g, report, index = snapshot.unpack(snapshot.PARTS,
                                               snapshot.read_parts(path, spans))
        except (OSError, ValueError) as e:  # only a slower next start: said, not raised
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            logger.warning("snapshot not written to %s: %s", self.cache_dir, reason)
            return kg
        return adopt(KnowledgeGraph(g, report, index=index))

    def _not_used(self, reason: str) -> None:
        routine = reason.startswith(("no snapshot", "stale", "written by a load"))
        (logger.info if routine else logger.warning)(
            "snapshot %s not used: %s; reading the corpus",
            snapshot.snapshot_path(self.cache_dir, self.root), reason)
