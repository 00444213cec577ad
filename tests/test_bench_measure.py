"""bench.measure: a process's peak resident set is its own, not its parent's."""

import subprocess
import sys

import pytest

from bench.measure import peak_rss_bytes, rss_bytes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and exec's rusage")
def test_a_child_started_by_a_big_parent_reports_its_own_peak():
    # Linux keeps the largest resident set of a process's earlier images across exec
    # (ru_maxrss), so a server started by the bench's runner, which had held a loaded
    # graph, reported the runner's peak as its own ("peak 1,582 MB while loading" for a
    # server whose warm start peaked at 366 MB).
    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # resident, not only reserved
    assert rss_bytes() > 400 * 2**20
    child = subprocess.run(
        [sys.executable, "-c", "from bench.measure import peak_rss_bytes, rss_bytes;"
         "print(peak_rss_bytes(), rss_bytes())"],
        capture_output=True, text=True, check=True)
    peak, rss = map(int, child.stdout.split())
    del ballast
    assert rss <= peak < 200 * 2**20, (peak, rss)


def test_peak_is_at_least_the_current_resident_set():
    assert peak_rss_bytes() >= rss_bytes() > 0
