"""Scalars as PyYAML's safe loader reads them, for the fast readers of
:mod:`graph.blockyaml` and :mod:`graph.yamlflow`.

Plain scalars are resolved with PyYAML's own implicit resolvers and built by its own
constructors (booleans such as ``yes``/``off``, octal and sexagesimal integers,
timestamps, nulls). Scalars over several lines are folded as PyYAML's scanner folds
them: plain and quoted ones (one line break becomes a space, blank lines become line
feeds, an escaped break in double quotes joins), literal (``|``) and folded (``>``)
block scalars with clip, strip and keep chomping. Anything else raises
:class:`Unsupported`, and the caller leaves the text to PyYAML.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import tzinfo as tzinfo_type
from typing import Any

import yaml

__all__ = ["Unsupported", "scalar", "split_key", "plain_lines", "quoted_lines", "GOOD_KEYS",
           "block_scalar", "join_quoted", "fold", "MAX_DEPTH", "timestamp_or_text"]

_STR = "tag:yaml.org,2002:str"
_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
_CONSTRUCT = yaml.SafeLoader(
    ""
)  # an idle loader: its construct_yaml_* methods read only the node given


def timestamp_or_text(loader: Any, node: yaml.ScalarNode) -> Any:
    """A plain scalar YAML resolves as a timestamp, as PyYAML builds it; its text when no
    calendar has it (``2021-13-45``, ``2021-02-30``): PyYAML raised, refusing the whole
    file, where an unreadable date costs only its field (with a warning naming it)."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_TIMESTAMP_PARTS = yaml.SafeLoader.timestamp_regexp  # PyYAML's own


def _timestamp_or_text(text: str) -> Any:
    """:func:`timestamp_or_text` of a plain scalar's text, without a node: PyYAML's
    ``construct_yaml_timestamp`` step for step (the same regex, the same calls, so the
    same values and the same ValueErrors), which compiled with the reader costs a fifth
    of PyYAML's Python. Anything it does not match goes to PyYAML's."""
    match = _TIMESTAMP_PARTS.match(text)
    if match is None:
        return _CONSTRUCTORS[_TIMESTAMP](yaml.ScalarNode(_TIMESTAMP, text))
    year, month, day = int(match.group("year")), int(match.group("month")), int(match.group("day"))
    hour = match.group("hour")
    try:
        if not hour:
            return date(year, month, day)
        fraction = 0
        digits = match.group("fraction")
        if digits:
            fraction = int(digits[:6].ljust(6, "0"))
        tzinfo: tzinfo_type | None = None
        if match.group("tz_sign"):
            minutes = match.group("tz_minute")
            delta = timedelta(hours=int(match.group("tz_hour")),
                              minutes=int(minutes) if minutes else 0)
            if match.group("tz_sign") == "-":
                delta = -delta
            tzinfo = timezone(delta)
        elif match.group("tz"):
            tzinfo = UTC
        return datetime(year, month, day, int(hour), int(match.group("minute")),
                        int(match.group("second")), fraction, tzinfo=tzinfo)
    except ValueError:
        return text


_CONSTRUCTORS = {
    "tag:yaml.org,2002:null": _CONSTRUCT.construct_yaml_null,
    "tag:yaml.org,2002:bool": _CONSTRUCT.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCT.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCT.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": lambda node: timestamp_or_text(_CONSTRUCT, node),
}
_CONSTRUCT.dispose()

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# The first character of a plain scalar may not be an indicator ("-" only before a
# non-space, which a stripped value always has).
PLAIN_START = frozenset("?:,[]{}#&*!|>'\"%@`")
_DOUBLE = re.compile(r'"((?:[^"\\]|\\.)*)"\Z')
_SINGLE = re.compile(r"'((?:[^']|'')*)'\Z")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\x09", "\t": "\x09", "n": "\x0a",
    "v": "\x0b", "f": "\x0c", "r": "\x0d", "e": "\x1b", " ": "\x20", '"': '"',
    "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}



class Unsupported(Exception):
    """The text uses YAML this reader leaves to PyYAML."""


# Collections nested deeper than this are left to PyYAML. Records nest three or four
# deep; the readers recurse once a level, and compiled by mypyc (graph/_native) they
# have no recursion check of their own: a text nested thousands deep would crash it.
MAX_DEPTH = 100


_BY_FIRST = {first: tuple(rs + _RESOLVERS.get(None, []))
             for first, rs in _RESOLVERS.items() if first is not None}
_ANY_FIRST = tuple(_RESOLVERS.get(None, []))

