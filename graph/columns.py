"""The columns a loaded graph's node attributes are held in, one per attribute.

A node's attributes were a dict each, its values Python objects: ~2,900 bytes an
article at 100k (docs/performance.md), most of it the text's and URLs' string objects
and the dicts around them. A loaded graph does not change, so each attribute is one
column over all nodes (:mod:`graph.nodeattrs` puts them together): text as one UTF-8
buffer with offsets (:class:`Text`; long texts may stay in the snapshot file,
:class:`FileText`), a text column mostly equal to an earlier one only where it differs
(:class:`Same`), few distinct values (kinds, providers, categories, flags) as codes into
a list (:class:`Codes`), dates as integers (:class:`Dates`), anything else (lists,
dicts) each in ``marshal`` form in one buffer (:class:`Packed`). Which a column takes is
decided by the values it holds (:func:`column_of`), so any value a record can give is
kept, with its type. ``column[i]`` is node ``i``'s value, made when read.
"""

from __future__ import annotations

import marshal
import pickle
import struct
from collections.abc import (
    Iterable,
    Sequence,
)
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

__all__ = ["Column", "Codes", "Text", "FileText", "OnDisk", "Same", "Dates", "Packed",
           "LONG_TEXT", "KINDS", "column_of"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_PICKLE_PROTO = 0x80  # the first byte of a pickle; no marshal output begins with it
_SCALARS = (str, int, float, bool, type(None))


def _view(array: Any) -> memoryview:
    """An array's items as a memoryview (indexing one gives a Python int, fast)."""
    return memoryview(array)


def _key_of(value: Any) -> tuple[type, Any]:
    """A dict key that tells apart what ``==`` does not: 1, 1.0 and True; 0.0 and -0.0."""
    t = type(value)
    return (t, struct.pack("<d", value)) if t is float else (t, value)


def _ends(sizes: Iterable[int], n: int) -> np.ndarray:
    ends = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(sizes, dtype=np.int64, count=n), out=ends[1:])
    return ends


