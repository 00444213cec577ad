"""Which fast YAML reader a load uses: the compiled one when it is current, else Python.

``pip install`` compiles :mod:`graph.blockyaml`, :mod:`graph.yamlscalars`,
:mod:`graph.yamlflow` and :mod:`graph.textfields` (the reader), with :mod:`graph.values`
and :mod:`graph.normalize` (the record checks and normalizing a parse worker runs on
every record) and :mod:`graph.build` (a worker's ``prepare`` and the load's build),
with mypyc into :mod:`graph._native` when a C compiler is there (setup.py); the
compiled modules give the same answers, the reader and checks in about half the time,
the build ~10% sooner. They are used only when they were built from the sources now
beside them (a digest of the seven files, written into the build): a module edited
since, or a build that failed, means the pure-Python modules, which are always there.
``NEWSGRAPH_PURE_YAML=1`` asks for them too. ``python -m graph.fastyaml`` says which one
a load would use, and why.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from types import ModuleType

__all__ = ["SOURCES", "source_digest", "compiled_reader", "reader", "module", "describe"]

# The compiled modules, in the order their sources are digested.
SOURCES = ("yamlscalars", "blockyaml", "yamlflow", "textfields", "values", "normalize",
           "build")


def source_digest(folder: str | os.PathLike[str] | None = None) -> str:
    """Return the SHA-256 of the reader's Python sources (in ``graph/`` by default)."""
    where = Path(folder) if folder is not None else Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((where / f"{name}.py").read_bytes())
    return digest.hexdigest()


def compiled_reader() -> tuple[ModuleType | None, str]:
    """Return the compiled ``blockyaml`` module, or None, and why."""
    if os.environ.get("NEWSGRAPH_PURE_YAML"):
        return None, "NEWSGRAPH_PURE_YAML is set"
    try:
        native = importlib.import_module("graph._native.blockyaml")
    except ImportError as e:
        return None, f"not compiled at install ({e})"
    if getattr(native, "__file__", "").endswith(".py"):
        return None, "not compiled at install (a Python module stands in its place)"
    try:
        current = source_digest()
    except OSError as e:
        return None, f"its sources cannot be read ({e})"
    if getattr(native, "SOURCE_DIGEST", None) != current:
        return None, ("built from other sources than graph/"
                      + ".py, ".join(SOURCES)
                      + ".py now: run `pip install -e .` again to rebuild it")
    return native, "compiled by mypyc"


def reader() -> ModuleType:
    """Return the module whose ``read`` loads use: compiled when current, else Python."""
    native, _ = compiled_reader()
    if native is not None:
        return native
    from graph import blockyaml

    return blockyaml


def module(name: str) -> ModuleType:
    """Return ``graph.<name>`` (one of :data:`SOURCES`) as loads use it: compiled when the
    reader is (one build, one digest), else the Python module."""
    if name not in SOURCES:
        raise ValueError(f"not a compiled module: {name!r}; one of {', '.join(SOURCES)}")
    native, _ = compiled_reader()
    where = "graph._native" if native is not None else "graph"
    return importlib.import_module(f"{where}.{name}")


def describe() -> str:
    """One line: which reader loads use, and why."""
    native, why = compiled_reader()
    if native is not None:
        return f"fast YAML reader: compiled ({native.__file__})"
    return f"fast YAML reader: pure Python ({why})"


if __name__ == "__main__":
    print(describe())
