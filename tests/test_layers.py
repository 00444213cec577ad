"""The packages' layering, read from their source with ast: imports point one way
(bench -> schema -> graph), graph/ knows nothing of the web, and no module reaches into
another's private names.

Every import counts, those inside functions too: a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("graph", "schema", "bench")
ALLOWED = {  # what each package may import of the project
    "graph": {"graph"},
    "schema": {"schema", "graph"},
    "bench": {"bench", "schema", "graph"},
}
WEB = ("strawberry", "starlette", "uvicorn", "graphql")  # never imported by graph/


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """Return (line, module, names) for every import in a module, at any depth; string
    imports (``importlib.import_module("x")``, ``strawberry.lazy("x")``) included."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ast.unparse(node.func).split(".")[-1] in ("import_module", "lazy")):
            found.append((node.lineno, node.args[0].value, []))
    return found


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package):
    wrong = [f"{_where(path, line)} imports {module}"
             for path in _modules(package)
             for line, module, _ in _imports(ast.parse(path.read_text(encoding="utf-8")))
             if module.split(".")[0] in PACKAGES
             and module.split(".")[0] not in ALLOWED[package]]
    assert wrong == [], f"{package}/ may import only {sorted(ALLOWED[package])}"


def test_graph_never_imports_the_web_stack():
    wrong = [f"{_where(path, line)} imports {module}"
             for path in _modules("graph")
             for line, module, _ in _imports(ast.parse(path.read_text(encoding="utf-8")))
             if module.split(".")[0] in WEB]
    assert wrong == []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_uses_another_modules_private_names(package):
    wrong = []
    for path in _modules(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        project_modules = set()  # local names bound to project modules
        for line, module, names in _imports(tree):
            if module.split(".")[0] not in PACKAGES:
                continue
            wrong += [f"{_where(path, line)}: from {module} import {n}"
                      for n in names if _private(n)]
            project_modules |= {n for n in names if not _private(n)} | {module.split(".")[0]}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in project_modules:
                    wrong.append(f"{_where(path, node.lineno)}: {ast.unparse(node)}")
    assert wrong == [], "make them public (with a docstring) or move them"


def test_the_checks_see_what_they_look_for(tmp_path):
    """The scanner finds a deferred import, a string import and a private name."""
    tree = ast.parse("def f():\n    from bench.run import _x\n    import_module('bench.y')\n")
    assert _imports(tree) == [(2, "bench.run", ["_x"]), (3, "bench.y", [])]


def _builds_a_node_id(node: ast.JoinedStr) -> bool:
    """An f-string such as f"topic:{slug}" or f"{TOPIC}:{slug}"."""
    first = node.values[0] if node.values else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value.startswith(("article:", "topic:", "provider:")) and len(node.values) > 1
    second = node.values[1] if len(node.values) > 2 else None  # not a bare prefix
    return (isinstance(first, ast.FormattedValue) and isinstance(first.value, ast.Name)
            and first.value.id in ("ARTICLE", "TOPIC", "PROVIDER")
            and isinstance(second, ast.Constant) and str(second.value).startswith(":"))


def test_node_ids_are_built_in_one_place():
    """graph.build's article_id, provider_id and topic_id make every node id."""
    wrong = [_where(path, node.lineno)
             for package in PACKAGES for path in _modules(package)
             if path != ROOT / "graph" / "build.py"
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.JoinedStr) and _builds_a_node_id(node)]
    assert wrong == []
