"""A snapshot cache of loaded graphs: a warm start skips parsing and building.

A snapshot is stored per corpus path and is used only when it was written for the
very same files: the fingerprint covers every file's relative path, size,
modification time (ns), inode and change time, the load options and newsgraph's own
source, so any change to the corpus (or the code) makes it stale, and a stale
snapshot is never served. A load that saw the corpus change while it ran writes
nothing.

Snapshots are pickles, and a pickle runs code when read, so nothing is unpickled
that this user's newsgraph did not write: each file is signed with HMAC-SHA256
under a per-user secret key (created once, readable by its owner only), and a file
whose signature does not verify — corrupt, truncated, foreign — is ignored and
rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["default_cache_dir", "fingerprint", "read_snapshot", "write_snapshot",
           "snapshot_path", "SNAPSHOT_VERSION"]

SNAPSHOT_VERSION = 1
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


def fingerprint(root: Path, files: list[Path], options: dict[str, Any]) -> str:
    """Return a digest of everything a load of ``files`` under ``root`` depends on.

    Raises OSError when a file cannot be stat'ed (then no snapshot is used).
    """
    h = hashlib.sha256()
    h.update(json.dumps({"version": SNAPSHOT_VERSION, "root": str(root.resolve()),
                         "options": options, "code": _code_digest()},
                        sort_keys=True).encode())
    for path in files:
        st = path.stat()
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0"
                 f"{st.st_ctime_ns}\n".encode("utf-8", "surrogateescape"))
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


def write_snapshot(cache_dir: Path, root: Path, digest: str, payload: Any) -> Path:
    """Sign and write ``payload`` as the snapshot of ``root`` at fingerprint ``digest``."""
    key = _key(cache_dir)
    header = json.dumps({"fingerprint": digest, "version": SNAPSHOT_VERSION}).encode()
    body = pickle.dumps(payload, protocol=_PROTOCOL)
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
            body = f.read()
    except OSError:
        return None
    try:
        key = _key(cache_dir)
    except OSError:
        return None
    expected = hmac.new(key, header + b"\n" + body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        return pickle.loads(body)
    except Exception:  # signed by us yet unreadable (e.g. another Python): rebuild
        return None
