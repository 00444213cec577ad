"""``load(path) -> KnowledgeGraph``: find files, parse records, build the graph.

Large corpora are parsed by a pool of processes (parsing is CPU-bound Python and
one process uses one core); with a cache folder, a corpus loaded before comes back
from a signed snapshot without parsing or building (see :mod:`graph.snapshot`).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from graph import fastyaml
from graph.build import share_node_values
from graph.compact import compact
from graph.errors import NewsgraphError
from graph.index import ReadIndex
from graph.kg import KnowledgeGraph
from graph.progress import ProgressCallback, Step, checked
from graph.records import (
    DEFAULT_MAX_FILE_BYTES,
    ParsedFile,
    Record,
    check_include,
    corpus_root,
    list_files,
    missing_path,
    not_read_for_want,
    parse_file,
)
from graph.report import LoadReport
from graph.snapshotwrite import SnapshotWrite, wait_for_writes

__all__ = ["load", "default_data_path", "parse_files", "pool_context", "share_node_values",
           "WANTING_SAID"]

logger = logging.getLogger("newsgraph.loader")

# Why a load that could not read a file for want of a resource writes no snapshot.
WANTING_SAID = ("a file could not be read for want of a resource of this process (open "
                "files, memory; see the load report's errors), which a start from the "
                "snapshot would keep: the next start reads the corpus again")

# The build and the parse workers' part of it (graph.build), compiled with the reader
# when it is (graph/fastyaml.py): the same answers, the serial build after the parse
# ~10% sooner and a worker's record ~3 us less (docs/history/performance-log.md, cold37).
_build = fastyaml.module("build")
build_graph, prepare_records = _build.build_graph, _build.prepare_records

# Below this many files a pool costs more to start than it saves.
POOL_MIN_FILES = 2000
_CHUNK = 256
# A prepared record's fields, once its Prepared holds what the build reads of them.
_DROPPED: dict[str, object] = {}
# Up to this many records, a cold load's snapshot is written after the load returns
# (graph/snapshotwrite.py): the graph answers meanwhile, and the snapshot's columns are
# made while the built graph is still held. Past it, memory comes first: the snapshot is
# written before the load returns, the built graph taken apart as it goes (at a million
# records, holding both would take GiBs more).
BACKGROUND_MAX_RECORDS = 250_000


def default_data_path() -> Path:
    """Return the bundled sample corpus: ``$NEWSGRAPH_DATA``, else the project's ``data/``."""
    env = os.environ.get("NEWSGRAPH_DATA")
    if env:
        return Path(env)
    bundled = Path(__file__).resolve().parent.parent / "data"
    if not bundled.is_dir():
        return Path("data")
    try:  # shorter paths in reports, and no absolute server paths, from the project folder
        return bundled.relative_to(Path.cwd())
    except ValueError:
        return bundled


