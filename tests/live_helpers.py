"""Waiting for a live server to catch up, with a hang guard instead of a timing assertion."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


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
