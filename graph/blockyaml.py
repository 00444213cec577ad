"""A fast reader for the plain block YAML that records are written in.

Records are block mappings and sequences of one-line scalars: ``key: value``,
``- item``, ``- key: value``, quoted or plain, ``[]`` and ``{}``. For such a text
:func:`read` gives exactly what PyYAML's safe loader gives, several times faster;
for anything else — anchors, aliases, tags, flow collections, block scalars,
multi-line scalars, comments after a value, tabs, odd line breaks, directives,
several documents, a key that is not a plain name — it returns ``None`` and the
caller uses PyYAML, which also gives every error its message.

Plain scalars are resolved with PyYAML's own implicit resolvers and built by its own
constructors (booleans such as ``yes``/``off``, octal and sexagesimal integers,
timestamps, nulls): only the line and block structure is read here.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml

__all__ = ["read"]

_STR = "tag:yaml.org,2002:str"
_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
_CONSTRUCT = yaml.SafeLoader(
    ""
)  # an idle loader: its construct_yaml_* methods read only the node given
_CONSTRUCTORS = {
    "tag:yaml.org,2002:null": _CONSTRUCT.construct_yaml_null,
    "tag:yaml.org,2002:bool": _CONSTRUCT.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCT.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCT.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _CONSTRUCT.construct_yaml_timestamp,
}
_CONSTRUCT.dispose()

# Characters PyYAML refuses anywhere in a stream (all but \t, \n, \x20-\x7e, \x85,
# \xa0-\ud7ff, \ue000-\ufffd and beyond \uffff), and line breaks other than "\n".
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                      "\u2028\u2029\ufeff]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# The first character of a plain scalar may not be an indicator ("-" only before a
# non-space, which a stripped value always has).
_PLAIN_START = frozenset("?:,[]{}#&*!|>'\"%@`")
_DOUBLE = re.compile(r'"((?:[^"\\]|\\.)*)"\Z')
_SINGLE = re.compile(r"'((?:[^']|'')*)'\Z")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\x09", "\t": "\x09", "n": "\x0a",
    "v": "\x0b", "f": "\x0c", "r": "\x0d", "e": "\x1b", " ": "\x20", '"': '"',
    "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}


class _Unsupported(Exception):
    """The text uses YAML this reader leaves to PyYAML."""


def read(text: str, first_line: int, allow_list: bool) -> list[tuple[Any, int | None]] | None:
    """Return the top-level values of a YAML text with their 1-based lines (a list's
    items one by one when ``allow_list``), as PyYAML's safe loader would; or ``None``
    when the text is not plain block YAML."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.isascii():  # the usual case, and a quicker test: only \x20-\x7e and \n pass
        if not text.replace("\n", "").isprintable():
            return None
    elif _REFUSED.search(text) or "\t" in text:
        return None
    lines: list[tuple[int, str, int]] = []
    for number, raw in enumerate(text.split("\n")):
        content = raw.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        if content.startswith(("---", "...", "%")) and len(raw) == len(content):
            return None  # document markers and directives
        lines.append((len(raw) - len(content), content.rstrip(" "), number))
    if not lines:
        return None
    try:
        parser = _Parser(lines)
        indent = lines[0][0]
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
    except (_Unsupported, yaml.YAMLError, ValueError, OverflowError, RecursionError):
        return None


def _is_item(content: str) -> bool:
    return content.startswith("- ") or content == "-"


