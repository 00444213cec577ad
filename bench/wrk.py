"""A lighter load generator for the throughput rows: wrk, a C client, when it is installed.

bench/http.py's client is Python (asyncio streams). On this project's 2-core machine it
spends 0.18–0.27 ms of CPU a request (measured from its rusage, docs/performance.md,
gql27): a fifth of what a server spends answering a distinct ``within`` request, taken
from the same two cores the servers under test share. That weighs most on the
``--workers 2`` row, where the client competes with the second worker for the second
core. wrk (Debian's ``wrk``: one thread, epoll, a Lua script choosing each request's
body) spends ~0.05–0.07 ms a request. :func:`distinct` runs it with a different body
each request, as bench/http.py's distinct phase does, and says how much CPU it took.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["available", "distinct"]

# One body a line of the file given after `--`, the first at the offset given after it;
# a status other than 200 or a body holding "errors" counts as an error.
SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = tonumber(args[2] or "0")
  errors = 0
  headers = {["Content-Type"] = "application/json"}
end
function request()
  local body = bodies[i % #bodies + 1]
  i = i + 1
  return wrk.format("POST", nil, headers, body)
end
function response(status, hdrs, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
    if not first then first = status .. " " .. string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local errs, said = 0, nil
  for _, t in ipairs(threads) do
    errs = errs + t:get("errors")
    said = said or t:get("first")
  end
  if said then io.write("FIRST ", said, "\n") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %f, "errors": %d, "p50_ms": %f, "p99_ms": %f}\n',
    summary.requests, summary.duration / 1e6,
    errs + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


def available() -> bool:
    """True when ``wrk`` is on the PATH."""
    return shutil.which("wrk") is not None


def distinct(port: int, path: str, bodies: list[bytes], seconds: float,
             connections: int) -> dict[str, Any]:
    """POST ``bodies`` in turn to ``http://127.0.0.1:PORT{path}`` from ``connections``
    keep-alive connections for ``seconds`` (whole seconds, at least one) with wrk.

    Returns requests, seconds, rps, p50_ms, p99_ms, errors (non-200 answers, answers
    holding ``"errors"`` and socket errors) and ``client_cpu_s``, the CPU wrk used."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    if not bodies:
        raise ValueError("no body to send")
    if any(b"\n" in body for body in bodies):
        raise ValueError("wrk's bodies are read a line each: no body may hold a newline")
    with tempfile.TemporaryDirectory(prefix="newsgraph-wrk-") as folder:
        script, lines = Path(folder, "distinct.lua"), Path(folder, "bodies")
        script.write_text(SCRIPT, encoding="utf-8")
        lines.write_bytes(b"\n".join(bodies) + b"\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout",
             "60s", "-s", str(script), f"http://127.0.0.1:{port}{path}", "--", str(lines)],
            capture_output=True, text=True, check=False, timeout=120 + 2 * seconds)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    said = [line for line in done.stdout.splitlines() if line.startswith("WRK ")]
    if done.returncode != 0 or not said:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    out: dict[str, Any] = json.loads(said[0][4:])
    first = [line for line in done.stdout.splitlines() if line.startswith("FIRST ")]
    if first:  # what the first failed answer said: status and the start of its body
        out["first_error"] = first[0][6:]
    out["rps"] = out["requests"] / out["seconds"] if out["seconds"] else 0.0
    out["client"] = "wrk"
    out["client_cpu_s"] = (after.ru_utime + after.ru_stime
                           - before.ru_utime - before.ru_stime)
    return out
