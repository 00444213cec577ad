"""Which fast YAML reader a load uses: the compiled one when it is current, else Python.

``pip install`` compiles :mod:`graph.blockyaml`, :mod:`graph.yamlscalars` and
:mod:`graph.yamlflow` with mypyc into :mod:`graph._native` when a C compiler is there
(setup.py); the compiled reader gives the same answers in about half the time. It is
used only when it was built from the sources now beside it (a digest of the three
files, written into it by the build): a module edited since, or a build that failed,
means the pure-Python modules, which are always there. ``NEWSGRAPH_PURE_YAML=1`` asks
for them too. ``python -m graph.fastyaml`` says which one a load would use, and why.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from types import ModuleType

__all__ = ["SOURCES", "source_digest", "compiled_reader", "reader", "describe"]

# The compiled modules, in the order their sources are digested.
SOURCES = ("yamlscalars", "blockyaml", "yamlflow")


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
        return None, ("built from other sources than graph/blockyaml.py, yamlscalars.py "
                      "and yamlflow.py now: run `pip install -e .` again to rebuild it")
    return native, "compiled by mypyc"


def reader() -> ModuleType:
    """Return the module whose ``read`` loads use: compiled when current, else Python."""
    native, _ = compiled_reader()
    if native is not None:
        return native
    from graph import blockyaml

    return blockyaml


def describe() -> str:
    """One line: which reader loads use, and why."""
    native, why = compiled_reader()
    if native is not None:
        return f"fast YAML reader: compiled ({native.__file__})"
    return f"fast YAML reader: pure Python ({why})"
