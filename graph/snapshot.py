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
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graph.index import ReadIndex
from graph.report import LoadReport, Problem

__all__ = ["default_cache_dir", "fingerprint", "read_snapshot", "write_snapshot",
           "snapshot_path", "pack", "unpack", "SNAPSHOT_VERSION"]

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
    lines = []
    stat_of = os.stat
    for path in files:
        st = stat_of(path)
        lines.append(f"{os.fspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0"
                     f"{st.st_ctime_ns}\n")
    h.update("".join(lines).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


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
    arrays = {}
    plain = {}
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


def unpack(form: str, body: bytes) -> tuple[nx.MultiDiGraph, LoadReport, ReadIndex]:
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
    report = LoadReport(**counts, **{name: [Problem(*p) for p in items]
                                      for name, items in problems.items()})
    state: dict[str, Any] = dict(plain)
    from graph.index import _CSR

    for name, value in arrays.items():
        if name == "csr":
            state[name] = {k: _CSR(np.frombuffer(indptr, dtype=np.int64),
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
    path = snapshot_path(cache_dir, root)
    try:
        with open(path, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            mac = f.read(32)
            size = int.from_bytes(f.read(4), "big")
            header = f.read(size)
            if f.read(1) != b"\n":
                return None
            try:
                meta = json.loads(header)
            except ValueError:
                return None
            if meta.get("fingerprint") != digest or meta.get("version") != SNAPSHOT_VERSION:
                return None  # stale: not even read further
            start = f.tell()
            # Mapped, not read: the signature and the decoder run over the page cache
            # without copying hundreds of megabytes first.
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                body = memoryview(mapped)[start:]
                try:
                    key = _key(cache_dir)
                    signer = hmac.new(key, header + b"\n", hashlib.sha256)
                    signer.update(body)
                    if not hmac.compare_digest(mac, signer.digest()):
                        return None
                    try:
                        return unpack(meta.get("format", "pickle"), body)
                    except Exception:  # signed by us yet unreadable (another Python, say)
                        return None
                finally:
                    body.release()
    except (OSError, ValueError):
        return None
