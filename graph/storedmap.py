"""A map of a follow's build state whose entries sit pickled until a change uses them.

The build state of a followed corpus (graph/incremental.py) keeps, per canonical URL,
the records, their links, the node each gave, who links to it; per file its records; per
provider and topic its spellings. As Python objects that is ~7 KB an article (718 MiB at
100k records with the table of files, docs/live.md), for inputs a change reads a few
dozen of. A
:class:`StoredMap` keeps them as blobs — each entry's key and its pickled value, one
after the other — with a table of the keys' 64-bit hashes (sorted) and each blob's place:
24 bytes an entry besides the blobs, and the blobs stay in the snapshot file
(:class:`Blobs` over the part a follow's snapshot holds, read and checked block by block
when used).

An entry a change reads is decoded and held as an object from then on (a value may be
changed in place: ``state.records[url][key] = ...``), and so is an entry set; one deleted
is hidden. :meth:`StoredMap.compact` packs the entries held into a buffer in memory (a
follow calls it off the request path once many are held; small buffers are merged as
they grow), so the map never grows by the objects of every entry a change once read.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, Protocol

import numpy as np

__all__ = ["Blobs", "Packed", "Shifted", "StoredMap", "key_hash", "pack_blobs", "will_need"]

_MISSING = object()


class Reader(Protocol):
    """Bytes at an offset: a snapshot part left in its file, or a buffer."""

    def read(self, offset: int, size: int) -> bytes: ...


def will_need(reader: object) -> None:
    """Have what ``reader`` reads from read ahead, when it can (a snapshot part left in
    its file: graph/snapshot.py); through the readers it wraps."""
    while reader is not None:
        ahead = getattr(reader, "will_need", None)
        if ahead is not None:
            ahead()
            return
        reader = getattr(reader, "reader", None)


class Shifted:
    """:class:`Reader` of the bytes of ``reader`` from ``start`` on."""

    __slots__ = ("reader", "start")

    def __init__(self, reader: Reader, start: int):
        self.reader, self.start = reader, start

    def read(self, offset: int, size: int) -> bytes:
        return self.reader.read(self.start + offset, size)


class _Buffer:
    """:class:`Reader` over bytes in memory."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def read(self, offset: int, size: int) -> bytes:
        return self.data[offset : offset + size]


def key_hash(key: str) -> int:
    """The 64-bit hash a blob table sorts a key by (the same in every process)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def pack_blobs(items: Iterable[tuple[str, bytes]], at: int = 0,
               ) -> tuple[bytes, tuple[bytes, bytes, bytes]]:
    """The blobs of ``items`` (key, pickled value) one after the other, and their table
    (sorted key hashes, offsets from ``at`` on, sizes; as bytes of int64 arrays)."""
    chunks: list[bytes] = []
    hashes: list[int] = []
    offsets: list[int] = []
    sizes: list[int] = []
    pos = at
    for key, value in items:
        raw = key.encode("utf-8", "surrogatepass")
        blob = len(raw).to_bytes(4, "big") + raw + value
        chunks.append(blob)
        hashes.append(key_hash(key))
        offsets.append(pos)
        sizes.append(len(blob))
        pos += len(blob)
    h = np.array(hashes, dtype=np.int64)
    order = np.argsort(h, kind="stable")
    table = (h[order].tobytes(), np.array(offsets, dtype=np.int64)[order].tobytes(),
             np.array(sizes, dtype=np.int64)[order].tobytes())
    return b"".join(chunks), table


def _narrow(values: np.ndarray) -> np.ndarray:
    """``values`` (int64, none negative) as uint32 when they all fit."""
    if len(values) and int(values.max()) >= 2**32:
        return values
    return values.astype(np.uint32)


class Blobs:
    """The blobs of a map in ``reader`` and their table (see :func:`pack_blobs`)."""

    __slots__ = ("reader", "hashes", "offsets", "sizes", "_views")

    def __init__(self, reader: Reader | bytes, table: tuple[bytes, bytes, bytes]):
        self.reader = _Buffer(reader) if isinstance(reader, bytes) else reader
        # Held narrower than stored (12 bytes an entry, not 24: ~7 MiB at 100k records):
        # the hashes' high 32 bits, which sort as the hashes do (a key is compared with
        # the blob's anyway), and places in 32 bits while they fit.
        self.hashes = (np.frombuffer(table[0], dtype=np.int64) >> 32).astype(np.int32)
        self.offsets = _narrow(np.frombuffer(table[1], dtype=np.int64))
        self.sizes = _narrow(np.frombuffer(table[2], dtype=np.int64))
        # Looked up through memoryviews (Python ints), not numpy: a numpy searchsorted
        # lets the interpreter go, and an apply beside busy query threads then waits up
        # to the switch interval (5 ms) to get it back — for each of the ~2,000 keys a
        # 100-record batch looks up (lead31: 2,000 lookups took 414 ms beside two busy
        # threads, 1.3 ms through the views).
        self._views = (self.hashes.data, self.offsets.data, self.sizes.data)

    def __len__(self) -> int:
        return len(self.hashes)

    def find(self, key: str) -> bytes | None:
        """The pickled value of ``key``; None when it has none."""
        h = key_hash(key) >> 32
        hashes, offsets, sizes = self._views
        at = bisect_left(hashes, h)
        raw = key.encode("utf-8", "surrogatepass")
        while at < len(hashes) and hashes[at] == h:
            blob = self.reader.read(offsets[at], sizes[at])
            n = int.from_bytes(blob[:4], "big")
            if blob[4 : 4 + n] == raw:
                return blob[4 + n :]
            at += 1  # another key with the same hash
        return None

    def items(self) -> Iterator[tuple[str, bytes]]:
        """Every (key, pickled value), in the table's order."""
        for offset, size in zip(self.offsets.tolist(), self.sizes.tolist(), strict=True):
            blob = self.reader.read(offset, size)
            n = int.from_bytes(blob[:4], "big")
            yield blob[4 : 4 + n].decode("utf-8", "surrogatepass"), blob[4 + n :]


