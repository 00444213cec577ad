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


def read(text: str, first_line: int, allow_list: bool) -> list[tuple[Any, int]] | None:
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
            return _flow_document(text, lines[0][2], first_line, allow_list)
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
    def __init__(self, lines: list[tuple[int, str, int]], raws: list[str]):
        self.lines = lines  # (indentation, content, line number) of the non-blank lines
        self.raws = raws  # every line as written, by number
        self.i = 0

    def value(self, text: str, number: int, indent: int) -> Any:
        """Return the scalar that starts as ``text`` on line ``number`` inside a block
        whose indentation is ``indent``, reading on over the lines it spans."""
        lines = self.lines
        first = text[0]
        if first in "[{":
            return self._done(_flow_in_block(text, self.raws, number, indent))
        if first in "|>":
            return self._done(_block_scalar(text, self.raws, number, indent))
        if first in "'\"":
            # Closed on its line, as nearly always: no need to look for an open one.
            if (len(text) == 1 or text[-1] != first) and \
                    (_SINGLE_OPEN if first == "'" else _DOUBLE_OPEN).match(text, 1):
                return self._done(_quoted(text, self.raws, number))
            return _scalar(text)
        if self.i < len(lines) and lines[self.i][0] > indent:
            return self._done(_plain_lines(text, self.raws, number, indent))
        return _scalar(text)

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
        good_keys = _GOOD_KEYS
        out: dict[Any, Any] = {}
        self.i = i
        while self.i < count:
            at, content, number = lines[self.i]
            if first is not None:
                content, first = first, None
            elif at != indent:
                break
            if content[:2] == "- " or content == "-":
                break
            # _split_key, inlined for the usual case: a known key, then ": value".
            key, colon, rest = content.partition(":")
            known = good_keys.get(key) if colon and rest[:1] in ("", " ") else None
            if known:
                key, rest = known, rest.lstrip(" ")
            else:
                pair = _split_key(content)
                if pair is None:
                    raise _Unsupported
                key, rest = pair
            self.i += 1
            if rest:
                first_char = rest[0]
                if first_char not in "[{|>" and (
                        self.i >= count or lines[self.i][0] <= indent) and (
                        first_char not in "'\"" or (len(rest) > 1 and rest[-1] == first_char)):
                    out[key] = _scalar(rest)  # one line, closed: the usual case
                    continue
                out[key] = self.value(rest, number, indent)
                if self.i < count and lines[self.i][0] > indent:
                    raise _Unsupported
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
            self.i += 1
            out.append((self.value(rest, number, indent), number))
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
        inner = text[1:-1]
        if len(text) > 1 and text[-1] == "'" and "'" not in inner:
            return inner
        m = _SINGLE.match(text)
        if m is None:
            raise _Unsupported
        return m.group(1).replace("''", "'")
    known = _PLAIN_VALUES.get(text, _MISSING)
    if known is not _MISSING:
        return known
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if first in _PLAIN_START or ": " in text or " #" in text or text.endswith(":") \
            or (first == "-" and (len(text) == 1 or text[1] in " \n")):
        raise _Unsupported
    tag = _resolve(text)
    if tag == _STR:
        value: Any = text
    else:
        construct = _CONSTRUCTORS.get(tag)
        if construct is None:
            raise _Unsupported  # "<<" merge keys, "=" values
        value = construct(yaml.ScalarNode(tag, text))
    if len(text) <= 16 and len(_PLAIN_VALUES) < 65536:
        _PLAIN_VALUES[text] = value  # all immutable: str, int, float, bool, None, dates
    return value


# Short plain scalars seen before and their values: records repeat "article", "news",
# "true" and small numbers thousands of times, and resolving each costs regexes.
_PLAIN_VALUES: dict[str, Any] = {}
_MISSING = object()


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


# -- scalars over several lines, folded as PyYAML's scanner folds them ------------------

# The rest of a line that opens a quoted scalar without closing it (a double-quoted
# one may end in a backslash: an escaped line break).
_SINGLE_OPEN = re.compile(r"(?:[^']|'')*\Z")
_DOUBLE_OPEN = re.compile(r'(?:[^"\\]|\\.)*\\?\Z')
_SINGLE_CLOSE = re.compile(r"((?:[^']|'')*)'\Z")
_DOUBLE_CLOSE = re.compile(r'((?:[^"\\]|\\.)*)"\Z')
_BLOCK_HEADER = frozenset({"|", "|-", "|+", ">", ">-", ">+"})


