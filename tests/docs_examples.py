"""The examples of README.md and docs/*.md: found, run on the bundled data/, compared.

The convention (docs/development.md, "Examples in the docs are tests"):

- A fenced ``graphql`` block is a query. A ``json`` block introduced by a line ending in
  ``with variables:`` gives its variables; one introduced by ``answers:`` is its response,
  compared value by value (coordinates within 1, other floats within 1e-6). An answer with
  ``extensions`` is a response over HTTP (the app, in-process); without, the in-process
  ``schema.query.execute``. A query shown without an answer must still answer without errors.
- A ``python`` block is run (from the repository root); what it prints is compared with a
  following block introduced by ``prints:``, when there is one.
- In ``sh`` blocks and untagged ones (``$ `` prompts allowed), every ``newsgraph`` command
  line must parse with the real command's parser. A block holding one ``newsgraph`` or
  ``curl`` command followed by a block introduced by ``prints:`` is run (curl against the
  app, in-process) and its output compared as text.

``python tests/docs_examples.py --update`` rewrites every shown output with what the code
answers now (JSON answers in a compact layout); read the diff before committing it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A fence at the margin, or indented inside a list item (its lines then dedented).
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.S | re.M)
OUTPUT_INTROS = ("answers:", "prints:")


@dataclass
class Example:
    """One runnable block of a page, with what the page shows it gives."""

    page: Path
    line: int
    lang: str
    source: str
    variables: dict[str, Any] | None = None
    shown: str | None = None
    shown_span: tuple[int, int] | None = None  # character offsets of the shown output

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def examples(page: Path) -> list[Example]:
    """Return the page's blocks, each with its variables and shown output."""
    text = page.read_text(encoding="utf-8")
    found: list[Example] = []
    for match in FENCE.finditer(text):
        indent, lang = len(match.group(1)), match.group(2)
        body = "".join(line[indent:] if line[:indent].isspace() else line
                       for line in match.group(3).splitlines(keepends=True))
        before = text[: match.start()].rstrip().splitlines()
        intro = before[-1].strip() if before else ""
        last = found[-1] if found else None
        if intro.endswith("with variables:"):
            assert last is not None and last.lang == "graphql", f"{page}: variables of nothing"
            last.variables = json.loads(body)
        elif intro.endswith(OUTPUT_INTROS):
            where = f"{page.name}:{text.count(chr(10), 0, match.start()) + 1}"
            assert last is not None and last.shown is None, f"{where}: an output of nothing"
            assert not indent, f"{where}: a shown output is compared at the margin only"
            last.shown, last.shown_span = body, (match.start(3), match.end(3))
        else:
            found.append(Example(page, text.count("\n", 0, match.start()) + 1, lang, body))
    return found


def all_examples() -> list[Example]:
    return [e for page in PAGES for e in examples(page)]


# -- command lines --------------------------------------------------------------------

def command_lines(source: str) -> list[list[str]]:
    """Return the commands of a shell block as argument lists: continuations joined,
    ``$`` prompts, comments, environment assignments and ``&&`` chains split off; lines
    that are not commands (output shown inside a console block) skipped."""
    text = source.replace("\\\n", " ")
    commands: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        elif source.lstrip().startswith("$ "):
            continue  # a console block: lines without a prompt are output
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        current: list[str] = []
        for word in [*words, "&&"]:
            if word in ("&&", "||", ";", "|"):
                while current and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", current[0]):
                    current.pop(0)
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(word)
    return commands


def parse_newsgraph(args: list[str]) -> None:
    """Parse a ``newsgraph`` command line with the real parsers; raise SystemExit if bad."""
    from bench.commands import bench_parser, generate_parser
    from schema.cli import build_parser

    parser = {"bench": bench_parser, "generate": generate_parser}.get(args[0] if args else "")
    with contextlib.redirect_stdout(io.StringIO()):
        if parser is not None:
            parser().parse_args(args[1:])
        else:
            build_parser().parse_args(args)


# -- running --------------------------------------------------------------------------

@contextlib.contextmanager
def at_root() -> Iterator[None]:
    here = os.getcwd()
    os.chdir(ROOT)  # evidence and sources are paths relative to where data/ is loaded from
    try:
        yield
    finally:
        os.chdir(here)


