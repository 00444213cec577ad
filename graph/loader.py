"""``load(path) -> KnowledgeGraph``: find files, parse records, build the graph."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from graph.build import build_graph
from graph.errors import NewsgraphError
from graph.kg import KnowledgeGraph
from graph.records import DEFAULT_MAX_FILE_BYTES, find_files, parse_file
from graph.report import LoadReport

__all__ = ["load", "default_data_path"]


def default_data_path() -> Path:
    """Return the bundled sample corpus: ``$NEWSGRAPH_DATA``, else the project's ``data/``."""
    env = os.environ.get("NEWSGRAPH_DATA")
    if env:
        return Path(env)
    bundled = Path(__file__).resolve().parent.parent / "data"
    if not bundled.is_dir():
        return Path("data")
    try:  # shorter paths in reports when run from the project folder
        return bundled.relative_to(Path.cwd())
    except ValueError:
        return bundled


def load(
    path: str | os.PathLike[str] | None = None, *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: Callable[[int, int], None] | None = None,
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
    report = LoadReport()
    files, problems = find_files(root)
    report.errors.extend(problems)
    records = []
    for done, file in enumerate(files, start=1):
        parsed = parse_file(file, max_bytes=max_file_bytes)
        if parsed.skipped:
            report.skipped.append(parsed.skipped)
        else:
            report.files += 1
        report.errors.extend(parsed.errors)
        records.extend(parsed.records)
        if progress is not None:
            progress(done, len(files))
    g = build_graph(records, report)
    return KnowledgeGraph(g, report)


def _print_progress(done: int, total: int) -> None:  # pragma: no cover - terminal only
    if done == total or done % 200 == 0:
        end = "\n" if done == total else ""
        print(f"\rloading {done}/{total} files", end=end, file=sys.stderr, flush=True)
