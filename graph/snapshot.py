"""A snapshot cache of loaded graphs: a warm start skips parsing and building.

A snapshot is stored per corpus path and is used only when it was written for the
very same files: the fingerprint covers every file's relative path, size,
modification time (ns), inode and change time, the load options and newsgraph's own
source, so any change to the corpus (or the code) makes it stale, and a stale
snapshot is never served. A load that saw the corpus change while it ran writes
nothing.

Snapshot and key files are opened as regular files only, without blocking and
without following a symlink (a pipe planted at either path cannot hang start-up),
and read into memory: a file truncated while it is read is a refused snapshot, never
a bus error from a mapping. Every snapshot not used says why
(:attr:`PendingSnapshot.reason`, or the reason :func:`open_snapshot` returns);
:mod:`graph.loader` logs it.

A snapshot holds plain data in ``marshal`` form, in parts (a pickle only for a part
holding a value marshal cannot, such as a date in an extra field), and either one can run or
crash code when read from a hostile file, so nothing is read back that this user's
newsgraph did not write: each file is signed with keyed BLAKE3 under a per-user
secret key (created once, readable by its owner only), and a file whose signature
does not verify — corrupt, truncated, foreign — is ignored and rebuilt. Its
fingerprint is checked first, so a stale snapshot is not even read in full.

The node attributes are columns (:mod:`graph.nodeattrs`), a part per buffer, kept as read.
The long texts' parts (bodies, excerpts, secured texts: over a third of the file) are
not read at start: each is written after a table of the SHA-256 of each of its 1 KiB
blocks, and the signature covers that table in place of the bytes. Their values are
read from the open file when asked (:class:`SnapshotFile`), each block read checked
against the signed table (:class:`_Blocked`), bounded by the verified offsets in memory
and decoded as UTF-8 only, and refused once the file's modification time or size is not
as verified (docs/security.md says what is checked when).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import marshal
import os
import pickle
import secrets
import stat
import struct
import tempfile
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from blake3 import blake3

from graph import cachefolder
from graph.columns import OnDisk
from graph.compact import EdgeArrays, edge_arrays, frozen_graph
from graph.errors import SnapshotChanged
from graph.index import ReadIndex
from graph.nodeattrs import NodeAttrs, NodeColumns, long_text_parts, node_columns
from graph.records import compiled_filestats
from graph.report import LoadReport, Problem

__all__ = ["default_cache_dir", "code_digest", "fingerprint", "fingerprint_of", "basis",
           "file_stats",
           "FingerprintOfRead", "write_snapshot", "write_packed", "snapshot_path", "pack",
           "pack_parts", "unpack", "read_parts", "prepare_cache",
           "PARTS", "open_snapshot", "PendingSnapshot", "FileTable", "state_reader",
           "SNAPSHOT_VERSION"]

SNAPSHOT_VERSION = 10  # 3: the read index maps URLs to node ids; 4: edges as arrays;
# 5: written in parts (the nodes' attributes 20,000 nodes a part), not one buffer;
# 6: the nodes' attributes in columns (graph/nodeattrs.py), a part per buffer;
# 7: the long texts' parts signed by a table of their blocks' digests, read when asked;
# 8: what a follow keeps to go on from it (graph/followcache.py): its table of files
# (path, content hash, signature; FileTable) and its build state; 9: the read index's arrays
# and text blob as parts of their own, not copied out of the first part when read; 10:
# signed with keyed BLAKE3, not HMAC-SHA256
PARTS = "parts"
# A part whose size field has this bit set is followed by the SHA-256 of each of its
# BLOCK-byte blocks, then its bytes: signed by that table, its blocks checked when read.
_BY_BLOCKS = 1 << 63
BLOCK = 1024
# A read checks the digests of its blocks' groups of this many against the groups'
# digests held in memory (_Blocked): 32 bytes a 64 KiB instead of a KiB.
GROUP = 64
# Groups of a part's block digests kept once read and checked (2 KiB each).
GROUPS_KEPT = 256
_PICKLE_PROTO = 0x80  # the first byte of a pickle (protocol 2 and later)
_MAGIC = b"NEWSGRAPH-SNAPSHOT\n"
_KEY_NAME = "snapshot.key"
_PROTOCOL = 5
_READ_CHUNK = 16 * 2**20
# A part up to this long is read in one call (Linux reads at most 2 GiB less 4 KiB at once).
_PREAD_MAX = 2**31 - 2**12
_MAX_HEADER = 2**16
# Not blocking on a pipe, not following a symlink planted at the path.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0))

logger = logging.getLogger("newsgraph.snapshot")

# A file's (st_size, st_mtime_ns, st_ino, st_ctime_ns) as the fingerprint hashes it:
# graph/_native/filestats.c packs them so, and its VERSION says it does.
_STAT = struct.Struct("=qqQq")
# The compiled stat pass (graph/_native/filestats.c), or None: Python's.
_filestats = compiled_filestats
# A read of bytes the kernel's page cache holds, without letting the interpreter go
# (filestats.pread_cached: None when they are not all there), or None: os.pread only.
_pread_cached: Callable[[int, int, int], bytes | None] | None = getattr(
    compiled_filestats(), "pread_cached", None)
# hashlib lets the interpreter go while it hashes this many bytes or more at once.
_HASHLIB_GIL_MINSIZE = 2048
_HELD_PIECE = 1024


def sha256_holding(data: bytes | bytearray | memoryview) -> bytes:
    """The SHA-256 of ``data``, hashed in pieces under hashlib's threshold for letting
    the interpreter go: a few KiB (a group of block digests is 2 KiB) hash in a few
    microseconds, far less than a thread that lets the interpreter go waits to have it
    back beside busy threads (a switch interval or more; ing37)."""
    if len(data) < _HASHLIB_GIL_MINSIZE:
        return hashlib.sha256(data).digest()
    view = memoryview(data).cast("B")
    h = hashlib.sha256()
    for at in range(0, len(view), _HELD_PIECE):
        h.update(view[at : at + _HELD_PIECE])
    return h.digest()


class _Refused(Exception):
    """A snapshot or key file that is not read, and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _signer(key: bytes, header: bytes) -> Any:
    """The signature of a snapshot, begun with its header: keyed BLAKE3 under the per-user
    key (a MAC by design, ~2.5x the speed of HMAC-SHA256 here: a warm start signs GiBs)."""
    signer = blake3(key=key)
    signer.update(header + b"\n")
    return signer


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading, refusing anything but a regular file; return fd and stat."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Refused("not a regular file (a pipe, device or socket): never read")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _pread_exactly(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise _Refused(f"truncated: it ends at byte {offset + len(data)}")
    return data