class _Parser:
    def __init__(self, lines: list[tuple[int, str, int]]):
        self.lines = lines
        self.i = 0

    def mapping(self, i: int, indent: int, first: str | None = None) -> dict[Any, Any]:
        """Read a block mapping whose keys sit at ``indent``, from line ``i`` (whose
        content is ``first`` when it follows a sequence dash)."""
        lines = self.lines
        out: dict[Any, Any] = {}
        self.i = i
        while self.i < len(lines):
            at, content, _ = lines[self.i]
            if first is not None:
                content, first = first, None
            elif at != indent:
                break
            if content[:2] == "- " or content == "-":
                break
            pair = _split_key(content)
            if pair is None:
                raise _Unsupported
            key, rest = pair
            self.i += 1
            if rest:
                out[key] = _scalar(rest)
                if self.i < len(lines) and lines[self.i][0] > indent:
                    raise _Unsupported  # a scalar continued on the next line
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
            raise _Unsupported
        return out

    def sequence(self, i: int, indent: int) -> list[tuple[Any, int]]:
        """Read a block sequence whose dashes sit at ``indent``; give each item's line."""
        lines = self.lines
        out: list[tuple[Any, int]] = []
        self.i = i
        while self.i < len(lines):
            at, content, number = lines[self.i]
            if at != indent or not _is_item(content):
                break
            rest = content[1:].lstrip(" ")
            if not rest or _is_item(rest):
                raise _Unsupported  # a nested block after a bare dash, or "- - x"
            column = at + len(content) - len(rest)
            if _split_key(rest) is not None:
                out.append((self.mapping(self.i, column, first=rest), number))
                continue
            out.append((_scalar(rest), number))
            self.i += 1
            if self.i < len(lines) and lines[self.i][0] > indent:
                raise _Unsupported
        if self.i < len(lines) and lines[self.i][0] > indent:
            raise _Unsupported
        return out

    def node(self, i: int, indent: int) -> Any:
        if _is_item(self.lines[i][1]):
            return [v for v, _ in self.sequence(i, indent)]
        return self.mapping(i, indent)


# PyYAML's resolvers by first character, its catch-all ones (none by default) appended.
_BY_FIRST = {first: tuple(rs + _RESOLVERS.get(None, []))
             for first, rs in _RESOLVERS.items() if first is not None}
_ANY_FIRST = tuple(_RESOLVERS.get(None, []))
# Keys seen before: the interned key when it is a plain name PyYAML reads as a string,
# "" when it is not. Records then share their key strings, as they share field names.
_GOOD_KEYS: dict[str, str] = {}


def _split_key(content: str) -> tuple[str, str] | None:
    """Return ``(key, value text)`` of a ``key: value`` or ``key:`` line whose key is a
    plain name PyYAML reads as a string; else None."""
    key, colon, rest = content.partition(":")
    if not colon or (rest and rest[0] != " "):
        return None
    known = _GOOD_KEYS.get(key)
    if known is None:
        # Not a name, or a name PyYAML would read as a bool, null or number ("yes", "y").
        good = _KEY.fullmatch(key) is not None and _resolve(key) == _STR
        known = sys.intern(key) if good else ""
        if len(_GOOD_KEYS) < 4096:
            _GOOD_KEYS[key] = known
    return (known, rest.lstrip(" ")) if known else None


def _resolve(value: str) -> str:
    """Return the tag PyYAML's safe loader gives a plain scalar."""
    for tag, pattern in _BY_FIRST.get(value[:1], _ANY_FIRST):
        if pattern.match(value):
            return tag
    return _STR


def _scalar(text: str) -> Any:
    """Return the value of a one-line scalar as PyYAML builds it."""
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) > 1 and text[-1] == '"' and '"' not in inner and "\\" not in inner:
            return inner  # no escapes: the text between the quotes, as it stands
        m = _DOUBLE.match(text)
        if m is None:
            raise _Unsupported
        return _ESCAPE.sub(_unescape, m.group(1))
    if first == "'":
        m = _SINGLE.match(text)
        if m is None:
            raise _Unsupported
        return m.group(1).replace("''", "'")
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if first in _PLAIN_START or ": " in text or " #" in text or text.endswith(":") \
            or (first == "-" and (len(text) == 1 or text[1] == " ")):
        raise _Unsupported
    tag = _resolve(text)
    if tag == _STR:
        return text
    construct = _CONSTRUCTORS.get(tag)
    if construct is None:
        raise _Unsupported  # "<<" merge keys, "=" values
    return construct(yaml.ScalarNode(tag, text))


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1)
    if len(code) > 1:
        point = int(code[1:], 16)
        if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
            raise _Unsupported  # libyaml refuses these; PyYAML would not: leave it to them
        return chr(point)
    found = _SIMPLE_ESCAPES.get(code)
    if found is None:
        raise _Unsupported
    return found
