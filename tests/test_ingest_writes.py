"""An ingested record's temporary file is written by ``graph._native.filestats.
write_synced`` when it is compiled: open, write, fsync, fstat and close with the
interpreter let go once, where os's calls let it go and wait to have it back behind every
busy query thread after each (five waits a record; ing37). Without it, os's calls: the
same file, the same signature."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import graph
import graph.ingest as files
from graph.records import compiled_filestats
from tests.conftest import record, write_record
from tests.test_live import assert_same


def test_write_synced_writes_the_bytes_and_gives_the_files_signature(tmp_path: Path) -> None:
    native = compiled_filestats()
    assert native is not None, "graph._native.filestats is not built: pip install -e ."
    path = tmp_path / "f.tmp"
    data = os.urandom(70_000)
    signature = native.write_synced(path, data)
    st = os.stat(path)
    assert signature == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert path.read_bytes() == data
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(st.st_mode) == 0o644 & ~umask
    # An existing file is written over (truncated), from any buffer.
    assert native.write_synced(str(path), memoryview(b"short"))[0] == 5
    assert path.read_bytes() == b"short"
    with pytest.raises(FileNotFoundError) as e:
        native.write_synced(tmp_path / "no such folder" / "f.tmp", b"x")
    assert e.value.filename == str(tmp_path / "no such folder" / "f.tmp")


def test_a_records_temporary_file_is_written_by_write_synced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert compiled_filestats() is not None, "pip install -e ."
    real = files._write_synced
    assert real is not None
    written: list[str] = []

    def counted(path: os.PathLike[str], data: bytes) -> tuple[int, int, int]:
        written.append(os.fspath(path))
        return real(path, data)

    monkeypatch.setattr(files, "_write_synced", counted)
    target = tmp_path / "r.json"
    staged = files._write_temporary(target, b'{"a": 1}')
    assert staged is not None and written == [str(staged.path)]
    st = os.stat(staged.path)
    assert staged.signature == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert staged.path.read_bytes() == b'{"a": 1}'
    assert staged.path.name.startswith(".") and staged.path.parent == tmp_path
    # The file holding those bytes already: nothing written.
    staged.path.rename(target)
    assert files._write_temporary(target, b'{"a": 1}') is None and len(written) == 1


def test_without_write_synced_os_writes_the_same_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "_write_synced", None)
    staged = files._write_temporary(tmp_path / "r.json", b'{"b": 2}')
    assert staged is not None
    st = os.stat(staged.path)
    assert staged.signature == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert staged.path.read_bytes() == b'{"b": 2}'


def test_a_failed_write_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = files._write_synced
    assert real is not None

    def full(path: os.PathLike[str], data: bytes) -> tuple[int, int, int]:
        real(path, data[:3])  # the file created, then the disk full
        raise OSError(28, "No space left on device", os.fspath(path))

    monkeypatch.setattr(files, "_write_synced", full)
    with pytest.raises(OSError, match="No space"):
        files._write_temporary(tmp_path / "r.json", b'{"c": 3}')
    assert list(tmp_path.iterdir()) == []


def test_records_ingested_through_write_synced_equal_a_cold_load(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    outcomes = files.ingest(live, [record(f"w{i}", related=[{"webUrl": "https://news.example/a"}])
                                   for i in range(12)])
    assert [o.status for o in outcomes] == ["CREATED"] * 12
    assert_same(live, tmp_path)
