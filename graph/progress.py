"""What a long load reports as it goes: one :class:`Step` per update, per phase.

``graph.load(path, progress=callback)`` calls ``callback(step)`` while it works:

* ``parse`` — ``done`` of ``total`` files read and parsed, ``records`` found so far
  (many times, as files come in);
* ``build`` — the networkx graph built from ``records`` records (its first pass runs
  while files are parsed; ``done == 0`` when the rest begins, ``1`` when it ends);
* ``index`` — the read index (CSR adjacency, text, ranks), likewise 0 then 1;
* ``snapshot`` — the snapshot written to the cache, 0 then 1 (only with ``cache``);
* ``snapshot-read`` — a warm start, read from the snapshot, 0 then 1;
* ``catch-up`` — a follow whose snapshot is behind its folder (files changed since it was
  written, graph/followcache.py): 0, then the count, of the files that changed, applied.

Steps come from the loading thread, in order; each phase ends with ``done == total``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

__all__ = ["Step", "ProgressCallback", "PHASES", "checked"]

PHASES = ("parse", "build", "index", "snapshot", "snapshot-read", "catch-up")


class Step(NamedTuple):
    """One progress update: the phase, how far it is (``done`` of ``total``), and the
    records read so far."""

    phase: str
    done: int
    total: int
    records: int = 0


ProgressCallback = Callable[[Step], None]


def checked(progress: ProgressCallback | None) -> ProgressCallback | None:
    """Return ``progress``; raise TypeError, naming what was given, for one that is not
    callable (taken, it failed at the load's first step: "'int' object is not callable")."""
    if progress is not None and not callable(progress):
        raise TypeError("progress takes a callable, called with each graph.progress.Step, "
                        f"or None; got {type(progress).__name__} {progress!r}")
    return progress
