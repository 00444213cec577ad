"""What a followed folder's files were when last read: each one's parse, content hash
and signature (size, modification time, inode), and how to tell them again."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from typing import Any

from graph.records import ParsedFile

__all__ = ["KeptFile", "lean", "file_signature", "content_digest", "bytes_digest", "lies_in",
           "read_plain"]

# One empty list for the records and problems of every lean parse (never appended to):
# at 100k files, three lists a file were ~15 MiB.
_NONE: list[Any] = []


def lean(parsed: ParsedFile, path: str | None = None) -> ParsedFile:
    """``parsed`` without its records (its problems kept), named ``path`` (the same
    string as the follow's key for it, not a copy) when given."""
    return ParsedFile(path if path is not None else parsed.path, _NONE,
                      parsed.errors or _NONE, parsed.warnings or _NONE, parsed.skipped)


@dataclass(slots=True)
class KeptFile:
    """One file as it was read: its parse, the hash of its bytes, its signature then."""

    parsed: ParsedFile | None  # None until read (a follow started from a snapshot)
    digest: str
    signature: tuple[int, int, int] | None  # (size, mtime_ns, inode) when parsed
    # Once the build state holds what it needs of the parse, its records are let go
    # (read again from the file when needed): ``parsed`` keeps its problems, and
    # ``count`` how many records it had.
    lean: bool = False
    count: int = 0

    def let_go(self) -> None:
        """Keep the parse's problems, not its records (see ``lean``)."""
        parsed = self.parsed
        if self.lean or parsed is None:
            return
        self.count = len(parsed.records)
        self.parsed = lean(parsed)
        self.lean = True

    def same_parse(self, parsed: ParsedFile) -> bool:
        """True when ``parsed`` (of the same bytes) is the parse this file was read as."""
        if not self.lean:
            return self.parsed == parsed
        return self.parsed == lean(parsed) and self.count == len(parsed.records)


def file_signature(name: str) -> tuple[int, int, int] | None:
    """Return a file's (size, mtime_ns, inode), or None when it cannot be looked at."""
    try:
        st = os.stat(name)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def lies_in(name: str, root: str) -> bool:
    """True when the real path of ``name`` is ``root`` (a real path) or inside it."""
    real = os.path.realpath(name)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def content_digest(name: str, max_bytes: int) -> str:
    """Return a hash of a file's bytes (up to the size limit); never opens a pipe for
    reading, as :func:`graph.records.parse_file` does not."""
    h = hashlib.blake2b(digest_size=16)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        return f"unreadable:{e.errno}"
    try:
        st = os.fstat(fd)
    except OSError as e:
        os.close(fd)
        return f"unreadable:{e.errno}"
    if not stat.S_ISREG(st.st_mode):
        # Looked at before fdopen, which refuses a folder (IsADirectoryError): a file
        # replaced by a folder of its name, read again by a change, broke that change.
        os.close(fd)
        return "not-a-file"
    with os.fdopen(fd, "rb") as f:
        if st.st_size > max_bytes:
            return f"too-big:{st.st_size}"
        h.update(f.read(max_bytes + 1))
    return h.hexdigest()


def bytes_digest(data: bytes) -> str:
    """Return the hash :func:`content_digest` gives a file holding ``data``."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_plain(name: str, max_bytes: int) -> tuple[bytes, tuple[int, int, int]] | None:
    """Return a regular file's bytes and its signature, read from one open file in four
    system calls; None when it is not a regular file under the size limit or is a
    symlink (the caller then looks at it the long way). A followed folder checks the
    files an ingest batch wrote with it: each system call is a wait for the interpreter
    beside busy query threads (a stat, a hash and a real path cost about fifteen)."""
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        data = os.read(fd, st.st_size + 1)
        if len(data) != st.st_size:  # changed while read: looked at the long way
            return None
    finally:
        os.close(fd)
    return data, (st.st_size, st.st_mtime_ns, st.st_ino)
