"""The exceptions newsgraph raises.

Every error is a :class:`NewsgraphError`, so one ``except`` catches them all::

    NewsgraphError
     ├── RecordError          a record or file that cannot be loaded (path, line, reason)
     ├── InvalidURLError      a string that is not an absolute http(s)-style URL
     ├── NodeNotFound         a node id, URL, slug or domain that is not in the graph
     ├── InvalidArgument      an argument outside what is allowed (hops, edge kinds, ...)
     ├── BudgetExceeded       a walk stopped by its budget (visits or deadline), naming it
     ├── StartGone            a watch's start (storyAdded's near.from) left the graph
 ├── NotReady             whole-graph analytics still being computed after the load
     └── SnapshotChanged      a snapshot's text read after start, from a file changed since

``NodeNotFound`` and ``InvalidArgument`` are also ``LookupError`` and ``ValueError``
respectively, so code written against the standard exceptions keeps working.

``InvalidURLError``, ``NodeNotFound`` and ``InvalidArgument`` are the caller's mistakes
in what it asked: their ``extensions`` carry ``{"code": "BAD_USER_INPUT"}`` (the name
Apollo Server gives an argument error), which a GraphQL answer shows beside the message.
"""

from __future__ import annotations

# The code of an argument error in a GraphQL answer's extensions.
BAD_USER_INPUT = "BAD_USER_INPUT"
# How much of an offending value a message shows: a URL, a domain, a date as written.
_SHOWN = 200


def shown(value: object, *, text: bool = False) -> str:
    """Return ``repr(value)`` (``str`` with ``text``) for a message, its start alone when
    it is long, with its length: an error never echoes a 100,000-character value whole.

    Examples
    --------
    >>> shown("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (1,000 characters)"
    """
    whole = str(value) if text else repr(value)
    if len(whole) <= _SHOWN:
        return whole
    if isinstance(value, str) and not text:
        return f"{value[:44]!r}"[:-1] + f"…{whole[-1]} ({len(value):,} characters)"
    return f"{whole[:_SHOWN]}… ({len(whole):,} characters)"


class NewsgraphError(Exception):
    """Base class of every newsgraph error."""


class RecordError(NewsgraphError):
    """A file or record that cannot be loaded.

    ``line`` is 1-based and ``None`` where the parser gives none.
    """

    def __init__(self, reason: str, *, path: str | None = None, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}" if where else self.reason


class _BadInput(NewsgraphError):
    """A mistake in what the caller asked for, not in the graph nor in newsgraph."""

    @property
    def extensions(self) -> dict[str, object]:
        """What a GraphQL error shows beside the message (a new dict each time)."""
        return {"code": BAD_USER_INPUT}


class InvalidURLError(_BadInput, ValueError):
    """A string that cannot be read as an absolute URL with a host."""


class NodeNotFound(_BadInput, LookupError):
    """A node id, URL, slug or domain that the graph does not hold."""


class InvalidArgument(_BadInput, ValueError):
    """An argument outside the allowed range or vocabulary."""


class BudgetExceeded(NewsgraphError):
    """A walk stopped midway because its :class:`~graph.budget.Budget` ran out.

    ``limit`` names what ran out: ``"visits"`` (neighbour entries read) or ``"seconds"``
    (the deadline); ``value`` is that limit.
    """

    def __init__(self, message: str, *, limit: str, value: float):
        super().__init__(message)
        self.limit = limit
        self.value = value


class StartGone(NewsgraphError):
    """The start a watch walks from (``near.from``) is no longer in the graph: its record
    was deleted or retracted and no record relates to it. Nothing can be within hops of
    it any more; ``extensions`` carry ``{"code": "START_GONE", "start": ..., "version":
    ...}`` for programs (a client may subscribe again with another start)."""

    def __init__(self, start: str, version: str | None):
        where = f" as of version {version}" if version else ""
        super().__init__(
            f"near.from {start!r} is gone from the graph{where}: its record was deleted or "
            "retracted and no record relates to it, so no story can be within hops of it; "
            "this subscription ends here, subscribe again with another start")
        self.start = start
        self.version = version
        self.extensions: dict[str, object] = {"code": "START_GONE", "start": start,
                                              "version": version}


class NotReady(NewsgraphError):
    """Whole-graph analytics (storylines, centrality, ...) still being computed, or failed.

    ``extensions`` carry ``{"code": "NOT_READY", "stage": ..., "progress": 0.4}`` for
    programs; the message says the same in words.
    """

    def __init__(self, message: str, **extensions: object):
        super().__init__(message)
        self.extensions = {"code": "NOT_READY", **extensions}


class SnapshotChanged(NewsgraphError):
    """A graph started from a snapshot reads its long texts from the snapshot file when
    asked; that file was changed (or cut short) after its signature was verified, so
    nothing more is read from it. Start again to load a verified snapshot."""
