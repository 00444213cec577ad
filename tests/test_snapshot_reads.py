"""A snapshot's parts left in its file are read back (graph/snapshot.py, ``SnapshotFile``,
``_Blocked``) without letting the interpreter go when the kernel's page cache holds the
bytes: ``graph._native.filestats.pread_cached`` (preadv2 with RWF_NOWAIT, the GIL held),
and a group of block digests hashed in pieces under hashlib's threshold for letting it go.
A follow's change reads hundreds of stored entries so; each read that let the interpreter
go waited to have it back behind busy query threads (ing37)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

import graph
from bench.generate import generate
from graph import snapshot
from graph.nodeattrs import node_columns
from graph.records import compiled_filestats


def _warm(tmp_path: Path) -> tuple[graph.KnowledgeGraph, graph.KnowledgeGraph]:
    out = tmp_path / "corpus"
    generate(300, out, seed=3, style="mixed")
    cold = graph.load(out)
    graph.load(out, cache=tmp_path / "cache")
    warm = graph.load(out, cache=tmp_path / "cache")
    assert warm.from_snapshot
    return cold, warm


def _bodies(kg: graph.KnowledgeGraph) -> dict[str, Any]:
    return {n: kg.nx.nodes[n].get("body") for n in kg.nx}


def test_pread_cached_gives_the_bytes_the_page_cache_holds_and_none_past_the_end(
        tmp_path: Path) -> None:
    native = compiled_filestats()
    assert native is not None, "graph._native.filestats is not built: pip install -e ."
    path = tmp_path / "f"
    data = os.urandom(20_000)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.pread(fd, len(data), 0)  # in the page cache now
        assert native.pread_cached(fd, 5_000, 1_234) == data[1_234:6_234]
        assert native.pread_cached(fd, 0, 7) == b""
        # Fewer bytes than asked (the end of the file): None, for os.pread to say so.
        assert native.pread_cached(fd, 100, len(data) - 10) is None
        with pytest.raises(ValueError, match="0 or more"):
            native.pread_cached(fd, -1, 0)
    finally:
        os.close(fd)
    with pytest.raises(OSError):
        native.pread_cached(fd, 10, 0)  # closed


def test_a_snapshots_long_texts_are_read_through_pread_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every read of a part left in the file asks pread_cached first; os.pread reads only
    # what it did not give.
    assert compiled_filestats() is not None, "pip install -e ."
    cold, warm = _warm(tmp_path)
    asked: list[bool] = []
    cached = snapshot._pread_cached
    assert cached is not None

    def counted(fd: int, size: int, offset: int) -> bytes | None:
        got = cached(fd, size, offset)
        asked.append(got is not None)
        return got

    preads: list[int] = []
    pread = os.pread

    def counted_pread(fd: int, size: int, offset: int) -> bytes:
        preads.append(size)
        return pread(fd, size, offset)

    monkeypatch.setattr(snapshot, "_pread_cached", counted)
    monkeypatch.setattr(os, "pread", counted_pread)
    assert _bodies(warm) == _bodies(cold)
    assert len(asked) >= 2
    assert len(preads) == asked.count(False)


def test_what_pread_cached_does_not_give_is_read_with_os_pread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not in the page cache (or no RWF_NOWAIT, or no compiled module): the same bytes.
    cold, warm = _warm(tmp_path)
    monkeypatch.setattr(snapshot, "_pread_cached", lambda fd, size, offset: None)
    assert _bodies(warm) == _bodies(cold)
    monkeypatch.setattr(snapshot, "_pread_cached", None)
    columns = node_columns(warm.nx)
    assert columns is not None
    part = columns.columns["body"].data.file  # a _Blocked
    part._kept.clear()
    assert _bodies(warm) == _bodies(cold)


@pytest.mark.parametrize("size", [0, 1, 1024, 2047, 2048, 2049, 4096, 5000])
def test_a_digest_hashed_in_pieces_is_sha256s(size: int) -> None:
    data = os.urandom(size)
    assert snapshot.sha256_holding(data) == hashlib.sha256(data).digest()
    assert snapshot.sha256_holding(memoryview(data)) == hashlib.sha256(data).digest()


def test_a_group_of_block_digests_is_hashed_in_pieces_under_hashlibs_threshold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hashlib lets the interpreter go for 2,048 bytes or more at once; a group of block
    # digests is 32 * GROUP = 2,048 bytes: hashed in pieces, it is not let go.
    cold, warm = _warm(tmp_path)
    sizes: list[int] = []
    sha256 = hashlib.sha256

    class Counted:
        def __init__(self, data: Any = b"") -> None:
            sizes.append(len(data))
            self._h = sha256(data)

        def update(self, data: Any) -> None:
            sizes.append(len(data))
            self._h.update(data)

        def digest(self) -> bytes:
            return self._h.digest()

    columns = node_columns(warm.nx)
    assert columns is not None
    columns.columns["body"].data.file._kept.clear()
    monkeypatch.setattr(hashlib, "sha256", Counted)
    assert _bodies(warm) == _bodies(cold)
    assert sizes and max(sizes) < 2048
