"""The next version's read index, made from the previous one and the nodes a change
touched, in time proportional to the change plus a few passes of numpy over arrays.

A :class:`~graph.index.ReadIndex` is positional: the CSR rows, kinds and ranks are
arrays over node positions. A load numbers the nodes in id order. A change adds,
removes and rewrites a few nodes, so the next index (:class:`Moved` says where
positions go):

* keeps every position when nodes are only added: they come after the others, and the
  id order is kept beside (``id_order``, ``id_rank``: one insert and one scatter over
  an array of the nodes), for the readers that list nodes by id; a change that removes
  nodes numbers them all in id order again (``remap``, one numpy pass, and a gather of
  every row);
* keeps every CSR entry not incident to a touched article where it is — each row read
  through its start and length, the rows the change wrote anew appended after them in
  a buffer the versions share (:func:`_appended`; gathered into a new buffer once in
  many versions), or gathered and renumbered when positions moved — and writes in the
  touched articles' rows read from the new graph. Every row lists its neighbours in id
  order, the order a walk reads them in, whatever their positions;
* carries the walks' combined rows (several edge kinds side by side) the same way, and
  makes the rows a walk keeps for each carried phrase from them (``_carry_walk_rows``),
  so that no query on the new version makes them from every edge;
* keeps the rank's order less the touched nodes (renumbered when positions moved: ties
  stay in id order) and merges the touched nodes back in by binary search, ties by id,
  no sort of every node;
* keeps the text index's base blob as it is — the rows of touched articles are
  marked dead (-1) — and holds the touched articles' text in delta segments
  (``extra_text``, one per version, joined past :data:`SEGMENTS`), searched after the
  base. When the delta outgrows :data:`COMPACT_AT` articles (or an eighth of the base),
  it is compacted: the base is rebuilt by concatenating the live chunks of all blobs,
  without tokenizing again. A base held once (its search index in, the blob let go:
  :meth:`~graph.index.ReadIndex.hold_text_once`) is carried as its rows and the search
  index's words read in the new positions (:class:`CarriedWords`); compacting it makes
  the blob again from the articles' strings, until the version's own search index is in.

Python-level work is proportional to the change; what is proportional to the corpus
is done by numpy at memory speed (measured in docs/live.md).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import immutables
import networkx as nx
import numpy as np

from graph.build import ARTICLE, TOPIC
from graph.index import (
    CSR,
    FIELD_SEP,
    KIND_CODES,
    WALK_ORDER,
    Answers,
    Fields,
    Postings,
    ReadIndex,
    RowStore,
    alias_keys,
    gather,
    newest_first,
    rows_into,
)

if TYPE_CHECKING:
    pass

__all__ = ["next_index", "Moved", "Positions", "Appended", "Layered", "CarriedWords",
           "COMPACT_AT", "FOLD_AT", "SEGMENTS", "CARRIED_PHRASES", "SPARE"]

T = TypeVar("T")

COMPACT_AT = 2000  # articles in the text delta before it is folded into the base
SEGMENTS = 8  # text delta segments (one per version) before they are joined into one
FOLD_AT = 1024  # changed URL aliases kept beside the base before they are folded in
CARRIED_PHRASES = 8  # phrase answers of each cache handed on to the next version
SPARE = 4096  # entries of room past a quarter more in a spread CSR's new buffer


def next_index(old: ReadIndex, old_g: nx.MultiDiGraph, g: nx.MultiDiGraph,
               touched: Iterable[str]) -> ReadIndex:
    """Return the read index of ``g``, the graph ``old_g`` (indexed by ``old``) became
    by rewriting, adding and removing the ``touched`` nodes."""
    touched = set(touched)
    removed = sorted(x for x in touched if x in old.pos and x not in g)
    added = sorted(x for x in touched if x not in old.pos and x in g)
    nodes = g._node
    # Articles whose text changes: the touched ones, and those tagged with a topic
    # whose name changed (topic names are part of an article's text).
    retext = {x for x in touched if x in g and nodes[x]["kind"] == ARTICLE}
    for x in touched:
        if x in g and x in old.pos and nodes[x]["kind"] == TOPIC \
                and nodes[x].get("name") != old_g._node[x].get("name"):
            retext.update(g._pred[x])
    rewired = {x for x in touched if (x in g and nodes[x]["kind"] == ARTICLE)
               or (x in old.pos and old.kind_code[old.pos[x]] == KIND_CODES[ARTICLE])}

    new = ReadIndex.__new__(ReadIndex)
    new.g = g
    # Positions never shift while nodes are only added: they come after the others and
    # the id order is kept beside (``id_order``, ``id_rank``); a change that removes
    # nodes numbers them all in id order again (Moved). The kinds and dates are arrays;
    # their lists (``kind``, ``newest_first``) are made from them only if a reader asks.
    move = Moved.appending(old, added) if not removed else Moved.renumbering(old, removed, added)
    new.ids, new.pos, new.id_order, new.id_rank = move.ids, move.pos, move.id_order, move.id_rank
    pos = new.pos
    new.newest_key = newest_key = move.carry(old.newest_key, [float("inf")] * len(added))
    for x in touched:
        if x in g and nodes[x]["kind"] == ARTICLE:
            newest_key[pos[x]] = newest_first(nodes[x])
    new.kind_code = move.carry(old.kind_code,
                               [KIND_CODES.get(nodes[x]["kind"], 3) for x in added])

    affected: dict[str, set[str]] = {}
    new.csr = {}
    for k in WALK_ORDER:
        new.csr[k], affected[k] = _next_csr(old, old_g, g, new, k, rewired, move)

    changed: dict[str, tuple[str, ...]] = {}
    for x in rewired:
        if x in old.pos:
            for key in alias_keys(old_g._node[x]):
                claims = changed[key] if key in changed else old.aliases.get(key, ())
                changed[key] = tuple(c for c in claims if c != x)
        if x in g:
            for key in alias_keys(nodes[x]):
                claims = changed[key] if key in changed else old.aliases.get(key, ())
                changed[key] = tuple(sorted({*claims, x}))
    new.aliases = Layered.over(old.aliases, changed)

    dead_old = [old.pos[x] for x in retext | rewired if x in old.pos]
    # None while positions stay (the remap is the identity: no gather through it).
    remap = move.remap if move.shifted else None
    # Read once (the background job may let the blob go meanwhile: hold_text_once sets
    # the words first, so an index seen without its text has them).
    text = old.text
    fresh = _next_text(new, old, text, remap, move.n_old, [pos[x] for x in sorted(retext)],
                       dead_old)
    new.rank = _next_rank(old, new, newest_key, remap, move.drop,
                          [old.pos[x] for x in touched if x in old.pos],
                          [pos[x] for x in touched if x in g])
    new.fields = Fields(new)
    new.postings = Postings(new)
    new._reset_caches()
    _carry_phrases(new, old, remap, move.n_old, dead_old, fresh)
    _carry_walk_rows(new, old, g, affected, move,
                     sorted(pos[x] for x in retext | rewired if x in g))
    return new


class Moved:
    """Where the previous version's positions go in the next one, and the next one's
    ids, positions and id order.

    Appending (no node removed): every position stays, the nodes added come after the
    others (in id order among themselves), and the id order is kept beside — the sorted
    view the previous version had, with the new nodes put in their places (one insert
    and one scatter over an array of the nodes, no pass over the CSR entries).
    Renumbering (a node removed): the next version's positions are id order again, as
    a load's are; every position moves by the nodes added and removed before it in id
    order (``remap``; ``src`` the other way), and every array over positions is
    gathered anew.
    """

    __slots__ = ("ids", "pos", "id_order", "id_rank", "remap", "src", "drop", "n_old")

    def __init__(self, ids: list[str], pos: Mapping[str, int], id_order: np.ndarray | None,
                 id_rank: np.ndarray | None, remap: np.ndarray, src: np.ndarray | None,
                 drop: list[int], n_old: int):
        self.ids, self.pos, self.id_order, self.id_rank = ids, pos, id_order, id_rank
        self.remap = remap  # old position -> new (-1: removed)
        self.src = src  # new position -> old (-1: added); None when appending
        self.drop = drop  # old positions removed
        self.n_old = n_old

    @classmethod
    def appending(cls, old: ReadIndex, added: list[str]) -> Moved:
        """The next positions when the sorted ``added`` come and none go."""
        n_old = len(old.ids)
        remap = np.arange(n_old, dtype=np.int64)
        if not added:  # the ids copied: a list another version's columns name is theirs
            return cls(list(old.ids), old.pos, old.id_order, old.id_rank, remap, None, [],
                       n_old)
        ids = old.ids + added
        pos = Appended.over(old.pos, {x: n_old + j for j, x in enumerate(added)})
        order = old.in_id_order()
        places = np.array([bisect.bisect_left(_InOrder(old.ids, order), x) for x in added],
                          dtype=np.int64)
        id_order = np.insert(order, places, np.arange(n_old, len(ids), dtype=np.int32))
        id_rank = np.empty(len(ids), dtype=np.int32)
        id_rank[id_order] = np.arange(len(ids), dtype=np.int32)
        return cls(ids, pos, id_order, id_rank, remap, None, [], n_old)

    @classmethod
    def renumbering(cls, old: ReadIndex, removed: list[str], added: list[str]) -> Moved:
        """The next positions, id order, when ``removed`` go and the sorted ``added``
        come."""
        n_old = len(old.ids)
        order = old.in_id_order()
        in_order = old.ids if old.id_order is None else [old.ids[p] for p in order.tolist()]
        # Places in the old id order: of the nodes removed, and before which the new go.
        places = old.id_places()
        drop = sorted(old.pos[x] for x in removed)
        gone = sorted(drop if places is None else places[drop].tolist())
        put = [bisect.bisect_left(in_order, x) for x in added]
        ids = _spliced(in_order, gone, put, added)
        # Old place -> new position: the place plus the nodes added before it less those
        # removed before it, one cumulative sum.
        shift = np.zeros(n_old + 1, dtype=np.int64)
        np.add.at(shift, np.asarray(put, dtype=np.int64), 1)
        np.add.at(shift, np.asarray(gone, dtype=np.int64) + 1, -1)
        by_place = np.arange(n_old, dtype=np.int64) + np.cumsum(shift[:n_old])
        by_place[gone] = -1
        remap = by_place if places is None else by_place[places]
        src = np.full(len(ids), -1, dtype=np.int64)
        kept = np.flatnonzero(remap >= 0)
        src[remap[kept]] = kept
        return cls(ids, Positions(ids), None, None, remap, src, drop, n_old)

    @property
    def shifted(self) -> bool:
        """Whether positions move (a node removed): else they stay, the new come after."""
        return self.src is not None

    def carry(self, values: np.ndarray, added: list[int] | list[float]) -> np.ndarray:
        """An array over the old positions, over the new ones: ``added`` (in id order)
        at the nodes added. Always a new array."""
        extra = np.asarray(added, dtype=values.dtype)
        if self.src is None:
            return np.concatenate((values, extra))
        out = values[np.maximum(self.src, 0)]
        out[self.src < 0] = extra
        return out


class _InOrder(Sequence[str]):
    """The ids of an index in id order, read through its positions (for bisection)."""

    __slots__ = ("_ids", "_order")

    def __init__(self, ids: list[str], order: np.ndarray):
        self._ids, self._order = ids, order

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i: Any) -> Any:
        return self._ids[int(self._order[i])]


def same_positions(old: Mapping[str, int], new: Mapping[str, int]) -> bool:
    """Whether every node of the version whose positions are ``old`` (``index.pos``) has
    the same position in the version whose positions are ``new``: no version between
    removed a node (which numbers them all again, under a new base mapping)."""
    def base(pos: Mapping[str, int]) -> Mapping[str, int]:
        return pos._base if isinstance(pos, Appended) else pos
    return base(old) is base(new)


class Appended(Mapping[str, int]):
    """Node id -> position of a version whose nodes were added after the others: the
    positions of a version numbered in id order (a dict, or :class:`Positions`) and a
    persistent map of the nodes added since, shared by the versions after."""

    __slots__ = ("_base", "_tail")

    def __init__(self, base: Mapping[str, int], tail: immutables.Map[str, int]):
        self._base, self._tail = base, tail

    @classmethod
    def over(cls, previous: Mapping[str, int], added: dict[str, int]) -> Appended:
        """``previous`` with the positions ``added``; ``previous`` stays as it is."""
        if isinstance(previous, Appended):
            return cls(previous._base, previous._tail.update(added))
        return cls(previous, immutables.Map(added))

    def __getitem__(self, node: str) -> int:
        found = self._base.get(node)
        return found if found is not None else self._tail[node]

    def get(self, node: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = self._base.get(node)
        return found if found is not None else self._tail.get(node, default)

    def __contains__(self, node: object) -> bool:
        return node in self._base or node in self._tail

    def __iter__(self) -> Iterator[str]:
        yield from self._base
        yield from self._tail

    def __len__(self) -> int:
        return len(self._base) + len(self._tail)


class Positions(Mapping[str, int]):
    """Node id -> position, by bisection in the sorted ids: a version that adds or
    removes nodes shares the ids list's strings instead of building a dict of them all."""

    __slots__ = ("_ids",)

    def __init__(self, ids: list[str]):
        self._ids = ids

    def __getitem__(self, node: str) -> int:
        ids = self._ids
        if isinstance(node, str):
            i = bisect.bisect_left(ids, node)
            if i < len(ids) and ids[i] == node:
                return i
        raise KeyError(node)

    def __contains__(self, node: object) -> bool:
        ids = self._ids
        if isinstance(node, str):
            i = bisect.bisect_left(ids, node)
            return i < len(ids) and ids[i] == node
        return False

    def get(self, node: str, default: int | None = None) -> int | None:  # type: ignore[override]
        ids = self._ids
        if isinstance(node, str):
            i = bisect.bisect_left(ids, node)
            if i < len(ids) and ids[i] == node:
                return i
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class Layered(Mapping[str, tuple[str, ...]]):
    """A base dict shared by versions and the small dict of what later versions changed
    (an empty tuple: the key is gone), folded into a new base past an eighth of it."""

    __slots__ = ("_base", "_changed")

    def __init__(self, base: Mapping[str, tuple[str, ...]],
                 changed: dict[str, tuple[str, ...]]):
        self._base = base
        self._changed = changed

    @classmethod
    def over(cls, previous: Mapping[str, tuple[str, ...]],
             changed: dict[str, tuple[str, ...]]) -> Layered:
        """Return ``previous`` with ``changed`` on top; ``previous`` stays as it is."""
        if isinstance(previous, Layered):
            base, changed = previous._base, {**previous._changed, **changed}
        else:
            base = previous
        if len(changed) > max(FOLD_AT, len(base) // 8):
            merged = {k: v for k, v in base.items() if k not in changed}
            merged.update((k, v) for k, v in changed.items() if v)
            return cls(merged, {})
        return cls(base, changed)

    def __getitem__(self, key: str) -> tuple[str, ...]:
        found = self._changed.get(key)
        if found is None:
            return self._base[key]
        if not found:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        for key in self._base:
            if key not in self._changed:
                yield key
        for key, value in self._changed.items():
            if value:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _spliced(values: list[T], drop: list[int], put: list[int], added: list[T]) -> list[T]:
    """``values`` without the (sorted) positions ``drop``, with ``added[k]`` placed
    before old position ``put[k]`` (``put`` sorted; a put before a drop at one place)."""
    if not drop and not put:
        return list(values)
    out: list[T] = []
    at, d, k = 0, 0, 0
    while d < len(drop) or k < len(put):
        if k < len(put) and (d == len(drop) or put[k] <= drop[d]):
            p = put[k]
            out += values[at:p]
            out.append(added[k])
            at, k = p, k + 1
        else:
            p = drop[d]
            out += values[at:p]
            at, d = p + 1, d + 1
    out += values[at:]
    return out


def _neighbours(g: nx.MultiDiGraph, x: str, kind: str) -> set[str]:
    """Return the nodes joined to ``x`` by an edge of ``kind``, either way."""
    return ({y for y, kinds in g._succ[x].items() if kind in kinds}
            | {y for y, kinds in g._pred[x].items() if kind in kinds})


def _next_csr(old: ReadIndex, old_g: nx.MultiDiGraph, g: nx.MultiDiGraph, new: ReadIndex,
              kind: str, rewired: set[str], move: Moved) -> tuple[CSR, set[str]]:
    """Return the next CSR of ``kind``: the rows of the rewired articles and of their
    neighbours (before and after) made anew, every other row copied (renumbered when
    positions moved). Every row lists its neighbours in id order. A few numpy passes
    over the entries, no sort. Returned beside it: the nodes whose rows were made anew
    (before or after the change)."""
    csr = old.csr[kind]
    pos, ids, remap, places = new.pos, new.ids, move.remap, new.id_rank
    dirty_old: set[int] = set()
    affected: set[str] = set()  # nodes whose row changes
    for x in rewired:
        affected.add(x)
        if x in old.pos:
            dirty_old.add(old.pos[x])
            affected |= _neighbours(old_g, x, kind)
        if x in g:
            affected |= _neighbours(g, x, kind)
    # What each node gains: the rewired articles joined to it now (the relation is
    # symmetric, so this reads the rewired articles' few edges, not a provider's many).
    gains: dict[str, list[str]] = {}
    for x in rewired:
        if x in g:
            for y in _neighbours(g, x, kind):
                gains.setdefault(y, []).append(x)
    dirty = np.array(sorted(dirty_old), dtype=np.int64)
    rows: dict[int, np.ndarray] = {}  # new position -> its row
    for x in affected:
        if x not in g:
            continue
        p = pos[x]
        if x in rewired or x not in old.pos:
            rows[p] = np.array([pos[y] for y in sorted(_neighbours(g, x, kind))],
                               dtype=np.int32)
            continue
        # A neighbour (a provider's row may be long): it loses the rewired articles it
        # had and gains those it has now, in numpy, in time linear in its row.
        o = old.pos[x]
        had = csr.row_array(o)
        if len(had) < 64:  # a short row: plain Python beats numpy's per-call cost
            short = {ids[int(remap[c])] for c in had.tolist() if c not in dirty_old}
            short.update(gains.get(x, ()))
            rows[p] = np.array([pos[y] for y in sorted(short)], dtype=np.int32)
            continue
        if len(dirty):
            at = np.minimum(np.searchsorted(dirty, had), len(dirty) - 1)
            had = had[dirty[at] != had]
        kept = remap[had] if move.shifted else had  # id order, as the row was
        rows[p] = _with(kept, [pos[y] for y in sorted(set(gains.get(x, ())))], places)
    return _carried(old, csr, affected, rows, move), affected


def _carried(old: ReadIndex, csr: CSR, affected: set[str], rows: dict[int, np.ndarray],
             move: Moved) -> CSR:
    """The next version of ``csr`` (rows over ``old``'s positions): the rows of the
    ``affected`` nodes replaced by ``rows`` (by new position; one for each affected node
    still there), every other row kept, renumbered when positions moved."""
    n = len(move.ids)
    if move.src is None:
        # Positions stay: the rows written anew are appended, no kept entry copied.
        return _appended(csr, rows, n)
    degree = move.carry(csr.degree, [0] * (n - move.n_old + len(move.drop)))
    for p, row in rows.items():
        degree[p] = len(row)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    # Positions moved: every kept row gathered to its new place and renumbered (its
    # order stays: the remap keeps id order).
    src = move.src.copy()
    src[list(rows)] = -1
    at = np.flatnonzero(src >= 0)
    counts = degree[at]
    entries, _ = gather(src[at], csr.indptr, csr.indices, counts)
    ends = np.cumsum(counts)
    dest = np.arange(len(entries), dtype=np.int64) + np.repeat(indptr[at] - (ends - counts),
                                                                counts)
    indices[dest] = move.remap[entries]
    for p, row in rows.items():
        indices[int(indptr[p]):int(indptr[p + 1])] = row
    return CSR(indptr, indices)


def _appended(csr: CSR, rows: dict[int, np.ndarray], n: int) -> CSR:
    """The next version of ``csr``, positions unchanged (``n`` of them, those added
    after the others): each row's start and length copied, the new ``rows`` (by
    position) appended after every entry any version reads, in the buffer the versions
    share (:class:`~graph.index.RowStore`). No kept entry is copied: a version costs
    two arrays over the nodes and its own rows.

    When the buffer has no room left, or holds as many entries no longer read as live
    ones, this version's rows are gathered into a new one with room to spare (a quarter
    more): the copy each version made of every kept entry (~11 ms a batch at 100k,
    beside the interpreter's waits for each of its runs) is made once in many versions.
    """
    # Each numpy call over the nodes lets the interpreter go and waits to get it back,
    # up to a switch interval beside busy query threads: few calls, none over entries.
    n_old = len(csr.degree)
    starts = np.concatenate((csr.indptr[:n_old], np.zeros(n + 1 - n_old, dtype=np.int64)))
    degree = np.concatenate((csr.degree, np.zeros(n - n_old, dtype=csr.degree.dtype)))
    at = sorted(rows)
    fresh = np.concatenate([rows[p] for p in at]).astype(np.int32, copy=False) if at \
        else np.zeros(0, dtype=np.int32)
    lengths = np.array([len(rows[p]) for p in at], dtype=np.int64)
    places = np.array(at, dtype=np.int64)
    was = places[places < n_old]
    live = csr.entries - int(csr.degree[was].sum()) + len(fresh)
    degree[places] = lengths
    store = csr.store
    if store is not None:
        with store.lock:
            end = store.used
            if end + len(fresh) <= len(store.array) and end + len(fresh) <= 2 * live + SPARE:
                store.used = end + len(fresh)
                store.array[end:end + len(fresh)] = fresh
                starts[places] = end + np.cumsum(lengths) - lengths
                starts[n] = store.used
                return CSR(starts, store.array[:store.used], degree, store, live)
    # A new buffer: this version's kept rows, then its new ones, then room to spare.
    kept = degree.copy()
    kept[places] = 0
    kept_total = int(kept.sum())
    array = np.empty(live + live // 4 + SPARE, dtype=np.int32)
    rows_into(array, starts[:n], kept, csr.indices)
    array[kept_total:live] = fresh
    new_starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept[:-1], out=new_starts[1:n])
    new_starts[places] = kept_total + np.cumsum(lengths) - lengths
    new_starts[n] = live
    return CSR(new_starts, array[:live], degree, RowStore(array, live), live)


def _carry_walk_rows(new: ReadIndex, old: ReadIndex, g: nx.MultiDiGraph,
                     affected: dict[str, set[str]], move: Moved, retexted: list[int],
                     ) -> None:
    """Hand the walks' per-version rows on to the next version: the rows of several edge
    kinds side by side (``combined``) that the previous version's queries asked for most
    recently, carried over like the CSRs (the rows the change touched made anew, the
    rest copied); then the rows holding only the nodes a walk reports
    (``kept_rows``, a few of them per phrase), for the phrases whose answers were
    carried: carried over too while positions stay (:func:`_carried_kept`), else made
    from the combined rows. Before, the first walk on each version made both again from
    every edge — in the query threads, several at once: a quarter of a 2-hop query's
    time beside sustained ingest at 100k."""
    pos = new.pos
    for (via,), was in _recent(old._combined):
        if not all(k in affected for k in via):
            continue  # a derived kind (SAME_STORY) is made again on first use
        touched = set().union(*(affected[k] for k in via))
        rows = {}
        for x in touched:
            if x in g:
                p = pos[x]
                rows[p] = np.concatenate([new.csr[k].row_array(p) for k in via])
        new._combined._held[(via,)] = _carried(old, was, touched, rows, move)
    for (via, kinds, phrase), was in _recent(old.kept_rows, arity=3):
        if not (all(k in affected for k in via) and phrase is not None
                and (phrase,) in new.mention_mask):  # no text scanned for it here
            continue
        old_keep = old.keep_mask._held.get((kinds, phrase))
        if move.shifted or old_keep is None or not (len(via) == 1
                                                    or (via,) in new._combined._held):
            new.kept_rows(via, kinds, phrase)  # made from every kept node's row
            continue
        rewritten = {pos[x] for k in via for x in affected[k] if x in g}
        new.kept_rows._held[(via, kinds, phrase)] = _carried_kept(
            was, new.combined(via), old_keep, new.keep_mask(kinds, phrase), rewritten,
            retexted, len(new.ids))


def _carried_kept(was: CSR, combined: CSR, old_keep: np.ndarray, keep: np.ndarray,
                  touched: set[int], retexted: list[int], n: int) -> CSR:
    """The next version of the rows a walk keeps (``was``; :meth:`ReadIndex._kept_rows`),
    positions unchanged: the rows of the ``touched`` nodes (their ``combined`` rows
    changed) and of the neighbours of every node kept by one version and not the other
    (among the ``retexted`` articles: only their text or presence changed) made again
    from the new ``combined`` rows and ``keep`` mask, each in node order; every other
    row kept (:func:`_appended`). Before, every version gathered the rows of every kept
    node and sorted all their entries again: a dozen numpy calls over them."""
    n_old = len(old_keep)
    redo = set(touched)
    for p in retexted:
        if bool(keep[p]) != (p < n_old and bool(old_keep[p])):
            redo.update(combined.row(p))  # the relation is symmetric
    rows = {}
    for p in redo:
        row = combined.row_array(p)
        rows[p] = np.sort(row[keep[row]]).astype(np.int32)
    return _appended(was, rows, n)


def _with(row: np.ndarray, more: list[int], places: np.ndarray | None) -> np.ndarray:
    """The ``row`` (in id order) with ``more`` (in id order) merged in, each value once;
    ``places``: each position's place in id order (None: positions are id order)."""
    if not more:
        return row.astype(np.int32)
    extra = np.array(more, dtype=row.dtype)
    keys, wanted = (row, extra) if places is None else (places[row], places[extra])
    at = np.searchsorted(keys, wanted)
    there = (at < len(row)) & (keys[np.minimum(at, len(row) - 1)] == wanted) if len(row) \
        else np.zeros(len(extra), dtype=bool)
    return np.insert(row, at[~there], extra[~there]).astype(np.int32)


def _next_rank(old: ReadIndex, new: ReadIndex, newest: np.ndarray, remap: np.ndarray | None,
               drop: list[int], out_old: list[int], into: list[int]) -> np.ndarray:
    """Return the next rank (position in (newest first, id) order): the old order without
    the nodes at ``out_old`` (old positions), renumbered, with the nodes at ``into`` (new
    positions) merged in where their keys go, ties by id. No sort of all nodes:
    renumbering keeps the old order (``remap`` keeps id order). The order itself and
    its keys are kept on ``new`` for the next version (one inversion of the rank and one
    gather of the keys fewer per version)."""
    n = len(newest)
    order, keys = _rank_order(old)
    out = old.rank[np.union1d(np.asarray(out_old, dtype=np.int64),
                              np.asarray(drop, dtype=np.int64))]  # removed: among out_old
    kept = np.delete(order, out)
    if remap is not None:
        kept = remap[kept]
    keys = np.delete(keys, out)  # ascending: the old order, less what moves
    places = new.id_places()
    place = (lambda p: p) if places is None else (lambda p: int(places[p]))
    values = sorted((float(newest[p]), place(p), p) for p in into)
    # Two searches for all the new nodes, and ties searched in Python: a numpy call per
    # node lets the interpreter go, and beside busy query threads each waits up to the
    # switch interval to get it back (lead31).
    wanted = np.array([v for v, _, _ in values], dtype=keys.dtype)
    at: list[int] = np.searchsorted(keys, wanted, side="left").tolist()
    his: list[int] = np.searchsorted(keys, wanted, side="right").tolist()
    for i, (lo, hi) in enumerate(zip(at, his, strict=True)):
        if hi > lo:
            ties = kept[lo:hi] if places is None else places[kept[lo:hi]]
            at[i] = lo + bisect.bisect_left(np.ascontiguousarray(ties).data, values[i][1])
    merged = np.insert(kept, at, [p for _, _, p in values]).astype(np.int32)
    new.__dict__["_rank_order"] = (merged, np.insert(keys, at, [v for v, _, _ in values]))
    rank = np.empty(n, dtype=np.int32)
    rank[merged] = np.arange(n, dtype=np.int32)
    return rank


def _rank_order(index: ReadIndex) -> tuple[np.ndarray, np.ndarray]:
    """The nodes' positions in rank order and their newest-first keys, in that order."""
    found = index.__dict__.get("_rank_order")
    if found is None:
        order = np.empty(len(index.rank), dtype=np.int32)
        order[index.rank] = np.arange(len(index.rank), dtype=np.int32)
        found = (order, index.newest_key[order])
    return found


def _next_text(new: ReadIndex, old: ReadIndex, text: bytes | None,
               remap: np.ndarray | None, n_old: int, written: list[int], dead_old: list[int],
               ) -> tuple[bytes, np.ndarray, np.ndarray] | None:
    """Carry the text index over: the base blob as it is (dead rows -1), the delta
    segments as they are (their rows renumbered, dead ones -1) and one more with the
    rewritten articles' text; past :data:`SEGMENTS` segments they are joined into one
    (dead text and all: no Python pass over articles), and when the delta outgrows
    :data:`COMPACT_AT` articles (or an eighth of the base) it is folded into the base.
    A base held once (``text`` None, :meth:`ReadIndex.hold_text_once`) is carried as its
    rows and words (:class:`CarriedWords`), no text; folding the delta into it makes
    the blob again, from the articles' strings.
    Returns the rewritten articles' text as a segment (None when there are none)."""
    dead = np.zeros(n_old, dtype=bool)
    dead[dead_old] = True

    def carried(rows: np.ndarray) -> np.ndarray:
        if remap is None:  # positions stay: the rows as they are, less the dead ones
            out = rows.astype(np.int32)
            kept = np.flatnonzero(out >= 0)  # -1: a row dead before (none at all when
            out[kept[dead[out[kept]]]] = -1  # the previous version held no node)
            return out
        live = rows >= 0
        out = np.full(len(rows), -1, dtype=np.int32)
        out[live] = np.where(dead[rows[live]], -1, remap[rows[live]])
        return out

    segments = [(seg, starts, carried(rows)) for seg, starts, rows in old.extra_text]
    fresh = _blob([new.blob(i) for i in written], written) if written else None
    words = old.words if text is None else None
    if words is not None and not isinstance(words, CarriedWords):
        # The words of ``old`` itself (its search index): they name every article of
        # it, those of its delta segments too, which are let go.
        base_rows = carried(np.flatnonzero(old.kind_code == KIND_CODES[ARTICLE]))
        segments = []
    else:
        base_rows = carried(old.article_rows)
    if fresh is not None:
        segments.append(fresh)
    if sum(len(rows) for _, _, rows in segments) > max(COMPACT_AT, len(base_rows) // 8):
        if text is None:  # held once: the blob made again from the articles' strings
            rows = new.in_id_order(ARTICLE).astype(np.int32)  # as a load's blob
            new.text, new.text_starts = new._blobs(rows.tolist())
            new.article_rows, new.extra_text, new.words = rows, [], None
            return fresh
        chunks: list[bytes] = []
        owners: list[int] = []
        for seg, starts, rows in [(text, old.text_starts, base_rows), *segments]:
            ends = np.append(starts[1:] - 1, len(seg))
            live = np.flatnonzero(rows >= 0)
            chunks += [seg[s:e] for s, e in zip(starts[live].tolist(), ends[live].tolist(),
                                                strict=True)]
            owners += rows[live].tolist()
        new.text, new.text_starts, new.article_rows = _blob(chunks, owners)
        new.extra_text, new.words = [], None
        return fresh
    if len(segments) > SEGMENTS:
        segments = [_joined(segments)]
    new.text, new.article_rows, new.extra_text = text, base_rows, segments  # type: ignore[assignment]
    new.text_starts = old.text_starts if text is not None else np.zeros(0, dtype=np.int64)
    new.words = None if words is None else CarriedWords.over(words, carried, n_old)
    return fresh


class CarriedWords:
    """The token index of an earlier version (:class:`graph.search.SearchIndex`) read in
    a later one's positions: each article's position then mapped to its position now,
    -1 where its text is no longer that version's (rewritten or removed since: its text
    now is in a delta segment, or gone). What :meth:`ReadIndex.hold_text_once` reads."""

    __slots__ = ("words", "now")

    def __init__(self, words: Any, now: np.ndarray):
        self.words = words  # a SearchIndex, positions of the version it was built on
        self.now = now  # its positions -> this version's (-1: not current)

    @classmethod
    def over(cls, words: Any, carried: Callable[[np.ndarray], np.ndarray],
             n: int) -> CarriedWords:
        """``words`` of the previous version (its own, or carried to it) carried one
        version on by ``carried``, which maps the previous version's ``n`` positions to
        this one's."""
        if isinstance(words, CarriedWords):
            return cls(words.words, carried(words.now))
        return cls(words, carried(np.arange(n, dtype=np.int32)))

    def entries(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """The articles (positions now) holding ``token`` then, text unchanged since, and
        their field masks."""
        rows, masks = self.words.entries(token)
        now = self.now[rows]
        keep = now >= 0
        return now[keep], masks[keep]


def _carry_phrases(new: ReadIndex, old: ReadIndex, remap: np.ndarray | None, n_old: int,
                   dead_old: list[int], fresh: tuple[bytes, np.ndarray, np.ndarray] | None,
                   ) -> None:
    """Hand the phrase answers the previous version found on to the next one: its
    articles holding the phrase, less those whose text died (``dead_old``), renumbered,
    plus those of the rewritten articles' text (``fresh``) that hold it — the same answer
    as a scan of the whole text, which each version's first query with ``mentions`` made
    otherwise (at 100k articles, hundreds of ms of the GIL per version, in the query
    threads). The :data:`CARRIED_PHRASES` most recently asked of each cache are carried."""
    dead = np.zeros(n_old, dtype=bool)
    dead[dead_old] = True
    scan = None
    if fresh is not None:  # the rewritten articles' text alone, searched by the index's code
        scan = ReadIndex.__new__(ReadIndex)
        scan.text, scan.text_starts, scan.article_rows = fresh
        scan.extra_text, scan.words, scan.fields = [], None, new.fields
    found: dict[tuple[str, ...], np.ndarray] = {}

    def carried(phrase: tuple[str, ...], had: np.ndarray) -> np.ndarray:
        if phrase not in found:
            kept = had[~dead[had]]
            if remap is not None:
                kept = remap[kept]
            more = scan._phrase_articles(phrase) if scan is not None else kept[:0]
            found[phrase] = np.union1d(kept, more).astype(np.int32)
        return found[phrase]

    n = len(new.ids)
    for key, mask in _recent(old.mention_mask):
        rows = carried(key[0], np.flatnonzero(mask))
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        mask.flags.writeable = False
        new.mention_mask._held[key] = mask
    for key, articles in _recent(old.mentioning):
        had = (np.flatnonzero(old.mention_mask._held[key]) if key in old.mention_mask
               else np.array(sorted(articles), dtype=np.int64))
        new.mentioning._held[key] = frozenset(carried(key[0], had).tolist())


def _recent(answers: Answers, arity: int = 1) -> list[tuple[tuple[Any, ...], Any]]:
    """The :data:`CARRIED_PHRASES` answers most recently asked of a cache taking
    ``arity`` arguments (a phrase cache: one, the phrase), as ``(key, answer)``; its
    readers (query threads) may change it meanwhile."""
    try:
        keys = list(answers._held)[-CARRIED_PHRASES:]
    except RuntimeError:  # changed while listed: nothing carried, asked again if wanted
        return []
    out = []
    for key in keys:
        answer = answers._held.get(key)
        if answer is not None and len(key) == arity and isinstance(key[0], tuple):
            out.append((key, answer))
    return out


def _joined(segments: list[tuple[bytes, np.ndarray, np.ndarray]],
            ) -> tuple[bytes, np.ndarray, np.ndarray]:
    """One segment holding the given ones' text, one after the other."""
    offsets = np.cumsum([0] + [len(text) + 1 for text, _, _ in segments[:-1]])
    return (FIELD_SEP.join(text for text, _, _ in segments),
            np.concatenate([starts + o for (_, starts, _), o in zip(segments, offsets.tolist(),
                                                                    strict=True)]),
            np.concatenate([rows for _, _, rows in segments]))


def _blob(chunks: list[bytes], owners: list[int]) -> tuple[bytes, np.ndarray, np.ndarray]:
    lengths = np.array([len(c) + 1 for c in chunks], dtype=np.int64)
    starts = np.zeros(len(chunks), dtype=np.int64)
    if len(chunks):
        np.cumsum(lengths[:-1], out=starts[1:])
    return FIELD_SEP.join(chunks), starts, np.array(owners, dtype=np.int32)
