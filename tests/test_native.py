"""The compiled fast YAML reader (setup.py, graph/fastyaml.py): built with a compiler,
skipped with a warning without one, and never used when its sources changed since.

Each test builds a copy of the reader's sources in ``tmp_path`` with ``setup.py
build_ext --inplace`` (what ``pip install -e .`` runs) and asks a fresh interpreter in
that copy which reader a load would use. Its answers are checked equal to PyYAML's by
tests/test_fastpaths.py, which runs on both readers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _copy(tmp_path: Path) -> Path:
    """The project's build files and graph/ (sources only) under tmp_path."""
    where = tmp_path / "project"
    where.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, where / name)
    shutil.copytree(ROOT / "graph", where / "graph",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return where


def _build(where: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                          cwd=where, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=600)


def _which(where: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import graph.fastyaml as f, graph.records as r;"
         "print(f.describe()); print(r._fast_reader.__file__);"
         "print(r._yaml_items('a: 1\\nb: [x, y]', r.ParsedFile('x.yaml'),"
         " first_line=1, allow_list=True));"
         "import graph.build as b; print('checks:', type(r.clean_record).__name__,"
         " type(b.canonical_url).__name__);"
         "import graph.snapshot as s; print('stat pass:', s._filestats())"],
        cwd=where, env={k: v for k, v in os.environ.items() if k != "NEWSGRAPH_PURE_YAML"},
        capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_without_a_compiler_the_build_goes_on_and_loads_use_the_python_reader(
        tmp_path: Path) -> None:
    where = _copy(tmp_path)
    done = _build(where, CC="false", LDSHARED="false")
    assert done.returncode == 0, done.stderr
    assert "the YAML reader is not compiled" in done.stderr
    assert not list((where / "graph" / "_native").glob("*.so"))
    out = _which(where)
    assert "fast YAML reader: pure Python (not compiled at install" in out
    assert str(where / "graph" / "blockyaml.py") in out
    assert "[({'a': 1, 'b': ['x', 'y']}, 1)]" in out
    assert "checks: function function" in out, out
    assert "the stat pass is not compiled" in done.stderr
    assert "stat pass: None" in out, out


@pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None,
                    reason="no C compiler here")
def test_with_a_compiler_loads_use_the_compiled_reader_until_its_sources_change(
        tmp_path: Path) -> None:
    where = _copy(tmp_path)
    done = _build(where)
    assert done.returncode == 0, done.stderr
    assert "not compiled" not in done.stderr, done.stderr
    out = _which(where)
    assert "fast YAML reader: compiled" in out, out
    assert str(where / "graph" / "_native") in out
    assert "[({'a': 1, 'b': ['x', 'y']}, 1)]" in out
    # The record checks and normalizing are compiled with it.
    assert "checks: builtin_function_or_method builtin_function_or_method" in out, out
    # A snapshot's freshness check stats the corpus in C (graph/_native/filestats.c).
    assert f"stat pass: <module 'graph._native.filestats' from '{where}/graph/_native/" in out, out
    # Edited after the build: the stale compiled modules are not used, any of them.
    for edited in ("yamlscalars", "normalize"):
        source = where / "graph" / f"{edited}.py"
        text = source.read_text()
        source.write_text(text + "\n# edited\n")
        out = _which(where)
        assert "pure Python (built from other sources" in out, out
        assert str(where / "graph" / "blockyaml.py") in out
        assert "checks: function function" in out, out
        source.write_text(text)
    assert "fast YAML reader: compiled" in _which(where)
