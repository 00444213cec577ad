"""Waiting for a live server to catch up, with a hang guard instead of a timing assertion."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], Any], what: str, within: float = 30) -> Any:
    """Return check()'s first truthy value; fail after ``within`` seconds (a hang guard,
    not a timing assertion)."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def write_whole(root: Path, relpath: str, fields: Any) -> Path:
    """Write a record file the way an editor or a copy that renames does: whole, at once
    (a watcher may otherwise catch it empty, which is a state of the folder too)."""
    from tests.conftest import write_record

    final = root / relpath
    tmp = write_record(root, str(Path(relpath).with_name(f".{final.name}.tmp")), fields)
    os.replace(tmp, final)
    return final


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` builds on a fresh event loop in its own thread, so a
    loop another test left running here (Playwright's sync API does) does not matter."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