def load(
    path: str | os.PathLike[str] | None = None, *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    cache: str | os.PathLike[str] | bool | None = None,
    include: Sequence[str] = (),
    follow_symlinks: bool = False,
) -> KnowledgeGraph:
    """Load news records from a folder (recursively) or one file into a KnowledgeGraph.

    Parameters
    ----------
    path : path-like, optional
        A folder or a single file; the bundled ``data/`` by default.
    max_file_bytes : int
        Files larger than this are rejected (10 MB by default).
    progress : callable, optional
        Called with a :class:`graph.progress.Step` ``(phase, done, total, records)``
        as the load goes, from the loading thread, in order: ``parse`` (``done`` of
        ``total`` files, many times), then ``build``, ``index`` and, with ``cache``,
        ``snapshot`` (each ``0`` of ``1`` as it begins, ``1`` of ``1`` as it ends; the
        snapshot's from the thread that writes it, after the load returned, up to
        :data:`BACKGROUND_MAX_RECORDS` records); a warm start from a snapshot is
        ``snapshot-read`` alone. ``print`` will do.
    workers : int, optional
        Processes that parse files; by default one per core for large corpora
        (2,000 files or more) and none (parse in this process) for small ones. While
        other threads run, workers are used only if the program chose the
        ``forkserver`` or ``spawn`` start method (:func:`multiprocessing.set_start_method`),
        since forking a threaded process can deadlock.
    cache : path-like or bool, optional
        A folder for snapshots (``True``: :func:`graph.snapshot.default_cache_dir`).
        The first load writes the graph, its report and read index there; a later
        load of an unchanged corpus reads them back instead of parsing. Up to
        :data:`BACKGROUND_MAX_RECORDS` records the first load returns before the
        snapshot is written, by a thread (``kg.snapshot_write``,
        :class:`graph.snapshotwrite.SnapshotWrite`; its ``wait()`` waits for it). Any change to
        a file's path, size or modification time rebuilds it. Off by default.
        Whenever a snapshot is not used or not written, the ``newsgraph`` logger says
        why.
    include : sequence of str
        Globs of more files to read as records (front matter, like ``.txt``), matched
        against the end of each path: ``["*.html"]``, ``["pages/*.htm"]``.
    follow_symlinks : bool
        Follow symlinks that point outside the corpus folder too (by default they are
        skipped with a note; symlinks within it are always followed).

    Returns
    -------
    KnowledgeGraph
        With ``.report`` holding counts, skipped files, errors and warnings.

    Raises
    ------
    NewsgraphError
        If ``path`` does not exist. Broken files never raise: they are reported.
    """
    if path is not None and not str(os.fspath(path)).strip():  # Path("") is "."
        raise NewsgraphError(f"an empty path ({path!r}): give a folder or file of records "
                             "('.' for the current folder)")
    root = Path(path) if path is not None else default_data_path()
    if not root.exists():
        raise missing_path(root)
    if workers is not None and workers < 1:
        raise NewsgraphError(f"workers must be at least 1, got {workers!r}")
    checked(progress)
    # Building millions of containers triggers the cyclic collector over and over to
    # find nothing: keep it off for the load, as the graph holds no garbage.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(root, max_file_bytes, progress, workers, cache, check_include(include),
                     follow_symlinks)
    finally:
        if collecting:
            _to_oldest_generation()
            gc.enable()


def _to_oldest_generation() -> None:
    """Move what the load made into the collector's oldest generation, unscanned. Left in
    the youngest, it would all be scanned by the first collection after the load (the
    first allocation sets one off: ~0.6 s of CPU at 100k records, before a first answer)
    and again by the middle generation's, to find that the graph is no garbage.
    (``gc.freeze`` moves every tracked object to the permanent generation,
    ``gc.unfreeze`` back to the oldest; done only when nothing is frozen, so that a
    program's own freeze is never undone.)"""
    global _FROZEN_ELSEWHERE
    if _FROZEN_ELSEWHERE:
        return
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
    else:
        # The count walks every frozen object (30-70 ms at 3M): once is enough to know.
        # What a program froze it unfreezes itself, if ever; then this only costs the
        # first collections' scan of a later load, as it did before the freeze.
        _FROZEN_ELSEWHERE = True


_FROZEN_ELSEWHERE = False  # set once a load found objects frozen (by a server, a program)


