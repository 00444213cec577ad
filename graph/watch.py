"""Watch a followed folder and apply each debounced batch of file changes to it.

watchfiles' ``awatch`` gathers the events of a burst (an editor's save, a copy of a
thousand files, a rename) into one batch, using the operating system's notifications,
or polling where those do not reach (network filesystems, some containers). Each batch
is applied in a thread, so the event loop keeps serving requests on the previous
version while the next one is built.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time

from graph.change import Change
from graph.live import LiveGraph
from graph.report import printable

__all__ = ["watch", "polling_wanted", "say_problems", "DEFAULT_DEBOUNCE_MS"]

logger = logging.getLogger("newsgraph")

# Long enough to gather one save or a copied batch, short enough to feel live.
DEFAULT_DEBOUNCE_MS = 50

# How long the watcher waits for a first event before saying it is running (and, after
# that, how often it wakes when nothing changes: a thread hop, a few microseconds).
FIRST_LOOK_AFTER_MS = 200

# A batch that failed to apply, or a file not read for want of a resource, is applied
# again after this many seconds, doubling while it fails, up to RETRY_AT_MOST_S.
RETRY_FIRST_S = 1.0
RETRY_AT_MOST_S = 30.0


def polling_wanted() -> bool:
    """Return True when ``NEWSGRAPH_WATCH_POLL`` asks for polling (``1``, ``true``, ``yes``)."""
    return os.environ.get("NEWSGRAPH_WATCH_POLL", "").strip().lower() in {"1", "true", "yes"}


async def watch(live: LiveGraph, *, poll: bool = False,
                debounce_ms: int = DEFAULT_DEBOUNCE_MS,
                stop: asyncio.Event | None = None) -> None:
    """Apply the folder's changes to ``live`` until ``stop`` is set (or the task is
    cancelled). ``poll`` checks the folder every 300 ms instead of relying on the
    operating system's notifications.

    A batch that fails to apply is logged and the previous version stays current; its
    paths are applied again, with the next batch or on their own after
    :data:`RETRY_FIRST_S` (doubling to :data:`RETRY_AT_MOST_S` while it fails), as are
    the files a version could not read for want of a resource of the process
    (``live.unread()``: open files, memory), which no later event would name.
    """
    from watchfiles import awatch

    # The watcher starts first; then the follow looks at every file once, for what
    # changed during the corpus's first reading (a load of minutes at 100k records, with
    # no events). The other order leaves a gap: a file written after that look but
    # before the watcher started would go unseen until some other file changed. awatch
    # creates its watcher when first iterated, and with yield_on_timeout its first
    # yield (the changes seen so far, or nothing after FIRST_LOOK_AFTER_MS) says the
    # watcher is running.
    look: asyncio.Future[Change | None] | None = None
    retry = _Retry()
    # No filter: every file the loader lists (or reports as skipped) must be seen.
    async for changes in awatch(live.root, watch_filter=None, debounce=debounce_ms, step=10,
                                stop_event=stop, rust_timeout=FIRST_LOOK_AFTER_MS,
                                yield_on_timeout=True,
                                force_polling=poll or None, poll_delay_ms=300,
                                recursive=True, ignore_permission_denied=True):
        if look is None:
            # The look reads every file, these changes' files included. It runs beside
            # the batches that follow (it holds the folder only to apply what it found,
            # graph/live.py): a file dropped meanwhile is applied at once, not after a
            # look at every file (~45 s at 100k from a snapshot on a busy machine).
            look = asyncio.ensure_future(asyncio.to_thread(live.apply, None))
            look.add_done_callback(functools.partial(_said, live, retry))
            # This batch is applied too, beside the look: at 100k the watch took ~0.3 s
            # to set up, and a file dropped before it was in this batch; left to the look,
            # it was visible only as the look ended (10-13 s at 100k from a snapshot).
        if not changes and not retry.due():  # a timeout: nothing changed
            continue
        # A look that failed is looked again: every file (None).
        paths = None if retry.look and retry.due() else sorted(
            {path for _, path in changes} | retry.paths)
        try:
            change = await asyncio.to_thread(live.apply, paths)
        except Exception:  # keep following: these paths are applied again (retry)
            retry.failed(live, paths or [])
            continue
        retry.look = retry.look and paths is not None
        retry.done(live)
        say(change)


class _Retry:
    """The paths to apply again: those of a batch whose apply failed (the import of a
    module or an allocation failing for want of descriptors or memory, under a flood of
    connections), and the files a version could not read for the same want. No event
    names them again: before, such a file stayed missing until it was touched."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.look = False  # the first look at every file failed: look again
        self.wait = RETRY_FIRST_S
        self.at = 0.0  # time.monotonic() of the next try on their own
        self.failures = 0

    def due(self) -> bool:
        return (self.look or bool(self.paths)) and time.monotonic() >= self.at

    def failed(self, live: LiveGraph, paths: list[str]) -> None:
        self.failures += 1
        if self.failures == 1:
            logger.exception("could not apply changes to %s; trying again in %g s",
                             live.root, self.wait)
        else:  # the traceback once: the same failure again is one line
            logger.warning("could not apply changes to %s (%d tries); trying again in %g s",
                           live.root, self.failures, self.wait)
        self.paths.update(paths)
        self.at = time.monotonic() + self.wait
        self.wait = min(self.wait * 2, RETRY_AT_MOST_S)

    def done(self, live: LiveGraph) -> None:
        unread = live.unread()
        if unread and set(unread) != self.paths:
            logger.warning("%d files of %s could not be read for want of a resource of "
                           "this process (open files, memory): reading them again in %g s",
                           len(unread), live.root, self.wait)
        if self.failures and not unread:
            logger.info("changes to %s applied after %d failed tries", live.root,
                        self.failures)
        self.paths = set(unread)
        if unread or self.look:
            self.at = time.monotonic() + self.wait
            self.wait = min(self.wait * 2, RETRY_AT_MOST_S)
        else:
            self.wait, self.failures = RETRY_FIRST_S, 0