def _date_first() -> re.Pattern[str] | None:
    """PyYAML's timestamp pattern when, for every digit, only its int and float patterns
    come before it (what :func:`_resolve`'s shortcut relies on); else None."""
    before = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    found = None
    for digit in "0123456789":
        tags = [tag for tag, _ in _BY_FIRST.get(digit, ())]
        if _TIMESTAMP not in tags or not set(tags[: tags.index(_TIMESTAMP)]) <= before:
            return None
        pattern = _BY_FIRST[digit][tags.index(_TIMESTAMP)][1]
        if found is not None and pattern is not found:
            return None
        found = pattern
    return found


_DATE_FIRST = _date_first()
# Keys seen before: the interned key when it is a plain name PyYAML reads as a string,
# "" when it is not. Records then share their key strings, as they share field names.
GOOD_KEYS: dict[str, str] = {}


def split_key(content: str) -> tuple[str, str] | None:
    """Return ``(key, value text)`` of a ``key: value`` or ``key:`` line whose key is a
    plain name PyYAML reads as a string; else None."""
    key, colon, rest = content.partition(":")
    if not colon or (rest and rest[0] != " "):
        return None
    known = GOOD_KEYS.get(key)
    if known is None:
        # Not a name, or a name PyYAML would read as a bool, null or number ("yes", "y").
        good = _KEY.fullmatch(key) is not None and _resolve(key) == _STR
        known = sys.intern(key) if good else ""
        if len(GOOD_KEYS) < 4096:
            GOOD_KEYS[key] = known
    return (known, rest.lstrip(" ")) if known else None


def _resolve(value: str) -> str:
    """Return the tag PyYAML's safe loader gives a plain scalar."""
    if len(value) > 4 and value[4] == "-" and value[:4].isascii() and value[:4].isdigit() \
            and _DATE_FIRST is not None and _DATE_FIRST.match(value):
        # A date's shape: four digits and a dash, which no int or float pattern (tried
        # before the timestamp's for a digit) matches, so the timestamp's is the first.
        return _TIMESTAMP
    for tag, pattern in _BY_FIRST.get(value[:1], _ANY_FIRST):
        if pattern.match(value):
            return tag
    return _STR


def scalar(text: str) -> Any:
    """Return the value of a one-line scalar as PyYAML builds it."""
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) > 1 and text[-1] == '"' and '"' not in inner and "\\" not in inner:
            return inner  # no escapes: the text between the quotes, as it stands
        m = _DOUBLE.match(text)
        if m is None:
            raise Unsupported
        return _ESCAPE.sub(_unescape, m.group(1))
    if first == "'":
        inner = text[1:-1]
        if len(text) > 1 and text[-1] == "'" and "'" not in inner:
            return inner
        m = _SINGLE.match(text)
        if m is None:
            raise Unsupported
        return m.group(1).replace("''", "'")
    # (Only texts of up to 16 characters are kept: a longer one is not hashed to look.)
    known = _PLAIN_VALUES.get(text, _MISSING) if len(text) <= _PLAIN_VALUE_CHARS else _MISSING
    if known is not _MISSING:
        return known
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if first in PLAIN_START or ": " in text or " #" in text or text.endswith(":") \
            or (first == "-" and (len(text) == 1 or text[1] in " \n")):
        raise Unsupported
    tag = _resolve(text)
    if tag == _STR:
        value: Any = text
    else:
        if tag == _TIMESTAMP:
            value = _timestamp_or_text(text)
        else:
            construct = _CONSTRUCTORS.get(tag)
            if construct is None:
                raise Unsupported  # "<<" merge keys, "=" values
            value = construct(yaml.ScalarNode(tag, text))
    if len(text) <= _PLAIN_VALUE_CHARS and len(_PLAIN_VALUES) < 65536:
        _PLAIN_VALUES[text] = value  # all immutable: str, int, float, bool, None, dates
    return value


# Short plain scalars seen before and their values: records repeat "article", "news",
# "true" and small numbers thousands of times, and resolving each costs regexes.
_PLAIN_VALUES: dict[str, Any] = {}
_PLAIN_VALUE_CHARS = 16
_MISSING = object()


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1)
    if len(code) > 1:
        point = int(code[1:], 16)
        if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
            raise Unsupported  # libyaml refuses these; PyYAML would not: leave it to them
        return chr(point)
    found = _SIMPLE_ESCAPES.get(code)
    if found is None:
        raise Unsupported
    return found


# -- scalars over several lines, folded as PyYAML's scanner folds them ------------------

