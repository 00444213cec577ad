"""Cursor pagination over an ordered list, Relay style: ``first`` and ``after``.

A cursor is the base64 of ``cursor:<offset>``: opaque to clients, stable for the
life of a loaded graph, since results are computed in a fixed order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph.errors import InvalidArgument

DEFAULT_PAGE = 20
MAX_PAGE = 100
T = TypeVar("T")


def encode_cursor(offset: int) -> str:
    """Return the cursor of the item at ``offset``."""
    return base64.b64encode(f"cursor:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """Return the offset a cursor points at; raise InvalidArgument on a bad cursor."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
        if prefix != "cursor" or offset < 0:
            raise ValueError
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument(
            f"invalid cursor {cursor!r}: pass a cursor from an edge or from "
            "pageInfo.endCursor of a previous page"
        ) from None
    return offset


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of an ordered list: its items with their offsets, and where it stands."""

    items: list[tuple[int, T]]
    total: int
    has_next: bool
    has_previous: bool


def check_first(first: int | None) -> int:
    """Return the page size, ``DEFAULT_PAGE`` for None; raise when outside 0..MAX_PAGE."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise InvalidArgument(f"first must be 0 to {MAX_PAGE}, got {first}")
    return first


def paginate(items: Sequence[T], first: int | None, after: str | None) -> Page[T]:
    """Return the page of ``items`` after the cursor ``after``, ``first`` long."""
    size = check_first(first)
    start = decode_cursor(after) + 1 if after is not None else 0
    chosen = list(enumerate(items[start : start + size], start=start))
    return Page(chosen, len(items), start + size < len(items), start > 0)