def default_cache_dir() -> Path:
    """Return ``$NEWSGRAPH_CACHE``, else ``$XDG_CACHE_HOME/newsgraph``, else
    ``~/.cache/newsgraph``."""
    env = os.environ.get("NEWSGRAPH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsgraph"


def code_digest() -> str:
    """Digest of the ``graph`` package's source: a new newsgraph invalidates snapshots."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(root: Path, files: Sequence[str | os.PathLike[str]],
                options: dict[str, Any]) -> str:
    """Return a digest of everything a load of ``files`` under ``root`` depends on.

    Raises OSError when a file cannot be stat'ed (then no snapshot is used).
    """
    stats = _stats_of(files)
    made = FingerprintOfRead(root, options)
    made.add_all(files, stats)
    digest = made.digest()
    assert digest is not None
    return digest


def file_stats(files: Sequence[str | os.PathLike[str]]) -> list[tuple[int, int, int, int]]:
    """Each file's ``(size, mtime_ns, inode, ctime_ns)``, in order, as :func:`fingerprint`
    reads them. Raises OSError when a file cannot be stat'ed."""
    return list(_STAT.iter_unpack(_stats_of(files)))


def _stats_of(files: Sequence[str | os.PathLike[str]]) -> bytes:
    """Each file's ``(size, mtime_ns, inode, ctime_ns)`` packed (:data:`_STAT`), in order:
    by the compiled ``graph._native.filestats`` when built (no Python object a file, the
    GIL let go: a thread a core), else by ``os.stat`` (which lets the GIL go for its call
    only). At a million files, seconds of CPU either way; a few threads share them."""
    compiled = _filestats()
    if compiled is None:
        threads, chunk = 4, _stat_chunk_in_python
    else:
        threads, chunk = min(4, os.cpu_count() or 1), compiled.stats
    parts = max(1, min(threads, len(files) // 5000))
    step = max(1, -(-len(files) // parts))
    spans = [(files, i, min(i + step, len(files))) for i in range(0, len(files), step)]
    if len(spans) > 1:
        try:
            with ThreadPoolExecutor(max_workers=len(spans)) as pool:
                return b"".join(pool.map(lambda span: chunk(*span), spans))
        except RuntimeError:
            # The interpreter is shutting down (a script that ends right after its
            # load, the snapshot's thread still writing): a pool takes no more work,
            # so the stats are read on this thread.
            pass
    return b"".join(chunk(*span) for span in spans)


def _stat_chunk_in_python(files: Sequence[str | os.PathLike[str]], start: int,
                          stop: int) -> bytes:
    """What ``graph._native.filestats.stats`` gives, by ``os.stat``."""
    pack, stat_of = _STAT.pack, os.stat
    out = []
    for i in range(start, stop):
        st = stat_of(files[i])
        out.append(pack(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
    return b"".join(out)


def fingerprint_of(root: Path, files: Sequence[str | os.PathLike[str]],
                   stats: Sequence[tuple[int, int, int, int] | None],
                   options: dict[str, Any]) -> str | None:
    """Return :func:`fingerprint` of ``files`` from their stats as the load read them
    (``(size, mtime_ns, inode, ctime_ns)``, :attr:`graph.records.ParsedFile.stat`, one a
    file, in order), without stat'ing the corpus again; None when one is missing (a file
    that could not be stat'ed: no snapshot is written)."""
    if len(stats) != len(files):
        return None
    made = FingerprintOfRead(root, options)
    for path, st in zip(files, stats, strict=True):
        made.add(path, st)
    return made.digest()


class FingerprintOfRead:
    """:func:`fingerprint_of`, fed a file at a time as the load reads them (in the
    listing's order): no stat of the corpus is held meanwhile.

    The fingerprint is the SHA-256 of the header (:func:`_fingerprint_header`), then the
    SHA-256 of the files' paths (UTF-8, each ended by NUL), then the SHA-256 of their
    stats packed (:data:`_STAT`, 32 bytes a file): the same bytes whether fed a file at a
    time or all at once (:meth:`add_all`, a warm start's, where hashing a line of text
    a file cost more than the stats did)."""

    def __init__(self, root: Path, options: dict[str, Any]):
        self._h: Any = _fingerprint_header(root, options)
        self._names: Any = hashlib.sha256()
        self._stats: Any = hashlib.sha256()

    def add(self, path: str | os.PathLike[str],
            st: tuple[int, int, int, int] | None) -> None:
        """Add the next file's stat as read (None: it could not be stat'ed)."""
        if st is None:
            self._h = None
        elif self._h is not None:
            self._names.update(os.fspath(path).encode("utf-8", "surrogateescape") + b"\0")
            self._stats.update(_STAT.pack(*st))

    def add_all(self, paths: Sequence[str | os.PathLike[str]], stats: bytes) -> None:
        """Add the next files at once, with their stats packed (32 bytes a file)."""
        if len(stats) != _STAT.size * len(paths):
            raise ValueError(f"{len(stats)} bytes of stats for {len(paths)} files")
        if self._h is not None and paths:
            text = "\0".join(map(os.fspath, paths))  # type: ignore[arg-type]
            self._names.update(text.encode("utf-8", "surrogateescape") + b"\0")
            self._stats.update(stats)

    def digest(self) -> str | None:
        """The fingerprint, or None when a file could not be stat'ed."""
        if self._h is None:
            return None
        h = self._h.copy()
        h.update(self._names.digest())
        h.update(self._stats.digest())
        return h.hexdigest()


def basis(root: Path, options: dict[str, Any]) -> str:
    """A digest of what a fingerprint holds besides the files (newsgraph's code, the
    snapshot format, the folder's path, the load options): a followed folder's snapshot
    whose basis is the folder's now, its files changed since, can be caught up by
    applying the files that changed (graph/followcache.py)."""
    return str(_fingerprint_header(root, options).hexdigest())


def _fingerprint_header(root: Path, options: dict[str, Any]) -> Any:
    h = hashlib.sha256()
    h.update(json.dumps({"version": SNAPSHOT_VERSION, "root": str(root.resolve()),
                         "options": options, "code": code_digest()},
                        sort_keys=True).encode())
    return h


def snapshot_path(cache_dir: Path, root: Path) -> Path:
    """Return the snapshot file for a corpus root: one per resolved path."""
    name = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return cache_dir / f"{name[:32]}.snapshot"


def _key(cache_dir: Path) -> bytes:
    """Return the per-user signing key, creating it (mode 0600) on first use.

    A key file that is not a regular file owned by this user, or that others may
    read or write, is not trusted: a new one replaces it.
    """
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = cache_dir / _KEY_NAME
    try:
        fd, st = _open_regular(path)
        try:
            if st.st_uid != os.getuid():
                raise _Refused("owned by another user")
            if st.st_mode & 0o077:
                raise _Refused(f"others may read or write it (mode {st.st_mode & 0o777:o})")
            key = os.read(fd, 64)
            if len(key) != 32:
                raise _Refused(f"{len(key)} bytes long, not 32")
        finally:
            os.close(fd)
        return key
    except FileNotFoundError:
        logger.info("snapshot key %s created", path)
    except _Refused as e:
        logger.warning("snapshot key %s not trusted: %s; a new key replaces it", path, e.reason)
    except OSError as e:
        logger.warning("snapshot key %s unreadable: %s; a new key replaces it", path,
                       e.strerror or e)
    key = secrets.token_bytes(32)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


# What a followed corpus keeps of each file to go on from a snapshot (graph/live.py):
# (path relative to the corpus, content hash, size, mtime_ns, inode), in listing order.
FileTable = list[tuple[str, str, int, int, int]]


def pack(g: nx.MultiDiGraph, report: LoadReport, index: ReadIndex,
         ) -> tuple[str, list[bytes | memoryview]]:
    """Return ``(format, parts)`` for a loaded graph (see :func:`pack_parts`)."""
    return PARTS, list(pack_parts(g, report, index))


def pack_parts(g: nx.MultiDiGraph, report: LoadReport, index: ReadIndex, *,
               consume: bool = False, by_blocks: set[int] | None = None,
               files: Any = None,
               ) -> Generator[bytes | memoryview, None, None]:
    """Yield the parts of a loaded graph's snapshot (its graph, report and read index).

    The first part holds all but the node attributes' columns in ``marshal`` form (it
    reads back about twice as fast as pickle and keeps shared objects shared) or, when
    it holds a value marshal cannot, a pickle (see :func:`_part`); each other part is
    one buffer of the node columns (:class:`graph.nodeattrs.NodeColumns`: a text column's
    UTF-8, an array of offsets or codes), written as its bytes and read back as they
    are, never decoded whole.

    With ``consume``, the read index is let go once the first part is made and the node
    dicts are emptied as their columns are made: the graph is unusable after (the loader
    reads its graph back from what it wrote, :func:`read_parts`). ``by_blocks``: a set
    to which the numbers of the long texts' parts (the first part is 0) are added before
    the first part is given, for :func:`write_packed`. ``files``: what a followed corpus
    keeps (graph/followcache.py), stored with the rest in marshal form (a load stores
    None)."""
    ids = index.ids
    state = index.__getstate__()
    arrays: dict[str, Any] = {}
    plain: dict[str, Any] = {}
    # The read index's arrays and its text blob are parts of their own, after the node
    # columns, each named in the first part by its number among them: read back, each
    # is used where it was read (np.frombuffer over the part), not copied out of the
    # first part as marshal would (at a million records the blob alone is ~1.2 GB, and
    # a copy of it cost a warm start its time and ~1.2 GB more at its peak).
    lifted: list[Any] = []

    def lift(buffer: Any) -> int:
        lifted.append(buffer)
        return len(lifted) - 1

    blobs: dict[str, int] = {}
    for name, value in state.items():
        if name in ("g", "ids", "pos"):
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = (value.dtype.str, value.shape, lift(value))
        elif name == "csr":
            arrays[name] = {k: (lift(c.indptr), lift(c.indices)) for k, c in value.items()}
        elif name == "text" and isinstance(value, bytes | bytearray):
            blobs[name] = lift(value)
        else:
            plain[name] = value
    del state
    problems = {name: [(p.path, p.line, p.reason) for p in getattr(report, name)]
                for name in ("skipped", "errors", "warnings")}
    counts = {f.name: getattr(report, f.name) for f in fields(report) if f.name not in problems}
    edges = edge_arrays(g)
    if edges is None:  # a graph with networkx's own dicts (built, not loaded)
        edges = EdgeArrays.of(g, ids, index.pos)
    columns = node_columns(g)
    if columns is None:
        nodes = g._node
        columns = NodeColumns.of(ids, index.pos, [nodes[n] for n in ids], consume=consume)
        if consume:
            nodes.clear()
    small, buffers = columns.state()
    if by_blocks is not None:
        by_blocks.update(1 + j for j in long_text_parts(small))
    edge_state = _lift_edges(edges.state(), lift)
    follow_state: Any = None
    if files is not None and files.get("state") is not None:
        # The follow's build state: a last part, left in the file (read by blocks, when
        # a follow goes on from it), so that a load never holds it.
        files = dict(files)
        follow_state, files["state"] = files["state"], True
        if by_blocks is not None:
            by_blocks.add(1 + len(buffers) + len(lifted))
    core = (ids, len(buffers), len(lifted), edge_state, g.graph, arrays, blobs, plain,
            counts, problems, small, files)
    first = _part(core)
    del core, arrays, plain, problems, edges, edge_state, columns
    if consume:
        del g, index
    yield first
    del first
    buffers.reverse()
    while buffers:
        yield _raw(buffers.pop())
    lifted.reverse()
    while lifted:
        yield _raw(lifted.pop())
    if follow_state is not None:
        yield follow_state


def _lift_edges(state: tuple[Any, ...], lift: Any) -> tuple[Any, ...]:
    """:meth:`EdgeArrays.state` with each of its arrays (and its evidence's UTF-8) given
    to ``lift``, which returns the number of the part it becomes, in its place."""
    keys, raw, (arrays, plain, (text, ends_dtype, ends), other) = state
    return (keys, {name: (dtype, lift(a)) for name, (dtype, a) in raw.items()},
            (tuple((dtype, lift(a)) for dtype, a in arrays), plain,
             (lift(text), ends_dtype, lift(ends)), other))


def _land_edges(state: tuple[Any, ...], lifted: list[Any]) -> tuple[Any, ...]:
    """What :func:`_lift_edges` gave, each part number replaced by its part."""
    keys, raw, (arrays, plain, (text, ends_dtype, ends), other) = state

    def array(n: int) -> memoryview:  # read-only, as marshal's bytes were
        return memoryview(lifted[n]).toreadonly()

    return (keys, {name: (dtype, array(n)) for name, (dtype, n) in raw.items()},
            (tuple((dtype, array(n)) for dtype, n in arrays), plain,
             (_blob(lifted[text]), ends_dtype, array(ends)), other))


def _blob(part: Any) -> bytes | bytearray:
    """A part holding text, as read (bytes, or a bytearray past 2 GiB) or, given from
    memory as a view, as bytes."""
    return part if isinstance(part, bytes | bytearray) else bytes(part)


def _raw(buffer: Any) -> memoryview:
    """A buffer (an array, bytes) as its bytes, not copied."""
    if isinstance(buffer, np.ndarray):
        buffer = np.ascontiguousarray(buffer)
    view = memoryview(buffer)
    return view if view.ndim == 1 and view.format == "B" else view.cast("B")


def _part(value: Any) -> bytes:
    """``value`` in ``marshal`` form, else (a value marshal cannot hold, such as a date in
    an extra field) a pickle: told apart by the first byte, pickle's PROTO opcode
    (0x80), which begins no marshal output (a type code, with or without its 0x80
    reference flag, is never 0); no tag is joined on (a copy of the part)."""
    try:
        return marshal.dumps(value)
    except ValueError:
        return pickle.dumps(value, protocol=_PROTOCOL)


def _parts_of(body: bytes | bytearray | memoryview | Iterable[Any],
              ) -> Iterator[Any]:
    """Yield the parts of a body: a list of them (let go of one by one: the list is
    emptied), another iterable of them, or the bytes :func:`write_packed` wrote (each
    part after its length)."""
    if isinstance(body, list):
        body.reverse()
        while body:
            yield body.pop()
        return
    if not isinstance(body, bytes | bytearray | memoryview):
        yield from body
        return
    view = memoryview(body)
    at = 0
    while at < len(view):
        size = int.from_bytes(view[at : at + 8], "big")
        table = 32 * -(-(size & ~_BY_BLOCKS) // BLOCK) if size & _BY_BLOCKS else 0
        size &= ~_BY_BLOCKS
        at += table  # (in memory, a part by blocks is given whole)
        if at + 8 + size > len(view):
            raise ValueError("a part runs past the end of the snapshot")
        yield view[at + 8 : at + 8 + size]
        at += 8 + size


def _unpart(part: bytes | bytearray | memoryview) -> Any:
    return pickle.loads(part) if part[0] == _PICKLE_PROTO else marshal.loads(part)


def unpack(form: str, body: bytes | bytearray | memoryview | Iterable[Any], *,
           with_files: bool = False,
           places: dict[int, tuple[SnapshotFile, int]] | None = None) -> Any:
    """Rebuild what :func:`pack` stored: from its parts (a list is emptied as they are
    read; :func:`read_parts` reads them from a file) or from the bytes
    :func:`write_packed` wrote of them. The node columns keep the parts that hold them
    as they are (no copy); parts read (and verified) from a snapshot file
    (:class:`_Part`, knowing the file and where in it, or bytes whose file and place
    ``places`` gives by part number) that hold long texts are let go,
    and those not read at all (:class:`_Blocked`) stay where they are: their texts are
    read from the file when asked (:class:`graph.columns.FileText`).

    Returns ``(graph, report, index)``, with ``with_files`` and the stored
    :data:`FileTable` (None when a load wrote it) after them."""
    if form != PARTS:
        raise ValueError(f"unknown snapshot format {form!r}")
    parts = _parts_of(body)
    ids, count, lifts, edges, graph_attrs, arrays, blobs, plain, counts, problems, small, \
        files = _unpart(next(parts))
    buffers: list[Any] = [next(parts) for _ in range(count)]
    lifted: list[Any] = [next(parts) for _ in range(lifts)]
    if any(isinstance(part, _Blocked) for part in lifted):
        raise ValueError("a part of the read index was left in the file")
    if isinstance(files, dict) and files.get("state") is True:
        # The follow's state (see pack_parts): left where it is; state_reader() reads it.
        files = dict(files)
        files["state"] = next(parts, None)
        if files["state"] is None:
            raise ValueError("the snapshot's follow state part is missing")
    if next(parts, None) is not None:
        raise ValueError("the snapshot's parts do not match its nodes")
    long = set(long_text_parts(small))
    for j, part in enumerate(buffers):
        if isinstance(part, _Blocked):
            if j not in long:
                raise ValueError("a part left in the file does not hold long text")
            buffers[j] = OnDisk(part, 0, part.size)
        elif j in long and isinstance(part, _Part):
            buffers[j] = OnDisk(part.file, part.offset, len(part))
        elif j in long and places and 1 + j in places:
            buffers[j] = OnDisk(*places[1 + j], len(part))
    pos = dict(zip(ids, range(len(ids)), strict=True))
    columns = NodeColumns.from_state(ids, pos, small, buffers)
    del buffers
    edges = _land_edges(edges, lifted)
    g = frozen_graph(NodeAttrs(columns), EdgeArrays.from_state(ids, pos, edges), graph_attrs)
    report_fields: dict[str, Any] = dict(counts)
    report_fields.update({name: [Problem(*p) for p in items] for name, items in problems.items()})
    report = LoadReport(**report_fields)
    state: dict[str, Any] = dict(plain)
    from graph.index import CSR

    def array(number: int, dtype: Any) -> np.ndarray:
        # Read-only, as they were when marshal gave them as bytes.
        a = np.frombuffer(lifted[number], dtype=dtype)
        a.flags.writeable = False
        return a

    for name, value in arrays.items():
        if name == "csr":
            state[name] = {k: CSR(array(indptr, np.int64), array(indices, np.int32))
                           for k, (indptr, indices) in value.items()}
        else:
            dtype, shape, number = value
            state[name] = array(number, np.dtype(dtype)).reshape(shape)
    for name, number in blobs.items():
        # The blob as read from the file (a bytearray), used as it is: not copied.
        state[name] = _blob(lifted[number])
    lifted.clear()
    state["g"] = g
    state["ids"] = ids
    state["pos"] = pos
    if "newest_key" in state:  # its list made from the array when first asked (4 MiB at 100k)
        state.pop("newest_first", None)
    index = ReadIndex.__new__(ReadIndex)
    index.__setstate__(state)
    if with_files:
        return g, report, index, files
    return g, report, index


def state_reader(part: Any) -> _Blocked | _InMemory:
    """What reads a follow's state part (see :func:`unpack`) a range at a time: from
    the snapshot file block by block, each checked against its signed digest, when
    left there (:class:`SnapshotChanged` when the file changed since it was verified)."""
    if isinstance(part, _Blocked):
        return part
    return _InMemory(bytes(part))


class _InMemory:
    """A part read whole: :meth:`read` as :class:`_Blocked`'s."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0 or offset + size > len(self.data):
            raise ValueError(f"bytes {offset}..{offset + size} are not in a part of "
                             f"{len(self.data)}")
        return self.data[offset : offset + size]


def write_snapshot(cache_dir: Path, root: Path, digest: str, payload: Any, *,
                   files: Any = None) -> Path:
    """Sign and write ``payload`` — ``(graph, report, index)`` — as the snapshot of
    ``root`` at fingerprint ``digest`` (with a followed corpus's ``files``)."""
    blocks: set[int] = set()
    return write_packed(cache_dir, root, digest, PARTS,
                        pack_parts(*payload, by_blocks=blocks, files=files), by_blocks=blocks)


def write_packed(cache_dir: Path, root: Path, digest: str, form: str,
                 parts: Iterable[bytes | memoryview],
                 spans: list[tuple[int, int, bytes]] | None = None,
                 by_blocks: set[int] | frozenset[int] = frozenset(),
                 basis: str | None = None) -> Path:
    """Sign and write what :func:`pack` returned (or :func:`pack_parts` yields) as the
    snapshot of ``root`` at fingerprint ``digest``: each part after its length, signed
    as it is written (the signature's place is filled in last), never joined into one
    buffer. A part whose number is in ``by_blocks`` (read as each part comes:
    :func:`pack_parts` fills it) is written after the SHA-256 of each of its
    :data:`BLOCK`-byte blocks, and signed by those. ``spans``: a list to which each
    part's offset, size and SHA-256 (for a part by blocks, its table of digests,
    :class:`BlockDigests`) are added, for :func:`read_parts`. ``basis``: the folder's
    :func:`basis`, for a followed folder's snapshot (see :meth:`PendingSnapshot.result`)."""
    key = _key(cache_dir)
    meta: dict[str, Any] = {"fingerprint": digest, "version": SNAPSHOT_VERSION, "format": form}
    if basis is not None:
        meta["basis"] = basis
    header = json.dumps(meta).encode()
    signer = _signer(key, header)
    path = snapshot_path(cache_dir, root)
    cap = cachefolder.max_bytes()
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".snapshot-")
    try:
        cachefolder.hold(fd, exclusive=True)  # being written: never evicted
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC)
            f.write(bytes(32))
            f.write(len(header).to_bytes(4, "big"))
            f.write(header)
            f.write(b"\n")
            for number, part in enumerate(parts):
                if number in by_blocks:
                    table = BlockDigests(block_digests(part))
                    field = (len(part) | _BY_BLOCKS).to_bytes(8, "big")
                    signer.update(field)
                    signer.update(table)
                    f.write(field)
                    f.write(table)
                    if spans is not None:
                        spans.append((f.tell(), len(part), table))
                    f.write(part)
                    del part
                    continue
                size = len(part).to_bytes(8, "big")
                signer.update(size)
                signer.update(part)
                f.write(size)
                if spans is not None:
                    spans.append((f.tell(), len(part), blake3(part).digest()))
                f.write(part)
                del part
            f.seek(len(_MAGIC))
            f.write(signer.digest())
            f.flush()
            os.replace(tmp, path)  # (still locked while renamed: never evicted half-made)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    cachefolder.evict(cache_dir, cap, keep=path)
    return path


class BlockDigests(bytes):
    """The SHA-256 of each :data:`BLOCK`-byte block of a part, one after the other."""


def block_digests(data: bytes | bytearray | memoryview) -> bytes:
    """The SHA-256 of each :data:`BLOCK`-byte block of ``data``, joined."""
    view = memoryview(data).cast("B")
    sha = hashlib.sha256
    return b"".join(sha(view[at : at + BLOCK]).digest() for at in range(0, len(view), BLOCK))


class _Blocked:
    """A part left in a snapshot ``file`` at ``offset``, never read whole: :meth:`read`
    reads the blocks a range lies in and checks each against its digest in ``digests``
    (the table written just before the part, signed at start) before it gives any of it.

    The table (32 bytes a KiB: ~14 MiB at 100k records) is not held: only the SHA-256 of
    each :data:`GROUP` of its digests (32 bytes a 64 KiB), made from the verified table.
    A read reads the digests of its blocks' groups from the file too, and checks each
    group against what is held: a table written to since is refused like a block. The
    groups read and checked are kept, up to :data:`GROUPS_KEPT` (2 KiB each): a follow's
    changes read the same entries' blocks again and again (ing32), and a block is
    checked against the digests kept as it was against those read."""

    __slots__ = ("file", "offset", "size", "groups", "_kept")

    def __init__(self, file: SnapshotFile, offset: int, size: int, digests: bytes):
        if len(digests) != 32 * -(-size // BLOCK):
            raise ValueError("a part's table of block digests does not match its size")
        self.file, self.offset, self.size = file, offset, size
        self.groups = group_digests(digests)
        self._kept: dict[int, bytes] = {}  # group -> its block digests, checked

    def __len__(self) -> int:
        return self.size

    def will_need(self) -> None:
        """Have the part and its table of digests read ahead (:meth:`SnapshotFile.will_need`):
        a change of many files reads thousands of entries scattered over it, each a block
        read and its digests another, and each one the kernel let go of a wait for the disk."""
        table_at = self.offset - 32 * -(-self.size // BLOCK)
        self.file.will_need(table_at, self.offset + self.size - table_at)

    def read(self, offset: int, size: int) -> bytes:
        """Return ``size`` bytes at ``offset`` of the part, every block they lie in checked."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise ValueError(f"bytes {offset}..{offset + size} are not in a part of {self.size}")
        if size == 0:
            return b""
        first, last = offset // BLOCK, (offset + size - 1) // BLOCK
        start = first * BLOCK
        data = self.file.read(self.offset + start, min(self.size, (last + 1) * BLOCK) - start)
        digests = self._digests(first // GROUP, last // GROUP)
        skip = 32 * (first // GROUP * GROUP)
        view, sha = memoryview(data), hashlib.sha256
        for k in range(first, last + 1):
            at = (k - first) * BLOCK
            if sha(view[at : at + BLOCK]).digest() != digests[32 * k - skip : 32 * k - skip + 32]:
                raise SnapshotChanged(
                    f"the snapshot {self.file.path} changed after it was verified at start "
                    "(a block of its long texts does not match its signed digest): restart "
                    "to load the corpus or a new snapshot")
        view.release()
        return data if len(data) == size else data[offset - start : offset - start + size]

    def _digests(self, first: int, last: int) -> bytes:
        """The block digests of groups ``first`` to ``last``: those kept, else read from
        the table in the file (just before the part) and checked against the groups'
        digests held."""
        kept = self._kept
        if first == last:
            found = kept.get(first)
            if found is not None:
                return found
        blocks = -(-self.size // BLOCK)
        table_at = self.offset - 32 * blocks
        begin, end = 32 * GROUP * first, min(32 * blocks, 32 * GROUP * (last + 1))
        digests = self.file.read(table_at + begin, end - begin)
        for g in range(first, last + 1):
            at = 32 * GROUP * (g - first)
            group = digests[at : at + 32 * GROUP]
            if sha256_holding(group) != self.groups[32 * g : 32 * g + 32]:
                raise SnapshotChanged(
                    f"the snapshot {self.file.path} changed after it was verified at start "
                    "(a table of its blocks' digests does not match its signed digest): "
                    "restart to load the corpus or a new snapshot")
            if len(kept) >= GROUPS_KEPT:
                # The oldest kept goes. Reads come from several threads: another one may
                # change the dict between iter() and next() (RuntimeError), or take the
                # same key first (KeyError); then none goes this time.
                try:
                    del kept[next(iter(kept))]
                except (StopIteration, KeyError, RuntimeError):
                    pass
            kept[g] = group
        return digests


def group_digests(digests: bytes) -> bytes:
    """The SHA-256 of each :data:`GROUP` of a part's block digests, joined."""
    view, step, sha = memoryview(digests), 32 * GROUP, hashlib.sha256
    return b"".join(sha(view[at : at + step]).digest() for at in range(0, len(view), step))


class _Part(bytearray):
    """A part read from a snapshot ``file``, knowing where in it (``offset``) it lies."""

    file: SnapshotFile
    offset: int


def _part_at(size: int, file: SnapshotFile, offset: int) -> _Part:
    part = _Part(size)
    part.file, part.offset = file, offset
    return part


# The snapshot files a thread's reads have looked at since it entered checked_once().
_LOOKED: ContextVar[set[SnapshotFile] | None] = ContextVar("newsgraph_snapshot_looked",
                                                           default=None)


@contextmanager
def checked_once() -> Iterator[None]:
    """Within it, this thread's reads look at each snapshot file's size and modification
    time once, at its first read, not at every read (each block read is still checked
    against its signed digest; a file cut short still gives a short read, refused).
    A follow's change (graph/live.py) reads hundreds of stored entries: each look is a
    system call that lets the interpreter go, and beside busy query threads the apply
    waited to get it back (ing32)."""
    token = _LOOKED.set(set())
    try:
        yield
    finally:
        _LOOKED.reset(token)


class SnapshotFile:
    """A snapshot file kept open after it was verified, for the long texts left in it:
    :meth:`read` gives bytes at an offset, and refuses (:class:`SnapshotChanged`) once the
    file is not as it was when opened — written to (its modification time moved) or cut
    short; within :func:`checked_once`, the file's signature is looked at by the first
    read only. A new snapshot replacing it at its path (a new file) changes nothing: the
    old one is read, as open. Closed when the last column reading it goes."""

    __slots__ = ("path", "_fd", "_mtime", "_size", "__weakref__")

    def __init__(self, path: Path, fd: int, st: os.stat_result):
        self.path, self._fd = path, os.dup(fd)
        os.set_inheritable(self._fd, False)
        # Not the change time: unlinking the file (a new snapshot put in its place) sets it.
        self._mtime, self._size = st.st_mtime_ns, st.st_size
        weakref.finalize(self, os.close, self._fd)

    def read(self, offset: int, size: int) -> bytes:
        """Return ``size`` bytes at ``offset``, as verified at start: from the page cache
        without letting the interpreter go when it holds them all (``_pread_cached``),
        else by ``os.pread`` (which lets it go, as the disk may take a while)."""
        cached = _pread_cached
        data = cached(self._fd, size, offset) if cached is not None else None
        if data is None:
            data = os.pread(self._fd, size, offset)
        looked = _LOOKED.get()
        if looked is None or self not in looked:
            st = os.fstat(self._fd)
            if st.st_mtime_ns != self._mtime or st.st_size != self._size:
                raise self._changed()
            if looked is not None:
                looked.add(self)
        if len(data) != size:
            raise self._changed()
        return data

    def will_need(self, offset: int, size: int) -> None:
        """Ask the kernel to read ``size`` bytes at ``offset`` into its page cache, in the
        background (``posix_fadvise``; nothing where there is none)."""
        advise = getattr(os, "posix_fadvise", None)
        if advise is not None:
            with contextlib.suppress(OSError):
                advise(self._fd, offset, size, os.POSIX_FADV_WILLNEED)

    def _changed(self) -> SnapshotChanged:
        return SnapshotChanged(
            f"the snapshot {self.path} changed after it was verified at start (its "
            "long texts are read from it when asked): restart to load the corpus or a "
            "new snapshot")


def read_parts(path: Path, spans: list[tuple[int, int, bytes]],
               ) -> Iterator[bytearray | _Blocked]:
    """Yield, one at a time, the parts :func:`write_packed` just wrote at ``path``
    (``spans``: what it noted of them), each checked against the SHA-256 of what was
    written before it is given: only the bytes this process wrote are ever decoded.
    Each part knows the file and its place in it (:func:`unpack` leaves the long texts
    there); a part written by blocks is not read, its blocks checked when read."""
    fd, st = _open_regular(path)
    try:
        reason = cachefolder.claim(fd)
        if reason is not None:
            raise ValueError(f"{path} was {reason} after it was written")
        file = SnapshotFile(path, fd, st)
        for offset, size, digest in spans:
            if isinstance(digest, BlockDigests):
                yield _Blocked(file, offset, size, digest)
                continue
            part = _part_at(size, file, offset)
            view, done = memoryview(part), 0
            while done < size:  # a read gives at most ~2 GiB
                n = os.preadv(fd, [view[done:]], offset + done)
                if n == 0:
                    raise ValueError(f"{path} was truncated after it was written")
                done += n
            view.release()
            if blake3(part).digest() != digest:
                raise ValueError(f"{path} changed after it was written")
            yield part
            del part
    finally:
        os.close(fd)


def prepare_cache(cache_dir: Path) -> None:
    """Make the cache folder and its key now (OSError if it cannot be written)."""
    _key(cache_dir)


def open_snapshot(cache_dir: Path, root: Path) -> PendingSnapshot | str:
    """Start reading and checking the signature of ``root``'s snapshot in a thread and
    return it; or, when there is none to read, the reason. Reading and hashing release
    the GIL, so the caller can stat the corpus for its fingerprint meanwhile;
    :meth:`PendingSnapshot.result` decides."""
    try:
        return PendingSnapshot(cache_dir, snapshot_path(cache_dir, root))
    except FileNotFoundError:
        return "no snapshot yet"
    except _Refused as e:
        return e.reason
    except OSError as e:
        return f"cannot read it: {e.strerror or e}"
    except ValueError as e:
        return f"not a snapshot file ({e})"


class PendingSnapshot:
    """A snapshot file being read and verified; nothing in it is decoded before it is
    trusted. ``reason`` says why :meth:`result` gave None."""

    def __init__(self, cache_dir: Path, path: Path):
        self.path = path
        self.reason: str | None = None
        self.behind = False  # see result(): the files changed since, on the same basis
        self._fd, st = _open_regular(path)
        try:
            fd = self._fd
            reason = cachefolder.claim(fd)  # in use for as long as the file is open
            if reason is not None:
                raise _Refused(reason)
            if _pread_exactly(fd, len(_MAGIC), 0) != _MAGIC:
                raise _Refused("not a snapshot file")
            at = len(_MAGIC)
            self._mac = _pread_exactly(fd, 32, at)
            size = int.from_bytes(_pread_exactly(fd, 4, at + 32), "big")
            if size > _MAX_HEADER:
                raise _Refused("not a snapshot file (its header is too long)")
            self._header = _pread_exactly(fd, size, at + 36)
            if _pread_exactly(fd, 1, at + 36 + size) != b"\n":
                raise _Refused("not a snapshot file")
            self._meta = json.loads(self._header)
            self._start = at + 37 + size
            self._size = st.st_size
            self._stat = st
            self._key = _key(cache_dir)
        except BaseException:
            os.close(self._fd)
            raise
        self._body: list[bytes | _Part | _Blocked] | None = None
        self._places: dict[int, tuple[SnapshotFile, int]] = {}
        self._digest: bytes | None = None
        self._error: str | None = None
        self._stop = False  # set when the snapshot turns out stale: stop reading it
        self._thread = threading.Thread(target=self._read, name="snapshot-read", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        """Read the body into memory, a buffer per part, signing it as it comes; a short
        read is an error. A part's length is trusted only as far as the file's size
        (nothing is decoded before the whole signature verifies)."""
        try:
            signer = _signer(self._key, self._header)
            fd, at, end = self._fd, self._start, self._size
            file = SnapshotFile(self.path, fd, self._stat)
            parts: list[bytes | _Part | _Blocked] = []
            places: dict[int, tuple[SnapshotFile, int]] = {}
            while at < end:
                head = os.pread(fd, 8, at)
                if len(head) != 8:
                    self._error = f"truncated while read: {at + len(head):,} of {end:,} bytes"
                    return
                size = int.from_bytes(head, "big")
                blocked = bool(size & _BY_BLOCKS)
                size &= ~_BY_BLOCKS
                table = 32 * -(-size // BLOCK) if blocked else 0
                if at + 8 + table + size > end:  # (a part may be empty: a column of no text)
                    self._error = (f"truncated or corrupt: a part at byte {at:,} runs past "
                                   f"the end ({end:,} bytes)")
                    return
                signer.update(head)
                if blocked:  # signed by its blocks' digests; its bytes read when asked
                    digests = _pread_exactly(fd, table, at + 8)
                    signer.update(digests)
                    parts.append(_Blocked(file, at + 8 + table, size, digests))
                    at += 8 + table + size
                    continue
                if self._stop:
                    self._error = "not read to its end: stale"
                    return
                if size <= _PREAD_MAX:
                    # One read into a new bytes object: no zeroed buffer is made first
                    # (a bytearray's; at a million records, ~2 GiB set to zero and then
                    # read over), and nothing is copied after.
                    data = os.pread(fd, size, at + 8)
                    if len(data) != size:
                        self._error = (f"truncated while read: {at + 8 + len(data):,} of "
                                       f"{end:,} bytes")
                        return
                    signer.update(data)
                    parts.append(data)
                    places[len(parts) - 1] = (file, at + 8)
                    at += 8 + size
                    continue
                part = _part_at(size, file, at + 8)
                view, done = memoryview(part), 0
                while done < size:
                    if self._stop:
                        self._error = "not read to its end: stale"
                        return
                    n = os.preadv(fd, [view[done : done + _READ_CHUNK]], at + 8 + done)
                    if n == 0:
                        self._error = (f"truncated while read: {at + 8 + done:,} of "
                                       f"{end:,} bytes")
                        return
                    signer.update(view[done : done + n])
                    done += n
                view.release()
                parts.append(part)
                at += 8 + size
            if os.pread(fd, 1, end):
                self._error = "changed while read: it grew past its size"
                return
            self._body, self._places = parts, places
            self._digest = signer.digest()
        except Exception as e:  # noqa: BLE001 - reported by result()
            self._error = f"cannot read it: {getattr(e, 'strerror', None) or e}"

    def result(self, fingerprint: str, *, with_files: bool = False,
               basis: str | None = None) -> Any | None:
        """Return the payload if the snapshot was written for ``fingerprint`` and its
        signature verifies; else None, with :attr:`reason` saying why. Closes the file
        either way. ``with_files``: see :func:`unpack`. With ``basis``, a snapshot
        written at another fingerprint on that :func:`basis` (the same code, folder and
        options: only the files changed) is returned too, with :attr:`behind` set."""
        try:
            # The header says at once whether the snapshot is current: a stale one is not
            # read on (at a million records, GBs) before the corpus is loaded instead.
            meta = self._meta
            if not isinstance(meta, dict) or meta.get("version") != SNAPSHOT_VERSION:
                self.reason = "stale: written by another version of newsgraph"
                return None
            if meta.get("fingerprint") != fingerprint:
                if basis is None or meta.get("basis") != basis:
                    self.reason = "stale: the corpus, the load options or newsgraph changed"
                    return None
                self.behind = True
            self._thread.join()
            if self._error is not None:
                self.reason = self._error
                return None
            if self._digest is None or not hmac.compare_digest(self._mac, self._digest):
                self.reason = ("its signature does not verify (corrupt, or signed with "
                               "another key): never decoded")
                return None
            try:
                assert self._body is not None
                body, self._body = self._body, None
                payload = unpack(meta.get("format", "pickle"), body, with_files=with_files,
                                 places=self._places)
                self._places = {}
                cachefolder.mark_used(self._fd)  # the last its cap removes
                return payload
            except Exception as e:  # noqa: BLE001 - signed by us yet unreadable (another Python)
                self.reason = f"it could not be decoded ({type(e).__name__}: {e})"
                return None
        finally:
            self.close()

    def close(self) -> None:
        """Stop and wait for the reader, and release the file and the memory."""
        self._stop = True
        self._thread.join()
        self._body = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