def _load(root: Path, max_file_bytes: int, progress: ProgressCallback | None,
          workers: int | None, cache: str | os.PathLike[str] | bool | None,
          include: tuple[str, ...], follow_symlinks: bool) -> KnowledgeGraph:
    cache_dir = digest = None
    pending: Any = None
    if cache:
        from graph import snapshot

        cache_dir = snapshot.default_cache_dir() if cache is True else Path(cache)
        # This process may be writing it now (a load that just returned): read it then.
        wait_for_writes(snapshot.snapshot_path(cache_dir, root))
        # The stored snapshot is read and its signature checked in a thread while the
        # corpus is listed and stat'ed for its fingerprint (at a million files, seconds
        # each); it is decoded only if both hold.
        pending = snapshot.open_snapshot(cache_dir, root)
    try:
        listing = list_files(root, follow_symlinks=follow_symlinks)
    except BaseException:
        if pending is not None and not isinstance(pending, str):
            pending.close()
        raise
    names = listing.names

    options: dict[str, object] = {"max_file_bytes": max_file_bytes}
    if include:
        options["include"] = list(include)
    if follow_symlinks:
        options["follow_symlinks"] = True
    # With no snapshot to read, the fingerprint is needed only to write one: it is made
    # of each file's stat as the parse read it (ParsedFile.stat), not by stat'ing every
    # file first (a serial pass before the parse can start, ~0.4 s of CPU at 100k).
    deferred = cache_dir is not None and isinstance(pending, str)
    if cache_dir is not None and deferred:
        from graph import snapshot

        _log_fallback(pending, snapshot.snapshot_path(cache_dir, root))
    elif cache_dir is not None:
        from graph import snapshot

        try:
            digest = snapshot.fingerprint(root, names, options)
        except OSError as e:
            digest = None  # a file vanished while listed: load, and store nothing
            logger.info("snapshot not used: the corpus changed while it was listed (%s)", e)
        stored = None
        if digest is not None:  # (pending: a snapshot being read, not a reason)
            if progress is not None:
                progress(Step("snapshot-read", 0, 1))
            stored = pending.result(digest)
            if stored is None:
                _log_fallback(pending.reason, pending.path)
        else:
            pending.close()
        if digest is not None and stored is not None:
            g, report, index = stored
            kg = KnowledgeGraph(g, report, index=index)
            kg.from_snapshot = True  # type: ignore[attr-defined]
            if progress is not None:
                progress(Step("snapshot-read", 1, 1, report.records))
            return kg

    report = LoadReport()
    report.errors.extend(listing.errors)
    report.skipped.extend(listing.skipped)
    fingerprinting = None
    if cache_dir is not None and deferred:
        fingerprinting = snapshot.FingerprintOfRead(root, options)

    def records() -> Iterator[Record]:
        found = 0
        if progress is not None:
            progress(Step("parse", 0, len(names)))
        parsed_files = _parse_all(names, max_file_bytes, workers, include,
                                  corpus_root(root, follow_symlinks=follow_symlinks),
                                  prepared=True)
        for done, parsed in enumerate(parsed_files, start=1):
            report.count_file(parsed)
            if fingerprinting is not None:
                fingerprinting.add(names[done - 1], parsed.stat)
            yield from parsed.records
            found += len(parsed.records)
            if progress is not None:
                progress(Step("parse", done, len(names), found))
        if progress is not None:
            progress(Step("build", 0, 1, found))

    # The build reads records as the parse workers deliver them, so its first pass
    # overlaps parsing; its problems follow the parse problems, as in a two-step load.
    built = LoadReport()
    edge_log: list[tuple[str, str, str, dict[str, Any]]] = []
    # What the build and the edge arrays are done with: freed after the first answer
    # can be given when a snapshot is written in the background (by its thread, first),
    # else before the load returns. Freeing is work (~0.3-0.5 s of CPU at 100k records,
    # each object's reference let go) that the first answer need not wait for.
    leftovers: list[Any] = []
    g = build_graph(records(), built, share_links=True, edge_log=edge_log,
                    leftovers=leftovers)
    for name in ("records", "articles", "stubs", "providers", "topics", "edges"):
        setattr(report, name, getattr(built, name))
    report.errors.extend(built.errors)
    report.warnings.extend(built.warnings)
    report.skipped.sort(key=lambda p: p.path.replace(os.sep, "\0"))
    if progress is not None:
        progress(Step("build", 1, 1, built.records))
        progress(Step("index", 0, 1, built.records))
    # Served from here on: the edges move from networkx's dicts into arrays, which
    # kg.nx reads through views (graph/compact.py), ~15x less memory; the read index's
    # adjacency is made from those arrays.
    # Nodes in id order, each node's in-edges by source id: the order a followed
    # version lists them in after any changes (graph/patch.py), whatever the build's.
    ids = sorted(g._node)
    g._node = {node: g._node[node] for node in ids}
    if not edge_log:  # the edges are in the dicts (see build_graph): their in-edges too
        g._pred = {v: {u: into[u] for u in sorted(into)} for v, into in g._pred.items()}
    built, g = g, compact(g, ids, {node: i for i, node in enumerate(ids)}, edge_log)
    leftovers.append(edge_log)
    leftovers.append(dict(vars(built)))
    del edge_log
    vars(built).clear()  # its views (g.nodes, ...) hold it in cycles: let its dicts go
    del built
    index = ReadIndex(g)
    kg = KnowledgeGraph(g, report, index=index)
    kg.from_snapshot = False  # type: ignore[attr-defined]
    if progress is not None:
        progress(Step("index", 1, 1, report.records))

    if fingerprinting is not None:
        digest = fingerprinting.digest()
        if digest is None:
            logger.info("snapshot not written: a file could not be stat'ed as it was read "
                        "(the corpus changed while it was loaded)")
        elif not_read_for_want(report.errors):
            digest = None
            logger.warning("snapshot not written: %s", WANTING_SAID)
    if cache_dir is not None and digest is not None:
        if report.records > BACKGROUND_MAX_RECORDS:
            leftovers.clear()
            held = [kg]  # handed over whole: the graph is taken apart as it is written
            del kg, g, index
            return _write_now(held, cache_dir, root, digest, options, progress,
                              max_file_bytes, workers, include, follow_symlinks)
        SnapshotWrite(kg, cache_dir, root, digest, options, follow_symlinks,
                      progress, leftovers).start()  # graph/snapshotwrite.py
        return kg
    leftovers.clear()
    return kg


