"""Build hook: compile the fast YAML reader with mypyc, and the stat pass of a snapshot's
freshness check from C, when it can, and never fail for it.

The project's metadata is in pyproject.toml. This adds optional extension modules:
copies of the reader (graph/yamlscalars.py, blockyaml.py, yamlflow.py, textfields.py),
of the record checks and normalizing the parse workers run (graph/values.py,
normalize.py) and of the build (graph/build.py: a worker's ``prepare``, the load's
build after the parse), their imports pointed at ``graph._native``, compiled by mypyc
(a build requirement) into ``graph/_native``. The classes of textfields, values and
normalize, and build's ``Entry`` and ``Prepared``, are not compiled: the copies import
them from the Python modules, so compiled code raises, returns and sends the very
classes everything else catches, tests for and unpickles (build's ``Builder`` is
compiled: only the compiled copy's functions make one). Without a C compiler,
or when compiling fails for any reason, the build says so and goes on:
``graph.fastyaml`` then uses the pure-Python modules, which give the same answers.
The same holds for ``graph._native.filestats`` (graph/_native/filestats.c), built by the
C compiler alone: without it graph/snapshot.py stats the corpus in Python.
``NEWSGRAPH_NO_COMPILE=1`` skips the compiled build.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
# As graph/fastyaml.py digests them.
SOURCES = ("yamlscalars", "blockyaml", "yamlflow", "textfields", "values", "normalize",
           "build")
# Modules whose classes stay the Python modules' own (see the docstring): all of them,
# or those named.
PYTHON_CLASSES: dict[str, tuple[str, ...] | None] = {
    "textfields": None, "values": None, "normalize": None, "build": ("Entry", "Prepared")}
BUILD = Path("build") / "mypyc"


def _native_copies() -> list[str]:
    """Write the modules to compile under build/mypyc/src/graph/_native; return paths."""
    digest = hashlib.sha256()
    texts = {}
    for name in SOURCES:
        data = (HERE / "graph" / f"{name}.py").read_bytes()
        digest.update(data)
        text = data.decode("utf-8")
        for other in SOURCES:
            text = text.replace(f"from graph.{other} import", f"from graph._native.{other} import")
        if name in PYTHON_CLASSES:  # after the above: these import from graph.<name>
            text = _classes_imported(text, name, PYTHON_CLASSES[name])
        texts[name] = text
    texts["blockyaml"] += ("\n\n# Written by setup.py: graph.fastyaml uses this build only while\n"
                           "# the sources it was built from are the ones beside it.\n"
                           f"SOURCE_DIGEST = {digest.hexdigest()!r}\n")
    package = BUILD / "src" / "graph" / "_native"
    package.mkdir(parents=True, exist_ok=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    paths = []
    for name, text in texts.items():
        path = package / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    # Not the project's mypy configuration (its plugins need the whole environment).
    config = BUILD / "mypy.ini"
    config.write_text("[mypy]\nignore_missing_imports = True\n")
    return ["--config-file", str(config), *paths]


def _classes_imported(text: str, name: str, classes: tuple[str, ...] | None) -> str:
    """``text`` with each top-level class definition (of ``classes``, or every one)
    replaced by an import of the class from ``graph.<name>`` (line numbers kept: the
    definition's lines are left blank)."""
    lines = text.splitlines(keepends=True)
    for node in reversed(ast.parse(text).body):
        if isinstance(node, ast.ClassDef) and (classes is None or node.name in classes):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            last = node.end_lineno or node.lineno
            blank = ["\n"] * (last - first - 1)
            lines[first:last] = [f"from graph.{name} import {node.name}\n", *blank]
    return "".join(lines)


def _extensions() -> list[Extension]:
    from mypyc.build import mypycify

    return list(mypycify(_native_copies(), opt_level="3", group_name="graph._native.reader",
                         target_dir=str(BUILD / "c")))


# The stat pass of a snapshot's freshness check, in C (graph/_native/filestats.c says
# why); graph/snapshot.py has the same pass in Python for a build without it.
FILESTATS = Extension("graph._native.filestats", sources=["graph/_native/filestats.c"])


class OptionalBuildExt(build_ext):
    """build_ext that compiles the reader (mypyc runs here, not each time setup.py is
    read) and, when it cannot, says why and goes on."""

    def finalize_options(self) -> None:
        if self.distribution.ext_modules:
            try:
                self.distribution.ext_modules = [*_extensions(), FILESTATS]
            except Exception as e:  # noqa: BLE001 - no mypy, a type error, ...
                self.distribution.ext_modules = [FILESTATS]
                _say(e, "the YAML reader")
        super().finalize_options()

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - no compiler, missing headers, ...
            _say(e, "the YAML reader and the stat pass")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            _say(e, "the stat pass" if ext.name == FILESTATS.name else "the YAML reader")

    def copy_extensions_to_source(self) -> None:
        # Editable installs copy what was built into graph/_native: only what was built.
        self.extensions = [ext for ext in self.extensions
                           if os.path.exists(os.path.join(self.build_lib,
                                                          self.get_ext_filename(ext.name)))]
        super().copy_extensions_to_source()


def _say(e: BaseException, what: str) -> None:
    print(f"newsgraph: {what} is not compiled ({type(e).__name__}: {e}); "
          "the pure-Python one gives the same answers", file=sys.stderr)


if os.environ.get("NEWSGRAPH_NO_COMPILE"):
    _placeholder = []
else:  # replaced by the compiled reader's modules when build_ext runs
    _placeholder = [Extension("graph._native.reader__mypyc", sources=[])]
setup(ext_modules=_placeholder, cmdclass={"build_ext": OptionalBuildExt})