class Packed:
    """A stored map's layers once its held entries are packed (:meth:`StoredMap.packed`)."""

    __slots__ = ("buffers", "hidden")

    def __init__(self, buffers: list[Blobs], hidden: set[str]):
        self.buffers, self.hidden = buffers, hidden


class StoredMap(MutableMapping[str, Any]):
    """A mapping whose entries are in :class:`Blobs` until used (see the module's
    docstring). ``load(key, data)`` and ``dump(value)`` turn an entry's value from and
    to bytes; ``factory``, when given, makes the value of a key read and missing (as a
    ``defaultdict`` does; :meth:`get`, ``in`` and :meth:`pop` never do).

    Entries are looked for in layers, newest first: ``held`` (objects), the buffers
    :meth:`compact` made (newest last), and ``base`` (the snapshot's blobs, never
    changed); ``hidden`` names the keys of the older layers deleted or held since."""

    def __init__(self, load: Callable[[str, bytes], Any], dump: Callable[[Any], bytes],
                 factory: Callable[[], Any] | None = None, base: Blobs | None = None):
        self.load, self.dump, self.factory = load, dump, factory
        self.base = base
        self.buffers: list[Blobs] = []
        self.held: dict[str, Any] = {}
        self.hidden: set[str] = set()
        self._len = len(base) if base is not None else 0
        # The last entry found in the layers: a change looks for a key and then reads it
        # (``url in m`` then ``m[url]``), and from a snapshot each read is a block read.
        self._found: tuple[str, bytes] | None = None
        # The keys used since mark() (read, set or deleted: a value read may be changed
        # in place), while a packing of the map as it was then is made elsewhere.
        self._since: set[str] | None = None
        self._layers = 0  # how many times its layers were swapped (install, adopt)
        self._marked = -1  # _layers at mark()

    @classmethod
    def of(cls, mapping: MutableMapping[str, Any], load: Callable[[str, bytes], Any],
           dump: Callable[[Any], bytes], factory: Callable[[], Any] | None = None,
           ) -> StoredMap:
        """``mapping``'s entries, packed."""
        stored = cls(load, dump, factory)
        stored.held, stored._len = dict(mapping), len(mapping)
        stored.compact()
        return stored

    def _stored(self, key: str) -> bytes | None:
        if key in self.hidden:
            return None
        last = self._found
        if last is not None and last[0] == key:
            return last[1]
        found = None
        for layer in reversed(self.buffers):
            found = layer.find(key)
            if found is not None:
                break
        else:
            found = self.base.find(key) if self.base is not None else None
        if found is not None:
            self._found = (key, found)
        return found

    def __getitem__(self, key: str) -> Any:
        if self._since is not None:
            self._since.add(key)
        found = self.held.get(key, _MISSING)
        if found is not _MISSING:
            return found
        data = self._stored(key)
        if data is None:
            if self.factory is None:
                raise KeyError(key)
            value = self.held[key] = self.factory()
            self._len += 1
            return value
        return self._hold(key, data)

    def _hold(self, key: str, data: bytes) -> Any:
        value = self.load(key, data)
        self.held[key] = value  # changed in place, maybe: held from now on
        self.hidden.add(key)
        return value

    def peek(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (or ``default``), not held: a copy, for reading only."""
        found = self.held.get(key, _MISSING)
        if found is not _MISSING:
            return found
        data = self._stored(key)
        return default if data is None else self.load(key, data)

    def get(self, key: str, default: Any = None) -> Any:
        if self._since is not None:
            self._since.add(key)
        found = self.held.get(key, _MISSING)
        if found is not _MISSING:
            return found
        data = self._stored(key) if isinstance(key, str) else None  # one look, not two
        return default if data is None else self._hold(key, data)

    def __contains__(self, key: object) -> bool:
        return key in self.held or (isinstance(key, str) and self._stored(key) is not None)

    def __setitem__(self, key: str, value: Any) -> None:
        if self._since is not None:
            self._since.add(key)
        if key not in self.held:
            if self._stored(key) is not None:
                self.hidden.add(key)
            else:
                self._len += 1
        self.held[key] = value

    def __delitem__(self, key: str) -> None:
        if self._since is not None:
            self._since.add(key)
        if key in self.held:
            del self.held[key]
        elif self._stored(key) is not None:
            self.hidden.add(key)
        else:
            raise KeyError(key)
        self._len -= 1

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default is _MISSING:
            raise KeyError(key)
        return default

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        for key, _ in self._items():
            yield key
        yield from list(self.held)

    def _items(self) -> Iterator[tuple[str, bytes]]:
        """The (key, pickled value) of the entries in the buffers and the base, not
        hidden (a newer layer's over an older one's)."""
        seen: set[str] = set()
        layers = [*reversed(self.buffers), *([self.base] if self.base is not None else [])]
        for n, layer in enumerate(layers):
            last = n == len(layers) - 1
            for key, data in layer.items():
                if key not in self.hidden and key not in seen:
                    if not last:
                        seen.add(key)
                    yield key, data

    def stored_items(self) -> Iterator[tuple[str, bytes]]:
        """Every entry as (key, pickled value), the held ones pickled now."""
        yield from self._items()
        for key, value in list(self.held.items()):
            yield key, self.dump(value)

    @property
    def held_count(self) -> int:
        """How many entries are held as objects."""
        return len(self.held)

    def compact(self) -> None:
        """Pack the held entries into a new buffer, merged with the newest buffers no
        more than four times its size (so each entry is packed again a few times over
        the map's life, not at every compaction: a log-structured merge); the base, the
        snapshot's, stays as it is."""
        self.install(self.packed())

    def packed(self) -> Packed | None:
        """What :meth:`compact` makes, without changing the map: it may run beside
        readers, but its result is :meth:`install`-ed only if nothing changed the map
        (or a value held) meanwhile — the caller knows (graph/live.py: no change applied
        since). None when nothing is held."""
        return self.unpacked(self.packing())

    def packing(self) -> tuple[int, bytes, tuple[bytes, bytes, bytes], list[str]] | None:
        """:meth:`packed` as a compact delta of the map as it is (what a child hands
        back, graph/packchild.py): how many of the buffers stay as they are, the new
        buffer's blobs and table, and the hidden keys it holds (no longer hidden).
        None when nothing is held."""
        held = dict(self.held)  # one step under the interpreter's lock
        if not held:
            return None
        hidden = set(self.hidden)
        buffers = list(self.buffers)
        fresh: dict[str, bytes] = {key: self.dump(value) for key, value in held.items()}
        merged: list[Blobs] = []
        size = len(fresh)
        while buffers and len(buffers[-1]) <= 4 * size:
            merged.append(buffers.pop())
            size += len(merged[-1])
        older: dict[str, bytes] = {}
        for layer in reversed(merged):  # oldest first: a newer entry replaces it
            older.update((key, data) for key, data in layer.items() if key not in hidden)
        older.update(fresh)
        data, table = pack_blobs(older.items())
        # A key deleted stays hidden (an older layer may hold it); one packed now is in
        # the newest layer, found before any older one.
        return len(buffers), data, table, [key for key in hidden if key in older]

    def unpacked(self, delta: tuple[int, bytes, tuple[bytes, bytes, bytes], list[str]] | None,
                 ) -> Packed | None:
        """The :class:`Packed` a :meth:`packing` of this map (unchanged since) stands for."""
        if delta is None:
            return None
        kept, data, table, shown = delta
        return Packed([*self.buffers[:kept], Blobs(data, table)], self.hidden.difference(shown))

    def mark(self) -> None:
        """Note from now on the keys used (see :meth:`adopt`)."""
        self._since = set()
        self._marked = self._layers

    @property
    def marked(self) -> bool:
        """Whether a packing of the map as it was at :meth:`mark` may still be adopted."""
        return self._since is not None

    def adopt(self, delta: tuple[int, bytes, tuple[bytes, bytes, bytes], list[str]] | None,
              ) -> None:
        """Take a :meth:`packing` of the map as it was at :meth:`mark`, whatever was
        changed since: the entries used since stay held as they now are (and hidden in
        the older layers, whose copy of them is the one packed), the rest go to the new
        buffer. The map holds the same entries after as before."""
        since, self._since = self._since, None
        if delta is None or since is None or self._marked != self._layers:
            return  # (its layers were swapped meanwhile: the packing is of others)
        kept, data, table, shown = delta
        self._layers += 1
        self.buffers = [*self.buffers[:kept], Blobs(data, table)]
        self.hidden = self.hidden.difference(shown).union(since)
        held = self.held
        self.held = {key: held[key] for key in since if key in held}
        self._found = None  # its layers changed

    def install(self, packed: Packed | None) -> None:
        """Take the buffers :meth:`packed` made (of the map as it is now) and let the held
        entries go."""
        if packed is None:
            return
        self._layers += 1
        self.buffers, self.hidden = packed.buffers, packed.hidden
        self.held = {}
        self._found = None  # its layers changed
