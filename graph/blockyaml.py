"""A fast reader for the YAML that records are written in, by people and by tools.

Records are block mappings and sequences (``key: value``, ``- item``, ``- key:
value``) of plain, single- and double-quoted scalars, on one line or folded over
several (as ``yaml.safe_dump`` writes long strings), literal and folded block scalars
(``|``, ``>``), and flow collections (``[a, b]``, ``{k: v}``, or a whole document in
flow style); CRLF line ends are read as LF. For such a text :func:`read` gives exactly
what PyYAML's safe loader gives (values, types, line numbers), several times faster;
for anything else — anchors, aliases, tags, comments after a value, tabs, odd line
breaks, directives, several documents, a key that is not a plain name, an
indentation indicator — it returns ``None`` and the caller uses PyYAML, which also
gives every error its message.

Scalars are read by :mod:`graph.yamlscalars` (with PyYAML's own resolvers and
constructors) and flow collections by :mod:`graph.yamlflow`: only the line and
block structure is read here.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from graph.textfields import typed
from graph.yamlflow import flow_document, flow_in_block
from graph.yamlscalars import (
    DOUBLE_OPEN,
    GOOD_KEYS,
    MAX_DEPTH,
    SINGLE_OPEN,
    Unsupported,
    block_scalar,
    plain_lines,
    quoted_lines,
    scalar,
    split_key,
)

__all__ = ["read"]

# Characters PyYAML refuses anywhere in a stream (all but \t, \n, \x20-\x7e, \x85,
# \xa0-\ud7ff, \ue000-\ufffd and beyond \uffff), and line breaks other than "\n".
# (Surrogates written with chr(): mypyc, which compiles this module, refuses them in literals.)
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + chr(0xD800) + "-" + chr(0xDFFF)
                      + "\ufffe\uffff\u2028\u2029\ufeff]")


def read(text: str, first_line: int, allow_list: bool) -> list[tuple[Any, int | None]] | None:
    """Return the top-level values of a YAML text with their 1-based lines (a list's
    items one by one when ``allow_list``), as PyYAML's safe loader would, a record's text
    fields as written (:mod:`graph.textfields`); or ``None`` when the text is not plain
    block YAML, or a text field is a plain scalar YAML reads as another type."""
    found = _read(text, first_line, allow_list)
    if found is not None and any(typed(value) for value, _ in found):
        return None  # PyYAML's reader has the text as written
    return found


def _read(text: str, first_line: int, allow_list: bool) -> list[tuple[Any, int | None]] | None:
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.isascii():  # the usual case, and a quicker test: only \x20-\x7e and \n pass
        if not text.replace("\n", "").isprintable():
            return None
    elif _REFUSED.search(text) or "\t" in text:
        return None
    lines: list[tuple[int, str, int]] = []
    raws = text.split("\n")
    for number, raw in enumerate(raws):
        content = raw.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        if content.startswith(("---", "...", "%")) and len(raw) == len(content):
            return None  # document markers and directives
        lines.append((len(raw) - len(content), content.rstrip(" "), number))
    if not lines:
        return None
    try:
        parser = _Parser(lines, raws)
        indent = lines[0][0]
        if lines[0][1][0] in "[{":  # a document that is one flow collection
            return flow_document(text, lines[0][2], first_line, allow_list)
        if _is_item(lines[0][1]):
            items = parser.sequence(0, indent)
            if parser.i != len(lines):
                return None
            if allow_list:
                return [(value, line + first_line) for value, line in items]
            return [([value for value, _ in items], lines[0][2] + first_line)]
        value = parser.mapping(0, indent)
        if parser.i != len(lines):
            return None
        return [(value, lines[0][2] + first_line)]
    except (Unsupported, yaml.YAMLError, ValueError, OverflowError, RecursionError):
        return None


# "key: value" lines read before and what they gave: records repeat "type: article",
# "published: true", a provider's name and domain, an image's size, thousands of times.
# The line alone decides its key and value when it is whole on its line (the next line
# is not indented deeper), as checked on each use. Only short values of immutable types
# are kept (titles and timestamps seldom repeat), and a bounded number of them.
_SEEN_LINES: dict[str, tuple[str, Any]] = {}
_MAX_SEEN_LINES = 16384
_SEEN_VALUE_CHARS = 24
_SEEN_LINE_CHARS = 48  # a key, ": " and a short value
_REPEATED = frozenset({str, int, float, bool, type(None)})


def _is_item(content: str) -> bool:
    return content.startswith("- ") or content == "-"


class _Parser:
    def __init__(self, lines: list[tuple[int, str, int]], raws: list[str]):
        self.lines = lines  # (indentation, content, line number) of the non-blank lines
        self.raws = raws  # every line as written, by number
        self.i = 0
        self.depth = 0  # collections open: bounded, as compiled code has no recursion check

    def value(self, text: str, number: int, indent: int) -> Any:
        """Return the scalar that starts as ``text`` on line ``number`` inside a block
        whose indentation is ``indent``, reading on over the lines it spans."""
        lines = self.lines
        first = text[0]
        if first in "[{":
            return self._done(flow_in_block(text, self.raws, number, indent))
        if first in "|>":
            return self._done(block_scalar(text, self.raws, number, indent))
        if first in "'\"":
            # Closed on its line, as nearly always: no need to look for an open one.
            if (len(text) == 1 or text[-1] != first) and \
                    (SINGLE_OPEN if first == "'" else DOUBLE_OPEN).match(text, 1):
                return self._done(quoted_lines(text, self.raws, number))
            return scalar(text)
        if self.i < len(lines) and lines[self.i][0] > indent:
            return self._done(plain_lines(text, self.raws, number, indent))
        return scalar(text)

    def _done(self, read: tuple[Any, int]) -> Any:
        """Skip the lines a multi-line scalar took, up to its last line; return it."""
        value, last = read
        lines = self.lines
        while self.i < len(lines) and lines[self.i][2] <= last:
            self.i += 1
        return value

    def mapping(self, i: int, indent: int, first: str | None = None) -> dict[Any, Any]:
        """Read a block mapping whose keys sit at ``indent``, from line ``i`` (whose
        content is ``first`` when it follows a sequence dash)."""
        lines = self.lines
        count = len(lines)
        good_keys = GOOD_KEYS
        seen = _SEEN_LINES
        out: dict[Any, Any] = {}
        entries = 0  # keys read: more than ``out`` holds when one is repeated
        self.i = i
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported
        while self.i < count:
            at, content, number = lines[self.i]
            if first is not None:
                content, first = first, None
            elif at != indent:
                break
            # (A longer line is never kept: not hashed to look. Titles, excerpts and URLs
            # are most of a record's characters.)
            pair = seen.get(content) if len(content) <= _SEEN_LINE_CHARS else None
            if pair is not None and (self.i + 1 >= count or lines[self.i + 1][0] <= indent):
                out[pair[0]] = pair[1]  # a line read before, whole on its line
                entries += 1
                self.i += 1
                continue
            if content[:2] == "- " or content == "-":
                break
            entries += 1
            # split_key, inlined for the usual case: a known key, then ": value".
            key, colon, rest = content.partition(":")
            known = good_keys.get(key) if colon and rest[:1] in ("", " ") else None
            if known:
                key, rest = known, rest.lstrip(" ")
            else:
                pair = split_key(content)
                if pair is None:
                    raise Unsupported
                key, rest = pair
            self.i += 1
            if rest:
                first_char = rest[0]
                if first_char not in "[{|>" and (
                        self.i >= count or lines[self.i][0] <= indent) and (
                        first_char not in "'\"" or (len(rest) > 1 and rest[-1] == first_char)):
                    value = out[key] = scalar(rest)  # one line, closed: the usual case
                    if len(rest) <= _SEEN_VALUE_CHARS and len(content) <= _SEEN_LINE_CHARS \
                            and type(value) in _REPEATED and len(seen) < _MAX_SEEN_LINES:
                        seen[content] = (key, value)
                    continue
                out[key] = self.value(rest, number, indent)
                if self.i < count and lines[self.i][0] > indent:
                    raise Unsupported
                continue
            if self.i < len(lines):
                below, text, _ = lines[self.i]
                if below > indent:
                    out[key] = self.node(self.i, below)
                    continue
                if below == indent and _is_item(text):
                    out[key] = [v for v, _ in self.sequence(self.i, indent)]
                    continue
            out[key] = None
        if self.i < len(lines) and lines[self.i][0] > indent:
            raise Unsupported
        if entries != len(out):
            raise Unsupported  # a duplicate key: PyYAML's reader says so
        self.depth -= 1
        return out

    def sequence(self, i: int, indent: int) -> list[tuple[Any, int]]:
        """Read a block sequence whose dashes sit at ``indent``; give each item's line."""
        lines = self.lines
        out: list[tuple[Any, int]] = []
        self.i = i
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported
        while self.i < len(lines):
            at, content, number = lines[self.i]
            if at != indent or not _is_item(content):
                break
            rest = content[1:].lstrip(" ")
            if not rest or _is_item(rest):
                raise Unsupported  # a nested block after a bare dash, or "- - x"
            column = at + len(content) - len(rest)
            if split_key(rest) is not None:
                out.append((self.mapping(self.i, column, first=rest), number))
                continue
            self.i += 1
            out.append((self.value(rest, number, indent), number))
            if self.i < len(lines) and lines[self.i][0] > indent:
                raise Unsupported
        if self.i < len(lines) and lines[self.i][0] > indent:
            raise Unsupported
        self.depth -= 1
        return out

    def node(self, i: int, indent: int) -> Any:
        if _is_item(self.lines[i][1]):
            return [v for v, _ in self.sequence(i, indent)]
        return self.mapping(i, indent)


# PyYAML's resolvers by first character, its catch-all ones (none by default) appended.
