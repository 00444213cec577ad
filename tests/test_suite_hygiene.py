"""The test suite cleans up after itself: a run leaves no snapshot folder of its own behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_importing_the_helpers_both_ways_leaves_no_cache_folder(tmp_path: Path) -> None:
    # Test modules import the shared helpers as `conftest` and as `tests.conftest`: two
    # module objects. Each made its own snapshot folder and only pytest's was removed, so
    # every run left one behind in the temp folder (92 found in /tmp after one session).
    # A copy of the suite's layout: tests/conftest.py and a test module importing it both ways.
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "test_probe.py").write_text(
        "import os\n"
        "from conftest import record\n"
        "from tests.conftest import write_record\n"
        "def test_cache_is_set():\n"
        "    assert os.path.isdir(os.environ['NEWSGRAPH_CACHE'])\n"
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(tmp_path)}
    env.pop("NEWSGRAPH_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    left = sorted(p.name for p in scratch.iterdir() if p.name.startswith("newsgraph-test-cache-"))
    assert left == [], f"left behind: {left}"