def _write_now(held: list[KnowledgeGraph], cache_dir: Path, root: Path, digest: str,
               options: dict[str, object], progress: ProgressCallback | None,
               max_file_bytes: int, workers: int | None, include: tuple[str, ...],
               follow_symlinks: bool) -> KnowledgeGraph:
    """Write the snapshot before the load returns, the built graph taken apart as its
    parts are written, and return the graph read back from them (a large corpus's way:
    the built graph, its columns and the packed bytes are never held at once).
    ``held``: a list of the one graph, emptied (the caller keeps no reference)."""
    from graph import snapshot

    kg = held.pop()
    g, report, index = kg.nx, kg.report, kg.index
    try:
        # Written only when the corpus did not change while it was read.
        again = list_files(root, follow_symlinks=follow_symlinks).names
        if snapshot.fingerprint(root, again, options) == digest:
            if progress is not None:
                progress(Step("snapshot", 0, 1, report.records))
            # The graph just built lies among the records the parse freed, memory the
            # allocator keeps (~0.8 GB at 100k). Freed whole and read back from the
            # snapshot, it is laid out as a warm start's, about half that. Packed a
            # part at a time, each written as it is made while the graph's dicts go
            # (consume), and read back a part at a time, checked against what was
            # written: the graph, the read index and all the packed bytes are never
            # held at once (at a million records that is GiBs).
            snapshot.prepare_cache(cache_dir)  # cannot be written: said, graph kept
            blocks: set[int] = set()
            parts = snapshot.pack_parts(g, report, index, consume=True,
                                        by_blocks=blocks)
            del kg, g, index
            try:
                spans: list[tuple[int, int, bytes]] = []
                path = snapshot.write_packed(cache_dir, root, digest, snapshot.PARTS,
                                             parts, spans, by_blocks=blocks)
                gc.collect()  # the read index's caches held the graphs in cycles
                g, report, index = snapshot.unpack(snapshot.PARTS,
                                                   snapshot.read_parts(path, spans))
            except (OSError, ValueError) as e:
                # The graph went into the parts as they were written: load it again.
                reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                logger.warning("snapshot not written to %s: %s; loading the corpus "
                               "again", cache_dir, reason)
                parts.close()
                return _load(root, max_file_bytes, progress, workers, None, include,
                             follow_symlinks)
            kg = KnowledgeGraph(g, report, index=index)
            kg.from_snapshot = False  # type: ignore[attr-defined]
            if progress is not None:
                progress(Step("snapshot", 1, 1, report.records))
        else:
            logger.info("snapshot not written: the corpus changed while it was loaded")
    except (OSError, ValueError) as e:  # only a slower next start: said, not raised
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        logger.warning("snapshot not written to %s: %s", cache_dir, reason)
    return kg


