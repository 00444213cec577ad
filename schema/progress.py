"""Progress on a terminal for the long commands: loading, snapshot writing, generation.

One status line on stderr, rewritten in place (at most ten times a second): the phase,
how far it is, records per second and the time left; each phase ends with a line that
says what it did and how long it took. Nothing is written when the stream is not a
terminal (a pipe, a log file, a test) or when the user asked for ``--quiet``.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from graph.progress import Step

__all__ = ["TerminalProgress", "terminal_progress"]

_VERBS = {"parse": "parsing", "build": "building the graph", "index": "building the read index",
          "snapshot": "writing the snapshot", "snapshot-read": "reading the snapshot",
          "catch-up": "applying the files changed since the snapshot", "generate": "generating"}
_DONE = {"parse": "parsed", "build": "built the graph", "index": "built the read index",
         "snapshot": "wrote the snapshot", "snapshot-read": "read the snapshot",
         "catch-up": "applied the files changed since the snapshot", "generate": "generated"}


class TerminalProgress:
    """A ``progress`` callback for :func:`graph.load` (and, through :meth:`records`,
    for the generator) that draws on ``stream``."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._phase = ""
        self._started = 0.0
        self._drawn = 0.0

    def __call__(self, step: Step) -> None:
        now = time.monotonic()
        if step.phase != self._phase:
            self._phase, self._started, self._drawn = step.phase, now, 0.0
        finished = step.done >= step.total
        if not finished and now - self._drawn < self.interval:
            return
        self._drawn = now
        elapsed = now - self._started
        if finished:
            self._write(f"\r\x1b[K{_summary(step, elapsed)}\n")
        else:
            self._write(f"\r\x1b[K{_status(step, elapsed)}")

    def records(self, done: int, total: int) -> None:
        """The generator's ``progress(done, total)`` callback: records written."""
        self(Step("generate", done, total, done))

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def terminal_progress(quiet: bool = False,
                      stream: TextIO | None = None) -> TerminalProgress | None:
    """Return a progress printer for ``stream`` (stderr), or None when ``quiet`` or
    when the stream is not a terminal."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return None
    return TerminalProgress(stream)


def _status(step: Step, elapsed: float) -> str:
    verb = _VERBS.get(step.phase, step.phase)
    if step.phase == "parse":
        parts = [f"{verb} {step.done:,}/{step.total:,} files", f"{step.records:,} records"]
    elif step.phase == "generate":
        parts = [f"{verb} {step.done:,}/{step.total:,} records"]
    else:
        return f"{verb}{f' from {step.records:,} records' if step.records else ''} ... " \
               f"{elapsed:.0f} s"
    if elapsed > 0 and step.records:
        parts.append(f"{step.records / elapsed:,.0f} records/s")
    if step.done and elapsed > 0:
        parts.append(f"ETA {_duration(elapsed * (step.total - step.done) / step.done)}")
    return " · ".join(parts)


def _summary(step: Step, elapsed: float) -> str:
    verb = _DONE.get(step.phase, step.phase)
    if step.phase == "parse":
        what = f"{verb} {step.total:,} files, {step.records:,} records"
    elif step.phase == "generate":
        what = f"{verb} {step.total:,} records"
    else:
        what = verb
    rate = ""
    if step.phase in ("parse", "generate") and step.records and elapsed > 0:
        rate = f", {step.records / elapsed:,.0f} records/s"
    return f"{what} in {_duration(elapsed)}{rate}"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