def _continuation(raws: list[str], number: int, indent: int) -> list[tuple[int, str]]:
    """Return the lines after ``number`` that belong to a scalar in a block indented
    ``indent``: blank ones, or more indented; as (number, line) pairs, trailing blank
    lines left out."""
    out: list[tuple[int, str]] = []
    last_content = 0
    for at in range(number + 1, len(raws)):
        raw = raws[at]
        content = raw.lstrip(" ")
        if content and len(raw) - len(content) <= indent:
            break
        out.append((at, raw))
        if content:
            last_content = len(out)
    return out[:last_content]


def _fold(pieces: list[tuple[str, int]]) -> str:
    """Join the lines of a flow or plain scalar: one line break between two pieces
    becomes a space; a break followed by n blank lines becomes n line feeds."""
    out = [pieces[0][0]]
    for text, blanks in pieces[1:]:
        out.append("\n" * blanks if blanks else " ")
        out.append(text)
    return "".join(out)


def _plain_lines(text: str, raws: list[str], number: int, indent: int) -> tuple[Any, int]:
    """A plain scalar continued on more indented lines (as ``yaml.safe_dump`` folds
    long strings): its value and last line number."""
    pieces = [(text, 0)]
    blanks = 0
    last = number
    for at, raw in _continuation(raws, number, indent):
        content = raw.strip(" ")
        if not content:
            blanks += 1
            continue
        # A comment, a key or a value indicator would end or change the scalar.
        if content[0] == "#" or ": " in content or " #" in content or content[-1] == ":":
            raise _Unsupported
        pieces.append((content, blanks))
        blanks = 0
        last = at
    if last == number:
        raise _Unsupported  # more indented lines that are not part of it
    return _scalar(_fold(pieces)), last


def _quoted(text: str, raws: list[str], number: int) -> tuple[str, int]:
    """A single- or double-quoted scalar over several lines: its value and last line."""
    double = text[0] == '"'
    closing = _DOUBLE_CLOSE if double else _SINGLE_CLOSE
    opening = _DOUBLE_OPEN if double else _SINGLE_OPEN
    first = raws[number]
    # The line's trailing spaces, cut from ``text``, may be an escaped space's.
    raw_pieces = [text[1:] + " " * (len(first) - len(first.rstrip(" ")))]
    blanks_before = [0]
    blanks = 0
    for at, raw in enumerate(raws[number + 1 :], start=number + 1):
        content = raw.lstrip(" ")
        if not content:
            blanks += 1
            continue
        # Its lines may sit at any indentation: the scanners do not check it.
        m = closing.match(content.rstrip(" "))
        if m is not None:
            raw_pieces.append(m.group(1))
            blanks_before.append(blanks)
            return _join_quoted(raw_pieces, blanks_before, double), at
        if opening.fullmatch(content) is None:
            raise _Unsupported  # a quote closed mid-line, with more after it
        raw_pieces.append(content)
        blanks_before.append(blanks)
        blanks = 0
    raise _Unsupported  # never closed: PyYAML gives the error


def _join_quoted(raw_pieces: list[str], blanks_before: list[int], double: bool) -> str:
    """Fold the lines of a quoted scalar: trailing and leading spaces of each line go,
    breaks fold as in :func:`_fold`; in double quotes an escaped break joins the lines
    with nothing between them."""
    out: list[str] = []
    last = len(raw_pieces) - 1
    joined = False  # the previous line ended in an escaped line break
    for k, raw in enumerate(raw_pieces):
        piece = raw.lstrip(" ") if k else raw
        escaped_break = False
        if k < last:
            stripped = piece.rstrip(" ")
            if double and stripped.endswith("\\"):
                run = len(stripped) - len(stripped.rstrip("\\"))
                if run % 2:
                    if stripped != piece:
                        raise _Unsupported  # an escape then spaces: left to PyYAML
                    escaped_break = True
                    stripped = stripped[:-1]
            piece = stripped
        if k:
            blanks = blanks_before[k]
            out.append("\n" * blanks if blanks else "" if joined else " ")
        if double:
            if "\\" in piece:
                piece = _ESCAPE.sub(_unescape, piece)
        else:
            piece = piece.replace("''", "'")
        out.append(piece)
        joined = escaped_break
    return "".join(out)