def _log_fallback(reason: str | None, path: Path) -> None:
    """Say why the snapshot at ``path`` was not used: quietly when there is none yet or
    the corpus changed, as a warning when it was refused."""
    reason = reason or "unknown reason"
    routine = reason.startswith(("no snapshot", "stale"))
    log = logger.info if routine else logger.warning
    log("snapshot %s not used: %s; loading the corpus", path, reason)


def _parse_all(files: list[str], max_file_bytes: int, workers: int | None,
               include: tuple[str, ...] = (), within: str | None = None,
               prepared: bool = False) -> Iterator[ParsedFile]:
    """Yield each file's parse, in order; in a process pool when it pays. With
    ``prepared``, the pool's workers also work out what the build reads from each record
    alone (:func:`graph.build.prepare`): the build process then only links it."""
    if workers is None:
        workers = (os.cpu_count() or 1) if len(files) >= POOL_MIN_FILES else 1
    workers = min(workers, max(1, len(files) // _CHUNK))
    context = pool_context() if workers > 1 else None
    if context is None:
        for file in files:
            yield parse_file(file, max_bytes=max_file_bytes, include=include,
                             within=within)
        return
    chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for parsed in pool.map(_parse_chunk, chunks, [max_file_bytes] * len(chunks),
                                   [include] * len(chunks), [within] * len(chunks),
                                   [prepared] * len(chunks)):
                done += 1
                yield from parsed
    except Exception as e:  # noqa: BLE001 - a worker died (killed, out of memory): go on here
        logger.warning("a parse worker failed (%s: %s); parsing the rest in this process",
                       type(e).__name__, e)
        for chunk in chunks[done:]:
            yield from _parse_chunk(chunk, max_file_bytes, include, within)


# What the fork server imports once, for the workers it forks (see pool_context).
FORKSERVER_PRELOAD = ["__main__", "graph.loader"]


def pool_context() -> multiprocessing.context.BaseContext | None:
    """How to start the parse pool's workers or a first start's child
    (graph/firststart.py), or None to do the work in this process.

    A process with one thread forks them (cheapest: they share its imports). Forking a
    process that runs other threads can deadlock a child on a lock another thread held;
    then the workers are started the way the program chose with
    :func:`multiprocessing.set_start_method` — ``forkserver`` (a fresh process that
    imports this module and forks each worker from itself) or ``spawn`` — and, when it
    chose none or ``fork``, the files are parsed here. Both methods import the
    program's main module in the workers, which is why choosing one is the program's
    to do (its work kept under ``if __name__ == "__main__":``); ``newsgraph serve``,
    which loads in a thread beside the page it shows meanwhile, chooses ``forkserver``.
    """
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork") if "fork" in methods else None
    chosen = multiprocessing.get_start_method(allow_none=True)
    if chosen not in ("forkserver", "spawn"):
        return None
    context = multiprocessing.get_context(chosen)
    if chosen == "forkserver":
        context.set_forkserver_preload(FORKSERVER_PRELOAD)
    return context


def parse_files(files: list[str], max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                workers: int | None = None, include: tuple[str, ...] = (),
                within: str | None = None) -> Iterator[ParsedFile]:
    """Yield each file's parse, in order; in a process pool for large corpora, as
    :func:`load` parses them (``within``: see :func:`graph.records.parse_file`). ``files``:
    names as :func:`graph.records.list_files` gives them; each parse's ``path`` is the name
    as given."""
    return _parse_all(files, max_file_bytes, workers, include, within)


def _parse_chunk(files: list[str], max_file_bytes: int, include: tuple[str, ...] = (),
                 within: str | None = None, prepared: bool = False) -> list[ParsedFile]:
    # The listing's names as they are (normalized already): a Path made and turned back
    # into a string costs a worker ~3 us a file.
    parsed = [parse_file(file, max_bytes=max_file_bytes, include=include, within=within)
              for file in files]
    if prepared:
        prepare_records(rec for result in parsed for rec in result.records)
        # The build reads a prepared record's Prepared alone: its raw fields (the dict,
        # the provider mapping, the topic and related lists) are neither pickled back
        # nor held by the build process (~1 KB a record, a GB at a million).
        for result in parsed:
            for rec in result.records:
                if rec.prepared is not None:
                    rec.fields = _DROPPED
    return parsed

