"""The parse pool in a process that runs other threads (a server loads in a thread)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

_SCRIPT = textwrap.dedent("""
    import multiprocessing, sys, threading
    from pathlib import Path
    from graph import loader

    def refuse(*args, **kwargs):
        raise AssertionError("parsed in the process that loads, not in the pool")

    if __name__ == "__main__":
        root, method = Path(sys.argv[1]), sys.argv[2]
        if method != "none":
            multiprocessing.set_start_method(method)
        files = []
        for i in range(2 * loader._CHUNK + 10):
            path = root / f"{i:04d}.md"
            path.write_text(f"---\\ntitle: Story {i}\\nwebUrl: https://example.org/{i}\\n"
                            f"topics: [t{i % 7}]\\n---\\nbody {i}\\n", encoding="utf-8")
            files.append(str(path))
        alone = list(loader.parse_files(files, workers=1))
        # A pool's workers never call this process's parse_file, replaced here: a fork
        # server or a spawned worker imports graph.loader afresh.
        loader.parse_file = refuse
        loader.POOL_MIN_FILES = 1
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        try:
            pooled = list(loader.parse_files(files))
        except AssertionError as e:
            print("here:", e)
        else:
            print("pool:", pooled == alone and [p.path for p in pooled] == files)
        stop.set()
""")


def _run(tmp_path: Path, method: str) -> str:
    script = tmp_path / "load_beside_a_thread.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    root = str(Path(__file__).resolve().parent.parent)
    paths = [root, os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    done = subprocess.run([sys.executable, str(script), str(corpus), method], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_beside_other_threads_a_forkserver_program_parses_in_the_pool(tmp_path):
    assert _run(tmp_path, "forkserver") == "pool: True"


def test_beside_other_threads_without_a_chosen_method_parses_here(tmp_path):
    # Forking a process that runs threads can deadlock a child.
    assert _run(tmp_path, "none").startswith("here:")