def run_graphql(kg: Any, example: Example, http: bool) -> dict[str, Any]:
    if not http:
        from schema.query import execute

        return execute(kg, example.source, example.variables)
    from starlette.testclient import TestClient

    from schema.app import create_app

    with TestClient(create_app(kg)) as client:
        return client.post("/graphql", json={"query": example.source,
                                             "variables": example.variables}).json()


def run_python(source: str) -> str:
    out = io.StringIO()
    with at_root(), contextlib.redirect_stdout(out):
        exec(compile(source, "<docs>", "exec"), {"__name__": "__docs__"})
    return out.getvalue()


def run_command(kg: Any, args: list[str]) -> str:
    """Run one ``newsgraph`` or ``curl`` command line; return what it prints."""
    if args[0] == "newsgraph":
        from schema.cli import main

        out = io.StringIO()
        with at_root(), contextlib.redirect_stdout(out):
            main(args[1:])
        return out.getvalue()
    if args[0] == "curl":
        return _curl(kg, args[1:])
    raise AssertionError(f"cannot run {args[0]!r} from a doc: only newsgraph and curl")


def _curl(kg: Any, args: list[str]) -> str:
    from starlette.testclient import TestClient

    from schema.app import create_app

    url, body, headers = None, None, {}
    words = iter(args)
    for word in words:
        if word in ("-d", "--data"):
            body = next(words)
        elif word in ("-H", "--header"):
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word.startswith("http"):
            url = word
        elif not word.startswith("-"):
            raise AssertionError(f"unexpected curl argument {word!r}")
    assert url is not None, "curl without a URL"
    path = re.sub(r"^https?://[^/]+", "", url)
    with TestClient(create_app(kg)) as client:
        response = (client.post(path, content=body, headers=headers) if body is not None
                    else client.get(path, headers=headers))
    return response.text + "\n"


def same(got: object, want: object, key: str = "") -> bool:
    """Compare JSON values; layout coordinates within 1, other floats within 1e-6."""
    if isinstance(want, float) or isinstance(got, float):
        tolerance = 1.0 if key in ("x", "y") else 1e-6
        return (isinstance(got, int | float) and isinstance(want, int | float)
                and abs(got - want) <= tolerance)
    if isinstance(want, dict):
        return (isinstance(got, dict) and got.keys() == want.keys()
                and all(same(got[k], want[k], k) for k in want))
    if isinstance(want, list):
        return (isinstance(got, list) and len(got) == len(want)
                and all(same(g, w, key) for g, w in zip(got, want, strict=True)))
    return got == want


def text_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


# -- updating ---------------------------------------------------------------------------

def compact_json(value: Any, indent: int = 0, width: int = 100, lead: int = 0) -> str:
    """Return JSON laid out for reading: a value on one line when it fits in ``width``
    (``lead`` characters, such as its key, come before it on its line)."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent + lead <= width or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: "
                 + compact_json(v, indent + 2, width, len(json.dumps(k)) + 2)
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + compact_json(v, indent + 2, width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def actual_output(kg: Any, example: Example) -> str:
    """Return what the example gives now, laid out as the page would show it."""
    if example.lang == "graphql":
        http = example.shown is not None and '"extensions"' in example.shown
        return compact_json(run_graphql(kg, example, http)) + "\n"
    if example.lang == "python":
        return run_python(example.source)
    (command,) = command_lines(example.source)
    return run_command(kg, command)


def matches(example: Example, now: str) -> bool:
    """Return True when the output ``now`` is what the example shows."""
    assert example.shown is not None
    if example.lang == "graphql":
        return same(json.loads(now), json.loads(example.shown))
    return text_lines(now) == text_lines(example.shown)


def update() -> int:
    """Rewrite every shown output of every page with what the code gives now."""
    import graph

    with at_root():
        # As `newsgraph serve` holds it: the followed folder's current version.
        kg = graph.follow(Path("data")).current()
    kg.analytics.install(kg.analytics.compute_all())  # as a server's, once ready
    changed = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for example in reversed(examples(page)):
            if example.shown is None or example.shown_span is None:
                continue
            now = actual_output(kg, example)
            if not matches(example, now):
                start, end = example.shown_span
                text = text[:start] + now + text[end:]
                changed += 1
                print(f"updated {example.name}")
        page.write_text(text, encoding="utf-8")
    print(f"{changed} outputs rewritten")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/docs_examples.py --update")
    sys.exit(update())
