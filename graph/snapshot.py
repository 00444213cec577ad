"""A snapshot cache of loaded graphs: a warm start skips parsing and building.

A snapshot is stored per corpus path and is used only when it was written for the
very same files: the fingerprint covers every file's relative path, size,
modification time (ns), inode and change time, the load options and newsgraph's own
source, so any change to the corpus (or the code) makes it stale, and a stale
snapshot is never served. A load that saw the corpus change while it ran writes
nothing.

A snapshot holds plain data in ``marshal`` form (a pickle only when a record holds a
value marshal cannot, such as a date in an extra field), and either one can run or
crash code when read from a hostile file, so nothing is read back that this user's
newsgraph did not write: each file is signed with HMAC-SHA256 under a per-user
secret key (created once, readable by its owner only), and a file whose signature
does not verify — corrupt, truncated, foreign — is ignored and rebuilt. Its
fingerprint is checked first, so a stale snapshot is not even read in full.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import marshal
import mmap
import os
import pickle
import secrets
import stat
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graph.index import ReadIndex
from graph.report import LoadReport, Problem

__all__ = ["default_cache_dir", "fingerprint", "read_snapshot", "write_snapshot",
           "snapshot_path", "pack", "unpack", "open_snapshot", "PendingSnapshot",
           "SNAPSHOT_VERSION"]

SNAPSHOT_VERSION = 2
_MAGIC = b"NEWSGRAPH-SNAPSHOT\n"
_KEY_NAME = "snapshot.key"
_PROTOCOL = 5


def default_cache_dir() -> Path:
    """Return ``$NEWSGRAPH_CACHE``, else ``$XDG_CACHE_HOME/newsgraph``, else
    ``~/.cache/newsgraph``."""
    env = os.environ.get("NEWSGRAPH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsgraph"


def _code_digest() -> str:
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
    h = hashlib.sha256()
    h.update(json.dumps({"version": SNAPSHOT_VERSION, "root": str(root.resolve()),
                         "options": options, "code": _code_digest()},
                        sort_keys=True).encode())
    # stat() releases the GIL: large corpora are stat'ed from a few threads at once.
    parts = max(1, min(4, len(files) // 5000))
    step = -(-len(files) // parts)
    chunks = [files[i : i + step] for i in range(0, len(files), step)] or [[]]
    with ThreadPoolExecutor(max_workers=parts) as pool:
        for text in pool.map(_stat_lines, chunks):
            h.update(text.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _stat_lines(files: Sequence[str | os.PathLike[str]]) -> str:
    lines = []
    stat_of = os.stat
    for path in files:
        st = stat_of(path)
        lines.append(f"{os.fspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0"
                     f"{st.st_ctime_ns}\n")
    return "".join(lines)


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
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            st = os.fstat(fd)
            trusted = (stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()
                       and not st.st_mode & 0o077 and st.st_size == 32)
            key = os.read(fd, 64) if trusted else b""
        finally:
            os.close(fd)
        if len(key) == 32:
            return key
    except (FileNotFoundError, OSError):
        pass
    key = secrets.token_bytes(32)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def pack(g: nx.MultiDiGraph, report: LoadReport, index: ReadIndex) -> tuple[str, bytes]:
    """Return ``(format, bytes)`` for a loaded graph: ``marshal`` when every value is
    plain data (it reads back about twice as fast as pickle and keeps shared objects
    shared), else ``pickle``."""
    ids = index.ids
    nodes = g._node
    attrs = []
    published = []
    for i, node in enumerate(ids):
        data = nodes[node]
        when = data.get("published_at")
        if when is not None:
            data = dict(data)
            data["published_at"] = None
            published.append((i, (when - _EPOCH) // _MICRO))
        attrs.append(data)
    state = index.__getstate__()
    arrays: dict[str, Any] = {}
    plain: dict[str, Any] = {}
    for name, value in state.items():
        if name in ("g", "ids", "pos"):
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = (value.dtype.str, value.shape, value.tobytes())
        elif name == "csr":
            arrays[name] = {k: (c.indptr.tobytes(), c.indices.tobytes()) for k, c in value.items()}
        else:
            plain[name] = value
    problems = {name: [(p.path, p.line, p.reason) for p in getattr(report, name)]
                for name in ("skipped", "errors", "warnings")}
    counts = {f.name: getattr(report, f.name) for f in fields(report) if f.name not in problems}
    core = (ids, attrs, published, g._succ, g._pred, g.graph, arrays, plain, counts, problems)
    try:
        return "marshal", marshal.dumps(core)
    except ValueError:  # a value marshal cannot hold (a date in an extra field, say)
        return "pickle", pickle.dumps((g, report, index), protocol=_PROTOCOL)


def unpack(form: str, body: bytes | memoryview,
           ) -> tuple[nx.MultiDiGraph, LoadReport, ReadIndex]:
    """Rebuild what :func:`pack` stored."""
    if form == "pickle":
        return pickle.loads(body)
    if form != "marshal":
        raise ValueError(f"unknown snapshot format {form!r}")
    ids, attrs, published, succ, pred, graph_attrs, arrays, plain, counts, problems = \
        marshal.loads(body)
    for i, micros in published:
        attrs[i]["published_at"] = _EPOCH + micros * _MICRO
    g = nx.MultiDiGraph()
    g.graph.update(graph_attrs)
    g._node = dict(zip(ids, attrs, strict=True))
    g._adj = g._succ = succ
    g._pred = pred
    report_fields: dict[str, Any] = dict(counts)
    report_fields.update({name: [Problem(*p) for p in items] for name, items in problems.items()})
    report = LoadReport(**report_fields)
    state: dict[str, Any] = dict(plain)
    from graph.index import CSR

    for name, value in arrays.items():
        if name == "csr":
            state[name] = {k: CSR(np.frombuffer(indptr, dtype=np.int64),
                                  np.frombuffer(indices, dtype=np.int32))
                           for k, (indptr, indices) in value.items()}
        else:
            dtype, shape, raw = value
            state[name] = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape)
    state["g"] = g
    state["ids"] = ids
    state["pos"] = {node: i for i, node in enumerate(ids)}
    index = ReadIndex.__new__(ReadIndex)
    index.__setstate__(state)
    return g, report, index


def write_snapshot(cache_dir: Path, root: Path, digest: str, payload: Any) -> Path:
    """Sign and write ``payload`` — ``(graph, report, index)`` — as the snapshot of
    ``root`` at fingerprint ``digest``."""
    key = _key(cache_dir)
    form, body = pack(*payload)
    header = json.dumps({"fingerprint": digest, "version": SNAPSHOT_VERSION,
                         "format": form}).encode()
    mac = hmac.new(key, header + b"\n" + body, hashlib.sha256).digest()
    path = snapshot_path(cache_dir, root)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".snapshot-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC)
            f.write(mac)
            f.write(len(header).to_bytes(4, "big"))
            f.write(header)
            f.write(b"\n")
            f.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_snapshot(cache_dir: Path, root: Path, digest: str) -> Any | None:
    """Return the payload of ``root``'s snapshot if it was signed with this user's key
    and written for fingerprint ``digest``; else None (missing, stale, foreign, corrupt)."""
    pending = open_snapshot(cache_dir, root)
    return pending.result(digest) if pending is not None else None


def open_snapshot(cache_dir: Path, root: Path) -> PendingSnapshot | None:
    """Start checking the signature of ``root``'s snapshot in a thread and return it,
    or None when there is none. Hashing releases the GIL, so the caller can stat the
    corpus for its fingerprint meanwhile; :meth:`PendingSnapshot.result` decides."""
    try:
        return PendingSnapshot(cache_dir, snapshot_path(cache_dir, root))
    except (OSError, ValueError):
        return None


class PendingSnapshot:
    """A snapshot file being verified; nothing in it is decoded before it is trusted."""

    def __init__(self, cache_dir: Path, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by result()
        try:
            f = self._file
            if f.read(len(_MAGIC)) != _MAGIC:
                raise ValueError("not a snapshot")
            self._mac = f.read(32)
            size = int.from_bytes(f.read(4), "big")
            self._header = f.read(size)
            if f.read(1) != b"\n":
                raise ValueError("not a snapshot")
            self._meta = json.loads(self._header)
            start = f.tell()
            # Mapped, not read: the signature and the decoder run over the page cache
            # without copying hundreds of megabytes first.
            self._mapped: mmap.mmap | None = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self._body: memoryview | None = memoryview(self._mapped)[start:]
            self._key = _key(cache_dir)
        except BaseException:
            self.close()
            raise
        self._digest: bytes | None = None
        self._thread = threading.Thread(target=self._sign, name="snapshot-hmac", daemon=True)
        self._thread.start()

    def _sign(self) -> None:
        signer = hmac.new(self._key, self._header + b"\n", hashlib.sha256)
        if self._body is not None:
            signer.update(self._body)
        self._digest = signer.digest()

    def result(self, fingerprint: str) -> Any | None:
        """Return the payload if the snapshot was written for ``fingerprint`` and its
        signature verifies; else None. Closes the file either way."""
        try:
            self._thread.join()
            meta = self._meta
            if not isinstance(meta, dict) or meta.get("fingerprint") != fingerprint \
                    or meta.get("version") != SNAPSHOT_VERSION:
                return None  # stale
            if self._digest is None or not hmac.compare_digest(self._mac, self._digest):
                return None  # corrupt or foreign: never decoded
            try:
                assert self._body is not None
                return unpack(meta.get("format", "pickle"), self._body)
            except Exception:  # signed by us yet unreadable (another Python, say)
                return None
        finally:
            self.close()

    def close(self) -> None:
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join()
        body = getattr(self, "_body", None)
        if body is not None:
            body.release()
            self._body = None
        mapped = getattr(self, "_mapped", None)
        if mapped is not None:
            mapped.close()
            self._mapped = None
        self._file.close()
