"""`newsgraph serve --cpus`: the serving threads held to one CPU, what they start let go
(schema/affinity.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from schema.affinity import parse_cpus
from tests.conftest import SAMPLE_CORPUS
from tests.servers import serve_on_any_port

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")
ALLOWED = sorted(os.sched_getaffinity(0))
LAST = ALLOWED[-1]


def test_cpus_are_read_as_numbers_lists_and_ranges_of_those_allowed() -> None:
    assert parse_cpus(str(LAST)) == (LAST,)
    assert parse_cpus(f"{ALLOWED[0]}-{LAST}") == tuple(ALLOWED)
    assert parse_cpus(f"{LAST},{ALLOWED[0]},{LAST}") == tuple(dict.fromkeys([LAST, ALLOWED[0]]))
    with pytest.raises(ValueError, match="give CPU numbers such as 1, 0,1 or 0-1"):
        parse_cpus("first")
    with pytest.raises(ValueError, match=f"CPU 4096 is not one this process may run on "
                                         f"\\({', '.join(map(str, ALLOWED))}\\)"):
        parse_cpus("4096")
    with pytest.raises(ValueError, match="a range runs low to high"):
        parse_cpus(f"{LAST + 1}-{LAST}")


def test_a_hold_takes_every_thread_and_those_started_after_and_lets_forks_go() -> None:
    script = textwrap.dedent(f"""
        import os, threading
        from schema.affinity import hold
        before = sorted(os.sched_getaffinity(0))
        stop = threading.Event()
        running = threading.Thread(target=stop.wait)
        running.start()
        hold({LAST})
        mine = {{int(t): sorted(os.sched_getaffinity(int(t)))
                 for t in os.listdir("/proc/self/task")}}
        later = []
        t = threading.Thread(target=lambda: later.append(sorted(os.sched_getaffinity(0))))
        t.start(); t.join()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(w, repr(sorted(os.sched_getaffinity(0))).encode())
            os._exit(0)
        os.waitpid(pid, 0)
        child = os.read(r, 100).decode()
        stop.set(); running.join()
        print(before, sorted(set(map(tuple, mine.values()))), len(mine), later, child)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{ALLOWED} [({LAST},)] 2 [[{LAST}]] {ALLOWED}"


def _cpus_of(pid: int) -> set[str]:
    """The Cpus_allowed_list of each thread of ``pid``."""
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            status = Path(f"/proc/{pid}/task/{task}/status").read_text()
        except FileNotFoundError:
            continue
        found.update(line.split(":", 1)[1].strip() for line in status.splitlines()
                     if line.startswith("Cpus_allowed_list:"))
    return found


def _children(pid: int) -> list[int]:
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        text = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        kids.extend(int(k) for k in text)
    return kids


def test_a_server_held_to_a_cpu_serves_from_it_and_its_children_are_let_go() -> None:
    whole = Path("/proc/self/status").read_text().split("Cpus_allowed_list:")[1].split()[0]
    served = serve_on_any_port(str(SAMPLE_CORPUS), "--no-cache", "--cpus", str(LAST))
    try:
        deadline = time.monotonic() + 120
        while True:  # ready, and the analytics (computed in a forked child) in
            try:
                with urllib.request.urlopen(served.base + "/readyz", timeout=30) as r:
                    ready = json.load(r)
            except urllib.error.HTTPError as e:  # 503 while it loads
                ready = json.load(e)
            if (ready.get("analytics") or {}).get("status") == "ready" or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.2)
        body = json.dumps({"query": "{ stats { articles } }"}).encode()
        request = urllib.request.Request(served.base + "/graphql", body,
                                         {"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            assert json.load(r)["data"] == {"stats": {"articles": 9}}
        assert _cpus_of(served.proc.pid) == {str(LAST)}
        children = _children(served.proc.pid)
        assert children, "no child: the parse pool's fork server was expected"
        for child in children:
            assert _cpus_of(child) == {whole}, (child, _cpus_of(child))
    finally:
        served.stop()


def test_cpus_it_may_not_run_on_are_refused_before_anything_is_loaded() -> None:
    done = subprocess.run([str(Path(sys.executable).with_name("newsgraph")), "serve",
                           str(SAMPLE_CORPUS), "--cpus", "4096", "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "CPU 4096 is not one this process may run on" in done.stderr
    assert "serving GraphQL" not in done.stderr
