"""Which operations start at once: documents known to be quick, and the rest.

Before an operation has a thread, the server knows its document's text and nothing of
its cost. A text whose operation ran quick before (under :data:`QUICK_CPU_S` of its
thread's CPU, taking no turn in the lane: schema/lanes.py) is *known to be quick*; an
explorer sends the same few documents again and again, with new variables. Any other
is not known yet, and then (schema/http.py, schema/threads.py):

- it takes one of a few running places (``max_unknown_running``), not any of the 16:
  a flood of new or heavy documents cannot fill the threads that compute while cheap
  ones wait behind them, nor more than a few compute their first 20 ms at once;
- when it holds more than :data:`PACED_NAMES` names, it is long work from its start:
  it waits for a place in the lane before it is parsed, so its parse, validation and
  cost estimate (tens to hundreds of milliseconds of pure Python for a document of a
  thousand tokens: validation compares every two fields of one response name) take
  the lane's turn instead of a share of the interpreter beside the long operations.

A document known to be quick whose last operation took under :data:`INLINE_CPU_S` runs
its queries on the event loop, with no thread at all (schema/http.py ``_on_loop``).

The key of a document is its text without comments (the GraphQL spec ignores them):
clients and benchmarks that tag a document with a comment send the same document.
Everything here reads the text with regular expressions only (C speed; microseconds
for the largest document allowed), on the event loop.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from itertools import islice
from typing import Any

__all__ = ["INLINE_CPU_S", "KEPT_DOCUMENTS", "PACED_NAMES", "QUICK_CPU_S", "QuickDocuments",
           "document_key", "kept", "text_of", "names_in", "may_write"]

# An operation whose thread spent less CPU than this (the lane's `after`) ran quick.
QUICK_CPU_S = 0.02
# A query whose document's last operation spent less CPU than this runs on the event loop,
# without a thread (schema/http.py); one that spends more there, at its next look at the
# deadline, is stopped and run again in an operation thread.
INLINE_CPU_S = 0.002
# A document not known to be quick holding more names than this is parsed, validated and
# costed in the lane. `{ stats { articles } }` holds 2; an explorer's page with its
# fields 20 to 60; the benchmark's 10 aliased `paths` 70, its 20 aliased searches 140.
PACED_NAMES = 64
# How many documents each cache of what the server makes of one keeps (its parse,
# validation, plan, prepared pipeline and cost estimate: each entry holds its document,
# so a cache larger than the parse's kept documents the parse had let go), the most
# recently used. All they hold is scanned by every full
# collection of the cyclic collector, which holds every request meanwhile: at 256, a
# served process at 20k records spent a median 18.6 ms a full collection with nothing
# heavy running, at 64 9.3 ms, and about half as long under each noisy attack (lead36).
# An explorer sends a few dozen documents, each with new variables.
KEPT_DOCUMENTS = 64

# A string (block strings first), a comment, or a name: scanned left to right, so a "#"
# inside a string is never a comment and a word inside a string never a name.
_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|$)|"(?:[^"\\\n\r]|\\.)*"?'
                     r"|(#[^\n\r]*)|([_A-Za-z][_0-9A-Za-z]*)")


def document_key(text: str) -> str:
    """Return ``text`` without its comments and outer white space: the key of the
    document it holds.

    >>> document_key('{ stats { articles } } # 17')
    '{ stats { articles } }'
    >>> document_key('{ search(text: "#1") { totalCount } }')
    '{ search(text: "#1") { totalCount } }'
    """
    if "#" in text:
        text = _TOKENS.sub(lambda m: "" if m.group(1) is not None else m.group(0), text)
    return text.strip()


def names_in(text: str, at_most: int | None = None) -> int:
    """Return how many names (field, alias, argument, type, keyword) ``text`` holds,
    outside its strings and comments: a bound on the document's fields. With
    ``at_most``, the count stops past it (at ``at_most + 1``).

    >>> names_in('query Cheap { stats { articles } } # one two')
    4
    >>> names_in('{ a b c d e }', at_most=2)
    3
    """
    names = (m for m in _TOKENS.finditer(text) if m.group(2) is not None)
    return sum(1 for _ in (names if at_most is None else islice(names, at_most + 1)))


def kept(text: str) -> bool:
    """Whether what the server makes of the document ``text`` is kept for the next
    request that sends it: its parse, validation, plans and estimates
    (schema/cache.py, schema/pipeline.py, schema/plan.py, schema/cost.py). Not for a
    big one, of more than :data:`PACED_NAMES` names: kept, each was tens of thousands of
    objects (a location per token, a plan per field) in the interpreter's oldest
    generation, which every full collection scans while it holds every request: after
    300 distinct big documents 600,000 objects and ~400 ms a collection (lead35). An
    explorer's documents hold 20 to 60 names.

    >>> kept("{ stats { articles } }")
    True
    >>> kept("{ " + "stats { edges nodes } " * 30 + "}")
    False
    """
    return names_in(text, at_most=PACED_NAMES) <= PACED_NAMES


def text_of(document: Any) -> str:
    """The text a parsed document was read from ('' when it does not say)."""
    loc = getattr(document, "loc", None)
    source = getattr(loc, "source", None)
    body = getattr(source, "body", "")
    return body if isinstance(body, str) else ""


def may_write(text: str) -> bool:
    """True when ``text`` names ``mutation`` outside strings and comments: a mutation,
    maybe, which is never held back before it starts (an ingest holds the followed
    folder: schema/http.py)."""
    return "mutation" in text and any(m.group(2) == "mutation" for m in _TOKENS.finditer(text))


class QuickDocuments:
    """The documents (by :func:`document_key`) whose last operation ran quick, with the
    CPU seconds it took: the most recent ``maxsize``.

    >>> quick = QuickDocuments()
    >>> quick.ran("{ stats { articles } }", quick=True, cpu=0.0005)
    >>> quick.known("{ stats { articles } }"), quick.inline("{ stats { articles } }")
    (True, True)
    >>> quick.ran("{ stats { articles } }", quick=True, cpu=0.01)
    >>> quick.known("{ stats { articles } }"), quick.inline("{ stats { articles } }")
    (True, False)
    """

    def __init__(self, maxsize: int = 4096):
        self.maxsize = maxsize
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()  # written from worker threads, read on the loop

    def known(self, key: str) -> bool:
        """Whether the document of ``key`` is known to be quick."""
        with self._lock:
            return key in self._keys

    def inline(self, key: str) -> bool:
        """Whether the document of ``key`` is known to be quick enough to run on the event
        loop: its last operation took under :data:`INLINE_CPU_S` of CPU."""
        with self._lock:
            return self._keys.get(key, INLINE_CPU_S) < INLINE_CPU_S

    def ran(self, key: str, quick: bool, cpu: float = QUICK_CPU_S) -> None:
        """Remember how the last operation of ``key``'s document ran: quick, taking ``cpu``
        seconds, or not (then it is not known to be quick any more: other variables made
        it long)."""
        with self._lock:
            if not quick:
                self._keys.pop(key, None)
                return
            self._keys[key] = cpu
            self._keys.move_to_end(key)
            while len(self._keys) > self.maxsize:
                self._keys.popitem(last=False)