class Codes:
    """A column of few distinct scalars: ``values[codes[i]]`` (shared objects)."""

    KIND = "codes"
    __slots__ = ("values", "codes", "_codes")

    def __init__(self, values: list[Any], codes: np.ndarray):
        self.values, self.codes = values, codes
        self._codes = _view(codes)

    @classmethod
    def of(cls, column: Sequence[Any]) -> Codes | None:
        """Return the column as codes, or None when it holds too many distinct values (or
        a value that is not a plain scalar)."""
        number: dict[tuple[type, Any], int] = {}
        values: list[Any] = []
        codes = []
        limit = max(16, len(column) // 4)  # values repeated, else text or packed
        for v in column:
            if type(v) not in _SCALARS:
                return None
            k = _key_of(v)
            c = number.get(k)
            if c is None:
                if len(values) >= limit:
                    return None
                c = number[k] = len(values)
                values.append(v)
            codes.append(c)
        dtype = np.uint8 if len(values) <= 256 else np.uint16 if len(values) <= 65536 \
            else np.uint32
        return cls(values, np.array(codes, dtype=dtype))

    def __getitem__(self, i: int) -> Any:
        return self.values[self._codes[i]]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles (and deep-copies) without its memoryview, which pickle refuses."""
        return type(self), (self.values, self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def state(self) -> tuple[Any, list[np.ndarray]]:
        return self.values, [self.codes]

    @classmethod
    def from_state(cls, small: Any, arrays: list[np.ndarray]) -> Codes:
        return cls(list(small), arrays[0])


class Text:
    """A column of ``str`` (or None): one UTF-8 buffer, ``data[ends[i]:ends[i + 1]]``
    (lone surrogates kept, ``surrogatepass``); ``none[i]`` marks None."""

    KIND = "text"
    __slots__ = ("data", "ends", "none", "_data", "_ends", "_none")

    def __init__(self, data: Any, ends: np.ndarray, none: np.ndarray | None):
        self.data, self.ends, self.none = data, ends, none
        self._data = memoryview(data)
        self._ends = _view(ends)
        self._none = _view(none) if none is not None else None

    @classmethod
    def of(cls, column: Sequence[Any]) -> Text | None:
        """Return the column as text, or None when a value is neither str nor None."""
        if any(type(v) is not str and v is not None for v in column):
            return None
        encoded = [v.encode("utf-8", "surrogatepass") if v is not None else b""
                   for v in column]
        ends = _ends(map(len, encoded), len(encoded))
        none = np.fromiter((v is None for v in column), dtype=np.bool_, count=len(column))
        return cls(b"".join(encoded), ends, none if none.any() else None)

    def __getitem__(self, i: int) -> str | None:
        if self._none is not None and self._none[i]:
            return None
        ends = self._ends
        return str(self._data[ends[i] : ends[i + 1]], "utf-8", "surrogatepass")

    def __len__(self) -> int:
        return len(self.ends) - 1

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as a :class:`Text` of its bytes (a snapshot's buffer or file copied)."""
        _, arrays = self.state()
        return Text, (bytes(arrays[0]), self.ends, self.none)

    def state(self) -> tuple[Any, list[Any]]:
        """``small`` says whether the column is long text (:data:`LONG_TEXT` bytes a value
        or more on average), which a snapshot may leave in its file (:class:`OnDisk`)."""
        size = len(self._data)
        long = size >= LONG_TEXT * max(1, len(self) - int(np.count_nonzero(self.none))
                                       if self.none is not None else len(self))
        return ("long" if long else None), [self.data, self.ends] + (
            [self.none] if self.none is not None else [])

    @classmethod
    def from_state(cls, small: Any, arrays: list[Any]) -> Text:
        made = FileText if isinstance(arrays[0], OnDisk) else cls
        return made(arrays[0], arrays[1], arrays[2] if len(arrays) > 2 else None)


# A text column whose values average this many bytes or more is long text: the bodies,
# excerpts, secured texts, not the titles and URLs every answer reads.
LONG_TEXT = 128


class OnDisk:
    """``size`` bytes at ``offset`` of ``file`` (anything with ``read(offset, size)``):
    a column's buffer left in the snapshot file it was verified in."""

    __slots__ = ("file", "offset", "size")

    def __init__(self, file: Any, offset: int, size: int):
        self.file, self.offset, self.size = file, offset, size

    def __len__(self) -> int:
        return self.size


class FileText(Text):
    """A :class:`Text` column whose UTF-8 stays in a file, each value read when asked
    (its offsets, in memory, bound every read)."""

    __slots__ = ()

    def __init__(self, data: OnDisk, ends: np.ndarray, none: np.ndarray | None):
        self.data, self.ends, self.none = data, ends, none
        self._data = data  # type: ignore[assignment]
        self._ends = _view(ends)
        self._none = _view(none) if none is not None else None
        if len(ends) and int(ends[-1]) > data.size:
            raise ValueError("a text column runs past its part")

    def __getitem__(self, i: int) -> str | None:
        if self._none is not None and self._none[i]:
            return None
        ends = self._ends
        a, b = ends[i], ends[i + 1]
        if a == b:
            return ""
        data: OnDisk = self.data
        return str(data.file.read(data.offset + a, b - a), "utf-8", "surrogatepass")

    def state(self) -> tuple[Any, list[Any]]:
        data: OnDisk = self.data
        whole = data.file.read(data.offset, data.size)
        return "long", [whole, self.ends] + ([self.none] if self.none is not None else [])


class Dates:
    """A column of UTC datetimes (or None): microseconds since the epoch."""

    KIND = "dates"
    __slots__ = ("micros", "none", "_micros", "_none")

    def __init__(self, micros: np.ndarray, none: np.ndarray):
        self.micros, self.none = micros, none
        self._micros, self._none = _view(micros), _view(none)

    @classmethod
    def of(cls, column: Sequence[Any]) -> Dates | None:
        """Return the column as dates, or None when a value is not a datetime in UTC
        (``datetime.UTC`` itself) that microseconds give back exactly, nor None."""
        micros = []
        for v in column:
            if v is None:
                micros.append(0)
                continue
            if type(v) is not datetime or v.tzinfo is not UTC or v.fold:
                return None
            m = (v - _EPOCH) // _MICRO
            if _EPOCH + m * _MICRO != v:
                return None
            micros.append(m)
        none = np.fromiter((v is None for v in column), dtype=np.bool_, count=len(column))
        return cls(np.array(micros, dtype=np.int64), none)

    def __getitem__(self, i: int) -> datetime | None:
        if self._none[i]:
            return None
        return _EPOCH + self._micros[i] * _MICRO

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.micros, self.none)

    def __len__(self) -> int:
        return len(self.micros)

    def state(self) -> tuple[Any, list[np.ndarray]]:
        return None, [self.micros, self.none]

    @classmethod
    def from_state(cls, small: Any, arrays: list[np.ndarray]) -> Dates:
        return cls(arrays[0], arrays[1])


