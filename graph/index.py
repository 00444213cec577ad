"""The read index: integer ids, CSR adjacency by edge kind and a compact text index.

Built once from the networkx graph at load; the graph does not change afterwards,
so every answer derived here (a phrase's matches, say) may be cached for the
life of the index.

Memory is kept flat: adjacency is numpy CSR (``indptr``/``indices`` per edge kind),
and the text of every article is one case-folded UTF-8 blob searched with a bytes
regex, the exact phrase rule being checked wherever the bytes alone cannot decide.

A server holds that blob only until its search index is in (:meth:`ReadIndex.hold_text_once`):
the articles' own strings are the text then, and a new phrase's candidates are read off
the search index's token lists — only theirs are case-folded and scanned, as above.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import operator
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from graph import fastyaml
from graph.build import (
    ARTICLE,
    EDGE_KINDS,
    PROVIDER,
    RELATED,
    TAGGED,
    TOPIC,
    article_id,
    topic_id,
)
from graph.compact import edge_arrays
from graph.errors import InvalidURLError
from graph.nodeattrs import TextsOf, node_columns
from graph.normalize import fold, tokens, unspaced

if TYPE_CHECKING:
    from graph.budget import Budget

__all__ = ["ReadIndex", "Answers", "CSR", "RowStore", "rows_into", "WALK_ORDER", "KIND_CODES",
           "csr_of", "gather"]

# Adjacency is walked in this kind order, so the path reported for a node prefers
# a related story, then a shared topic, then a shared provider.
WALK_ORDER = (RELATED, TAGGED) + tuple(k for k in EDGE_KINDS if k not in (RELATED, TAGGED))
KIND_CODES = {ARTICLE: 0, PROVIDER: 1, TOPIC: 2}
# Compiled with the reader when it is (graph/fastyaml.py): the index reads an article's
# other URLs' canonical forms (aliases) as it is built.
canonical_url = fastyaml.module("normalize").canonical_url

# Fields of one article are joined by NUL, articles too; a phrase never spans one.
FIELD_SEP = b"\x00"  # between the fields of an article, and between articles
_ASCII_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
# A phrase scan looks at its budget's deadline between windows of this much text (about a
# thousand articles: a few milliseconds of regex) and between lowercasing this many
# candidate texts, so a request's scan stops soon after its deadline.
SCAN_BYTES = 1 << 20
SCAN_TEXTS = 2048
TOPIC_PREFIX = topic_id("")
# Articles whose texts the read index folds in one call as it is built.
_FOLD_BATCH = 512
_WAIT_S = 0.05  # how often a caller waiting for another thread's answer looks at its deadline


class CSR:
    """Rows of neighbour indexes: node ``i``'s row is ``degree[i]`` entries of
    ``indices`` from ``indptr[i]``, in id order (which is position order only while
    positions are id order, see :meth:`ReadIndex.in_id_order`): the walks read
    neighbours in that order.

    A load's CSR is compact: each row ends where the next begins. A followed version's
    may be spread (``store`` set, graph/reindex.py): the rows a change wrote anew lie
    after every other entry, in a buffer shared with the versions before it, and the
    rows they replaced stay where they were, no longer read. Readers take a row's start
    from ``indptr`` and its length from ``degree``, never from the next row's start.
    """

    __slots__ = ("indptr", "indices", "degree", "store", "entries")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray,
                 degree: np.ndarray | None = None, store: RowStore | None = None,
                 entries: int | None = None):
        self.indptr = indptr
        self.indices = indices
        self.degree = np.diff(indptr) if degree is None else degree
        self.store = store  # None: compact
        # The entries its rows hold (of a compact CSR: every entry of ``indices``).
        self.entries = len(indices) if entries is None else entries

    def row(self, i: int) -> list[int]:
        """Return node ``i``'s neighbour indexes."""
        return self.row_array(i).tolist()

    def row_array(self, i: int) -> np.ndarray:
        """Return node ``i``'s neighbour indexes as a view of :attr:`indices`."""
        at = int(self.indptr[i])
        return self.indices[at : at + int(self.degree[i])]

    def compacted(self) -> CSR:
        """This CSR with each row ending where the next begins (itself when it does):
        what a snapshot stores and a pickle carries."""
        if self.store is None:
            return self
        n = len(self.degree)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(self.degree, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        rows_into(indices, self.indptr[:n], self.degree, self.indices)
        return CSR(indptr, indices)


class RowStore:
    """The buffer of entries that the versions of one spread :class:`CSR` share: each
    version reads entries below the ``used`` of its making, and a change appends its
    rows past ``used`` (under ``lock``), so no entry a version reads is written again."""

    __slots__ = ("array", "used", "lock")

    def __init__(self, array: np.ndarray, used: int):
        self.array = array
        self.used = used
        self.lock = threading.Lock()


def rows_into(out: np.ndarray, starts: np.ndarray, degree: np.ndarray,
              indices: np.ndarray) -> None:
    """Write the rows read from ``indices`` at ``starts`` (``degree`` entries each) one
    after the other into ``out``: one gather."""
    total = int(degree.sum())
    if not total:
        return
    ends = np.cumsum(degree)
    offsets = np.repeat(starts - (ends - degree), degree)
    offsets += np.arange(total, dtype=np.int64)
    np.take(indices, offsets, out=out[:total])


class Postings(Mapping[str, set[int]]):
    """``postings[token]``: the set of articles holding a token, computed on first use."""

    def __init__(self, index: ReadIndex):
        self._index = index

    def __getitem__(self, token: str) -> set[int]:
        found = self._index._token_articles(token)
        if not found:
            raise KeyError(token)
        return set(found)

    def get(self, token: str, default: Any = None) -> Any:
        found = self._index._token_articles(token)
        return set(found) if found else default

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and bool(self._index._token_articles(token))

    def __iter__(self) -> Iterator[str]:
        vocabulary: set[str] = set()
        for i in np.flatnonzero(self._index.kind_code == KIND_CODES[ARTICLE]).tolist():
            for seq in self._index.fields[i]:
                vocabulary.update(seq)
        return iter(sorted(vocabulary))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Fields(Sequence[tuple[tuple[str, ...], ...]]):
    """``fields[i]``: the token sequences of article ``i``'s title, excerpt, body and
    topic names (empty for other nodes), tokenized on demand."""

    def __init__(self, index: ReadIndex):
        self._index = index

    def __len__(self) -> int:
        return len(self._index.ids)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return tuple(tuple(tokens(t)) for t in self._index.texts(i))


class ReadIndex:
    """Integer-keyed views of a knowledge graph for fast traversal and text matching."""

    def __init__(self, g: nx.MultiDiGraph):
        self.g = g
        # The node dicts themselves, not networkx's view (a Python call a lookup).
        nodes = g._node
        edges = edge_arrays(g)
        if edges is not None and isinstance(edges.ids, list) and _every_node_sorted(
                edges.ids, nodes):
            self.ids, self.pos = edges.ids, edges.pos  # numbered alike: one copy of each
        else:
            self.ids = sorted(g.nodes)
            self.pos = {node: i for i, node in enumerate(self.ids)}
        # Each node's dict in id order: off the dict's values when it holds the nodes in
        # that order (a load's graph), not by a lookup a node.
        datas = list(nodes.values()) if isinstance(nodes, dict) and list(nodes) == self.ids \
            else [nodes[node] for node in self.ids]
        # Tuples, as when made on first read (below): the collector stops tracking them.
        self.kind: tuple[str, ...] = tuple(data["kind"] for data in datas)
        n = len(self.ids)
        # Positions in id order and each position's place in it: None while positions
        # are id order (a load's index). A followed corpus's later versions append the
        # nodes they add (graph/reindex.py), so these are kept beside then.
        self.id_order: np.ndarray | None = None
        self.id_rank: np.ndarray | None = None
        self.kind_code = np.array([KIND_CODES.get(k, 3) for k in self.kind], dtype=np.int8)
        self.csr: dict[str, CSR] = _csr_by_kind(g, self.ids, self.pos)

        # Another URL of an article (raw, or the canonical form of its other URL) -> the
        # articles giving it, by id; the first one is found by it.
        aliases: dict[str, tuple[str, ...]] = {}
        self.aliases: Mapping[str, tuple[str, ...]] = aliases
        newest: list[float] = [float("inf")] * n
        article_rows = []
        for i, (node, data) in enumerate(zip(self.ids, datas, strict=True)):
            if data["kind"] != ARTICLE:
                continue
            add_aliases(aliases, node, data)
            newest[i] = newest_first(data)
            article_rows.append(i)
        self.newest_first: tuple[float, ...] = tuple(newest)
        self.article_rows = np.array(article_rows, dtype=np.int32)
        self.text, self.text_starts = self._blobs(article_rows, datas)
        del datas
        # Set by hold_text_once (text is None then): a token index naming a phrase's
        # candidate articles.
        self.words: Any = None
        # Text added by later versions (graph/reindex.py), searched after the base above:
        # (text, starts, rows) like text, text_starts and article_rows; a row of -1 is
        # text no longer current.
        self.extra_text: list[tuple[bytes, np.ndarray, np.ndarray]] = []
        self.fields = Fields(self)
        self.postings = Postings(self)
        # rank[i]: position of node i in (newest first, id) order: within one hop, results
        # come newest first, then by id.
        newest_key = self.newest_key = np.array(self.newest_first, dtype=np.float64)
        # ids are sorted here: index order is id order
        order = np.lexsort((np.arange(n), newest_key))
        self.rank = np.empty(n, dtype=np.int32)
        self.rank[order] = np.arange(n, dtype=np.int32)
        self._reset_caches()

    def __getattr__(self, name: str) -> Any:
        """``kind`` and ``newest_first`` of an index carried over from the previous
        version (graph/reindex.py), which keeps only their arrays (``kind_code``,
        ``newest_key``): the lists are made the first time a reader asks, as tuples: made
        after the server froze its graph, a list of one item a node was visited item by
        item by every full collection (a tuple of strings or floats is no longer tracked
        once a collection has seen it; serve36)."""
        held = self.__dict__
        if name == "kind" and "kind_code" in held:
            nodes, ids = held["g"]._node, held["ids"]
            names = {c: k for k, c in KIND_CODES.items()}
            made: Any = tuple(names[c] if c in names else nodes[ids[i]]["kind"]
                              for i, c in enumerate(held["kind_code"].tolist()))
        elif name == "newest_first" and "newest_key" in held:
            made = tuple(held["newest_key"].tolist())
        else:
            raise AttributeError(name)
        self.__dict__[name] = made
        return made

    # -- pickling: caches are rebuilt, not stored ------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("mentioning", "mention_mask", "keep_mask", "kept_rows", "_token_articles",
                    "_combined",
                    "fields", "postings", "words", "_text_columns"):
            state.pop(key, None)
        if state.get("text") is None:  # held once (hold_text_once): stored as a blob
            rows = self.article_rows
            live = rows[rows >= 0]  # a followed version's: less the text no longer current
            state["text"], state["text_starts"] = self._blobs(live.tolist())
            state["article_rows"] = live
        # Derived kinds (SAME_STORY) are rebuilt on first use, like the other caches.
        # A spread CSR is stored compact, without the buffer its versions share.
        state["csr"] = {k: c.compacted() for k, c in self.csr.items() if k in WALK_ORDER}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("extra_text", [])
        state.setdefault("id_order", None)
        state.setdefault("id_rank", None)
        if "newest_key" not in state:  # pickled before the array was kept
            state["newest_key"] = np.array(state["newest_first"], dtype=np.float64)
        state.setdefault("words", None)
        self.__dict__.update(state)
        self.fields = Fields(self)
        self.postings = Postings(self)
        self._reset_caches()

    def _reset_caches(self) -> None:
        # Each takes the asking request's budget (``budget=``), which a first scan of a
        # phrase charges time to; an answer cut by it is not kept.
        self.mentioning = Answers(self._mentioning, 256)
        self.mention_mask = Answers(self._mention_mask, 32)
        self.keep_mask = Answers(self._keep_mask, 32)
        # Two int32 arrays over all nodes each (8 bytes a node): few are held.
        self.kept_rows = Answers(self._kept_rows, 8)
        # Each list of edge kinds' rows side by side (a walk's ``via``).
        self._combined = Answers(self._combine, 16)
        self._token_articles = lru_cache(maxsize=1024)(self._token_articles_uncached)

    # -- lookups ---------------------------------------------------------------------

    def in_id_order(self, kind: str | None = None) -> np.ndarray:
        """Return the positions of the nodes (of ``kind``) in id order: the order every
        answer listing nodes by id is in. Positions are id order in a load's index; a
        followed corpus's later versions add nodes at the end (graph/reindex.py)."""
        order = self.id_order
        if order is None:
            if kind is None:
                return np.arange(len(self.ids), dtype=np.int32)
            return np.flatnonzero(self.kind_code == KIND_CODES[kind]).astype(np.int32)
        return order if kind is None else order[self.kind_code[order] == KIND_CODES[kind]]

    def ids_in_order(self, kind: str | None = None) -> list[str]:
        """Return the ids of the nodes (of ``kind``) in id order."""
        ids = self.ids
        if self.id_order is None and kind is None:
            return list(ids)
        return [ids[i] for i in self.in_id_order(kind).tolist()]

    def id_places(self) -> np.ndarray | None:
        """Return each position's place in id order, or None when positions are id order."""
        return self.id_rank

    def article_by_url(self, url: str) -> int | None:
        """Return the index of the article at a raw or canonical URL, or None."""
        found = self._by_url(url.strip())
        if found is None:
            try:
                found = self._by_url(canonical_url(url))
            except InvalidURLError:
                return None
        return found

    def _by_url(self, key: str) -> int | None:
        own = self.pos.get(article_id(key))
        if own is not None and self.kind_code[own] == KIND_CODES[ARTICLE]:
            return own
        claims = self.aliases.get(key)
        return None if claims is None else self.pos[claims[0]]

    def texts(self, i: int) -> list[str]:
        """Return the texts the phrase rule reads for node ``i``: title, excerpt, body and
        topic names of an article; nothing for other nodes."""
        if self.kind_code[i] != KIND_CODES[ARTICLE]:
            return []
        nodes = self.g.nodes
        data = nodes[self.ids[i]]
        texts = [data.get("title"), data.get("excerpt"), data.get("body")]
        texts += [nodes[topic_id(slug)].get("name") for slug in data.get("topics", ())]
        return [t for t in texts if t]

    def blob(self, i: int) -> bytes:
        """Return article ``i``'s texts as the text index holds them: folded (NFC,
        case-folded) UTF-8, NUL between fields."""
        return FIELD_SEP.join(fold(t).replace("\x00", " ").encode() for t in self.texts(i))

    def segments(self) -> list[tuple[bytes, np.ndarray, np.ndarray]]:
        """Return the text index's parts: ``(text, starts, rows)``, the base first."""
        text, starts, rows = self.text, self.text_starts, self.article_rows
        if text is None:  # held once: made again, a phrase at a time (hold_text_once)
            rows = rows[rows >= 0]
            text, starts = self._blobs(rows.tolist())
        return [(text, starts, rows), *self.extra_text]

    def hold_text_once(self, words: Any) -> None:
        """Let the folded blob go (~900 bytes an article): the articles' strings hold
        their text, and a phrase not asked before is looked for only in the articles
        ``words`` names as holding all its tokens in one field, their texts folded
        then, and in the text segments of later versions (``extra_text``), scanned whole.
        ``words`` is a token index of this graph's articles —
        :class:`graph.search.SearchIndex`, whose ``entries(token)`` gives the articles
        holding a token and the fields it is in. Answers are the same. A followed
        corpus's next version carries it on (graph/reindex.py), the articles a change
        rewrote in its own text segment.
        """
        self.words = words  # first: a reader seeing no text finds the words
        # None from here on; typed as bytes for the readers of an index holding its text.
        self.text = None  # type: ignore[assignment]

    def _blobs(self, rows: list[int], datas: Sequence[dict[str, Any]] | None = None,
               ) -> tuple[bytes, np.ndarray]:
        """Return the text index's blob over the articles ``rows`` (as :meth:`_blob_of`)
        and where each article's text starts in it. Folded a few hundred articles at a
        time, each batch's texts joined by NUL and folded in one call rather than one a
        text (which NUL does not change: see :func:`_lowered`); a batch with a text
        holding a NUL of its own, or an article without text, is folded a text at a time
        as :meth:`blob` does. ``datas``: each node's dict by position, when at hand."""
        chunks: list[bytes] = []
        starts = np.zeros(len(rows), dtype=np.int64)
        offset = 0
        # texts(i) of each article, off the node dicts without networkx's views (the
        # index being built), each topic's name looked up once rather than once an article.
        nodes, ids = self.g._node, self.ids
        data_at = datas.__getitem__ if datas is not None else \
            (lambda i: nodes[ids[i]])
        names: dict[str, Any] = {}
        for a in range(0, len(rows), _FOLD_BATCH):
            batch = rows[a : a + _FOLD_BATCH]
            texts: list[str] = []
            firsts: list[int] = []
            for i in batch:
                firsts.append(len(texts))
                data = data_at(i)
                found = [data.get("title"), data.get("excerpt"), data.get("body")]
                for slug in data.get("topics", ()):
                    if slug not in names:
                        names[slug] = nodes[TOPIC_PREFIX + slug].get("name")
                    found.append(names[slug])
                texts.extend(filter(None, found))
            data = b""
            if texts and len(texts) > firsts[-1] and all(
                    firsts[k] < firsts[k + 1] for k in range(len(firsts) - 1)):
                data = fold("\x00".join(texts)).encode()
                seps = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
            if len(data) and len(seps) == len(texts) - 1:
                at = np.zeros(len(texts), dtype=np.int64)
                at[1:] = seps + 1
                starts[a : a + len(batch)] = offset + at[firsts]
            else:  # a text with a NUL of its own, or an article with none: one at a time
                blobs = [self.blob(i) for i in batch]
                data = FIELD_SEP.join(blobs)
                lengths = np.fromiter((len(b) + 1 for b in blobs), np.int64, len(blobs))
                starts[a : a + len(batch)] = offset + np.cumsum(lengths) - lengths
            chunks.append(data)
            offset += len(data) + 1
        return FIELD_SEP.join(chunks), starts

    def _blob_of(self, rows: list[int]) -> bytes:
        """Return the text index's blob over the articles ``rows``, as built."""
        return FIELD_SEP.join(self.blob(i) for i in rows)

    def _candidates(self, phrase: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray] | None:
        """Return the articles holding every token of ``phrase`` in one field, read off
        :attr:`words` — a superset of the phrase's articles (all of them for one token),
        sorted — and beside each the fields holding all its tokens (bit ``1 << f`` for
        :data:`graph.search.FIELDS` ``[f]``). None when ``phrase`` is not a sequence of
        tokens (those are all the token index knows)."""
        if any(tokens(t) != [t] for t in phrase):
            return None
        # Fields holding every token so far, by node: a table over all nodes, no sorting.
        held: np.ndarray | None = None
        for token in dict.fromkeys(phrase):
            found, bits = self.words.entries(token)
            these = np.zeros(len(self.ids), dtype=np.int8)
            these[found] = bits
            if held is None:
                held = these
            else:
                held &= these
        assert held is not None
        rows = np.flatnonzero(held).astype(np.int32)
        return rows, held[rows]

    def _candidate_segments(self, rows: np.ndarray, masks: np.ndarray,
                            budget: Budget | None = None,
                            ) -> Iterator[tuple[bytes, np.ndarray, np.ndarray]]:
        """Yield the text index's parts over the candidates of a phrase: per field, the
        candidates whose that field holds all its tokens, folded as :meth:`blob`
        does, :data:`SCAN_TEXTS` texts a part, the deadline of ``budget`` looked at
        before each. A phrase never spans two fields, so these are all the text it can
        be in."""
        columns = self.__dict__.get("_text_columns")
        if columns is None:  # the nodes' own strings by position: a phrase reads lists
            held_in = node_columns(self.g)
            if held_in is not None and held_in.ids is self.ids:  # or the columns themselves
                columns = [TextsOf(held_in, name) for name in ("title", "excerpt", "body")]
            else:
                nodes = self.g._node
                columns = [[nodes[n].get(name) or "" for n in self.ids]
                           for name in ("title", "excerpt", "body")]
            self.__dict__["_text_columns"] = columns
        for f, column in enumerate(columns):
            held = rows[(masks & (1 << f)) != 0]
            for lo in range(0, len(held), SCAN_TEXTS):
                if budget is not None:
                    budget.check_time()
                part = held[lo : lo + SCAN_TEXTS]
                yield _lowered([column[i] for i in part.tolist()], part)
        held = rows[(masks & 8) != 0]
        for lo in range(0, len(held), SCAN_TEXTS):  # topic names: a text each
            if budget is not None:
                budget.check_time()
            texts, owners = [], []
            for i in held[lo : lo + SCAN_TEXTS].tolist():
                names = self._topic_names(i)
                texts += names
                owners += [i] * len(names)
            if texts:
                yield _lowered(texts, np.array(owners, dtype=np.int32))

    def _blob_segments(self, budget: Budget | None = None,
                       ) -> Iterator[tuple[bytes, np.ndarray, np.ndarray]]:
        """Yield :meth:`segments`, the base blob made again :data:`SCAN_TEXTS` articles a
        part when it is held once (the deadline of ``budget`` looked at before each)."""
        text, rows, extra = self.text, self.article_rows, self.extra_text
        if text is not None:
            yield text, self.text_starts, rows
        else:
            rows = rows[rows >= 0]  # a followed version's: less the text no longer current
            for lo in range(0, len(rows), SCAN_TEXTS):
                if budget is not None:
                    budget.check_time()
                part = rows[lo : lo + SCAN_TEXTS]
                blobs = [self.blob(i) for i in part.tolist()]
                starts = np.zeros(len(blobs), dtype=np.int64)
                np.cumsum([len(b) + 1 for b in blobs[:-1]], out=starts[1:])
                yield FIELD_SEP.join(blobs), starts, part
        yield from extra

    def _topic_names(self, i: int) -> list[str]:
        """The names of article ``i``'s topics, as :meth:`texts` gives them."""
        nodes = self.g.nodes
        names = [nodes[topic_id(slug)].get("name")
                 for slug in nodes[self.ids[i]].get("topics", ())]
        return [t for t in names if t]

    def combined(self, via: tuple[str, ...]) -> CSR:
        """Return the CSR whose row ``i`` is ``i``'s neighbours over ``via``, kind by kind."""
        if len(via) == 1:
            return self.csr[via[0]]
        return self._combined(via)

    def _combine(self, via: tuple[str, ...], budget: Budget | None = None) -> CSR:
        parts = [self.csr[k].compacted() for k in via]
        n = len(self.ids)
        degree = sum(p.degree for p in parts)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(degree, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        filled = indptr[:-1].copy()
        for p in parts:
            # Entry j of row i goes to filled[i] + (j - p.indptr[i]): one repeat of
            # a per-row shift (0.87 -> 0.18 s at 1M, on the first query after a start).
            dest = np.repeat(filled - p.indptr[:-1], p.degree)
            dest += np.arange(len(p.indices), dtype=np.int64)
            indices[dest] = p.indices
            filled += p.degree
        return CSR(indptr, indices)

    # -- text --------------------------------------------------------------------------

    def _mentioning(self, phrase: tuple[str, ...], budget: Budget | None = None,
                    ) -> frozenset[int]:
        """Return the articles whose title, excerpt, body or a topic name holds the phrase."""
        return frozenset(self._phrase_articles(phrase, budget).tolist())

    def _mention_mask(self, phrase: tuple[str, ...], budget: Budget | None = None,
                      ) -> np.ndarray:
        """Return a boolean array over nodes, true for the articles holding the phrase."""
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[self._phrase_articles(phrase, budget)] = True
        mask.flags.writeable = False  # shared by every caller through the cache
        return mask

    def _keep_mask(self, kinds: frozenset[str], phrase: tuple[str, ...] | None,
                   budget: Budget | None = None) -> np.ndarray:
        """Return a read-only boolean array over nodes: the given kinds, and when a phrase
        is given, only the articles holding it."""
        keep = np.zeros(len(self.ids), dtype=bool)
        for kind in kinds:
            keep |= self.kind_code == KIND_CODES[kind]
        if phrase is not None:
            keep &= self.mention_mask(phrase, budget=budget)
        keep.flags.writeable = False
        return keep

    def _kept_rows(self, via: tuple[str, ...], kinds: frozenset[str],
                   phrase: tuple[str, ...] | None, budget: Budget | None = None) -> CSR:
        """Return the rows of :meth:`combined` ``via`` holding only the nodes
        :meth:`keep_mask` keeps: what a walk's last level reads when only they are
        reported. A row lists its kept neighbours in node order, not in row order."""
        n = len(self.ids)
        nodes = np.flatnonzero(self.keep_mask(kinds, phrase, budget=budget)).astype(np.int32)
        csr = self.combined(via)
        if budget is not None:
            budget.check_time()
        # The rows are symmetric: u's row holds c as often as c's row holds u.
        nb, owner = gather(nodes, csr.indptr, csr.indices, csr.degree[nodes])
        # int32 offsets when they fit: held per phrase, they are the bulk of it.
        indptr = np.zeros(n + 1, dtype=np.int32 if len(nb) < 2**31 else np.int64)
        np.cumsum(np.bincount(nb, minlength=n), out=indptr[1:])
        return CSR(indptr, owner[np.argsort(nb, kind="stable")])

    def _token_articles_uncached(self, token: str) -> tuple[int, ...]:
        return tuple(self._phrase_articles((token,)).tolist())

    def _phrase_articles(self, phrase: tuple[str, ...], budget: Budget | None = None,
                         ) -> np.ndarray:
        """Return the sorted node indexes of the articles holding ``phrase``.

        The text is scanned :data:`SCAN_BYTES` at a time, the deadline of ``budget``
        looked at between windows: past it, BudgetExceeded, and nothing is answered (so
        no cache keeps a part of the answer)."""
        if not phrase:
            return np.zeros(0, dtype=np.int32)
        # The bytes pattern finds every true match (and, near non-ASCII text, a few
        # false ones, which the token rule then rejects): a token is ASCII letters and
        # digits only when the bytes around it say so.
        segments: Iterable[tuple[bytes, np.ndarray, np.ndarray]] | None = None
        known: list[int] = []  # articles known to hold it without a scan
        if self.text is None and self.words is not None:
            # The words name the candidates among the base rows; the text of later
            # versions (a followed corpus's, graph/reindex.py) is scanned whole.
            extra = self.extra_text
            found = self._candidates(phrase)
            if found is not None:
                candidates, masks = found
                if len(phrase) == 1 or not len(candidates):  # a token's articles: exact
                    if not extra:
                        return candidates
                    known = candidates.tolist()
                    segments = extra
                else:
                    segments = itertools.chain(
                        self._candidate_segments(candidates, masks, budget), extra)
        # Next to a letter of an unspaced script (Han, kana), a word needs no gap; such a
        # match is never ASCII, so the token rule decides it.
        body = re.escape(phrase[0].encode())
        for left, word in zip(phrase, phrase[1:], strict=False):
            gap = rb"[^a-z0-9\x00]*" if unspaced(left) or unspaced(word) \
                else rb"[^a-z0-9\x00]+"
            body += gap + re.escape(word.encode())
        pattern = re.compile(body if unspaced(phrase[-1]) else body + rb"(?![a-z0-9])")
        opens_unspaced = unspaced(phrase[0])
        rows: set[int] = set(known)
        for text, starts, owners in segments if segments is not None else \
                self._blob_segments(budget):
            hits: list[int] = []
            unsure: list[int] = []
            ends: list[int] | None = None  # where each text's successor begins
            for lo, hi in _windows(text, SCAN_BYTES):
                if budget is not None:
                    budget.check_time()
                at = lo
                # A match never holds a NUL, so none crosses a window's end (a NUL).
                while (m := pattern.search(text, at, hi)) is not None:
                    s, e = m.start(), m.end()
                    at = s + 1  # matches may overlap: "a a a" holds the phrase "a a" twice
                    before = text[s - 1] if s else 0
                    if before in _ASCII_ALNUM and not opens_unspaced:
                        continue
                    if before >= 0x80 or not text[s:e].isascii() or \
                            (e < len(text) and text[e] >= 0x80):
                        unsure.append(s)
                    else:
                        hits.append(s)
                        # Its article holds the phrase: the rest of its text need not be
                        # searched (a text repeating the phrase matched at every word).
                        if ends is None:
                            ends = starts[1:].tolist()
                        k = bisect.bisect_right(ends, s)
                        at = max(at, ends[k] if k < len(ends) else hi)
            rows.update(_rows_at(starts, owners, hits))
            for i in _rows_at(starts, owners, unsure):
                if i not in rows and _holds(self.fields[i], phrase):
                    rows.add(i)
        rows.discard(-1)  # text no longer current
        return np.array(sorted(rows), dtype=np.int32)

    def order_key(self, i: int) -> tuple[float, str]:
        """Sort key within one hop: newest first, then by id."""
        return (self.newest_first[i], self.ids[i])


class Answers:
    """A bounded cache (least recently used out) of a function's answers by its
    arguments, which takes the asking request's budget beside them (``budget=``, not
    part of the key): a call its budget cuts short raises, so only whole answers are
    kept, and the next call computes the answer again from the start.

    Callers asking for an answer another thread is computing wait for it rather than
    compute it too: on a new graph version, every query thread missed at once and each
    scanned and built the same corpus-sized answer (16 query threads, 16 copies of the
    work, all holding the interpreter). A waiter whose maker gave up (its budget cut it)
    computes the answer itself; a waiter's own budget is looked at while it waits (its
    deadline, and its pace: a turn in a server's lane of long operations is given up
    as it would be while computing).

    Examples
    --------
    >>> square = Answers(lambda x, budget=None: x * x, maxsize=2)
    >>> square(3), square(3, budget=None), square.cache_info()
    (9, 9, (1, 1))
    """

    __slots__ = ("make", "maxsize", "_held", "_making", "hits", "misses")

    def __init__(self, make: Callable[..., Any], maxsize: int):
        self.make = make
        self.maxsize = maxsize
        # Worker threads share one index: each OrderedDict call is atomic under the GIL,
        # and a key another thread evicted meanwhile is let go. No lock, so a process
        # forked while a thread is here (a worker, an export's writer) cannot inherit
        # one held.
        self._held: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        # Answers being computed: key -> (the computing process, set once it is done).
        # A forked child never waits for a parent's thread (the process id differs).
        self._making: dict[tuple[Any, ...], tuple[int, threading.Event]] = {}
        self.hits = self.misses = 0

    def __call__(self, *key: Any, budget: Budget | None = None) -> Any:
        held = self._held
        try:
            found = held[key]
        except KeyError:
            return self._miss(key, budget)
        self.hits += 1
        with contextlib.suppress(KeyError):
            held.move_to_end(key)
        return found

    def _miss(self, key: tuple[Any, ...], budget: Budget | None) -> Any:
        held = self._held
        mine = (os.getpid(), threading.Event())
        other = self._making.setdefault(key, mine)  # atomic: one thread's wins
        if other is not mine and other[0] == mine[0]:
            while not other[1].wait(_WAIT_S):
                if budget is not None:
                    # Its pace too: a waiter holding the lane's place (schema/lanes.py)
                    # makes way when its turn is over, or the maker, waiting for that
                    # place, would wait until a deadline.
                    budget.check_time()
            found = held.get(key)
            if found is not None:
                self.hits += 1
                return found
            # Its maker gave up (cut by its budget) or it was evicted: made here.
        self.misses += 1
        try:
            found = self.make(*key, budget=budget)  # raises when cut: nothing is kept
            held[key] = found
            while len(held) > self.maxsize:
                with contextlib.suppress(KeyError):
                    held.popitem(last=False)
            return found
        finally:
            if self._making.get(key) is mine:
                del self._making[key]
                mine[1].set()

    def __contains__(self, key: object) -> bool:
        """Whether the answer to the arguments ``key`` (a tuple) is held."""
        return key in self._held

    def cache_info(self) -> tuple[int, int]:
        """Return ``(hits, misses)`` so far."""
        return self.hits, self.misses

    def cache_clear(self) -> None:
        """Forget every answer."""
        self._held.clear()


def _windows(text: bytes, size: int) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` windows of ``text`` about ``size`` bytes long, each ending
    at a NUL (between two fields or articles) or at the end."""
    lo, n = 0, len(text)
    while lo < n:
        hi = text.find(FIELD_SEP, lo + size) if lo + size < n else -1
        hi = n if hi < 0 else hi
        yield lo, hi
        lo = hi


def _every_node_sorted(ids: list[str], nodes: Mapping[str, Any]) -> bool:
    """True when ``ids`` is ``sorted(nodes)``: as many, each a node, each after the one
    before (a pass over them, where sorting the nodes again compares each ~17 times)."""
    return len(ids) == len(nodes) and all(map(nodes.__contains__, ids)) \
        and all(map(operator.lt, ids, islice(ids, 1, None)))


def alias_keys(data: dict[str, Any]) -> list[str]:
    """Return an article's other URLs: its raw URLs and their canonical forms, except
    its own canonical URL (which finds it anyway)."""
    url = data["url"]
    keys: list[str] = []
    for raw in (data.get("web_url"), data.get("original_url")):
        if raw and raw != url:
            keys.append(raw.strip())
            try:  # the other URL's canonical form finds the article too
                keys.append(canonical_url(raw))
            except InvalidURLError:
                pass
    return [k for i, k in enumerate(keys) if k != url and k not in keys[:i]]


def add_aliases(aliases: dict[str, tuple[str, ...]], node: str, data: dict[str, Any]) -> None:
    """Add an article's other URLs to ``aliases``, keeping each key's articles by id."""
    for key in alias_keys(data):
        claims = aliases.get(key)
        aliases[key] = (node,) if claims is None else tuple(sorted((*claims, node)))


def newest_first(data: dict[str, Any]) -> float:
    """An article's sort key within one hop: minus its publication time (none: last)."""
    published: datetime | None = data.get("published_at")
    return -published.timestamp() if published else float("inf")


def _lowered(texts: list[str], owners: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Return ``(text, starts, owners)`` for texts as :meth:`ReadIndex.blob` holds them
    (folded UTF-8, a NUL in a text made a space), NUL between them: folded and encoded at
    once, which NUL does not change (it is neither a letter nor ignorable to the context
    of a final sigma, and no mark composes with it)."""
    data = fold("\x00".join(texts)).encode()
    seps = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
    if len(seps) != len(texts) - 1:  # a text holds a NUL of its own
        data = fold("\x00".join(t.replace("\x00", " ") for t in texts)).encode()
        seps = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
    starts = np.zeros(len(texts), dtype=np.int64)
    starts[1:] = seps + 1
    return data, starts, owners


def _rows_at(starts: np.ndarray, owners: np.ndarray, offsets: list[int]) -> list[int]:
    if not offsets:
        return []
    where = np.searchsorted(starts, np.array(offsets), side="right") - 1
    return owners[where].tolist()


def gather(frontier: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
           counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the concatenated neighbour rows of ``frontier`` (``counts`` long each) and,
    beside each entry, the node whose row it is. One row is a view of ``indices``."""
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty
    if len(frontier) == 1:  # a start's row: a slice, not a gather
        at = int(indptr[frontier[0]])
        return indices[at : at + total], np.full(total, frontier[0], dtype=frontier.dtype)
    starts = indptr[frontier]
    ends = np.cumsum(counts)
    offsets = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - counts), counts)
    return indices[offsets], np.repeat(frontier, counts)


def _csr_by_kind(g: nx.MultiDiGraph, ids: list[str], pos: Mapping[str, int],
                 ) -> dict[str, CSR]:
    """Return the CSR of each kind in :data:`WALK_ORDER` over ``g``'s edges: off its edge
    arrays when it has them (graph/compact.py), else off networkx's dicts."""
    n = len(ids)
    edges = edge_arrays(g)
    if edges is not None and (edges.ids is ids or list(edges.ids) == ids):
        rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(edges.out_indptr))
        out: dict[str, CSR] = {}
        for kind in WALK_ORDER:
            if kind not in edges.keys:
                out[kind] = csr_pairs(np.empty(0, np.int32), np.empty(0, np.int32), n)
                continue
            at = edges.out_key == edges.keys.index(kind)
            out[kind] = csr_pairs(rows[at], edges.out_target[at], n)
        return out
    pairs: dict[str, list[int]] = {k: [] for k in WALK_ORDER}
    for u, nbrs in g._succ.items():  # g.edges(keys=True), without the view's overhead
        a = pos[u]
        for v, keydict in nbrs.items():
            b = pos[v]
            for kind in keydict:
                pair = pairs.get(kind)
                if pair is not None:
                    pair.append(a)
                    pair.append(b)
    return {k: csr_of(pairs[k], n) for k in WALK_ORDER}


def csr_of(pairs: list[int], n: int, index: ReadIndex | None = None) -> CSR:
    """Return the symmetric CSR of undirected edges given as flat ``[u0, v0, u1, ...]``,
    each row in id order (``index``'s, when its positions are not) and without repeats."""
    flat = np.array(pairs, dtype=np.int32)
    return csr_pairs(flat[0::2], flat[1::2], n, index)


def csr_pairs(u: np.ndarray, v: np.ndarray, n: int, index: ReadIndex | None = None) -> CSR:
    """Return the symmetric CSR of the undirected edges ``(u[k], v[k])`` (as
    :func:`csr_of`)."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    places = None if index is None else index.id_rank
    if len(rows):
        key = rows.astype(np.int64) * n + (cols if places is None else places[cols])
        # np.unique, by a sort: numpy 2's np.unique hashes, ~15x slower on these.
        key.sort()
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        rows = (key // n).astype(np.int32)
        cols = (key % n).astype(np.int32)
        if places is not None:
            assert index is not None and index.id_order is not None
            cols = index.id_order[cols]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return CSR(indptr, cols.astype(np.int32))


def _holds(fields: tuple[tuple[str, ...], ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    first = phrase[0]
    for seq in fields:
        for start, token in enumerate(seq):
            if token == first and seq[start : start + n] == phrase:
                return True
    return False
