"""Watch a followed folder and apply each debounced batch of file changes to it.

watchfiles' ``awatch`` gathers the events of a burst (an editor's save, a copy of a
thousand files, a rename) into one batch, using the operating system's notifications,
or polling where those do not reach (network filesystems, some containers). Each batch
is applied in a thread, so the event loop keeps serving requests on the previous
version while the next one is built.
"""

from __future__ import annotations

import asyncio
import logging
import os

from graph.live import LiveGraph

__all__ = ["watch", "polling_wanted", "DEFAULT_DEBOUNCE_MS"]

logger = logging.getLogger("newsgraph")

# Long enough to gather one save or a copied batch, short enough to feel live.
DEFAULT_DEBOUNCE_MS = 50


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

    # What changed between the corpus's first reading and now (a load of minutes at
    # 100k records) has no event: look at every file once.
    await asyncio.to_thread(live.apply, None)

    # No filter: every file the loader lists (or reports as skipped) must be seen.
    async for changes in awatch(live.root, watch_filter=None, debounce=debounce_ms, step=10,
                                stop_event=stop,
                                force_polling=poll or None, poll_delay_ms=300,
                                recursive=True, ignore_permission_denied=True):
        paths = sorted({path for _, path in changes})
        try:
            change = await asyncio.to_thread(live.apply, paths)
        except Exception:  # keep following: the next batch reads the folder as it is
            logger.exception("could not apply changes to %s", live.root)
            continue
        if change is not None:
            logger.info("version %s: %d files changed, %d articles added, %d updated, "
                        "%d removed", change.version, len(change.files), len(change.added),
                        len(change.updated), len(change.removed))