class Packed:
    """A column of any values: each in ``marshal`` form (a pickle for a value marshal
    cannot hold, such as a date in an extra field), one buffer, made anew when read."""

    KIND = "packed"
    __slots__ = ("data", "ends", "_data", "_ends")

    def __init__(self, data: Any, ends: np.ndarray):
        self.data, self.ends = data, ends
        self._data, self._ends = memoryview(data), _view(ends)

    @classmethod
    def of(cls, column: Sequence[Any]) -> Packed:
        encoded = [_pack(v) for v in column]
        return cls(b"".join(encoded), _ends(map(len, encoded), len(encoded)))

    def __getitem__(self, i: int) -> Any:
        ends = self._ends
        raw = self._data[ends[i] : ends[i + 1]]
        return pickle.loads(raw) if raw[0] == _PICKLE_PROTO else marshal.loads(raw)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (bytes(self._data), self.ends)

    def __len__(self) -> int:
        return len(self.ends) - 1

    def state(self) -> tuple[Any, list[Any]]:
        return None, [self.data, self.ends]

    @classmethod
    def from_state(cls, small: Any, arrays: list[Any]) -> Packed:
        return cls(arrays[0], arrays[1])


class Same:
    """A text column mostly equal to an earlier one (an article's ``web_url`` is its
    ``url`` 96% of the time): ``base[i]`` where ``same[i]``, else ``rest[i]``."""

    KIND = "same"
    __slots__ = ("base_key", "same", "rest", "_base", "_same", "_rest")

    def __init__(self, base_key: str, base: Column, same: np.ndarray, rest: Text):
        self.base_key, self.same, self.rest = base_key, same, rest
        self._base, self._same, self._rest = base.__getitem__, _view(same), rest.__getitem__

    @classmethod
    def of(cls, column: Sequence[Any], bases: dict[str, Sequence[Any]],
           made: dict[str, Column]) -> Same | None:
        """Return the column as mostly the same as one of ``bases`` (earlier text
        columns' values, by key), or None when none gives half its values."""
        if any(type(v) is not str and v is not None for v in column):
            return None
        for key, base in bases.items():
            same = np.fromiter((v is not None and type(b) is str and v == b
                                for v, b in zip(column, base, strict=True)),
                               dtype=np.bool_, count=len(column))
            if np.count_nonzero(same) * 2 >= len(column):
                rest = Text.of([None if s else v for v, s in zip(column, same.tolist(),
                                                                  strict=True)])
                assert rest is not None
                return cls(key, made[key], same, rest)
        return None

    def __getitem__(self, i: int) -> Any:
        return self._base(i) if self._same[i] else self._rest(i)

    def __reduce__(self) -> tuple[Any, ...]:
        base = self._base.__self__  # type: ignore[union-attr]
        return type(self), (self.base_key, base, self.same, self.rest)

    def __len__(self) -> int:
        return len(self.same)

    def state(self) -> tuple[Any, list[Any]]:
        small, arrays = self.rest.state()
        return (self.base_key, small), [self.same, *arrays]

    @classmethod
    def from_state(cls, small: Any, arrays: list[Any], columns: dict[str, Column],
                   ) -> Same:
        base_key, rest_small = small
        base = columns.get(base_key)
        if not isinstance(base, Text):
            raise ValueError(f"a column is the same as {base_key!r}, which is not text")
        return cls(base_key, base, arrays[0], Text.from_state(rest_small, arrays[1:]))


# marshal's version 2: a string is written as text only. From version 3 on, one that was
# interned (topic slugs are, when built) is marked so, and each read interns it again:
# an insert into the interpreter's one table of interned strings, which a forked worker
# then copies (at 20k records, a new 1.9 MB table in each worker, serve37).
_MARSHAL_VERSION = 2


def _pack(value: Any) -> bytes:
    try:
        return marshal.dumps(value, _MARSHAL_VERSION)
    except ValueError:
        return pickle.dumps(value, protocol=5)


Column = Codes | Text | Same | Dates | Packed
KINDS: dict[str, type[Codes] | type[Text] | type[Dates] | type[Packed]] = {
    c.KIND: c for c in (Codes, Text, Dates, Packed)}


def column_of(values: Sequence[Any], texts: dict[str, Sequence[Any]],
            made: dict[str, Column]) -> Column:
    """The most compact column that gives back exactly ``values`` (``texts``: the values
    of the text columns made so far, by key, which it may repeat)."""
    return (Codes.of(values) or Same.of(values, texts, made) or Text.of(values)
            or Dates.of(values) or Packed.of(values))
