"""A cold load's snapshot, written by a thread after :func:`graph.load` returned.

The first answer does not wait for the snapshot: the loader hands the graph it built to
:class:`SnapshotWrite`, which writes the snapshot from it, reads it back and swaps the
read-back graph in (see the class). Past ``graph.loader.BACKGROUND_MAX_RECORDS`` the
loader writes before it returns instead (memory first).
"""

from __future__ import annotations

# Imported before this module registers its fork hook (below), so that the hook of the
# thread pool (which the write uses to stat the corpus) runs after it: that hook takes a
# lock every new pool task needs, and a fork that took it first waited for a write
# waiting for it.
import concurrent.futures.thread  # noqa: F401
import gc
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from graph import heap
from graph.kg import KnowledgeGraph
from graph.progress import ProgressCallback, Step
from graph.records import list_files

__all__ = ["SnapshotWrite", "wait_for_writes"]

logger = logging.getLogger("newsgraph.loader")


class SnapshotWrite:
    """A cold load's snapshot, written in a thread after :func:`load` returned.

    The graph serves meanwhile as built. The thread checks first that the corpus did not
    change while it was loaded (else it writes nothing, as before), writes the snapshot
    from the served graph, reads it back (checked against what it wrote) and hands the
    read-back graph and read index to the KnowledgeGraph (``kg.nx``, ``kg.index``): equal
    to the built ones, laid out as a warm start's (node attributes in columns, long texts
    left in the file), about half the memory. ``kg.snapshot_write`` is this object.

    A later load of the same corpus with the same cache in this process waits for it
    (else it would load the corpus again), and so does a fork of this process (a child
    forked mid-write would serve the graph the parent lets go, and could inherit the
    writer's locks held).
    """

    def __init__(self, kg: KnowledgeGraph, cache_dir: Path, root: Path, digest: str,
                 options: dict[str, object], follow_symlinks: bool,
                 progress: ProgressCallback | None, leftovers: list[Any] | None = None):
        from graph import snapshot

        self.kg, self.cache_dir, self.root, self.digest = kg, cache_dir, root, digest
        self.options, self.follow_symlinks, self.progress = options, follow_symlinks, progress
        # What the load was done with and left to free (graph/loader.py): freed by the
        # thread first, before the snapshot's parts take memory.
        self.leftovers = leftovers
        self.path = snapshot.snapshot_path(cache_dir, root)
        # The snapshot written (None until then, and when it was not: the log says why);
        # the thread's wall and CPU seconds once done.
        self.written: Path | None = None
        self.seconds: float | None = None
        self.cpu_seconds: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsgraph-snapshot")

    def start(self) -> SnapshotWrite:
        with _WRITING_LOCK:
            _WRITING[self.path] = self
        self.kg.snapshot_write = self  # type: ignore[attr-defined]
        try:
            self._thread.start()
        except BaseException:  # no thread: nothing will end the write, so nothing waits
            with _WRITING_LOCK:
                if _WRITING.get(self.path) is self:
                    del _WRITING[self.path]
            self._done.set()
            raise
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the write ended (written or not); True when it has.

        A write whose thread is gone has ended, whatever it left unset: a fork waits
        here, and must never wait for a thread that no longer runs.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done.wait(0.5 if deadline is None
                                  else max(0.0, min(0.5, deadline - time.monotonic()))):
            if not self._thread.is_alive():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def _run(self) -> None:
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            self._write()
        except (OSError, ValueError) as e:  # only a slower next start: said, not raised
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            logger.warning("snapshot not written to %s: %s", self.cache_dir, reason)
        except Exception:  # noqa: BLE001 - a thread's error would go unseen otherwise
            logger.exception("snapshot not written to %s", self.cache_dir)
        finally:
            self._free_leftovers()
            self.seconds = time.perf_counter() - began
            self.cpu_seconds = time.thread_time() - cpu
            with _WRITING_LOCK:
                if _WRITING.get(self.path) is self:
                    del _WRITING[self.path]
            self.kg = None  # type: ignore[assignment]
            self._done.set()

    def _free_leftovers(self) -> None:
        if self.leftovers is not None:
            self.leftovers.clear()
            self.leftovers = None

    def _write(self) -> None:
        from graph import snapshot

        kg, progress = self.kg, self.progress
        # Written only when the corpus did not change while it was read.
        again = list_files(self.root, follow_symlinks=self.follow_symlinks).names
        if snapshot.fingerprint(self.root, again, self.options) != self.digest:
            logger.info("snapshot not written: the corpus changed while it was loaded")
            return
        # After the corpus is listed and stat'ed again (system calls, the first answers
        # meanwhile), before the snapshot's parts take memory: the load's leftovers.
        self._free_leftovers()
        records = kg.report.records
        if progress is not None:
            progress(Step("snapshot", 0, 1, records))
        snapshot.prepare_cache(self.cache_dir)  # cannot be written: said, graph kept
        blocks: set[int] = set()
        spans: list[tuple[int, int, bytes]] = []
        parts = snapshot.pack_parts(kg.nx, kg.report, kg.index, by_blocks=blocks)
        path = snapshot.write_packed(self.cache_dir, self.root, self.digest, snapshot.PARTS,
                                     parts, spans, by_blocks=blocks)
        self.written = path
        g, _, index = snapshot.unpack(snapshot.PARTS, snapshot.read_parts(path, spans))
        held = kg.index
        # One attribute at a time: a reader between the two sees the new graph with the
        # old index, whose ids, positions and answers are the same.
        kg.nx, kg.index = g, index
        if held.words is not None:  # the search index came meanwhile: the blob may go
            index.hold_text_once(held.words)
        del held, kg
        gc.collect()  # the built graph, held in cycles by its read index's caches
        heap.release()  # and its pages, freed among the parse's, given back
        if progress is not None:
            progress(Step("snapshot", 1, 1, records))


# The snapshots being written, by path (see SnapshotWrite).
_WRITING: dict[Path, SnapshotWrite] = {}
_WRITING_LOCK = threading.Lock()


def wait_for_writes(path: Path | None = None) -> None:
    """Wait for the snapshot this process is writing at ``path`` (None: for all)."""
    with _WRITING_LOCK:
        writes = [w for p, w in _WRITING.items() if path is None or p == path]
    for write in writes:
        write.wait()


if hasattr(os, "register_at_fork"):
    # Fork hooks run last registered first: the thread pool's, registered when
    # concurrent.futures.thread was imported (above), runs after this one (see there).
    os.register_at_fork(before=wait_for_writes)
