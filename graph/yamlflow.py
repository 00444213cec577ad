"""Flow collections — ``[a, b]``, ``{k: v}``, nested, over one line or several — read
as PyYAML's safe loader reads them, inside block YAML or as a whole document (what
``yaml.safe_dump(..., default_flow_style=True)`` writes). Anything else raises
:class:`graph.yamlscalars.Unsupported`.
"""

from __future__ import annotations

import re
from typing import Any

from graph.yamlscalars import (
    GOOD_KEYS,
    MAX_DEPTH,
    Unsupported,
    fold,
    join_quoted,
    scalar,
    split_key,
)

__all__ = ["flow_in_block", "flow_document"]

# Where a plain scalar in a flow collection ends: a flow indicator, a line break, a
# comment, or a colon before a space or indicator. "?" and other colons end it too, as
# the loaders disagree on them: the entry is then left to PyYAML.
_FLOW_PLAIN_END = re.compile(r"[,\[\]{}\n?]|:(?=[ \n,\[\]{}])| #|:(?![A-Za-z0-9/])")
_FLOW_SPACE = re.compile(r"[ \n]*")
_SINGLE_END = re.compile(r"(?:[^']|'')*'")
_DOUBLE_END = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


def flow_in_block(text: str, raws: list[str], number: int, indent: int) -> tuple[Any, int]:
    """A flow collection that is a value in block YAML: its value and last line. Its
    other lines must be more indented than the block, as writers write them."""
    raw = raws[number]
    start = len(raw.rstrip(" ")) - len(text)
    # Read from the lines it may take, its own first, four times more at each miss: a
    # source of every line to the end of the file, made for each flow value, cost a
    # record of n flow items (``related: - {title: ..., webUrl: ...}``) n²/2 characters
    # copied (100,000 items: minutes). A collection read from a prefix of the lines that
    # ends with a line break is read as from the whole: every step looks at most one
    # character past what it takes, and one that runs out of lines raises Unsupported.
    remaining = len(raws) - number
    span = 1
    while True:
        whole = span >= remaining
        source = "\n".join([raw[start:], *raws[number + 1 : number + span]])
        flow = _Flow(source if whole else source + "\n")
        try:
            value = flow.node()
            break
        except Unsupported:
            if whole:
                raise
            span *= 4
    source = flow.source
    end = flow.pos
    newline = source.find("\n", end)
    if source[end:newline if newline >= 0 else len(source)].strip(" "):
        raise Unsupported  # more after the collection on its last line
    last = number + source.count("\n", 0, end)
    for at in range(number + 1, last + 1):
        content = raws[at].lstrip(" ")
        if content and len(raws[at]) - len(content) <= indent:
            raise Unsupported
    return value, last


def flow_document(text: str, number: int, first_line: int,
                   allow_list: bool) -> list[tuple[Any, int | None]] | None:
    """A document that is one flow collection (``yaml.safe_dump(...,
    default_flow_style=True)``): its value, or its items with their lines."""
    flow = _Flow(text)
    flow.pos = _line_start(text, number)
    flow.skip()
    if allow_list and text[flow.pos] == "[":
        items = flow.sequence(lines=True)
        value_lines: list[tuple[Any, int | None]] = [(v, line + first_line) for v, line in items]
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
        self.depth = 0  # collections open: bounded (MAX_DEPTH)

    def skip(self) -> None:
        source, pos = self.source, self.pos
        if pos < len(source) and source[pos] != " " and source[pos] != "\n":
            return  # nothing to skip, as after most entries: no regex call
        self.pos = _FLOW_SPACE.match(source, pos).end()  # type: ignore[union-attr]

    def node(self) -> Any:
        self.skip()
        source = self.source
        if self.pos >= len(source):
            raise Unsupported
        first = source[self.pos]
        if first in "[{":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unsupported
            value: Any = ([v for v, _ in self.sequence(lines=False)] if first == "["
                          else self.mapping())
            self.depth -= 1
            return value
        if first in "'\"":
            return self.quoted()
        return self.plain()

    def opened(self, close: str) -> bool:
        """Step past the opening bracket; return True, past ``close`` too, when the
        collection is empty."""
        self.pos += 1
        self.skip()
        if self.source[self.pos : self.pos + 1] == close:
            self.pos += 1
            return True
        return False

    def closed(self, close: str) -> bool:
        """After an entry: step past ``close`` (True) or the comma before the next entry."""
        self.skip()
        here = self.source[self.pos : self.pos + 1]
        self.pos += 1
        if here == close:
            return True
        if here != ",":
            raise Unsupported  # "a: b" pairs in a sequence, comments, or an error
        self.skip()
        if self.source[self.pos : self.pos + 1] in (close, ","):
            raise Unsupported  # a trailing comma or an empty entry
        return False

    def sequence(self, lines: bool) -> list[tuple[Any, int]]:
        source = self.source
        out: list[tuple[Any, int]] = []
        if self.opened("]"):
            return out
        while True:
            self.skip()
            line = source.count("\n", 0, self.pos) if lines else 0
            out.append((self.node(), line))
            if self.closed("]"):
                return out

    def mapping(self) -> dict[str, Any]:
        source = self.source
        out: dict[str, Any] = {}
        if self.opened("}"):
            return out
        while True:
            self.skip()
            colon = source.find(":", self.pos)
            if colon < 0 or source[colon + 1 : colon + 2] not in (" ", "\n"):
                raise Unsupported
            # A key read before is looked up alone (split_key fills GOOD_KEYS: "" for
            # one that is not a plain name).
            key = GOOD_KEYS.get(source[self.pos : colon])
            if key is None:
                pair = split_key(source[self.pos : colon + 1])
                key = pair[0] if pair is not None else ""
            if not key:
                raise Unsupported  # not a plain name
            self.pos = colon + 1
            if key in out:
                raise Unsupported  # a duplicate key: PyYAML's reader says so
            out[key] = self.node()
            if self.closed("}"):
                return out

    def quoted(self) -> str:
        source = self.source
        double = source[self.pos] == '"'
        m = (_DOUBLE_END if double else _SINGLE_END).match(source, self.pos + 1)
        if m is None:
            raise Unsupported
        inner = source[self.pos + 1 : m.end() - 1]
        self.pos = m.end()
        if "\n" not in inner:
            return scalar(source[m.start() - 1 : m.end()])
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
        return join_quoted(kept, blanks_before, double)

    def plain(self) -> Any:
        source = self.source
        start = self.pos
        m = _FLOW_PLAIN_END.search(source, start)
        if m is not None and source[m.start()] != "\n":  # on one line, as nearly always
            self.pos = m.start()
            text = source[start : self.pos].strip(" ")
            if not text:
                raise Unsupported  # an empty entry
            return scalar(text)
        while True:
            m = _FLOW_PLAIN_END.search(source, self.pos)
            if m is None:
                raise Unsupported
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
                raise Unsupported  # a comment
            pieces.append((line, blanks if pieces else 0))
            blanks = 0
        if not pieces:
            raise Unsupported  # an empty entry
        return scalar(fold(pieces))