# The rest of a line that opens a quoted scalar without closing it (a double-quoted
# one may end in a backslash: an escaped line break).
SINGLE_OPEN = re.compile(r"(?:[^']|'')*\Z")
DOUBLE_OPEN = re.compile(r'(?:[^"\\]|\\.)*\\?\Z')
_SINGLE_CLOSE = re.compile(r"((?:[^']|'')*)'\Z")
_DOUBLE_CLOSE = re.compile(r'((?:[^"\\]|\\.)*)"\Z')
_BLOCK_HEADER = frozenset({"|", "|-", "|+", ">", ">-", ">+"})


def _continuation(raws: list[str], number: int, indent: int) -> list[tuple[int, str]]:
    """Return the lines after ``number`` that belong to a scalar in a block indented
    ``indent``: blank ones, or more indented; as (number, line) pairs, trailing blank
    lines left out."""
    out = _indented(raws, number, indent)
    while out and not out[-1][1].lstrip(" "):
        out.pop()
    return out


def _indented(raws: list[str], number: int, indent: int) -> list[tuple[int, str]]:
    """Return the lines after ``number`` that are blank or indented more than ``indent``,
    up to the first that is not, as (number, line) pairs."""
    out: list[tuple[int, str]] = []
    for at in range(number + 1, len(raws)):
        raw = raws[at]
        content = raw.lstrip(" ")
        if content and len(raw) - len(content) <= indent:
            break
        out.append((at, raw))
    return out


def fold(pieces: list[tuple[str, int]]) -> str:
    """Join the lines of a flow or plain scalar: one line break between two pieces
    becomes a space; a break followed by n blank lines becomes n line feeds."""
    out = [pieces[0][0]]
    for text, blanks in pieces[1:]:
        out.append("\n" * blanks if blanks else " ")
        out.append(text)
    return "".join(out)


def plain_lines(text: str, raws: list[str], number: int, indent: int) -> tuple[Any, int]:
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
            raise Unsupported
        pieces.append((content, blanks))
        blanks = 0
        last = at
    if last == number:
        raise Unsupported  # more indented lines that are not part of it
    return scalar(fold(pieces)), last


def quoted_lines(text: str, raws: list[str], number: int) -> tuple[str, int]:
    """A single- or double-quoted scalar over several lines: its value and last line."""
    double = text[0] == '"'
    closing = _DOUBLE_CLOSE if double else _SINGLE_CLOSE
    opening = DOUBLE_OPEN if double else SINGLE_OPEN
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
            return join_quoted(raw_pieces, blanks_before, double), at
        if opening.fullmatch(content) is None:
            raise Unsupported  # a quote closed mid-line, with more after it
        raw_pieces.append(content)
        blanks_before.append(blanks)
        blanks = 0
    raise Unsupported  # never closed: PyYAML gives the error


def join_quoted(raw_pieces: list[str], blanks_before: list[int], double: bool) -> str:
    """Fold the lines of a quoted scalar: trailing and leading spaces of each line go,
    breaks fold as in :func:`fold`; in double quotes an escaped break joins the lines
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
                        raise Unsupported  # an escape then spaces: left to PyYAML
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


def block_scalar(header: str, raws: list[str], number: int,
                  indent: int) -> tuple[str, int]:
    """A literal (``|``) or folded (``>``) block scalar with clip, strip (``-``) or keep
    (``+``) chomping and an indentation found from its first line: its value and last
    line."""
    if header not in _BLOCK_HEADER:
        raise Unsupported  # an indentation indicator or a comment after the header
    folded = header[0] == ">"
    chomp = header[1:]
    body = _indented(raws, number, indent)
    final_break = True
    if body and body[-1][0] == len(raws) - 1:
        # The text's last piece, with no line break after it: nothing when it is empty
        # (the text ended with a break); a last line without a break otherwise.
        if body[-1][1].strip(" "):
            final_break = False
        elif body[-1][1]:
            raise Unsupported  # spaces with no break after them: left to PyYAML
        else:
            body.pop()
    content_at = [k for k, (_, raw) in enumerate(body) if raw.strip(" ")]
    if not content_at:
        raise Unsupported  # an empty block scalar: left to PyYAML
    first = body[content_at[0]][1]
    width = len(first) - len(first.lstrip(" "))
    content_lines: list[tuple[str, int]] = []  # (text, blank lines before it)
    blanks = 0
    last = number
    for at, raw in body:
        if not raw.strip(" "):
            if len(raw) > width:
                raise Unsupported  # spaces past the indentation are content
            blanks += 1
            continue
        if len(raw) - len(raw.lstrip(" ")) < width:
            raise Unsupported  # less indented than its first line: an error
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


