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


def polling_wanted() -> bool:
    """Return True when ``NEWSGRAPH_WATCH_POLL`` asks for polling (``1``, ``true``, ``yes``)."""
    return os.environ.get("NEWSGRAPH_WATCH_POLL", "").strip().lower() in {"1", "true", "yes"}


async def watch(live: LiveGraph, *, poll: bool = False,
                debounce_ms: int = DEFAULT_DEBOUNCE_MS,
                stop: asyncio.Event | None = None) -> None:
    """Apply the folder's changes to ``live`` until ``stop`` is set (or the task is
    cancelled). ``poll`` checks the folder every 300 ms instead of relying on the
    operating system's notifications.

    A batch that fails to apply is logged and the previous version stays current; the
    next batch (or a rescan) applies the folder as it then is.
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
            look.add_done_callback(functools.partial(_said, live))
            # This batch is applied too, beside the look: at 100k the watch took ~0.3 s
            # to set up, and a file dropped before it was in this batch; left to the look,
            # it was visible only as the look ended (10-13 s at 100k from a snapshot).
        if not changes:  # a timeout: nothing changed
            continue
        paths = sorted({path for _, path in changes})
        try:
            change = await asyncio.to_thread(live.apply, paths)
        except Exception:  # keep following: the next batch reads the folder as it is
            logger.exception("could not apply changes to %s", live.root)
            continue
        say(change)


def _said(live: LiveGraph, look: asyncio.Future[Change | None]) -> None:
    """Say what the first look found (or why it failed: the next batch reads the
    folder as it is)."""
    if look.cancelled():
        return
    error = look.exception()
    if error is not None:
        logger.error("could not look at the files of %s", live.root, exc_info=error)
        return
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