def _block_scalar(header: str, raws: list[str], number: int,
                  indent: int) -> tuple[str, int]:
    """A literal (``|``) or folded (``>``) block scalar with clip, strip (``-``) or keep
    (``+``) chomping and an indentation found from its first line: its value and last
    line."""
    if header not in _BLOCK_HEADER:
        raise _Unsupported  # an indentation indicator or a comment after the header
    folded = header[0] == ">"
    chomp = header[1:]
    body: list[tuple[int, str]] = []
    for at in range(number + 1, len(raws)):
        raw = raws[at]
        content = raw.lstrip(" ")
        if content and len(raw) - len(content) <= indent:
            break
        body.append((at, raw))
    final_break = True
    if body and body[-1][0] == len(raws) - 1:
        # The text's last piece, with no line break after it: nothing when it is empty
        # (the text ended with a break); a last line without a break otherwise.
        if body[-1][1].strip(" "):
            final_break = False
        elif body[-1][1]:
            raise _Unsupported  # spaces with no break after them: left to PyYAML
        else:
            body.pop()
    content_at = [k for k, (_, raw) in enumerate(body) if raw.strip(" ")]
    if not content_at:
        raise _Unsupported  # an empty block scalar: left to PyYAML
    first = body[content_at[0]][1]
    width = len(first) - len(first.lstrip(" "))
    content_lines: list[tuple[str, int]] = []  # (text, blank lines before it)
    blanks = 0
    last = number
    for at, raw in body:
        if not raw.strip(" "):
            if len(raw) > width:
                raise _Unsupported  # spaces past the indentation are content
            blanks += 1
            continue
        if len(raw) - len(raw.lstrip(" ")) < width:
            raise _Unsupported  # less indented than its first line: an error
        content_lines.append((raw[width:], blanks))
        blanks = 0
        last = at
    out: list[str] = ["\n" * content_lines[0][1]]  # leading blank lines, kept as breaks
    previous = ""
    for k, (text, before) in enumerate(content_lines):
        if k:
            if folded and text[0] != " " and previous[0] != " ":
                out.append("\n" * before if before else " ")
            else:
                out.append("\n" + "\n" * before)
        out.append(text)
        previous = text
    if chomp != "-" and final_break:
        out.append("\n")
        if chomp == "+" and blanks:
            out.append("\n" * blanks)
            last = body[-1][0]
    return "".join(out), last


# -- flow collections: [a, b] and {k: v}, over one line or several -------------------

_FLOW_PLAIN_END = re.compile(r"[,\[\]{}\n]|:(?=[ \n,\[\]{}])| #")
_FLOW_SPACE = re.compile(r"[ \n]*")
_SINGLE_END = re.compile(r"(?:[^']|'')*'")
_DOUBLE_END = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


def _flow_in_block(text: str, raws: list[str], number: int, indent: int) -> tuple[Any, int]:
    """A flow collection that is a value in block YAML: its value and last line. Its
    other lines must be more indented than the block, as writers write them."""
    raw = raws[number]
    start = len(raw.rstrip(" ")) - len(text)
    source = "\n".join([raw[start:], *raws[number + 1 :]])
    flow = _Flow(source)
    value = flow.node()
    end = flow.pos
    newline = source.find("\n", end)
    if source[end:newline if newline >= 0 else len(source)].strip(" "):
        raise _Unsupported  # more after the collection on its last line
    last = number + source.count("\n", 0, end)
    for at in range(number + 1, last + 1):
        content = raws[at].lstrip(" ")
        if content and len(raws[at]) - len(content) <= indent:
            raise _Unsupported
    return value, last


def _flow_document(text: str, number: int, first_line: int,
                   allow_list: bool) -> list[tuple[Any, int]] | None:
    """A document that is one flow collection (``yaml.safe_dump(...,
    default_flow_style=True)``): its value, or its items with their lines."""
    flow = _Flow(text)
    flow.pos = _line_start(text, number)
    flow.skip()
    if allow_list and text[flow.pos] == "[":
        items = flow.sequence(lines=True)
        value_lines = [(v, line + first_line) for v, line in items]
    else:
        value_lines = [(flow.node(), number + first_line)]
    rest = text[flow.pos :]
    if rest.strip(" \n"):
        return None  # a comment, or more after the collection
    return value_lines


