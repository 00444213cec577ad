"""JSON-safe record values: whatever a parser gives, a record holds only what JSON can carry.

YAML and Python's JSON reader give values a JSON answer cannot hold: dates, bytes
(``!!binary``), sets (``!!set``), ``NaN`` and ``±Infinity``, integers too long to
convert, text with lone surrogates (``"\\ud800"``). :func:`clean_record` turns a
record's fields into plain JSON values, by these rules:

* dates and date-times become ISO 8601 strings (a normal form: no warning);
* a set becomes a sorted list, with a warning;
* bytes, ``NaN``, ``±Infinity`` and integers of more than 4,300 digits are dropped
  (a list item or mapping entry), with a warning naming where;
* mapping keys become strings;
* text with a lone surrogate is not Unicode: the record is refused
  (:class:`NotUnicode`), since no field of a corrupt record can be trusted;
* a field whose value nests lists or mappings more than :data:`MAX_VALUE_DEPTH` levels
  deep is dropped, with a warning (records nest three or four; the check would otherwise
  recurse until Python's stack runs out and refuse the whole file).

``quality``, ``heat`` and ``publishedDateTime`` of a record and of its ``related``
entries are left as read: the graph build checks them against their own rules.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

__all__ = ["TooLongInteger", "NotUnicode", "clean_record", "json_int", "key_text",
           "lone_surrogate", "MAX_VALUE_DEPTH", "TOO_DEEP"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")  # escapes for re: mypyc refuses the literals
# Left for the build, which checks each against its own rule and range.
_CHECKED_LATER = frozenset({"quality", "heat", "publishedDateTime"})
_DROP = object()
MAX_VALUE_DEPTH = 100
TOO_DEEP = (f"nested more than {MAX_VALUE_DEPTH} levels deep (a record's values nest a few "
            f"levels; at most {MAX_VALUE_DEPTH} are read)")


class _TooDeep(Exception):
    """A value nests past MAX_VALUE_DEPTH: its whole field is dropped."""


@dataclass(frozen=True, slots=True)
class TooLongInteger:
    """An integer literal longer than Python converts (``sys.get_int_max_str_digits()``)."""

    digits: int

    def __str__(self) -> str:
        return f"an integer of {self.digits:,} digits (at most {max_int_digits():,} are read)"


class NotUnicode(ValueError):
    """Text holding a lone surrogate, which no UTF-8 encoder (nor JSON answer) accepts."""

    def __init__(self, where: str, char: str):
        super().__init__(
            f"{where} holds a lone surrogate (U+{ord(char):04X}, written as an escape such "
            r"as '\ud800'), which is not Unicode text: the record is refused")


def max_int_digits() -> int:
    """Return the longest integer literal Python converts (4,300 digits unless changed)."""
    return sys.get_int_max_str_digits() or 4300


def json_int(text: str) -> int | TooLongInteger:
    """``parse_int`` for :func:`json.loads`: an integer, or a marker when too long to read."""
    digits = len(text) - text.startswith("-")
    if digits > max_int_digits():
        return TooLongInteger(digits)
    return int(text)


def lone_surrogate(text: str) -> str | None:
    """Return the first lone surrogate in ``text``, or None."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return found.group() if found else None


