"""Find record files and parse each into records, reporting every problem with its place.

A broken file never stops a load and a broken record never takes its neighbours
with it: one bad line of a ``.jsonl``, one bad item of a YAML or JSON list, is
reported alone and the rest still load.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph import blockyaml
from graph.report import Problem

__all__ = [
    "Record",
    "ParsedFile",
    "RECORD_SUFFIXES",
    "DEFAULT_MAX_FILE_BYTES",
    "find_files",
    "parse_file",
    "parse_text",
]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl"})
RECORD_SUFFIXES = MARKDOWN_SUFFIXES | YAML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
# Real records never use YAML anchors; a few are tolerated, a bomb is refused.
MAX_YAML_ALIASES = 100
# Few aliases can still expand exponentially: billion laughs needs under 100 of them.
MAX_YAML_EXPANDED_VALUES = 100_000

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# An anchor (&name) where YAML would read one: at a line start or after a space or
# flow indicator. Text like "Tom & Jerry" or "?a=1&b=2" does not look like one.
_ANCHOR = re.compile(r"(?:^|[\s\[\{,])&[^\s\[\]\{\},]")
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_BLOCK_ITEM = re.compile(r"^-(?:[ \t]|$)", re.MULTILINE)


@dataclass(slots=True)
class Record:
    """One record as read from a file: its fields, its Markdown body and its place."""

    fields: dict[str, Any]
    path: str
    line: int | None = None
    body: str | None = None


@dataclass(slots=True)
class ParsedFile:
    """What one file gave: its records and the problems found in it."""

    path: str
    records: list[Record] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    skipped: Problem | None = None


def find_files(root: Path) -> tuple[list[Path], list[Problem]]:
    """Return the files under ``root`` in sorted order, and the folders that could not be read.

    Hidden files and folders (a name starting with ``.``) are left out; symlinked
    folders are followed once, so a symlink loop ends.
    """
    names, problems = find_file_names(root)
    return [Path(name) for name in names], problems


def find_file_names(root: Path) -> tuple[list[str], list[Problem]]:
    """Like :func:`find_files`, as strings (``str`` of the same paths, in the same order),
    for large corpora where building and sorting Path objects is itself slow."""
    if root.is_file():
        return [str(root)], []
    files: list[str] = []
    problems: list[Problem] = []
    seen: set[tuple[int, int]] = set()

    def walk_error(err: OSError) -> None:
        problems.append(Problem(str(err.filename), None, f"cannot read folder: {err.strerror}"))

    for folder, dirs, names in os.walk(root, onerror=walk_error, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError as e:
            problems.append(Problem(folder, None, f"cannot read folder: {e.strerror}"))
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            problems.append(Problem(folder, None, "symlink loop: this folder was already read"))
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = str(Path(folder))  # the form str(Path(folder, name)) begins with
        prefix = "" if base == "." else base if base.endswith(os.sep) else base + os.sep
        files.extend(prefix + n for n in names if not n.startswith("."))
    # The order of Path objects: by parts, not by characters ("a/b" before "a-c"). With
    # the separator as NUL, which sorts first and no name holds, strings compare so.
    files.sort(key=lambda name: name.replace(os.sep, "\0"))
    return files, problems


def parse_file(path: Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ParsedFile:
    """Read one file and parse it into records by its suffix."""
    name = str(path)
    result = ParsedFile(name)
    suffix = path.suffix.lower()
    if suffix not in RECORD_SUFFIXES:
        allowed = ", ".join(sorted(RECORD_SUFFIXES))
        result.skipped = Problem(name, None, f"not a record file: expected one of {allowed}")
        return result
    try:
        # Opened without blocking and checked on the open file: a pipe, a device such as
        # /dev/zero or a file swapped after listing is refused, never read; and at most
        # the limit is read, even from a file that grows.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise _NotAFile
            if st.st_size > max_bytes:
                raise _FileTooBig(st.st_size)
            data = f.read(st.st_size + 1)  # not max_bytes: read() allocates what it is asked
            if len(data) > st.st_size:  # it grew, or its size lies (/proc): read on, to the limit
                data += f.read(max_bytes + 1 - len(data))
    except _NotAFile:
        result.errors.append(Problem(name, None, "not a regular file (a pipe, device or "
                                                 "socket): never read"))
        return result
    except _FileTooBig as e:
        result.errors.append(
            Problem(name, None, f"file is {_human(e.size)}, over the {_human(max_bytes)} limit")
        )
        return result
    except OSError as e:
        result.errors.append(Problem(name, None, f"cannot read file: {e.strerror or e}"))
        return result
    if len(data) > max_bytes:  # the file grew between stat and read
        result.errors.append(
            Problem(name, None, f"file is {_human(len(data))}, over the {_human(max_bytes)} limit")
        )
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        result.errors.append(
            Problem(name, line, f"not valid UTF-8: byte 0x{data[e.start]:02x} at offset {e.start}")
        )
        return result
    parse_text(text, suffix, result)
    return result


class _NotAFile(Exception):
    pass


class _FileTooBig(Exception):
    def __init__(self, size: int):
        self.size = size


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def parse_text(text: str, suffix: str, result: ParsedFile) -> None:
    """Parse the text of a file with the given suffix, adding records and errors to ``result``."""
    name = result.path
    if not text.strip():
        result.errors.append(Problem(name, None, "empty file: no record in it"))
        return
    nul = text.find("\0")
    # In a .jsonl line or a YAML list item, the parser refuses the NUL with its line or item.
    if nul >= 0 and suffix not in JSONL_SUFFIXES | YAML_SUFFIXES:
        line = text.count("\n", 0, nul) + 1
        result.errors.append(Problem(name, line, "contains a NUL byte: not a text file"))
        return
    if suffix in MARKDOWN_SUFFIXES:
        _parse_markdown(text, result)
    elif suffix in YAML_SUFFIXES:
        _parse_yaml(text, result, first_line=1)
    elif suffix in JSON_SUFFIXES:
        _parse_json(text, result)
    else:
        _parse_jsonl(text, result)


def _parse_markdown(text: str, result: ParsedFile) -> None:
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        result.errors.append(
            Problem(result.path, 1, "no YAML front matter: the file must start with a '---' line")
        )
        return
    for i in range(1, len(lines)):
        if _CLOSING_FENCE.match(lines[i].rstrip("\r\n")):
            break
    else:
        result.errors.append(
            Problem(result.path, 1, "front matter opened on line 1 is never closed by a '---' line")
        )
        return
    front = "".join(lines[1:i])
    body = "".join(lines[i + 1 :]).strip("\n")
    items = _yaml_items(front, result, first_line=2, allow_list=False)
    for value, line in items:
        _add_record(value, line, result, body=body or None)


def _parse_yaml(text: str, result: ParsedFile, *, first_line: int) -> None:
    for value, line in _yaml_items(text, result, first_line=first_line, allow_list=True):
        _add_record(value, line, result)


def _yaml_items(
    text: str, result: ParsedFile, *, first_line: int, allow_list: bool
) -> list[tuple[Any, int | None]]:
    """Return the top-level values of a YAML text with their lines; a list yields its items."""
    fast = blockyaml.read(text, first_line, allow_list)  # plain block YAML, PyYAML's values
    if fast is not None:
        return fast
    try:
        return list(_compose_items(text, first_line, allow_list))
    except _YamlFailure as failure:
        if allow_list and _BLOCK_ITEM.search(text) and text.lstrip().startswith("-"):
            # A broken block list: parse it item by item, so one bad item costs only itself.
            return _salvage_block_list(text, result, first_line)
        result.errors.append(Problem(result.path, failure.line, failure.reason))
        return []


class _YamlFailure(Exception):
    def __init__(self, reason: str, line: int | None):
        self.reason = reason
        self.line = line


def _compose_items(
    text: str, first_line: int, allow_list: bool
) -> Iterator[tuple[Any, int | None]]:
    guarded = bool(_ANCHOR.search(text))
    loader = None
    try:  # the pure-Python loader reads (and may refuse) the text as it is built
        loader = _AliasCountingLoader(text) if guarded else _SafeLoader(text)
        nodes = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                nodes.append(node)
        if guarded:
            sizes: dict[int, int | None] = {}
            for node in nodes:
                _expanded_size(node, sizes)
        out = []
        for node in nodes:
            if allow_list and isinstance(node, yaml.SequenceNode):
                parts = [(item, item.start_mark.line + first_line) for item in node.value]
            else:
                parts = [(node, node.start_mark.line + first_line)]
            for part, line in parts:
                out.append((loader.construct_document(part), line))
        yield from out
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + first_line if mark is not None else None
        reason = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise _YamlFailure(f"invalid YAML: {reason}", line) from None
    except _AliasBomb as bomb:
        raise _YamlFailure(
            f"YAML alias bomb: {bomb.what}; records never need aliases (*name), "
            "so the file is refused",
            None,
        ) from None
    except yaml.reader.ReaderError as e:  # a character YAML never allows, such as NUL
        code = e.character if isinstance(e.character, int) else ord(e.character or "?")
        what = "a NUL byte" if code == 0 else f"the character U+{code:04X}"
        line = text.count("\n", 0, max(e.position, 0)) + first_line
        raise _YamlFailure(f"invalid YAML: contains {what}, which YAML does not allow",
                           line) from None
    except RecursionError:
        raise _YamlFailure("YAML nested too deeply to be a record", None) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
        raise _YamlFailure(f"invalid YAML: {e}", None) from None
    finally:
        if loader is not None:
            loader.dispose()


class _AliasBomb(Exception):
    def __init__(self, what: str):
        self.what = what


def _expanded_size(node: yaml.Node, sizes: dict[int, int | None]) -> int:
    """Return how many values ``node`` holds with every alias expanded; raise past the limit."""
    known = sizes.get(id(node), 0)
    if known:
        return known
    if id(node) in sizes:  # still being counted: the node holds itself
        raise _AliasBomb("an alias (*name) refers to a value that contains it")
    sizes[id(node)] = None
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    if size > MAX_YAML_EXPANDED_VALUES:
        raise _AliasBomb(f"aliases expand it to more than {MAX_YAML_EXPANDED_VALUES:,} values")
    sizes[id(node)] = size
    return size


class _AliasCountingLoader(yaml.SafeLoader):
    """The pure-Python safe loader, counting aliases so a bomb is refused before it grows."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise _AliasBomb(f"more than {MAX_YAML_ALIASES} aliases in one file")
        return super().compose_node(parent, index)