def _line_start(text: str, number: int) -> int:
    pos = 0
    for _ in range(number):
        pos = text.index("\n", pos) + 1
    return pos


class _Flow:
    """Reads one flow collection from ``source`` at ``pos``: nested sequences and
    mappings of plain, single- and double-quoted scalars, over as many lines as it
    takes. Keys are plain names; comments, complex keys, single-pair mappings in a
    sequence, empty entries and trailing commas are left to PyYAML."""

    def __init__(self, source: str):
        self.source = source
        self.pos = 0

    def skip(self) -> None:
        self.pos = _FLOW_SPACE.match(self.source, self.pos).end()  # type: ignore[union-attr]

    def node(self) -> Any:
        self.skip()
        source = self.source
        if self.pos >= len(source):
            raise _Unsupported
        first = source[self.pos]
        if first == "[":
            return [v for v, _ in self.sequence(lines=False)]
        if first == "{":
            return self.mapping()
        if first in "'\"":
            return self.quoted()
        return self.plain()

    def sequence(self, lines: bool) -> list[tuple[Any, int]]:
        source = self.source
        self.pos += 1
        out: list[tuple[Any, int]] = []
        self.skip()
        if source[self.pos : self.pos + 1] == "]":
            self.pos += 1
            return out
        while True:
            self.skip()
            line = source.count("\n", 0, self.pos) if lines else 0
            out.append((self.node(), line))
            self.skip()
            here = source[self.pos : self.pos + 1]
            self.pos += 1
            if here == "]":
                return out
            if here != ",":
                raise _Unsupported  # "a: b" pairs, comments, or an error
            self.skip()
            if source[self.pos : self.pos + 1] in ("]", ","):
                raise _Unsupported  # a trailing comma or an empty entry

    def mapping(self) -> dict[str, Any]:
        source = self.source
        self.pos += 1
        out: dict[str, Any] = {}
        self.skip()
        if source[self.pos : self.pos + 1] == "}":
            self.pos += 1
            return out
        while True:
            self.skip()
            colon = source.find(":", self.pos)
            if colon < 0 or source[colon + 1 : colon + 2] not in (" ", "\n"):
                raise _Unsupported
            pair = _split_key(source[self.pos : colon + 1])
            if pair is None or pair[1]:
                raise _Unsupported  # not a plain name
            self.pos = colon + 1
            out[pair[0]] = self.node()
            self.skip()
            here = source[self.pos : self.pos + 1]
            self.pos += 1
            if here == "}":
                return out
            if here != ",":
                raise _Unsupported
            self.skip()
            if source[self.pos : self.pos + 1] in ("}", ","):
                raise _Unsupported

    def quoted(self) -> str:
        source = self.source
        double = source[self.pos] == '"'
        m = (_DOUBLE_END if double else _SINGLE_END).match(source, self.pos + 1)
        if m is None:
            raise _Unsupported
        inner = source[self.pos + 1 : m.end() - 1]
        self.pos = m.end()
        if "\n" not in inner:
            return _scalar(source[m.start() - 1 : m.end()])
        pieces = inner.split("\n")
        blanks_before = [0]
        kept = [pieces[0]]
        blanks = 0
        for piece in pieces[1:-1]:
            if not piece.strip(" "):
                blanks += 1
                continue
            kept.append(piece)
            blanks_before.append(blanks)
            blanks = 0
        kept.append(pieces[-1])  # the closing quote's line, blank or not
        blanks_before.append(blanks)
        return _join_quoted(kept, blanks_before, double)

    def plain(self) -> Any:
        source = self.source
        start = self.pos
        while True:
            m = _FLOW_PLAIN_END.search(source, self.pos)
            if m is None:
                raise _Unsupported
            if m.group() != "\n":
                break
            self.pos = m.end()
        self.pos = m.start()
        pieces: list[tuple[str, int]] = []
        blanks = 0
        for line in source[start : self.pos].split("\n"):
            line = line.strip(" ")
            if not line:
                blanks += 1
                continue
            if pieces and line[0] == "#":
                raise _Unsupported  # a comment
            pieces.append((line, blanks if pieces else 0))
            blanks = 0
        if not pieces:
            raise _Unsupported  # an empty entry
        return _scalar(_fold(pieces))
