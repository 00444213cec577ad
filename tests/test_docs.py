"""Every example in README.md and docs/*.md runs, on the bundled data/, and gives what the
page shows (the convention: tests/docs_examples.py and docs/development.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from docs_examples import (
    PAGES,
    ROOT,
    Example,
    actual_output,
    all_examples,
    at_root,
    command_lines,
    matches,
    parse_newsgraph,
    run_graphql,
    run_python,
)

import graph

EXAMPLES = all_examples()
RUN = [e for e in EXAMPLES if e.lang in ("graphql", "python") or e.shown is not None]
COMMANDS = [e for e in EXAMPLES if e.lang in ("sh", "console", "")]


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    with at_root():
        # As `newsgraph serve` holds it: the followed folder's current version.
        kg = graph.follow(Path("data")).current()
    # The answers shown are a server's once /readyz says its analytics are in (an export
    # never computes them itself).
    kg.analytics.install(kg.analytics.compute_all())
    return kg


def test_every_page_is_read():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/api.md", "docs/records.md", "docs/security.md",
            "docs/explorer.md", "docs/browser.md", "docs/performance.md",
            "docs/development.md", "docs/python.md"} <= names
    checked = {e.page.relative_to(ROOT).as_posix() for e in EXAMPLES if e.shown is not None}
    assert {"README.md", "docs/api.md", "docs/records.md", "docs/security.md",
            "docs/explorer.md", "docs/development.md", "docs/python.md"} <= checked


@pytest.mark.parametrize("example", RUN, ids=[e.name for e in RUN])
def test_example_gives_what_the_page_shows(kg, example: Example):
    if example.shown is None:
        if example.lang == "graphql":
            response = run_graphql(kg, example, http=False)
            assert "errors" not in response and response["data"], response
        else:
            run_python(example.source)
        return
    now = actual_output(kg, example)
    assert matches(example, now), (
        f"{example.name} now gives (python tests/docs_examples.py --update rewrites it):\n"
        + now[:3000])


@pytest.mark.parametrize("example", COMMANDS, ids=[e.name for e in COMMANDS])
def test_every_newsgraph_command_line_parses(example: Example):
    for args in command_lines(example.source):
        if args[0] == "newsgraph":
            try:
                parse_newsgraph(args[1:])
            except SystemExit as e:
                pytest.fail(f"{example.name}: {' '.join(args)!r} does not parse ({e.code})")


def _quiet(args: list[str]) -> str:
    """A command without its output-volume flags, pip run as ``python -m pip``."""
    args = ["python", "-m", *args] if args[0] == "pip" else args
    return " ".join(a for a in args
                    if a not in ("-q", "--quiet") and not a.startswith(("--no-", "--log")))


def test_the_readme_test_command_is_what_ci_runs():
    """.ci/run installs and tests as the README's test command does (plus lint, Chromium)."""
    test_command = next(e for e in examples_of("README.md")
                        if ["python", "-m", "pytest"] in command_lines(e.source))
    ci = [_quiet(a) for a in command_lines((ROOT / ".ci" / "run").read_text(encoding="utf-8"))]
    steps = [_quiet(a) for a in command_lines(test_command.source)
             if a[0] in ("pip", "npm", "python")]
    assert steps and all(step in ci for step in steps), (steps, ci)
    assert ci.index("python -m pytest") == len(ci) - 1


def examples_of(name: str) -> list[Example]:
    return [e for e in EXAMPLES if e.page == ROOT / name]


def test_the_checks_catch_a_wrong_answer(kg, tmp_path):
    """A changed answer, a bad flag and a wrong print all fail."""
    page = tmp_path / "page.md"
    page.write_text('```graphql\n{ stats { articles } }\n```\n\nanswers:\n\n```json\n'
                    '{"data": {"stats": {"articles": 49}}}\n```\n\n'
                    '```python\nprint(1 + 1)\n```\n\nprints:\n\n```\n3\n```\n', encoding="utf-8")
    from docs_examples import examples

    query, code = examples(page)
    assert json.loads(actual_output(kg, query)) == {"data": {"stats": {"articles": 50}}}
    assert not matches(query, actual_output(kg, query))
    assert not matches(code, actual_output(kg, code))
    with pytest.raises(SystemExit):
        parse_newsgraph(["serve", "--no-such-flag"])


def test_the_readme_stays_under_8_kb():
    """The front door: the pitch, the two commands, the question and its answer, links.
    Reference material goes in docs/ (it stood at 8,169 bytes of 8,192)."""
    assert len((ROOT / "README.md").read_bytes()) < 8 * 1024


MAPPED_TYPES = ("Query", "Article", "Topic", "Provider")


def unmapped_fields(sdl: str, page: str) -> list[str]:
    """The fields of the API's main types that the page never names (as a word)."""
    from graphql import build_schema

    schema = build_schema(sdl)
    words = set(re.findall(r"\w+", page))
    return [f"{kind}.{name}" for kind in MAPPED_TYPES
            for name in schema.get_type(kind).fields  # type: ignore[union-attr]
            if name not in words]


def test_docs_api_names_every_field_of_the_main_types():
    """docs/api.md is the map of the API: a field added to the root, Article, Topic or
    Provider is named there (the root's centralArticles and timeline were not)."""
    sdl = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert unmapped_fields(sdl, page) == []


def test_an_unnamed_field_is_found():
    sdl = "type Query { a: Int b: Int }\ntype Article { c: Int }\ntype Topic { d: Int }\n" \
          "type Provider { e: Int }\n"
    assert unmapped_fields(sdl, "`a`, c (d) and e.") == ["Query.b"]


def test_a_block_indented_in_a_list_item_is_read_too(tmp_path):
    """A fenced block inside a list item is indented; its command lines were never read
    (docs/security.md's `newsgraph serve data/ --port 99999`)."""
    from docs_examples import examples

    page = tmp_path / "page.md"
    page.write_text("- a port in use:\n\n  ```\n  $ newsgraph serve data/ --no-such-flag\n"
                    "  newsgraph: error: ...\n  ```\n", encoding="utf-8")
    (block,) = examples(page)
    assert command_lines(block.source) == [["newsgraph", "serve", "data/", "--no-such-flag"]]