def clean_record(fields: dict[Any, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return a record's fields as JSON-safe values, and a warning for each value lost.

    Raises
    ------
    NotUnicode
        If any key or text holds a lone surrogate.

    Examples
    --------
    >>> clean_record({"title": "T", "when": date(2022, 2, 21), "x": float("nan")})
    ({'title': 'T', 'when': '2022-02-21'}, ['x dropped: nan is not a finite number'])
    """
    notes: list[str] = []
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if type(key) is str and key.isascii() else _key(key, "field name")
        kind = type(value)
        if value is None or kind is bool or kind is int or (kind is str and value.isascii()):
            out[name] = value
            continue
        if name in _CHECKED_LATER:
            out[name] = _clean_text_only(value, name)
            continue
        if name == "related" and isinstance(value, list):
            out[name] = [_clean_related(item, f"related[{i}]", notes)
                         for i, item in enumerate(value)]
            continue
        cleaned = _field(value, name, notes)
        if cleaned is not _DROP:
            out[name] = cleaned
    return out, notes


def _field(value: Any, where: str, notes: list[str]) -> Any:
    """A field's value cleaned, or _DROP (with a note) when it nests too deep."""
    try:
        return _clean(value, where, notes)
    except _TooDeep:
        notes.append(f"{where} dropped: {TOO_DEEP}")
        return _DROP


def _clean_related(item: Any, where: str, notes: list[str]) -> Any:
    if isinstance(item, str) and item.strip()[:8].lower().startswith(("http://", "https://")):
        # A related story written as its URL (an Obsidian note's or a hand-written list of
        # links): the entry {webUrl: URL}, a link like any other.
        item = {"webUrl": item.strip()}
    if not isinstance(item, dict):
        cleaned = _field(item, where, notes)
        return None if cleaned is _DROP else cleaned
    out: dict[str, Any] = {}
    for key, value in item.items():
        name = key if type(key) is str and key.isascii() else _key(key, f"{where} field name")
        kind = type(value)
        if value is None or kind is bool or kind is int or (kind is str and value.isascii()):
            out[name] = value
            continue
        if name in _CHECKED_LATER:
            out[name] = _clean_text_only(value, f"{where}.{name}")
            continue
        cleaned = _field(value, f"{where}.{name}", notes)
        if cleaned is not _DROP:
            out[name] = cleaned
    return out


def _clean_text_only(value: Any, where: str) -> Any:
    if isinstance(value, str):
        bad = lone_surrogate(value)
        if bad is not None:
            raise NotUnicode(where, bad)
    return value


def key_text(key: Any) -> str:
    """Return a mapping key as JSON names it: text as it is, true, false and null in
    JSON's spelling (never Python's True or None), a date in ISO 8601."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    if isinstance(key, date):
        return key.isoformat()
    return str(key)


def _key(key: Any, where: str) -> str:
    name = key_text(key)
    bad = lone_surrogate(name)
    if bad is not None:
        raise NotUnicode(f"{where} {name.encode('utf-8', 'backslashreplace').decode()!r}", bad)
    return name


def _clean(value: Any, where: str, notes: list[str], depth: int = 1) -> Any:
    kind = type(value)
    if kind is str:
        if not value.isascii() and _SURROGATE.search(value):
            raise NotUnicode(where, _SURROGATE.search(value).group())  # type: ignore[union-attr]
        return value
    if value is None or kind is bool or kind is int:
        return value
    if depth > MAX_VALUE_DEPTH:
        raise _TooDeep
    if kind is dict:
        return _clean_dict(value, where, notes, depth)
    if kind is list:
        return _clean_list(value, where, notes, depth)
    return _clean_other(value, where, notes, depth)


def _clean_dict(value: dict[Any, Any], where: str, notes: list[str], depth: int) -> Any:
    """Clean a mapping in place (it is the parser's own); rebuild it only for odd keys."""
    todo = None
    for key, item in value.items():
        if type(key) is not str:
            return _rebuild_dict(value, where, notes, depth)
        if not key.isascii() and _SURROGATE.search(key):
            _key(key, f"{where} key")  # raises
        kind = type(item)
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):
                _clean(item, f"{where}.{key}", notes)  # raises
        elif not (item is None or kind is bool or kind is int):
            if todo is None:
                todo = []
            todo.append(key)
    for key in todo or ():
        cleaned = _clean(value[key], f"{where}.{key}", notes, depth + 1)
        if cleaned is _DROP:
            del value[key]
        else:
            value[key] = cleaned
    return value


def _rebuild_dict(value: dict[Any, Any], where: str, notes: list[str], depth: int
                  ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = _key(key, f"{where} key")
        cleaned = _clean(item, f"{where}.{name}", notes, depth + 1)
        if cleaned is not _DROP:
            out[name] = cleaned
    return out


def _clean_list(value: list[Any], where: str, notes: list[str], depth: int) -> Any:
    """Clean a list in place (it is the parser's own)."""
    dropped = False
    for i, item in enumerate(value):
        kind = type(item)
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):
                _clean(item, f"{where}[{i}]", notes)  # raises
        elif not (item is None or kind is bool or kind is int):
            cleaned = _clean(item, f"{where}[{i}]", notes, depth + 1)
            value[i] = cleaned
            dropped = dropped or cleaned is _DROP
    if dropped:
        value[:] = [item for item in value if item is not _DROP]
    return value


def _clean_other(value: Any, where: str, notes: list[str], depth: int) -> Any:
    kind = type(value)
    if kind is float:
        if math.isfinite(value):
            return value
        notes.append(f"{where} dropped: {value} is not a finite number")
        return _DROP
    if kind is tuple:
        return _clean_list(list(value), where, notes, depth)
    if isinstance(value, dict):
        return _rebuild_dict(value, where, notes, depth)
    if isinstance(value, list):
        return _clean_list(list(value), where, notes, depth)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        members = (_clean(member, f"{where}[{i}]", notes, depth + 1)
                   for i, member in enumerate(value))
        items = [member for member in members if member is not _DROP]
        notes.append(f"{where} converted: a set (!!set) is given as a sorted list")
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, bytes | bytearray):
        notes.append(f"{where} dropped: binary data (!!binary) has no JSON form")
        return _DROP
    if isinstance(value, TooLongInteger):
        notes.append(f"{where} dropped: {value}")
        return _DROP
    if isinstance(value, int):  # a subclass of int or bool: keep its number
        return int(value) if not isinstance(value, bool) else bool(value)
    if isinstance(value, float):
        return _clean_other(float(value), where, notes, depth)
    if isinstance(value, str):
        return _clean(str(value), where, notes, depth)
    notes.append(f"{where} dropped: a {kind.__name__} value has no JSON form")
    return _DROP
