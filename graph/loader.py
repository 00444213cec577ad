"""``load(path) -> KnowledgeGraph``: find files, parse records, build the graph.

Large corpora are parsed by a pool of processes (parsing is CPU-bound Python and
one process uses one core); with a cache folder, a corpus loaded before comes back
from a signed snapshot without parsing or building (see :mod:`graph.snapshot`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import networkx as nx

from graph.build import RELATED, build_graph
from graph.errors import NewsgraphError
from graph.kg import KnowledgeGraph
from graph.records import (
    DEFAULT_MAX_FILE_BYTES,
    ParsedFile,
    Record,
    find_file_names,
    parse_file,
)
from graph.report import LoadReport

__all__ = ["load", "default_data_path", "parse_files"]

# Below this many files a pool costs more to start than it saves.
POOL_MIN_FILES = 2000
_CHUNK = 256


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
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    cache: str | os.PathLike[str] | bool | None = None,
) -> KnowledgeGraph:
    """Load news records from a folder (recursively) or one file into a KnowledgeGraph.

    Parameters
    ----------
    path : path-like, optional
        A folder or a single file; the bundled ``data/`` by default.
    max_file_bytes : int
        Files larger than this are rejected (10 MB by default).
    progress : callable, optional
        Called as ``progress(files_done, files_total)`` while files are parsed.
    workers : int, optional
        Processes that parse files; by default one per core for large corpora
        (2,000 files or more) and none (parse in this process) for small ones.
    cache : path-like or bool, optional
        A folder for snapshots (``True``: :func:`graph.snapshot.default_cache_dir`).
        An unchanged corpus then loads from its snapshot; any change to a file's
        path, size or modification time rebuilds it. Off by default.

    Returns
    -------
    KnowledgeGraph
        With ``.report`` holding counts, skipped files, errors and warnings.

    Raises
    ------
    NewsgraphError
        If ``path`` does not exist. Broken files never raise: they are reported.
    """
    root = Path(path) if path is not None else default_data_path()
    if not root.exists():
        raise NewsgraphError(f"no such file or folder: {str(root)!r}")
    if workers is not None and workers < 1:
        raise NewsgraphError(f"workers must be at least 1, got {workers!r}")
    # Building millions of containers triggers the cyclic collector over and over to
    # find nothing: keep it off for the load, as the graph holds no garbage.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(root, max_file_bytes, progress, workers, cache)
    finally:
        if collecting:
            gc.enable()


def _load(root: Path, max_file_bytes: int, progress: Callable[[int, int], None] | None,
          workers: int | None, cache: str | os.PathLike[str] | bool | None,
          ) -> KnowledgeGraph:
    names, problems = find_file_names(root)

    cache_dir = digest = None
    if cache:
        from graph import snapshot

        cache_dir = snapshot.default_cache_dir() if cache is True else Path(cache)
        options = {"max_file_bytes": max_file_bytes}
        # The stored snapshot's signature is checked in a thread while the corpus is
        # stat'ed for its fingerprint; it is decoded only if both hold.
        pending = snapshot.open_snapshot(cache_dir, root)
        try:
            digest = snapshot.fingerprint(root, names, options)
        except OSError:
            digest = None  # a file vanished while listed: load, and store nothing
        stored = None
        if pending is not None:
            if digest is not None:
                stored = pending.result(digest)
            else:
                pending.close()
        if digest is not None:
            if stored is not None:
                g, report, index = stored
                kg = KnowledgeGraph(g, report, index=index)
                kg.from_snapshot = True  # type: ignore[attr-defined]
                if progress is not None:
                    progress(len(names), len(names))
                return kg

    report = LoadReport()
    report.errors.extend(problems)

    def records() -> Iterator[Record]:
        for done, parsed in enumerate(_parse_all(names, max_file_bytes, workers), start=1):
            if parsed.skipped:
                report.skipped.append(parsed.skipped)
            else:
                report.files += 1
            report.errors.extend(parsed.errors)
            yield from parsed.records
            if progress is not None:
                progress(done, len(names))

    # The build reads records as the parse workers deliver them, so its first pass
    # overlaps parsing; its problems follow the parse problems, as in a two-step load.
    built = LoadReport()
    g = build_graph(records(), built)
    for name in ("records", "articles", "stubs", "providers", "topics", "edges"):
        setattr(report, name, getattr(built, name))
    report.errors.extend(built.errors)
    report.warnings.extend(built.warnings)
    _share_values(g)
    kg = KnowledgeGraph(g, report)
    kg.from_snapshot = False  # type: ignore[attr-defined]

    if cache_dir is not None and digest is not None:
        from graph import snapshot

        try:
            # Written only when the corpus did not change while it was read.
            again, _ = find_file_names(root)
            if snapshot.fingerprint(root, again, options) == digest:
                snapshot.write_snapshot(cache_dir, root, digest, (g, report, kg.index))
        except OSError:
            pass  # a cache that cannot be written is only a slower next start
    return kg


def _share_values(g: nx.MultiDiGraph) -> None:
    """Let equal values share one object, in memory and in snapshots: an article's URLs
    that equal its canonical URL, short repeated strings, and the
    ``{"kind": ...}`` data of every TAGGED or PUBLISHED_BY edge (the graph is read-only
    once loaded, so one mapping per kind serves them all)."""
    intern = sys.intern
    for data in g._node.values():
        url = data.get("url")
        if url is not None:
            for key in ("web_url", "original_url"):
                if data.get(key) == url:
                    data[key] = url
        for key in ("category", "type", "provider"):
            value = data.get(key)
            if isinstance(value, str) and len(value) <= 64:
                data[key] = intern(value)
        topics = data.get("topics")
        if topics:
            data["topics"] = [intern(t) for t in topics]
    shared: dict[str, dict[str, str]] = {}
    for nbrs in g._succ.values():
        for keydict in nbrs.values():
            for key, datadict in keydict.items():
                if key != RELATED and len(datadict) == 1 and datadict.get("kind") == key:
                    keydict[key] = shared.setdefault(key, datadict)


def _parse_all(files: list[str], max_file_bytes: int,
               workers: int | None) -> Iterator[ParsedFile]:
    """Yield each file's parse, in order; in a process pool when it pays."""
    if workers is None:
        workers = (os.cpu_count() or 1) if len(files) >= POOL_MIN_FILES else 1
    workers = min(workers, max(1, len(files) // _CHUNK))
    if workers > 1 and ("fork" not in multiprocessing.get_all_start_methods()
                        or threading.active_count() > 1):
        # Forking a threaded process can deadlock, and spawning re-runs the caller's
        # main script in every worker: parse here instead.
        workers = 1
    if workers <= 1:
        for file in files:
            yield parse_file(Path(file), max_bytes=max_file_bytes)
        return
    chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for parsed in pool.map(_parse_chunk, chunks, [max_file_bytes] * len(chunks)):
            yield from parsed


def parse_files(files: list[str], max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                workers: int | None = None) -> Iterator[ParsedFile]:
    """Yield each file's parse, in order; in a process pool for large corpora, as
    :func:`load` parses them."""
    return _parse_all(files, max_file_bytes, workers)


def _parse_chunk(files: list[str], max_file_bytes: int) -> list[ParsedFile]:
    return [parse_file(Path(file), max_bytes=max_file_bytes) for file in files]
