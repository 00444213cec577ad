"""A loaded graph's node attributes in columns, and ``kg.nx._node`` as a view of them.

A node's attributes were a dict each, its values Python objects: ~2,900 bytes an
article at 100k (docs/performance.md), most of it the text's and URLs' string objects
and the dicts around them. A loaded graph does not change, so :class:`NodeColumns`
holds them per attribute instead: text as one UTF-8 buffer with offsets, few distinct
values (kinds, providers, categories, flags) as codes into a list, dates as integers,
anything else (lists, dicts) each in ``marshal`` form in one buffer. Which layout a
column takes is decided by the values it holds, so any value a record can give is
kept, with its type.

:class:`NodeAttrs` is ``kg.nx._node`` for such a graph: a read-only
:class:`~collections.abc.Mapping` from node id to a :class:`NodeRow`, itself a
read-only Mapping that reads one column per key asked — same keys, in the same order,
same values and types as the dict it replaces, made when read (a list read twice is
two equal lists). ``row.copy()`` is that dict, so ``kg.nx.copy()`` is an ordinary graph
of dicts to change. The server's readers ask a row for the one or two keys they need,
so a request decodes only those.
"""

from __future__ import annotations

import marshal
import pickle
import struct
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    ValuesView,
)
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

__all__ = ["NodeColumns", "NodeAttrs", "NodeRow", "Codes", "Text", "FileText", "OnDisk",
           "Dates", "Packed", "Same", "TextsOf", "LONG_TEXT", "node_columns", "long_text_parts"]

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


def _pack(value: Any) -> bytes:
    try:
        return marshal.dumps(value)
    except ValueError:
        return pickle.dumps(value, protocol=5)


Column = Codes | Text | Same | Dates | Packed
_KINDS: dict[str, type[Codes] | type[Text] | type[Dates] | type[Packed]] = {
    c.KIND: c for c in (Codes, Text, Dates, Packed)}


def _column(values: Sequence[Any], texts: dict[str, Sequence[Any]],
            made: dict[str, Column]) -> Column:
    """The most compact column that gives back exactly ``values`` (``texts``: the values
    of the text columns made so far, by key, which it may repeat)."""
    return (Codes.of(values) or Same.of(values, texts, made) or Text.of(values)
            or Dates.of(values) or Packed.of(values))


class NodeColumns:
    """The attributes of nodes ``ids`` (numbered by ``pos``), by column.

    ``layouts[layout_of[i]]`` is node ``i``'s keys in its dict's order; ``columns[key][i]``
    its value for ``key`` (a node without the key holds a placeholder there, never read).
    """

    __slots__ = ("ids", "pos", "layouts", "layout_of", "columns", "_readers", "_layout_of")

    def __init__(self, ids: Sequence[str], pos: Mapping[str, int],
                 layouts: list[tuple[str, ...]], layout_of: np.ndarray,
                 columns: dict[str, Column]):
        self.ids, self.pos = ids, pos
        self.layouts, self.layout_of, self.columns = layouts, layout_of, columns
        self._layout_of = _view(layout_of)
        # Per layout, key -> its column's reader, in the layout's order: a row's lookup.
        self._readers: list[dict[str, Callable[[int], Any]]] = [
            {key: columns[key].__getitem__ for key in layout} for layout in layouts]

    @classmethod
    def of(cls, ids: Sequence[str], pos: Mapping[str, int],
           attrs: Sequence[dict[str, Any]], *, consume: bool = False) -> NodeColumns:
        """Return the columns of the node dicts ``attrs`` (``attrs[i]``: node ``ids[i]``'s);
        with ``consume``, each key's values are taken out of the dicts once its column is
        made (their memory is free for the next column's)."""
        number: dict[tuple[str, ...], int] = {}
        layout_of = np.empty(len(attrs), dtype=np.uint16)
        for i, d in enumerate(attrs):
            layout = tuple(d)
            c = number.get(layout)
            if c is None:
                if len(number) >= 65536:
                    raise ValueError("more than 65,536 different key layouts among the nodes")
                c = number[layout] = len(number)
            layout_of[i] = c
        keys = dict.fromkeys(k for layout in number for k in layout)
        columns: dict[str, Column] = {}
        texts: dict[str, Sequence[Any]] = {}
        for key in keys:
            present = [d[key] for d in attrs if key in d]
            # A node without the key holds a value of the column's own kind there.
            filler = present[0]
            values = [d.get(key, filler) for d in attrs] if len(present) < len(attrs) \
                else present
            del present, filler
            column = columns[key] = _column(values, texts, columns)
            if type(column) is Text and len(texts) < 4 and column.state()[0] != "long":
                texts[key] = values  # short text another column may repeat (URLs)
            del values
            if consume:
                for d in attrs:
                    d.pop(key, None)
        return cls(ids, pos, list(number), layout_of, columns)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, i: int) -> NodeRow:
        """Return node ``i``'s attributes, read when asked."""
        return NodeRow(self._readers[self._layout_of[i]], i)

    def reader(self, key: str) -> Callable[[int], Any] | None:
        """Return ``i -> node i's value for key`` (a node without it gives a placeholder;
        ask :meth:`has` first when nodes may lack it), or None when no node has ``key``."""
        column = self.columns.get(key)
        return None if column is None else column.__getitem__

    def has(self, i: int, key: str) -> bool:
        """Return whether node ``i`` has ``key``."""
        return key in self._readers[self._layout_of[i]]

    def state(self) -> tuple[tuple[Any, ...], list[Any]]:
        """Return the columns as plain data (small, for ``marshal``) and the list of
        buffers it names by number (each an array or bytes, written as itself)."""
        buffers: list[Any] = [self.layout_of]
        described = []
        for key, column in self.columns.items():
            small, arrays = column.state()
            described.append((key, column.KIND, small, len(buffers),
                              [a.dtype.str if isinstance(a, np.ndarray) else "" for a in arrays]))
            buffers.extend(arrays)
        return (self.layouts, self.layout_of.dtype.str, described), buffers

    @classmethod
    def from_state(cls, ids: Sequence[str], pos: Mapping[str, int], small: tuple[Any, ...],
                   buffers: Sequence[Any]) -> NodeColumns:
        """Rebuild what :meth:`state` returned (``buffers``: bytes-like, in its order)."""
        layouts, layout_dtype, described = small
        layout_of = np.frombuffer(buffers[0], dtype=np.dtype(layout_dtype))
        if len(layout_of) != len(ids):
            raise ValueError("the node columns do not match the nodes")
        columns: dict[str, Column] = {}
        for key, kind, detail, first, dtypes in described:
            arrays = [np.frombuffer(buffers[first + j], dtype=np.dtype(dt)) if dt
                      else buffers[first + j] for j, dt in enumerate(dtypes)]
            column = Same.from_state(detail, arrays, columns) if kind == Same.KIND \
                else _KINDS[kind].from_state(detail, arrays)
            if len(column) != len(ids):
                raise ValueError(f"the node column {key!r} does not match the nodes")
            columns[key] = column
        return cls(ids, pos, [tuple(layout) for layout in layouts], layout_of, columns)


