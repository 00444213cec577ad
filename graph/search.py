"""An inverted index for ``search(text:)``: for each token, the articles holding it and in
which fields, stored in the order a one-word search returns them.

Search ranks an article by the best field holding the whole phrase (title, then
excerpt, then body), then by the best field holding all its tokens, then newest
first, then by id (see :func:`graph.select.search_by_scan`, the reference it is tested
against). For one word both are the first field holding it, so the index keeps, per
token, its articles sorted by that field and then by date: a one-word search is a
slice of two arrays, however common the word. For several words the index intersects
their articles and knows which fields hold all of them; only the fields that do are
read to find the phrase, and how many articles that was is reported as ``scanned``.

Tokenizing every title, excerpt and body takes about a third of a second per thousand
articles, so a server builds the index in its background job (graph/background.py),
with the other whole-graph parts.
"""

from __future__ import annotations

import re
import weakref
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from graph.build import ARTICLE, topic_id
from graph.errors import InvalidArgument
from graph.nodeattrs import TextsOf, node_columns
from graph.normalize import fold, phrase_regex, phrase_tokens, tokens

if TYPE_CHECKING:
    from graph.kg import KnowledgeGraph

__all__ = ["SearchIndex", "SearchHits", "build_search_index", "FIELDS"]

# The fields a search reads, best first, with the bit each has in a token's field mask;
# "topics" (a topic's name holds the word) ranks last.
FIELDS = ("title", "excerpt", "body", "topics")
_BITS = (1, 2, 4, 8)
# The best field of a mask: its lowest set bit.
_BEST = np.array([next((f for f, bit in enumerate(_BITS) if m & bit), 3) for m in range(16)],
                 dtype=np.int8)


class SearchHits(Sequence[tuple[str, str]]):
    """Search results, ``(article id, field)`` best first; built only for the page read."""

    def __init__(self, ids: Sequence[str], rows: np.ndarray, fields: np.ndarray,
                 scanned: int):
        self._ids = ids
        self._rows = rows
        self._fields = fields
        self.scanned = scanned  # articles whose text was read to rank them

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> tuple[str, str]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, str]]: ...

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            rows, fields = self._rows[i].tolist(), self._fields[i].tolist()
            return [(self._ids[r], FIELDS[f]) for r, f in zip(rows, fields, strict=True)]
        return (self._ids[int(self._rows[i])], FIELDS[int(self._fields[i])])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)