def _salvage_block_list(
    text: str, result: ParsedFile, first_line: int
) -> list[tuple[Any, int | None]]:
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _BLOCK_ITEM.match(line)]
    items: list[tuple[Any, int | None]] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "".join(lines[start:end])
        try:
            items.extend(_compose_items(chunk, first_line + start, allow_list=True))
        except _YamlFailure as failure:
            result.errors.append(Problem(result.path, failure.line, failure.reason))
    return items


def _parse_json(text: str, result: ParsedFile) -> None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        result.errors.append(Problem(result.path, e.lineno, f"invalid JSON: {e.msg}"))
        return
    except RecursionError:
        result.errors.append(Problem(result.path, None, "JSON nested too deeply to be a record"))
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _add_record(item, None, result, item=index)
    else:
        _add_record(value, 1, result)


def _parse_jsonl(text: str, result: ParsedFile) -> None:
    # Lines end at "\n" only: U+2028, U+0085 and the like are valid inside JSON strings.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            result.errors.append(Problem(result.path, lineno, f"invalid JSON: {e.msg}"))
            continue
        except RecursionError:
            result.errors.append(Problem(result.path, lineno, "JSON nested too deeply"))
            continue
        _add_record(value, lineno, result)


def _add_record(
    value: Any, line: int | None, result: ParsedFile, *, body: str | None = None,
    item: int | None = None,
) -> None:
    where = f"item {item}: " if item is not None else ""
    if not isinstance(value, dict):
        kind = "nothing" if value is None else type(value).__name__
        result.errors.append(
            Problem(result.path, line,
                    f"{where}expected a record (a mapping of fields), got {kind}")
        )
        return
    fields = {str(k): v for k, v in value.items()}
    if body is None and isinstance(fields.get("body"), str):
        body = fields.pop("body")
    reason = _record_problem(fields)
    if reason:
        result.errors.append(Problem(result.path, line, where + reason))
        return
    result.records.append(Record(fields, result.path, line, body))


def _record_problem(fields: dict[str, Any]) -> str | None:
    """Return why a record cannot be loaded, or None when it can."""
    title = fields.get("title")
    if title is None:
        return "record has no title"
    if not isinstance(title, str):
        return f"title must be a string, got {type(title).__name__} {title!r}"
    if not title.strip():
        return "title is empty"
    if not any(isinstance(fields.get(k), str) and fields[k].strip()
               for k in ("webUrl", "originalUrl")):
        return "record has no URL: expected a 'webUrl' or 'originalUrl' field"
    return None