def long_text_parts(small: tuple[Any, ...]) -> list[int]:
    """Return which of the buffers :meth:`NodeColumns.state` described hold long text
    (the UTF-8 of a text column flagged long): those a snapshot may leave in its file."""
    _, _, described = small
    return [first for _, kind, detail, first, _ in described
            if kind == Text.KIND and detail == "long"]


class NodeRow(Mapping[str, Any]):
    """One node's attributes, each read from its column when asked (read-only)."""

    __slots__ = ("_read", "_i")

    def __init__(self, read: dict[str, Callable[[int], Any]], i: int):
        self._read, self._i = read, i

    def __getitem__(self, key: str) -> Any:
        return self._read[key](self._i)

    def get(self, key: str, default: Any = None) -> Any:
        read = self._read.get(key)
        return default if read is None else read(self._i)

    def __contains__(self, key: object) -> bool:
        return key in self._read

    def __iter__(self) -> Iterator[str]:
        return iter(self._read)

    def __len__(self) -> int:
        return len(self._read)

    def copy(self) -> dict[str, Any]:
        """Return the node's attributes as a new dict (as ``dict.copy`` does)."""
        i = self._i
        return {key: read(i) for key, read in self._read.items()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NodeRow):
            return self.copy() == other.copy()
        if isinstance(other, Mapping):
            return self.copy() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.copy())

    def __reduce__(self) -> tuple[Any, ...]:
        """A row pickles (and deep-copies) as the dict it stands for."""
        return dict, (self.copy(),)


class NodeAttrs(Mapping[str, NodeRow]):
    """``g._node`` of a graph whose attributes are in :class:`NodeColumns`: node id →
    :class:`NodeRow`, in the columns' node order (read-only)."""

    __slots__ = ("columns",)

    def __init__(self, columns: NodeColumns):
        self.columns = columns

    def __getitem__(self, node: str) -> NodeRow:
        columns = self.columns
        i = columns.pos[node]
        return NodeRow(columns._readers[columns._layout_of[i]], i)

    def get(self, node: str, default: Any = None) -> Any:
        i = self.columns.pos.get(node)
        return default if i is None else self.columns.row(i)

    def __contains__(self, node: object) -> bool:
        return node in self.columns.pos

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns.ids)

    def __len__(self) -> int:
        return len(self.columns.ids)

    def items(self) -> _Items:
        """``(node, row)`` in order, without a lookup per node."""
        return _Items(self)

    def values(self) -> _Values:
        return _Values(self)


class _Items(ItemsView[str, NodeRow]):
    """The items of a :class:`NodeAttrs`, in one pass over the nodes."""

    _mapping: NodeAttrs

    def __iter__(self) -> Iterator[tuple[str, NodeRow]]:
        columns = self._mapping.columns
        row = columns.row
        return ((node, row(i)) for i, node in enumerate(columns.ids))


class _Values(ValuesView[NodeRow]):
    """The values of a :class:`NodeAttrs`, in one pass over the nodes."""

    _mapping: NodeAttrs

    def __iter__(self) -> Iterator[NodeRow]:
        columns = self._mapping.columns
        return map(columns.row, range(len(columns.ids)))


class TextsOf(Sequence[str]):
    """``texts[i]``: node ``i``'s text for ``key``, ``""`` when it has none (as
    ``data.get(key) or ""``), read from its column when asked."""

    __slots__ = ("_columns", "_key", "_read")

    def __init__(self, columns: NodeColumns, key: str):
        self._columns, self._key = columns, key
        self._read = columns.reader(key)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if self._read is None or not self._columns.has(i, self._key):
            return ""
        return self._read(i) or ""

    def __len__(self) -> int:
        return len(self._columns)


def node_columns(g: Any) -> NodeColumns | None:
    """Return the columns ``g``'s node attributes are held in, else None (dicts)."""
    found = getattr(g, "_node", None)
    return found.columns if isinstance(found, NodeAttrs) else None