class SearchIndex:
    """Per token: its articles (index positions) and field masks, in one-word rank order."""

    def __init__(self, vocabulary: dict[str, int], offsets: np.ndarray, rows: np.ndarray,
                 masks: np.ndarray, order: np.ndarray):
        self.vocabulary = vocabulary
        self.offsets = offsets  # token t's entries are [offsets[t], offsets[t + 1])
        self.rows = rows  # index positions of articles
        self.masks = masks  # fields holding the token, bits of _BITS
        self.order = order  # rank of each index position: newest first, then by id

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_columns", None)  # the graph's own strings: rebuilt where it is
        return state

    def _column(self, kg: KnowledgeGraph, f: int) -> Sequence[str]:
        """Return field ``f`` of every node by index position ("" where none): built on
        first use, holding the graph's own strings, so a phrase reads a list, not nodes."""
        columns = self.__dict__.setdefault("_columns", {})
        key = (id(kg), f)
        found = columns.get(key)
        if found is None or found[0]() is not kg:
            name = FIELDS[f]
            held_in = node_columns(kg.nx)
            column: Sequence[str]
            if held_in is not None and held_in.ids is kg.index.ids:
                column = TextsOf(held_in, name)  # read from the column when asked
            else:
                nodes = kg.nx._node  # the node dicts themselves: no view per node
                column = [nodes[n].get(name) or "" for n in kg.index.ids]
            found = columns[key] = (weakref.ref(kg), column)
        return found[1]

    def entries(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the articles holding ``token`` and their field masks, in rank order."""
        t = self.vocabulary.get(token)
        if t is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int8)
        lo, hi = self.offsets[t], self.offsets[t + 1]
        return self.rows[lo:hi], self.masks[lo:hi]

    def search(self, kg: KnowledgeGraph, text: str,
               check: Callable[[int], None] | None = None) -> SearchHits:
        """Return the articles holding every token of ``text``, ranked as
        :func:`graph.select.search_by_scan` ranks them; ``check(n)`` hears of every
        ``n`` articles read (a budget may raise there)."""
        wanted = phrase_tokens(text)
        if not wanted:
            raise InvalidArgument(f"search text {text!r} has no letters or digits to search for")
        ids = kg.index.ids
        distinct = list(dict.fromkeys(wanted))
        if len(wanted) == 1:
            rows, masks = self.entries(wanted[0])
            return SearchHits(ids, rows, _BEST[masks], 0)
        return self._phrase(kg, wanted, distinct, check)

    def _phrase(self, kg: KnowledgeGraph, wanted: tuple[str, ...], distinct: list[str],
                check: Callable[[int], None] | None) -> SearchHits:
        ids = kg.index.ids
        found = sorted((self.entries(t) for t in distinct), key=lambda e: len(e[0]))
        rows, together = found[0][0], found[0][1].astype(np.int8)
        # Intersect smallest first, through a scratch row -> mask table: each further
        # token costs its own entries, not a sort of them.
        scratch = np.zeros(len(ids), dtype=np.int8)
        for other_rows, other_masks in found[1:]:
            if not len(rows):
                break
            scratch[other_rows] = other_masks
            got = scratch[rows]
            scratch[other_rows] = 0
            keep = got != 0  # every entry of a token has a field bit
            rows, together = rows[keep], together[keep] & got[keep]
        if check is not None:  # every candidate is read (or known from its masks) to rank it
            check(len(rows))
        tokens_in = _BEST[together & 7]
        phrase_in = np.full(len(rows), 3, dtype=np.int8)
        phrase = _phrase_pattern(wanted)
        todo = np.flatnonzero(together & 7)
        for f in range(3):
            holding = todo[(together[todo] & _BITS[f]) != 0]
            column = self._column(kg, f) if len(holding) else []
            for lo in range(0, len(holding), _CHUNK):
                if check is not None:
                    check(0)  # the deadline, between chunks
                chunk = holding[lo:lo + _CHUNK]
                texts = [column[i] for i in rows[chunk].tolist()]
                phrase_in[chunk[_holding(phrase, texts)]] = f
            todo = todo[phrase_in[todo] == 3]
        rank = np.lexsort((self.order[rows], tokens_in, phrase_in))
        # The field named: the phrase's, else the one holding every token, else topics.
        named = np.where(phrase_in < 3, phrase_in, tokens_in).astype(np.int8)
        return SearchHits(ids, rows[rank].astype(np.int32), named[rank], len(rows))


# Candidate texts searched for a phrase in one pass.
_CHUNK = 8192
_SEPARATOR = "\0"


def _phrase_pattern(wanted: Sequence[str]) -> re.Pattern[str]:
    """The phrase as a regex over case-folded text, the same as
    :func:`graph.select.search_by_scan`'s, but starting with its first word as a literal,
    which the regex engine finds fast (the check before it is a lookbehind after it)."""
    return re.compile(phrase_regex(wanted))


def _holding(phrase: re.Pattern[str], texts: list[str]) -> np.ndarray:
    """Return the positions of the texts whose folded form holds the phrase: one
    regex pass over them joined; a text a match runs into from its neighbour is
    searched again on its own."""
    joined = fold(_SEPARATOR.join(texts))
    if len(joined) != len(texts) - 1 + sum(map(len, texts)):
        texts = [fold(t) for t in texts]  # a letter folded to several, or composed: one by one
        joined = _SEPARATOR.join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    spans = [m.span() for m in phrase.finditer(joined)]
    if not spans:
        return np.zeros(0, dtype=np.int64)
    bounds = np.array(spans, dtype=np.int64)
    first = np.searchsorted(starts, bounds[:, 0], side="right") - 1
    last = np.searchsorted(starts, bounds[:, 1] - 1, side="right") - 1
    inside = (first == last) & (bounds[:, 1] <= starts[first] + lengths[first])
    hits = set(first[inside].tolist())
    for a, b in zip(first[~inside].tolist(), last[~inside].tolist(), strict=True):
        for j in range(a, b + 1):  # a match across texts: each of them alone decides
            if j not in hits and phrase.search(joined, starts[j], starts[j] + lengths[j]):
                hits.add(j)
    return np.array(sorted(hits), dtype=np.int64)


def build_search_index(kg: KnowledgeGraph) -> SearchIndex:
    """Tokenize every article's title, excerpt, body and topic names into a SearchIndex."""
    index = kg.index
    nodes = kg.nx.nodes
    vocabulary: dict[str, int] = {}
    token_ids = array("i")
    rows = array("i")
    masks = array("b")
    articles = [i for i, kind in enumerate(index.kind) if kind == ARTICLE]
    for i in articles:
        data = nodes[index.ids[i]]
        found: dict[str, int] = {}
        for bit, name in zip(_BITS, FIELDS[:3], strict=False):
            text = data.get(name)
            if text:
                for t in set(tokens(text)):
                    found[t] = found.get(t, 0) | bit
        for slug in data.get("topics") or ():
            for t in tokens(nodes[topic_id(slug)].get("name") or ""):
                found[t] = found.get(t, 0) | 8
        for t, mask in found.items():
            token_ids.append(vocabulary.setdefault(t, len(vocabulary)))
            rows.append(i)
            masks.append(mask)
    order = np.zeros(len(index.ids), dtype=np.int64)
    by_rank = sorted(articles, key=index.order_key)
    order[np.array(by_rank, dtype=np.int64)] = np.arange(len(by_rank))
    t_arr = np.frombuffer(token_ids, dtype=np.int32)
    r_arr = np.frombuffer(rows, dtype=np.int32)
    m_arr = np.frombuffer(masks, dtype=np.int8)
    sort = np.lexsort((order[r_arr], _BEST[m_arr], t_arr))
    t_sorted = t_arr[sort]
    offsets = np.searchsorted(t_sorted, np.arange(len(vocabulary) + 1)).astype(np.int64)
    return SearchIndex(vocabulary, offsets, r_arr[sort].copy(), m_arr[sort].copy(), order)
