"""A followed graph gives freed memory back: the allocator setting behind it.

A live graph makes a version per change: new arrays and dicts while the previous
version is still held, then the previous one freed. glibc's malloc serves a request of
more than its *mmap threshold* from its own mapping, handed back to the system when
freed — but by default each freed mapping raises the threshold to that size (up to 32
MiB), so later big allocations come from the heap, where freeing them leaves holes the
process keeps. After 1,000 single-record changes at 20k records that was a resident set
1.39× a cold load's (docs/live.md). ``graph.follow`` pins the threshold, so it stays.

The test reads the mechanism, not a timing: after a 16 MiB block is freed, is a 1 MiB
block still mapped on its own (``mallinfo2().hblks``)? It runs in a fresh interpreter,
so the setting of one test cannot leak into another.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")

_PROBE = textwrap.dedent("""
    import ctypes, sys
    libc = ctypes.CDLL("libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        print("no-mallinfo2"); sys.exit(0)

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    libc.mallinfo2.restype = Mallinfo2
    import graph
    {setup}
    big = bytearray(16 << 20)   # mapped on its own; freeing it raises a dynamic threshold
    del big
    before = libc.mallinfo2().hblks
    block = bytearray(1 << 20)
    print("mapped" if libc.mallinfo2().hblks == before + 1 else "heap")
""")


def _probe(setup: str) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(setup=setup)],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    if out.stdout.strip() == "no-mallinfo2":
        pytest.skip("this libc has no mallinfo2 (glibc < 2.33)")
    return out.stdout.strip()


def test_without_a_followed_graph_the_threshold_rises(tmp_path: Path) -> None:
    # The default this guards against: proves the probe sees the difference.
    (tmp_path / "a.md").write_text("---\ntitle: A\nwebUrl: https://x.org/a\n---\n")
    assert _probe(f"graph.load({str(tmp_path)!r})") == "heap"


def test_a_followed_graph_keeps_big_blocks_mapped_after_big_frees(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\nwebUrl: https://x.org/a\n---\n")
    assert _probe(f"live = graph.follow({str(tmp_path)!r})") == "mapped"
