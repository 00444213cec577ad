"""A loaded graph's node attributes in columns, and ``kg.nx._node`` as a view of them.

:class:`NodeColumns` holds every node's attributes as one column per key
(:mod:`graph.columns`) and each node's keys in its dict's order. :class:`NodeAttrs` is
``kg.nx._node`` for such a graph: a read-only :class:`~collections.abc.Mapping` from node
id to a :class:`NodeRow`, itself a read-only Mapping that reads one column per key asked
— same keys, in the same order, same values and types as the dict it replaces, made when
read (a list read twice is two equal lists). ``row.copy()`` is that dict, so
``kg.nx.copy()`` is an ordinary graph of dicts to change. The server's readers ask a row
for the one or two keys they need, so a request decodes only those; the phrase scans
read a text column directly (:class:`TextsOf`).
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    ItemsView,
    Iterator,
    Mapping,
    Sequence,
    ValuesView,
)
from typing import Any, NoReturn

import numpy as np

from graph.columns import KINDS, Codes, Column, Dates, Same, Text, column_of

__all__ = ["NodeColumns", "NodeAttrs", "NodeRow", "TextsOf", "node_columns",
           "long_text_parts"]


def _view(array: Any) -> memoryview:
    """An array's items as a memoryview (indexing one gives a Python int, fast)."""
    return memoryview(array)


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
        # A codes or dates column's first read through a row decodes it into a tuple.
        first = {key: self._first_read(key) if _decodes(column) else column.__getitem__
                 for key, column in columns.items()}
        self._readers: list[dict[str, Callable[[int], Any]]] = [
            {key: first[key] for key in layout} for layout in layouts]

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
            column = columns[key] = column_of(values, texts, columns)
            if type(column) is Text and len(texts) < 4 and column.state()[0] != "long":
                texts[key] = values  # short text another column may repeat (URLs)
            del values
            if consume:
                for d in attrs:
                    d.pop(key, None)
        return cls(ids, pos, list(number), layout_of, columns)

    def __len__(self) -> int:
        return len(self.ids)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles (and deep-copies) as its columns; the readers are made again."""
        return type(self), (self.ids, self.pos, self.layouts, self.layout_of, self.columns)

    def _first_read(self, key: str) -> Callable[[int], Any]:
        def read(i: int) -> Any:
            values = self.decoded(key)
            return values[i]
        return read

    def decoded(self, key: str) -> tuple[Any, ...]:
        """Return column ``key`` as a tuple of every node's value (None where a node lacks
        the key), and have the rows read it from now on.

        A read from a tuple is one C call where a column's is a Python one that makes the
        value: the codes every answer reads (kind, provider, name, slug, domain) pay their
        decoding once, for the memory of one tuple (docs/performance.md). Rows decode codes
        columns on their first read; a dates column only when asked here.
        """
        column = self.columns[key]
        if type(column) not in (Codes, Dates):
            raise ValueError(f"the column {key!r} is {column.KIND}: only codes and dates "
                             "are decoded")
        has = np.array([key in layout for layout in self.layouts], dtype=np.bool_)
        values = _decoded(column, has[self.layout_of])
        read = values.__getitem__
        for readers in self._readers:  # a race decodes twice, to equal lists: harmless
            if key in readers:
                readers[key] = read
        return values

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
                else KINDS[kind].from_state(detail, arrays)
            if len(column) != len(ids):
                raise ValueError(f"the node column {key!r} does not match the nodes")
            columns[key] = column
        return cls(ids, pos, [tuple(layout) for layout in layouts], layout_of, columns)


def _decodes(column: Column) -> bool:
    """Whether rows read ``column`` from a tuple decoded on first use: codes (a tuple of
    shared objects, 8 bytes a node). Not dates: a datetime and a slot a node (64 bytes:
    7 MiB at 100k, 70 MiB at 1M) for ~0.2 µs saved a read, a few µs an answer; not
    text: a server's start reads every title and URL once (syndicated copies), and
    their lists would cost 38 MiB at 100k, past the 400 MiB serving target
    (docs/performance.md); nor packed values, made anew per read (a list read is the
    reader's to change)."""
    return type(column) is Codes


def _decoded(column: Column, has: np.ndarray) -> tuple[Any, ...]:
    """Every node's value in ``column`` where ``has`` (else None), as a tuple.

    A tuple, not a list: the collector stops tracking a tuple of untracked values (str,
    datetime, None, numbers) the first time it sees it, so a full collection no longer
    visits an item per node for each decoded column (serve35: at 20k records those
    visits were most of a full collection's 20-40 ms, during which no request runs)."""
    if type(column) is Codes:
        values = np.empty(len(column.values), dtype=object)
        for j, v in enumerate(column.values):
            values[j] = v  # (one by one: a sequence would not be stored as one item)
        made = values[column.codes]
        made[~has] = None
        return tuple(made.tolist())
    read = column.__getitem__
    return tuple([read(i) if h else None for i, h in enumerate(has.tolist())])


def long_text_parts(small: tuple[Any, ...]) -> list[int]:
    """Return which of the buffers :meth:`NodeColumns.state` described hold long text
    (the UTF-8 of a text column flagged long): those a snapshot may leave in its file."""
    _, _, described = small
    return [first for _, kind, detail, first, _ in described
            if kind == Text.KIND and detail == "long"]


_READ_ONLY = ("a loaded graph's node attributes are read-only (a graph read from a snapshot "
              "holds them in columns): change kg.nx.copy(), a graph of plain dicts, or "
              "dict(kg[node])")


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

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    # What a dict's writers are called, each saying why it cannot (``nx.set_node_attributes``
    # sets items): not "object does not support item assignment".
    __setitem__ = __delitem__ = update = pop = setdefault = clear = popitem = _read_only


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