def _said(live: LiveGraph, retry: _Retry, look: asyncio.Future[Change | None]) -> None:
    """Say what the first look found, and have the files it could not read read again;
    or say why it failed, and have it look again."""
    if look.cancelled():
        return
    error = look.exception()
    if error is not None:
        logger.error("could not look at the files of %s; looking again in %g s", live.root,
                     retry.wait, exc_info=error)
        retry.look = True
        retry.at = time.monotonic() + retry.wait
        return
    retry.paths.update(live.unread())
    say(look.result())


def say(change: Change | None) -> None:
    """Log a change that made a new version: its counts, then its files' problems."""
    if change is None:
        return
    logger.info("version %s: %d files changed, %d articles added, %d updated, %d removed",
                change.version, len(change.files), len(change.added), len(change.updated),
                len(change.removed))
    say_problems(change)


# A burst of broken files names this many; the rest are counted (all are in loadReport).
MAX_PROBLEMS_SAID = 20


def say_problems(change: Change) -> None:
    """Log what the load report says of the files this change read: a file rejected or
    skipped as a warning, a record loaded with something dropped as info, each line as
    the first load prints it (``path:line: reason``), so a person who dropped a file and
    does not see it served reads why where they watch the server."""
    if change.graph is None:
        return
    files = set(change.files)
    report = change.graph.report
    said = 0
    for level, kind, problems in ((logging.WARNING, "rejected", report.errors),
                                  (logging.WARNING, "skipped", report.skipped),
                                  (logging.INFO, "warning", report.warnings)):
        mine = [p for p in problems if p.path in files]
        for problem in mine[:max(0, MAX_PROBLEMS_SAID - said)]:
            where = problem.path if problem.line is None else f"{problem.path}:{problem.line}"
            logger.log(level, "%s: %s: %s", printable(where), kind, printable(problem.reason))
        said += len(mine)
    if said > MAX_PROBLEMS_SAID:
        logger.warning("... and %d more problems in the changed files (all of them: the "
                       "load report, loadReport in GraphQL)", said - MAX_PROBLEMS_SAID)
