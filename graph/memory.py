"""Handing a process's freed heap back to the system after a graph version is replaced."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["release_memory"]


def release_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``).

    Each version allocates its new arrays and dicts while the previous one is still
    held, then the previous one is freed; without this, the freed memory stays in the
    process (fragmented, and spread over the arenas of the threads that applied
    changes), and the resident set climbs far above the live data. Elsewhere a no-op.
    """
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return,unused-ignore]
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim() if sys.platform.startswith("linux") else None
