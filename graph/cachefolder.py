"""The snapshot cache folder: a size cap, least recently used snapshots removed first,
never one in use.

A snapshot is a copy of its corpus's text and build state (~700 MB at 100k records), one
per corpus folder ever loaded with a cache, so the folder is kept under a cap
(:func:`max_bytes`: ``$NEWSGRAPH_CACHE_MAX_MB``, else :data:`DEFAULT_MAX_MB`) each time a
snapshot is written (:func:`evict`, which :func:`graph.snapshot.write_packed` calls).

*Recently used* is the file's access time, which a start from a snapshot sets
(:func:`mark_used`; its modification time, which a reader checks, is kept): the access
time the file system keeps by itself may be coarse (``relatime``) or never set
(``noatime``), so it is set explicitly.

*In use* is a lock: a process claims the snapshot it opened with a shared ``flock`` on
the open file (:func:`claim`), held for as long as any descriptor of it is open — a
served graph whose long texts are read from its snapshot holds one for its life — and a
snapshot being written is held exclusively by its writer. An eviction takes an
exclusive lock without waiting before it removes a file, and skips one it cannot lock.
A reader that opened a file just as it was being removed sees it (the lock is taken, or
the file has no name left) and reads the corpus instead. Several processes (two
servers of one folder, ``--workers``) may share a cache folder: snapshots are written to
a temporary file and renamed into place, so a reader sees an old file or a new one, whole.
Without ``fcntl`` (not on Linux or macOS), nothing is locked and only the cap applies.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from graph.errors import NewsgraphError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_MAX_MB", "max_bytes", "evict", "claim", "hold", "mark_used"]

DEFAULT_MAX_MB = 4096
# A temporary file (a snapshot or key being written) not locked and older than this was
# left by a writer that died.
_LEFTOVER_AGE_S = 3600

logger = logging.getLogger("newsgraph.snapshot")


def max_bytes() -> int:
    """The cache folder's cap in bytes: ``$NEWSGRAPH_CACHE_MAX_MB`` MiB, else
    :data:`DEFAULT_MAX_MB`. Raises :class:`NewsgraphError` when the variable is not a
    number of MiB, zero or more."""
    raw = os.environ.get("NEWSGRAPH_CACHE_MAX_MB", "").strip()
    if not raw:
        return DEFAULT_MAX_MB * 2**20
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not mb >= 0 or mb == float("inf"):
        raise NewsgraphError(f"NEWSGRAPH_CACHE_MAX_MB must be a number of MiB, 0 or more "
                             f"(0 keeps only the snapshot in use), got {raw!r}")
    return int(mb * 2**20)


def hold(fd: int, *, exclusive: bool = False) -> None:
    """Lock the open file ``fd`` (shared, or ``exclusive`` for a writer) for as long as
    any descriptor of it is open, waiting for an exclusive holder to finish."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)


def claim(fd: int) -> str | None:
    """Claim the snapshot open at ``fd`` as in use (a shared lock, see the module's
    docstring); None, or why it cannot be used: an eviction is removing it, or has."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return "being removed from the cache by another process"
    if os.fstat(fd).st_nlink == 0:
        return "removed from the cache (by another process) as it was opened"
    return None


def mark_used(fd: int) -> None:
    """Note the snapshot open at ``fd`` as just used (its access time; the modification
    time kept)."""
    try:
        st = os.fstat(fd)
        os.utime(fd, ns=(time.time_ns(), st.st_mtime_ns))
    except OSError as e:  # a read-only cache: only its order of removal is off
        logger.debug("snapshot use not noted: %s", e)


def evict(folder: Path, max_bytes: int, keep: Path | None = None) -> list[Path]:
    """Remove snapshots from ``folder``, least recently used first, until its snapshots
    and temporary files take ``max_bytes`` or less; never ``keep`` (the one just
    written), one in use or one being written; and temporary files a dead writer left.
    Returns the snapshots removed, in that order."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    now = time.time()
    snapshots: list[tuple[float, int, Path]] = []
    total = 0
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        path = Path(entry.path)
        if entry.name.startswith((".snapshot-", ".key-")):
            if now - st.st_mtime > _LEFTOVER_AGE_S and _remove_unused(path):
                logger.info("removed %s, left by a snapshot writer that stopped", path)
                continue
            total += st.st_size
        elif entry.name.endswith(".snapshot") and entry.is_file(follow_symlinks=False):
            total += st.st_size
            if keep is None or path != keep:
                snapshots.append((max(st.st_atime, st.st_mtime), st.st_size, path))
    removed: list[Path] = []
    for _, size, path in sorted(snapshots):
        if total <= max_bytes:
            break
        if _remove_unused(path):
            logger.info("removed the snapshot %s (%.0f MB), the least recently used, to "
                        "keep the cache under %.0f MB", path, size / 2**20, max_bytes / 2**20)
            removed.append(path)
            total -= size
    if total > max_bytes:
        logger.info("the snapshot cache %s holds %.0f MB, over its cap of %.0f MB: the rest "
                    "is in use", folder, total / 2**20, max_bytes / 2**20)
    return removed


def _remove_unused(path: Path) -> bool:
    """Remove ``path`` if no process holds it (its lock taken without waiting) and it is
    still the file opened; return whether it was removed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
        opened = os.fstat(fd)
        try:
            named = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        if (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
            return False  # a new file renamed into its place meanwhile: not this one
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
