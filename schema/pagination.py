"""Cursor pagination over an ordered list, by the Relay Cursor Connections specification:
``first``/``after`` forward, ``last``/``before`` backward.

A cursor is opaque: the base64 of ``c2:<list key>:<offset>:<item tag>``. The list key is
a short hash of the list's identity (the field, the object it hangs on and the arguments
that shape the list), so a cursor of one list handed to another is refused with an error
instead of silently paging the wrong one. The item tag is a short hash of the item the
cursor stands for (its node id), so a cursor outlives a change of a followed graph: every
list is computed in a fixed order, but a story arriving at the head of a list between two
pages moved every item down a place, and the next page began with the last item of the
one before (a story leaving skipped one). A cursor whose item is no longer at its offset
is looked for within ``NEARBY`` places of it; one whose item left the list (or moved
further) is refused, saying so. ``c1`` cursors (offset only, the last release's) are
read as offsets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph.errors import InvalidArgument, shown
from schema.settings import CEILINGS

DEFAULT_PAGE = 20
MAX_PAGE = CEILINGS["max_first"]
T = TypeVar("T")
_VERSION = "c2"
_OFFSET_ONLY = "c1"


def list_key(*identity: object) -> str:
    """Return the key binding cursors to one list: a hash of what identifies it."""
    return hashlib.sha256(repr(identity).encode()).hexdigest()[:12]


class ListKey:
    """The key of a list, hashed when first read (``str``): a page whose cursors no one
    asks for, and that is not paged by cursor, never needs it."""

    __slots__ = ("identity", "_key")

    def __init__(self, *identity: object):
        self.identity = identity
        self._key: str | None = None

    def __str__(self) -> str:
        if self._key is None:
            self._key = list_key(*self.identity)
        return self._key


def item_tag(item: object) -> str:
    """Return the short hash a cursor carries of its item: of its node id (an item is a
    node id, a tuple led by one, or an object with an ``id``)."""
    while isinstance(item, tuple | list) and item:
        item = item[0]
    identity = item if isinstance(item, str) else getattr(item, "id", None)
    text = identity if isinstance(identity, str) else repr(item)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def encode_cursor(key: str | ListKey, offset: int, item: object) -> str:
    """Return the cursor of ``item``, at ``offset`` of the list ``key``."""
    return base64.b64encode(f"{_VERSION}:{key}:{offset}:{item_tag(item)}".encode()).decode()


def decode_cursor(cursor: str, key: str) -> tuple[int, str | None]:
    """Return the offset a cursor of the list ``key`` points at, and its item's tag (None
    for a ``c1`` cursor, which has none).

    Raises InvalidArgument for a cursor that is not one, or that belongs to another list.
    """
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        version, bound, number, *rest = text.split(":")
        offset = int(number)
        tag = rest[0] if version == _VERSION and len(rest) == 1 else None
        if offset < 0 or not ((version == _VERSION and tag) or
                              (version == _OFFSET_ONLY and not rest)):
            raise ValueError
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument(
            f"invalid cursor {shown(cursor)}: pass a cursor from an edge or from "
            "pageInfo.startCursor/endCursor of a previous page") from None
    if bound != key:
        raise InvalidArgument(
            f"cursor {shown(cursor)} belongs to another list (another field, object or "
            "arguments): pass a cursor from this field, asked with the same arguments")
    return offset, tag


# How far from its offset a cursor's item is looked for once the list changed: a change
# moves an item by as many places as items arrived or left before it. Past this, the
# cursor is refused: a search of the whole list (a hash an item, ~130k at 100k records)
# would be a request's uncounted work, and a forged tag could ask for it every time.
NEARBY = 2_000


def _locate(items: Sequence[T], cursor: str, offset: int, tag: str | None) -> int:
    """Return where the item a cursor stands for is now: at its offset while the list is
    as it was, else the nearest place within NEARBY holding it (the graph changed
    between two pages)."""
    if tag is None or (offset < len(items) and item_tag(items[offset]) == tag):
        return offset
    for distance in range(1, min(NEARBY, max(offset + 1, len(items) - offset)) + 1):
        for at in (offset - distance, offset + distance):
            if 0 <= at < len(items) and item_tag(items[at]) == tag:
                return at
    raise InvalidArgument(
        f"cursor {shown(cursor)} stands for an item no longer in this list, or moved more than "
        f"{NEARBY:,} places: the graph changed since that page (a story left or no longer "
        "matches the arguments, or many arrived before it); page again from the first page")


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of an ordered list: its items with their offsets, and where it stands."""

    items: list[tuple[int, T]]
    total: int
    has_next: bool
    has_previous: bool
    key: str | ListKey

    def cursor(self, offset: int) -> str:
        """Return the cursor of the item at ``offset`` (an item of this page)."""
        return encode_cursor(self.key, offset, self.items[offset - self.items[0][0]][1])


def check_size(value: int | None, name: str = "first") -> int | None:
    """Return a page size unchanged; raise when outside 0..MAX_PAGE."""
    if value is not None and not 0 <= value <= MAX_PAGE:
        raise InvalidArgument(f"{name} must be 0 to {MAX_PAGE}, got {value}")
    return value


def paginate(items: Sequence[T], key: str | ListKey, first: int | None = None,
             after: str | None = None, last: int | None = None,
             before: str | None = None) -> Page[T]:
    """Return the page of ``items`` the four arguments select, by the specification.

    The cursors narrow the list to what lies between ``after`` and ``before``; ``first``
    keeps the head of that, then ``last`` its tail. Neither size given means the first
    ``DEFAULT_PAGE``. ``hasPreviousPage`` is whether ``last`` cut something (or, paging
    forward, whether anything precedes ``after`` itself); ``hasNextPage`` likewise.

    >>> page = paginate("abcde", list_key("letters"), last=2)
    >>> [x for _, x in page.items], page.has_previous, page.has_next
    (['d', 'e'], True, False)
    >>> back = paginate("abcde", list_key("letters"), last=2, before=page.cursor(3))
    >>> [x for _, x in back.items], back.has_previous, back.has_next
    (['b', 'c'], True, True)
    """
    check_size(first, "first")
    check_size(last, "last")
    total = len(items)
    low, high = 0, total
    after_at = before_at = None
    if after is not None:
        after_at = _locate(items, after, *decode_cursor(after, str(key)))
        low = min(after_at + 1, total)
    if before is not None:
        before_at = _locate(items, before, *decode_cursor(before, str(key)))
        high = max(min(before_at, total), low)
    if first is None and last is None:
        first = DEFAULT_PAGE
    start, end = low, high
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    if last is not None:
        has_previous = start > low
    else:
        has_previous = after_at is not None and after_at > 0
    if first is not None:
        has_next = end < high
    else:
        has_next = before_at is not None and before_at < total - 1
    chosen = list(enumerate(items[start:end], start=start))
    return Page(chosen, total, has_next, has_previous, key)
