"""The build of :mod:`graph.build`, kept per canonical URL, so that a change rebuilds only
the articles it touches and the next graph version shares everything else.

:func:`graph.build.build_graph` decides every node from a few inputs: an article from
the records with its canonical URL (the latest published wins) or, for a stub, from
the ``related`` entries naming it; a ``RELATED`` edge from the records of its source;
a provider's or topic's name from the spellings the articles use (the most frequent,
a tie going to the first seen). :class:`BuildState` keeps those inputs by URL —
the records of each URL, what each URL's records link to, who links to each URL, the
node each URL gave — and each problem with a key that sorts it where a cold build
reports it. :meth:`BuildState.change` takes the files that changed, recomputes only
the URLs whose records they held (and the URLs those records link to, before and
after), and returns the next graph as a :class:`GraphPatch` of the previous one:
copies of the networkx graph's top-level dicts (pointers, not nodes) with new inner
dicts for the touched nodes only, so the previous version never changes and a
reader holding it is never disturbed.

The rules themselves stay in :mod:`graph.build` (this module calls its builder one
article at a time); ``tests/test_live.py`` checks, as a property over random
sequences of file operations, that the result equals a cold :func:`graph.load`.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from sys import intern
from typing import Any, cast

import networkx as nx

from graph.build import (
    ARTICLE,
    EDGE_KINDS,
    PROVIDER,
    PUBLISHED_BY,
    RELATED,
    TAGGED,
    TOPIC,
    Builder,
    Entry,
    article_id,
    provider_id,
    topic_id,
    why_wins,
)
from graph.errors import SnapshotChanged
from graph.loader import share_node_values
from graph.patch import GraphPatch
from graph.records import ParsedFile
from graph.report import LoadReport, Problem
from graph.storedmap import Blobs, Packed, Reader, Shifted, StoredMap, pack_blobs, will_need

__all__ = ["BuildState", "Touched", "FileMoved", "SnapshotMoved", "pack_state",
           "unpack_state"]

# A problem's place in a cold build's report: (phase, file key, record index, ...).
Key = tuple[Any, ...]
_PARSE, _RECORD, _SOURCE, _ARTICLE, _STUB = range(5)
# One read-only data mapping for every edge of a kind that holds nothing else.
_KIND_ONLY = {PUBLISHED_BY: {"kind": PUBLISHED_BY}, TAGGED: {"kind": TAGGED}}
_KEYS = {kind: {kind: data} for kind, data in _KIND_ONLY.items()}  # and one key dict
# What a source or node without problems holds (one list for all: never appended to).
_NO_PROBLEMS: list[Problem] = []


class FileMoved(Exception):
    """A file read again for its records no longer holds what the build state was made
    of (it changed, and its change is not applied yet)."""


class SnapshotMoved(FileMoved):
    """The snapshot file the state's stored entries are read from changed after it was
    verified (or cannot be read): nothing more is read from it."""


class _Held:
    """A record kept by reference, for a build state that reads its files again
    (``BuildState(reader=...)``): what orders it, and where it is — its fields and body
    are read from its file when asked (once per change per file), not kept."""

    __slots__ = ("url", "path", "line", "published_at", "topics", "file", "at", "related",
                 "_state")
    prepared = None  # never replayed: read as a record

    def __init__(self, url: str, path: str, line: int | None, published_at: Any,
                 file: str, at: int, state: BuildState, related: int = -1):
        self.url, self.path, self.line, self.published_at = url, path, line, published_at
        self.file, self.at, self.related, self._state = file, at, related, state
        self.topics: list[str] = []

    @property
    def fields(self) -> dict[str, Any]:
        rec = self._state.record(self.file, self.at)
        fields = rec.fields
        if self.related < 0:
            self._same_place(rec, fields, "record")
            return fields
        # A related entry (a stub's listing): item ``related`` of the record's list.
        try:
            item = fields["related"][self.related]
        except (KeyError, IndexError, TypeError):
            self._state.gave_up(self.file)
            raise FileMoved(self.file) from None
        self._same_place(rec, item, "related")
        return item

    @property
    def body(self) -> str | None:
        if self.related >= 0:
            return None
        rec = self._state.record(self.file, self.at)
        self._same_place(rec, rec.fields, "record")
        return rec.body

    def _same_place(self, rec: Any, fields: Any, what: str) -> None:
        """For a file whose bytes changed since it was applied, read again by a change
        that applies it next (``BuildState.moved``): the record read stands for this
        entry only when it is at the same line and gives the same URL; else
        :class:`FileMoved` (the caller builds from every file)."""
        moved = self._state.moved
        if not moved or self.file not in moved:
            return
        if rec.line == self.line and isinstance(fields, dict) and \
                Builder(LoadReport()).entry_url(fields, self.path, self.line, what) == self.url:
            return
        self._state.gave_up(self.file)
        raise FileMoved(self.file)

    @property
    def source(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    @property
    def order(self) -> tuple[Any, str, int]:
        return (self.published_at or _NO_DATE, self.path, self.line or 0)  # as Entry.order

    def __reduce__(self) -> tuple[Any, ...]:
        # A constructor call reads back faster than a slots class's generic state (the
        # state it names is made before what it holds is read: pickle's memo has it).
        args = (self.url, self.path, self.line, self.published_at, self.file, self.at,
                self._state, self.related)
        return (_held_with, (*args, self.topics)) if self.topics else (_Held, args)

    def untopiced(self) -> _Held:
        return _Held(self.url, self.path, self.line, self.published_at, self.file, self.at,
                     self._state, self.related)


def _held_with(*args: Any) -> _Held:
    """A :class:`_Held` with topics (a winner's), as pickled."""
    held = _Held(*args[:-1])
    held.topics = args[-1]
    return held


def _held_stub(entry: Entry, stub: Entry, places: dict[int, int] | None = None) -> Entry:
    """A related entry of ``entry`` (its fields an item of the record's ``related``
    list), kept by reference when ``entry`` is (its item read again when asked).
    ``places`` maps ``id()`` of each item of that list to its place (:func:`_places`):
    looking each stub's place up from the list's start made a record of n related links
    cost n²/2 steps (100,000 links: minutes to follow, and again at each edit)."""
    if not isinstance(entry, _Held):
        return stub
    if places is None:
        places = _places(entry)
    return cast(Entry, _Held(stub.url, stub.path, stub.line, stub.published_at, entry.file,
                             entry.at, entry._state, related=places[id(stub.fields)]))


def _places(entry: Entry) -> dict[int, int]:
    """``id()`` of each item of ``entry``'s ``related`` list → its place in the list."""
    return {id(item): i for i, item in enumerate(entry.fields.get("related") or ())}


def _peek(mapping: Mapping[str, _Node] | StoredMap, url: str) -> _Node | None:
    """The node entry of ``url``, read without holding it (a stored map's is decoded and
    left stored: it stays as it is)."""
    return mapping.peek(url) if isinstance(mapping, StoredMap) else mapping.get(url)


def _untopiced(entry: Entry) -> Entry:
    """A copy of ``entry`` with no topics (the winner's are set on its copy)."""
    if isinstance(entry, _Held):  # (read by the builder as an Entry: the same fields)
        return cast(Entry, entry.untopiced())
    return replace(entry, topics=[])


_NO_DATE = datetime.min.replace(tzinfo=UTC)  # as graph.build orders an undated entry

# The state's maps kept packed (graph/storedmap.py), and what makes a missing entry.
STORED = ("records", "sources", "nodes", "linked_by", "file_records", "providers",
          "spellings")


class _Out(pickle.Pickler):
    """Pickles a part of a state, naming the state itself (records point to it).

    The state is named by :meth:`reducer_override`, which the pickler does not call for
    the plain values (str, int, tuple, list, dict, ...) an entry is mostly made of; a
    ``persistent_id`` was a Python call for every object pickled, three times the
    pickling's cost (the compaction's packing of the entries a stream of changes read:
    at 100k a third of the server's CPU a batch beside the apply, ing33)."""

    def __init__(self, file: io.BytesIO, state: BuildState):
        super().__init__(file, protocol=5)
        self.state = state

    def reducer_override(self, obj: Any) -> Any:
        return (_the_state, ()) if obj is self.state else NotImplemented


def _the_state() -> BuildState:  # pragma: no cover - never called: _In.find_class
    """Stands for the state in a pickled part; :class:`_In` gives the state back."""
    raise pickle.UnpicklingError("a build state's part is read back by its own state")


class _In(pickle.Unpickler):
    """Reads a part :class:`_Out` wrote, the state named given back."""

    def __init__(self, file: io.BytesIO, state: BuildState):
        super().__init__(file)
        self.state = state

    def find_class(self, module: str, name: str) -> Any:
        if name == "_the_state" and module == __name__:
            return self._state
        return super().find_class(module, name)

    def _state(self) -> BuildState:
        return self.state

    def persistent_load(self, pid: Any) -> Any:  # a part an earlier format wrote
        return self.state


def _dump(value: Any, state: BuildState) -> bytes:
    f = io.BytesIO()
    _Out(f, state).dump(value)
    return f.getvalue()


def pack_state(state: BuildState, extra: Any = None,
               more: Mapping[str, Mapping[str, Any]] | None = None) -> bytes:
    """A state (see :meth:`BuildState.__getstate__`), ``extra`` and the maps ``more``
    as bytes: a head (the small fields, ``extra``, the table of each stored map) and the
    blobs of the stored maps (:mod:`graph.storedmap`; the state's and ``more``), which
    :func:`unpack_state` leaves where they are."""
    fields = state.__getstate__()
    maps = {name: fields.pop(name) for name in STORED}
    maps.update({f"+{name}": mapping for name, mapping in (more or {}).items()})
    tables: dict[str, tuple[int, int, tuple[bytes, bytes, bytes]]] = {}
    blobs: list[bytes] = []
    at = 0
    for name, mapping in maps.items():
        items = (mapping.stored_items() if isinstance(mapping, StoredMap)
                 else ((key, _dump(value, state)) for key, value in mapping.items()))
        data, table = pack_blobs(items)
        tables[name] = (at, len(mapping), table)
        blobs.append(data)
        at += len(data)
    head = pickle.dumps((extra, _dump(fields, state), tables), protocol=5)
    return b"".join([len(head).to_bytes(8, "big"), head, *blobs])


class _Checked:
    """A state's snapshot part: a read that fails (the file changed since it was
    verified, graph/snapshot.py) is a file moved for the change reading it (which may
    take it for a bad record's exception, and raises it once done; see
    :meth:`BuildState.change`)."""

    __slots__ = ("reader", "state")

    def __init__(self, reader: Reader, state: BuildState):
        self.reader, self.state = reader, state

    def read(self, offset: int, size: int) -> bytes:
        try:
            return self.reader.read(offset, size)
        except (OSError, ValueError, SnapshotChanged) as e:
            self.state._moved = f"the snapshot ({e})"
            raise SnapshotMoved(self.state._moved) from e


def unpack_state(reader: Reader, pause: Callable[[], None],
                 ) -> tuple[Any, BuildState, dict[str, StoredMap]]:
    """``(extra, state, more)`` as :func:`pack_state` wrote them, read from ``reader``;
    the stored maps' entries are read from it when used."""
    size = int.from_bytes(reader.read(0, 8), "big")
    extra, fields, tables = pickle.loads(reader.read(8, size))
    pause()
    state = BuildState.__new__(BuildState)
    reader = _Checked(reader, state)
    fields = _In(io.BytesIO(fields), state).load()
    more: dict[str, StoredMap] = {}
    for name, (at, length, table) in tables.items():
        base = Blobs(Shifted(reader, 8 + size + at), table)
        if name.startswith("+"):
            stored = StoredMap(state._load, state._dump, None, base)
            more[name[1:]] = stored
        else:
            stored = fields[name] = state._stored_map(name, base)
        stored._len = length
    state.__setstate__(fields)
    return extra, state, more


def file_key(name: str) -> str:
    """The sort key of a listed file: by path parts, as the loader orders them."""
    return name.replace(os.sep, "\0")


@dataclass(slots=True)
class _Source:
    """What the records of one URL give besides its node: phase B of a cold build."""

    key: Key
    entries: list[Entry]  # sorted, the winner last
    topics: list[str]
    links: list[tuple[str, Entry, Key]]  # (target URL, stub entry, insertion order)
    evidence: dict[str, list[str]]  # target URL -> the sources that list it
    spellings: dict[str, tuple[str, Key]]  # topic slug -> (spelling counted, order)
    errors: list[Problem]
    warnings: list[Problem]
    # links by target, for a source with many (a record listing thousands of related
    # stories): each stub it lists finds its entries at once, not by a scan of them all
    links_to: dict[str, list[tuple[Entry, Key]]] | None = None
    # and a digest of all a stub takes from them (target, order, listing, fields): an edit
    # that keeps them (a title) makes none of the stubs again (see BuildState._change)
    links_digest: bytes | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # A constructor call reads back faster than a slots class's generic state.
        return (_Source, (self.key, self.entries, self.topics, self.links, self.evidence,
                          self.spellings, self.errors, self.warnings, self.links_to,
                          self.links_digest))

    def same_links(self, other: _Source | None) -> bool:
        """True when ``other`` gives every stub it lists and every RELATED edge from it
        as this one does (known only for a source with many links: False otherwise)."""
        return other is not None and self.links_digest is not None \
            and self.links_digest == other.links_digest \
            and list(self.evidence.items()) == list(other.evidence.items())


# Past this many links a source indexes them by target (a scan of a few is cheaper).
_INDEXED_LINKS = 16


def _digest(signed: list[tuple[Any, ...]]) -> bytes | None:
    """A digest of what a source's stubs take from its links; None when a value cannot
    be pickled (the stubs are then made again at each change, as before)."""
    try:
        data = pickle.dumps(signed, protocol=5)
    except (pickle.PicklingError, TypeError, ValueError, AttributeError, RecursionError):
        return None
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(slots=True)
class _Node:
    """The article node a URL gave (None when adding it failed) and its problems."""

    key: Key
    attrs: dict[str, Any] | None
    provider: str | None = None
    provider_name: str | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def __getstate__(self) -> tuple[Any, ...]:
        # Not its attributes: the graph holds them (BuildState.__getstate__).
        return (self.key, self.attrs is not None, self.provider, self.provider_name,
                self.errors, self.warnings)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.key, has, self.provider, self.provider_name, self.errors, self.warnings = state
        self.attrs = UNRESOLVED if has else None


# A pickled state's node attributes, until BuildState.resolve() reads them from the graph.
UNRESOLVED: dict[str, Any] = {}


@dataclass(slots=True)
class Touched:
    """The nodes one change rewrote, added and removed (node ids), and those whose only
    change is a ``RELATED`` edge from a rewritten, added or removed article
    (``relinked``: their own fields and other edges are as they were)."""

    rewritten: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    relinked: set[str] = field(default_factory=set)


class _Names:
    """The spellings the articles give one provider or topic, kept so that its name
    is found without counting them all again: per spelling, the URLs that use it and
    the first of their keys (recomputed only when that first one goes).

    The name is :func:`graph.build.most_common` of the spellings counted in key
    order: the most frequent, a tie going to the spelling whose first use comes first.
    """

    __slots__ = ("by_url", "groups", "_first")

    def __init__(self) -> None:
        self.by_url: dict[str, tuple[str | None, Key]] = {}
        self.groups: dict[str | None, dict[str, Key]] = {}  # spelling -> {URL: key}
        self._first: dict[str | None, Key | None] = {}  # spelling -> its least key

    def __bool__(self) -> bool:
        return bool(self.by_url)

    def set(self, url: str, spelling: str | None, key: Key) -> None:
        self.pop(url)
        self.by_url[url] = (spelling, key)
        group = self.groups.setdefault(spelling, {})
        group[url] = key
        first = self._first.get(spelling)
        if len(group) == 1:
            self._first[spelling] = key
        elif first is not None and key < first:
            self._first[spelling] = key

    def pop(self, url: str) -> None:
        found = self.by_url.pop(url, None)
        if found is None:
            return
        spelling, key = found
        group = self.groups[spelling]
        del group[url]
        if not group:
            del self.groups[spelling], self._first[spelling]
        elif self._first[spelling] == key:
            self._first[spelling] = None  # found again when asked

    def name(self) -> str | None:
        """The most frequent spelling, a tie going to the one used first; None if none."""
        best: str | None = None
        best_count, best_first = 0, None
        for spelling, group in self.groups.items():
            if spelling is None:
                continue
            first = self._first[spelling]
            if first is None:
                first = self._first[spelling] = min(group.values())
            count = len(group)
            if count > best_count or (count == best_count and best_first is not None
                                      and first < best_first):
                best, best_count, best_first = spelling, count, first
        return best


class _Tally:
    """Stands in for :class:`GraphPatch` in a build that makes no graph: keeps the nodes
    (their attributes) and who points to each, and counts the edges of each kind."""

    def __init__(self) -> None:
        self.node: dict[str, Any] = {}
        self.pred: defaultdict[str, set[str]] = defaultdict(set)
        self.edge_delta: Counter[str] = Counter()

    def set_node(self, u: str, attrs: dict[str, Any]) -> None:
        self.node[u] = attrs

    def detach(self, u: str) -> None:
        raise AssertionError("a build without a graph starts from nothing")

    def remove_node(self, u: str) -> None:
        del self.node[u]
        self.pred.pop(u, None)

    def add_edge(self, u: str, v: str, kind: str, attrs: dict[str, Any],
                 shared: dict[str, dict[str, Any]] | None = None) -> None:
        if v not in self.node:
            self.set_node(v, {})
        # From nothing, each (u, v, kind) is added once: RELATED edges come from a
        # source's evidence (one per target), the others from an article's provider
        # and its distinct topics.
        self.edge_delta[kind] += 1
        self.pred[v].add(u)


def _same_edges(was: dict[str, Any], now: dict[str, Any] | None) -> bool:
    """True when an article node made again keeps its ``PUBLISHED_BY`` and ``TAGGED``
    edges: the same provider and topics, in the same order."""
    return now is not None and now["provider"] == was["provider"] \
        and now["topics"] == was["topics"]


class _Recorder:
    """Stands in for the graph while one article is added: keeps what was added."""

    def __init__(self) -> None:
        self.attrs: dict[str, Any] | None = None
        self.edges: list[tuple[str, str]] = []  # (target node, kind)

    def add_node(self, node: str, **attrs: Any) -> None:
        self.attrs = attrs

    def add_edge(self, u: str, v: str, key: str, **attrs: Any) -> None:
        self.edges.append((v, key))

    def __contains__(self, node: object) -> bool:
        return self.attrs is not None

    def remove_node(self, node: str) -> None:
        self.attrs = None
        self.edges = []


# What a stored map makes for a key read and missing (as the defaultdicts did).
_FACTORIES: dict[str, Callable[[], Any]] = {"records": dict, "linked_by": set,
                                            "providers": _Names, "spellings": _Names}


class BuildState:
    """The inputs of the build of one corpus, by canonical URL; see the module docstring.

    With ``reader`` (a file's path -> its parse now, raising :class:`FileMoved` when its
    bytes are not those last handed in), the records of files not in a change are kept
    by reference (:class:`_Held`) and read again when a change needs them, instead of
    keeping every record's fields and body."""

    def __init__(self, reader: Callable[[str], ParsedFile] | None = None) -> None:
        self.reader = reader
        self._reading: dict[str, ParsedFile] = {}  # a change's files, read once
        self._moved: str | None = None  # a file read again that changed meanwhile
        # While a change that can apply them runs (else None): files read again whose
        # bytes changed since they were applied, put here by the reader (what it made
        # of each) and handed back as read; their records are used where they stand
        # for the entry held (:meth:`_Held._same_place`), and the caller applies the
        # files in the same version (graph/live.py).
        self.moved: dict[str, Any] | None = None
        self.g = nx.MultiDiGraph()
        self.records: dict[str, dict[Key, Entry]] = defaultdict(dict)  # URL -> its records
        self.file_records: dict[str, list[tuple[str | None, Key]]] = {}  # file -> (URL, key)
        self.sources: dict[str, _Source] = {}
        self.linked_by: dict[str, set[str]] = defaultdict(set)  # target URL -> source URLs
        self.nodes: dict[str, _Node] = {}  # URL -> the node it gave
        self.providers: dict[str, _Names] = defaultdict(_Names)  # domain -> its spellings
        self.spellings: dict[str, _Names] = defaultdict(_Names)  # topic slug -> its spellings
        self.errors: dict[Key, list[Problem]] = {}
        self.warnings: dict[Key, list[Problem]] = {}
        self.skipped: dict[str, Problem] = {}
        self.files = 0
        self.record_count = 0
        self.edges: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.stubs = 0

    # -- problems ------------------------------------------------------------------

    def _file_problems(self, parsed: ParsedFile, sign: int) -> None:
        key = (_PARSE, file_key(parsed.path))
        if sign < 0:
            self.errors.pop(key, None)
            self.warnings.pop(key, None)
            self.skipped.pop(parsed.path, None)
            self.files -= 0 if parsed.skipped else 1
            return
        if parsed.errors:
            self.errors[key] = list(parsed.errors)
        if parsed.warnings:
            self.warnings[key] = list(parsed.warnings)
        if parsed.skipped:
            self.skipped[parsed.path] = parsed.skipped
        else:
            self.files += 1

    def _set_problems(self, key: Key, errors: list[Problem], warnings: list[Problem]) -> None:
        if errors:
            self.errors[key] = errors
        if warnings:
            self.warnings[key] = warnings

    def _drop_problems(self, key: Key) -> None:
        self.errors.pop(key, None)
        self.warnings.pop(key, None)

    def report(self, listing_errors: Iterable[Problem], listing_skipped: Iterable[Problem],
               ) -> LoadReport:
        """Return the load report of the corpus as it now is, ordered as a cold load's."""
        r = LoadReport(files=self.files, records=self.record_count,
                       articles=self.kinds[ARTICLE], stubs=self.stubs,
                       providers=self.kinds[PROVIDER], topics=self.kinds[TOPIC],
                       edges={kind: self.edges.get(kind, 0) for kind in EDGE_KINDS})
        r.errors.extend(listing_errors)
        for key in sorted(self.errors):
            r.errors.extend(self.errors[key])
        for key in sorted(self.warnings):
            r.warnings.extend(self.warnings[key])
        r.skipped.extend(listing_skipped)
        r.skipped.extend(self.skipped.values())
        r.skipped.sort(key=lambda p: file_key(p.path))
        return r

    # -- a change --------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """What a snapshot keeps of a state (graph/followcache.py): its inputs, not its
        graph, its reader or its nodes' attributes (see :meth:`resolve`)."""
        state = dict(self.__dict__)
        for name in ("g", "reader", "_reading", "_moved", "moved"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.g, self.reader, self._reading, self._moved = nx.MultiDiGraph(), None, {}, None
        self.moved = None

    def read_ahead(self) -> None:
        """Have the stored maps' entries read ahead from the snapshot they are left in
        (:func:`graph.storedmap.will_need`), for a change of many files."""
        for name in STORED:
            stored = getattr(self, name, None)
            if isinstance(stored, StoredMap) and stored.base is not None:
                will_need(stored.base.reader)

    def _stored_map(self, name: str, base: Blobs | None = None) -> StoredMap:
        """The stored map for field ``name`` (one of :data:`STORED`) over ``base``."""
        load: Callable[[str, bytes], Any] = self._load_node if name == "nodes" else self._load
        return StoredMap(load, self._dump, _FACTORIES.get(name), base)

    def _load(self, key: str, data: bytes) -> Any:
        return _In(io.BytesIO(data), self).load()

    def _load_node(self, url: str, data: bytes) -> _Node:
        node: _Node = _In(io.BytesIO(data), self).load()
        if node.attrs is UNRESOLVED:  # the graph holds them
            node.attrs = self.g._node[article_id(url)]
        return node

    def _dump(self, value: Any) -> bytes:
        return _dump(value, self)

    def compact(self) -> None:
        """Pack the entries the stored maps (:data:`STORED`, as read back from a
        snapshot) hold as objects since (graph/storedmap.py); the state is the same. A
        map not stored (a state built from the files, without a snapshot) stays a dict:
        packing it whole took seconds at 20k under the apply lock, which the first
        changes after a start waited for."""
        for mapping, packed in self.packed():
            mapping.install(packed)

    def packed(self) -> list[tuple[StoredMap, Packed | None]]:
        """What :meth:`compact` installs, made without changing the state (see
        :meth:`StoredMap.packed`: valid only if no change was made meanwhile)."""
        return [(mapping, mapping.packed()) for mapping in self.stored_maps()]

    def stored_maps(self) -> list[StoredMap]:
        """The stored maps among :data:`STORED` (as read back from a snapshot)."""
        return [mapping for mapping in (getattr(self, name) for name in STORED)
                if isinstance(mapping, StoredMap)]

    @property
    def held_count(self) -> int:
        """How many entries of the stored maps are held as objects (see :meth:`compact`)."""
        return sum(m.held_count for m in (getattr(self, name) for name in STORED)
                   if isinstance(m, StoredMap))

    def resolve(self, g: nx.MultiDiGraph) -> None:
        """Make ``g`` (the graph these inputs make, read from a snapshot) the one the
        next change patches; each node's attributes are read from it (a stored node's
        when it is used)."""
        self.g = g
        nodes = g._node
        held = self.nodes.held if isinstance(self.nodes, StoredMap) else self.nodes
        for url, node in held.items():
            if node.attrs is not None:
                node.attrs = nodes[article_id(url)]

    def record(self, file: str, at: int) -> Any:
        """Record ``at`` of ``file``, read again (see :class:`_Held`)."""
        parsed = self._reading.get(file)
        try:
            if parsed is None:
                assert self.reader is not None
                parsed = self._reading[file] = self.reader(file)
            if at >= len(parsed.records):
                raise FileMoved(file)
        except FileMoved:
            # The builder takes any exception for a bad record and goes on: the change
            # raises it once done (see change()).
            self.gave_up(file)
            raise
        return parsed.records[at]

    def gave_up(self, file: str) -> None:
        """Note that a record of ``file`` could not be read as held. The change raises
        :class:`FileMoved` once done — unless the file is one the caller applies next, in
        the same version (``moved``: changed or gone since it was applied): that takes
        out every record the state holds of it and builds each of their URLs, and what
        they link to, again, so what was built here without the record is made anew."""
        if self.moved is None or file not in self.moved:
            self._moved = file

    def change(self, before: Iterable[ParsedFile], after: Iterable[ParsedFile], *,
               graph: bool = True) -> tuple[nx.MultiDiGraph, Touched]:
        """Take files' old parses out and their new parses in (a new file has no old
        parse, a deleted one no new); return the next graph and the nodes touched.

        Without ``graph``, for a state made of a graph that exists already (the one a
        snapshot holds, graph/live.py), no graph is built: ``self.g`` stays as it is,
        for the caller to set."""
        after = list(after)
        if self.reader is not None:
            self._reading = {parsed.path: parsed for parsed in after}
        self._moved = None
        try:
            done = self._change(before, after, GraphPatch(self.g) if graph else _Tally())
        finally:
            self._reading = {}
        if self._moved is not None:
            # What was built from it is wrong, and the state half-changed: the caller
            # builds again from every file as it now is.
            moved = self._moved
            raise (SnapshotMoved if moved.startswith("the snapshot (") else FileMoved)(moved)
        return done

    def _change(self, before: Iterable[ParsedFile], after: list[ParsedFile],
                patch: Any) -> tuple[nx.MultiDiGraph, Touched]:
        b = Builder(LoadReport())
        changed: set[str] = set()
        for parsed in before:
            self._file_problems(parsed, -1)
            for url, key in self.file_records.pop(parsed.path, ()):
                self._drop_problems((_RECORD, *key))
                if url is not None:
                    del self.records[url][key]
                    self.record_count -= 1
                    changed.add(url)
        for parsed in after:
            self._file_problems(parsed, +1)
            self.file_records[parsed.path] = kept = []
            fkey = file_key(parsed.path)
            for i, rec in enumerate(parsed.records):
                key = (fkey, i)
                b.report = LoadReport()
                url = None
                try:
                    url = b.entry_url(rec.fields, rec.path, rec.line, "record")
                    if url is not None:
                        published = b.entry_date(rec.fields, rec.path, rec.line, "record")
                        b.entry_fields(rec.fields, rec.path, rec.line)
                        self.records[url][key] = (
                            Entry(url, rec.fields, rec.path, rec.line, published, rec.body)
                            if self.reader is None else
                            cast(Entry, _Held(url, parsed.path if rec.path == parsed.path
                                              else rec.path, rec.line, published,
                                              parsed.path, i, self)))
                        self.record_count += 1
                        changed.add(url)
                except Exception as e:  # noqa: BLE001 - as graph.build: one record never stops a load
                    b.fail(rec, e)
                    url = None
                kept.append((url, key))
                self._set_problems((_RECORD, *key), b.report.errors, b.report.warnings)

        # Phase B: what each changed URL's records link to; those targets are touched too,
        # unless its links give them all they gave (an edit of a long list's record that
        # kept the list: 100,000 stubs and their edges were made again for a title).
        nodes_to_do = set(changed)
        spelled: set[str] = set()  # topics whose spellings changed
        olds: dict[str, _Source] = {}
        for url in changed:
            old = self.sources.pop(url, None)
            if old is not None:
                olds[url] = old
                self._drop_problems(old.key)
                for target, _, _ in old.links:
                    self.linked_by[target].discard(url)
            for slug in (old.spellings if old is not None else ()):
                self.spellings[slug].pop(url)
                spelled.add(slug)
        # Only then the new: a URL's problems may take the place another URL's had.
        kept_links: set[str] = set()  # changed URLs whose links are as they were
        for url in changed:
            old = olds.get(url)
            if not self.records.get(url):
                self.records.pop(url, None)
                if old is not None:
                    nodes_to_do.update(target for target, _, _ in old.links)
                continue
            new = self.sources[url] = self._source(b, url)
            self._set_problems(new.key, new.errors, new.warnings)
            if new.same_links(old):
                kept_links.add(url)
            elif old is not None:
                nodes_to_do.update(target for target, _, _ in old.links)
            for target, _, _ in new.links:
                if url not in kept_links:
                    nodes_to_do.add(target)
                self.linked_by[target].add(url)
            for slug, spelling in new.spellings.items():
                self.spellings[slug].set(url, *spelling)
                spelled.add(slug)

        touched = Touched()
        providers: set[str] = set()
        topics: set[str] = set()
        old_nodes: dict[str, _Node | None] = {}
        # A URL only linked to (its own records unchanged) whose node keeps its provider
        # and topics keeps its edges: detaching it would copy its provider's and topics'
        # adjacency (thousands of articles) to add the same edges back.
        linked_only: dict[str, _Node] = {}
        for url in sorted(nodes_to_do):
            node = article_id(url)
            if url not in changed and url in self.sources:
                same = _peek(self.nodes, url)
                if same is not None and same.attrs is not None and not same.attrs["is_stub"]:
                    # An article whose own records did not change: its node is made of
                    # them alone (who links to it names only a stub's sources), so it is
                    # the node it was, with the same provider, topics and problems —
                    # kept where it is, and its provider's and topics' spellings are
                    # not read (taking it out of them and putting it back read hubs of
                    # thousands of articles, a third of an ingest batch's records
                    # relating an existing story, and held them for the next compaction
                    # to pack again; ing34). Only its RELATED edges change.
                    linked_only[url] = same
                    touched.relinked.add(node)
                    if not self.linked_by.get(url):
                        self.linked_by.pop(url, None)
                    continue
            old_node = old_nodes[url] = self.nodes.pop(url, None)
            if old_node is not None:
                self._drop_problems(old_node.key)
                if old_node.provider is not None:
                    providers.add(old_node.provider)
                    self.providers[old_node.provider].pop(url)
                if old_node.attrs is not None:
                    topics.update(old_node.attrs["topics"])
                    self.stubs -= bool(old_node.attrs["is_stub"])
                    self.kinds[ARTICLE] -= 1
                    if url in changed:
                        # its node made again; its edges kept if its links, provider
                        # and topics are as they were
                        made = self._node(b, url) if url in kept_links else None
                    else:
                        made = self._node(b, url)
                    if made is not None and _same_edges(old_node.attrs, made.attrs):
                        linked_only[url] = made
                    else:
                        patch.detach(node)  # removed below if it gives no node now
            if not self.linked_by.get(url):
                self.linked_by.pop(url, None)
        for url, old_node in old_nodes.items():
            node = article_id(url)
            made = linked_only[url] if url in linked_only else self._node(b, url)
            if made is not None:
                self.nodes[url] = made
                self._set_problems(made.key, made.errors, made.warnings)
                if made.provider is not None:
                    providers.add(made.provider)
                    self.providers[made.provider].set(url, made.provider_name, made.key)
            if made is None or made.attrs is None:
                if old_node is not None and old_node.attrs is not None:
                    touched.removed.add(node)
                    patch.remove_node(node)
                continue
            self.kinds[ARTICLE] += 1
            self.stubs += bool(made.attrs["is_stub"])
            if url in linked_only:  # its edges stay; its fields change only for a stub's sources
                assert old_node is not None and old_node.attrs is not None
                if made.attrs == old_node.attrs:
                    made.attrs = old_node.attrs
                    touched.relinked.add(node)
                else:
                    share_node_values(made.attrs)
                    patch.set_node(node, made.attrs)
                    touched.rewritten.add(node)
                continue
            (touched.rewritten if old_node is not None and old_node.attrs is not None
             else touched.added).add(node)
            share_node_values(made.attrs)  # as graph.load shares them
            patch.set_node(node, made.attrs)
            patch.add_edge(node, provider_id(made.attrs["provider"]), PUBLISHED_BY,
                           _KIND_ONLY[PUBLISHED_BY], _KEYS[PUBLISHED_BY])
            for slug in made.attrs["topics"]:
                topics.add(slug)
                patch.add_edge(node, topic_id(slug), TAGGED, _KIND_ONLY[TAGGED], _KEYS[TAGGED])
        # RELATED edges, once every node is in place: first each touched node's own, in
        # the order of its records' links (as a cold load adds them), then those other
        # nodes' records give it (appended to theirs; an edge already there keeps its place).
        # Those added to a node whose other edges stayed are put back in their place in
        # the order its record gives (as a cold load lists them), once all are added.
        ordered = sorted(nodes_to_do)
        reordered: set[str] = set()
        for url in ordered:
            node = article_id(url)
            source = self.sources.get(url)
            if node not in patch.node or source is None:
                continue
            edges_kept = url in linked_only  # its edges stayed: only those to nodes made again
            for target, evidence in source.evidence.items():
                if edges_kept and target not in nodes_to_do:
                    continue
                if article_id(target) in patch.node:
                    patch.add_edge(node, article_id(target), RELATED,
                                   {"kind": RELATED, "evidence": evidence})
                    if edges_kept:
                        reordered.add(url)
        for url in ordered:
            node = article_id(url)
            if node not in patch.node:
                continue
            for other in sorted(self.linked_by.get(url, ())):
                if other not in nodes_to_do and article_id(other) in patch.node:
                    patch.add_edge(article_id(other), node, RELATED,
                                   {"kind": RELATED,
                                    "evidence": self.sources[other].evidence[url]})
                    reordered.add(other)
        if isinstance(patch, GraphPatch):
            for url in reordered:
                patch.order_out(article_id(url), self._out_order(patch, url))
        topics |= spelled
        for domain in providers:
            self._name(patch, provider_id(domain), PROVIDER, domain,
                       self.providers.get(domain), touched)
        for slug in topics:
            self._name(patch, topic_id(slug), TOPIC, slug, self.spellings.get(slug), touched)
        self.edges.update(patch.edge_delta)
        if isinstance(patch, GraphPatch):
            self.g = patch.graph()
        return self.g, touched

    def _out_order(self, patch: GraphPatch, url: str) -> dict[str, int]:
        """The article ``url``'s successors in the order a cold build adds them: its
        provider, its topics, then the articles its records relate, in their order."""
        attrs = patch.node[article_id(url)]
        rank = {provider_id(attrs["provider"]): 0}
        for slug in attrs["topics"]:
            rank.setdefault(topic_id(slug), len(rank))
        for target in self.sources[url].evidence:
            rank.setdefault(article_id(target), len(rank))
        return rank

    def _name(self, patch: GraphPatch, node: str, kind: str, key: str,
              spellings: _Names | None, touched: Touched) -> None:
        """Name a provider or topic node, as graph.build names it; drop it when no
        article points to it any more."""
        if not spellings:
            (self.providers if kind == PROVIDER else self.spellings).pop(key, None)
        if node not in patch.node:
            return
        if not patch.pred[node]:
            patch.remove_node(node)
            self.kinds[kind] -= 1
            touched.removed.add(node)
            return
        name = spellings.name() if spellings else None  # graph.build.most_common's pick
        attrs: dict[str, Any]
        if kind == PROVIDER:
            attrs = {"kind": PROVIDER, "domain": key, "name": name or key}
        else:
            attrs = {"kind": TOPIC, "slug": key, "name": name}
        old = patch.node[node]
        if not old:
            self.kinds[kind] += 1
            touched.added.add(node)
        if old != attrs:
            patch.node[node] = attrs
            if old:
                touched.rewritten.add(node)

    # -- one URL ---------------------------------------------------------------------

    def _source(self, b: Builder, url: str) -> _Source:
        """Phase B of graph.build for one URL: the duplicate winner, topics, links."""
        by_key = self.records[url]
        first = min(by_key)
        entries = sorted((_untopiced(by_key[k]) for k in sorted(by_key)),
                         key=lambda e: e.order)
        b.report = LoadReport()
        b.topic_names = defaultdict(Counter)
        winner = entries[-1]
        for loser in entries[:-1]:
            b.warn(loser.path, loser.line,
                   f"duplicate of {winner.source} (same article {url}); "
                   f"{winner.source} wins: {why_wins(winner, loser)}")
        links: list[tuple[str, Entry, Key]] = []
        signed: list[tuple[Any, ...]] = []  # what each stub takes from a link
        evidence: dict[str, list[str]] = {}
        try:
            winner.topics = b.entry_topics(winner.fields.get("topics"), winner.path,
                                           winner.line)
            for rank, entry in enumerate(entries):
                where = entry.source  # one string for all its links
                places = _places(entry) if isinstance(entry, _Held) else None
                for j, (target, stub) in enumerate(b.related_entries(entry)):
                    target = intern(target)  # shared with its other sources' links
                    found = evidence.setdefault(target, [])
                    if where not in found:
                        found.append(where)
                    order = (*first, rank, j)
                    links.append((target, _held_stub(entry, stub, places), order))
                    signed.append((target, order, stub.order, stub.source, stub.fields))
        except Exception as e:  # noqa: BLE001 - as graph.build
            winner.topics = []
            b.fail(winner, e)
        spellings = {}
        for i, (slug, names) in enumerate(b.topic_names.items()):
            spellings[intern(slug)] = (intern(next(iter(names))), (*first, i))
        links_to: dict[str, list[tuple[Entry, Key]]] | None = None
        digest = None
        if len(links) > _INDEXED_LINKS:
            links_to = {}
            for target, stub, order in links:
                links_to.setdefault(target, []).append((stub, order))
            digest = _digest(signed)
        return _Source((_SOURCE, *first), entries, winner.topics, links, evidence, spellings,
                       b.report.errors or _NO_PROBLEMS, b.report.warnings or _NO_PROBLEMS,
                       links_to, digest)

    def _node(self, b: Builder, url: str) -> _Node | None:
        """Phases C and D of graph.build for one URL: its article, or its stub."""
        source = self.sources.get(url)
        if source is not None:
            entry, is_stub = source.entries[-1], False
            key: Key = (_ARTICLE, *source.key[1:])
            sources = [e.source for e in source.entries]
        else:
            listed = []
            for other in self.linked_by.get(url, ()):
                source = self.sources[other]
                if source.links_to is not None:
                    listed += [(stub.order, order, stub)
                               for stub, order in source.links_to.get(url, ())]
                    continue
                for target, stub, order in source.links:
                    if target == url:
                        listed.append((stub.order, order, stub))
            if not listed:
                return None
            listed.sort(key=lambda item: (item[0], item[1]))
            entry, is_stub = listed[-1][2], True
            key = (_STUB, *min(item[1] for item in listed))
            sources = [item[2].source for item in listed]
        b.report = LoadReport()
        b.provider_names = defaultdict(Counter)
        recorder = _Recorder()
        b.g = recorder  # type: ignore[assignment,unused-ignore]
        b.add_safely(entry, is_stub=is_stub, sources=sources)
        provider = name = None
        for counted, names in b.provider_names.items():
            provider, name = counted, next(iter(names))
        if recorder.attrs is not None:
            provider = recorder.attrs["provider"]
        return _Node(key, recorder.attrs, provider, name, b.report.errors or _NO_PROBLEMS,
                     b.report.warnings or _NO_PROBLEMS)
