"""The folders of a run of a listing's files, each opened once, for reading its files.

A load reads its files in listing order (sorted: each folder's files together; at 100k
records ~134 files a folder). :func:`graph.records.parse_file` checks, for a corpus
whose symlinks out of it are not followed, that each file it opens lies in the corpus
folder: the kernel's path of the open file, read from ``/proc/self/fd``, one system call
and a walk of every folder of the path a file. With :class:`CorpusFolders` the folder is
opened and checked once, and each file in it opened by its name alone, relative to the
folder, with ``O_NOFOLLOW``: a file so opened lies in the checked folder, and is not a
symlink (3.3-3.6 us less a file; at 100k records the parse workers' CPU ~0.24 s
less, median of 10 pairs: docs/history/performance-log.md, cold36b).

Whatever this cannot open so is opened by its whole path and checked as before: a file
that is a symlink (``ELOOP``), a folder outside the corpus folder, any error (the path's
open then says it), a name without a folder, a system without ``dir_fd`` or ``/proc``.
A folder swapped for a symlink after it was opened here is not followed: its files are
opened in the folder opened (its own, wherever it was moved), and a name missing there
is opened by its path, which is checked.
"""

from __future__ import annotations

import os
from types import TracebackType

from graph.records import lies_in, opened_path

__all__ = ["CorpusFolders"]

_USABLE = os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW") \
    and hasattr(os, "O_DIRECTORY")


class CorpusFolders:
    """Opens files of the corpus folder ``within`` (a real path, from
    :func:`graph.records.corpus_root`; None: nothing is checked, and nothing opened
    here) through their folder, held open while its files come one after another; a
    context manager that closes it."""

    def __init__(self, within: str | None) -> None:
        self.within = within
        self.folder: str | None = None  # the folder held, as the names write it
        self.fd = -1  # its descriptor; -1: not opened, or not in the corpus folder

    def open(self, name: str, flags: int) -> int:
        """Return a descriptor of the file ``name`` opened with ``flags`` through its
        folder, known to lie in the corpus folder; -1 when it must be opened by its path
        (and checked there)."""
        if not _USABLE or self.within is None:
            return -1
        folder, sep, base = name.rpartition(os.sep)
        if not sep or not folder or base in ("", ".", ".."):
            return -1
        if folder != self.folder:
            self._hold(folder)
        if self.fd < 0:
            return -1
        try:
            return os.open(base, flags | os.O_NOFOLLOW, dir_fd=self.fd)
        except OSError:  # a symlink (ELOOP), or what the path's open will say
            return -1

    def _hold(self, folder: str) -> None:
        self.close()
        self.folder = folder
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        real = opened_path(fd)
        if real is None or self.within is None or not lies_in(real, self.within):
            os.close(fd)
            return
        self.fd = fd

    def close(self) -> None:
        """Close the folder held, if any."""
        if self.fd >= 0:
            os.close(self.fd)
        self.fd = -1
        self.folder = None

    def __enter__(self) -> CorpusFolders:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
