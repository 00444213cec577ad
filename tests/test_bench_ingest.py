"""The sustained-ingest row (bench/ingest.py) runs end to end against a real
``newsgraph serve`` at a tiny size, and its presence check sees a record that is gone.
Nothing here asserts a timing: the figures are `newsgraph bench`'s business."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from bench.generate import generate
from bench.ingest import (
    DOMAIN,
    _Client,
    _ingest,
    check_present,
    measure_copy,
    new_record,
    report,
)
from bench.noisy import start

pytestmark = pytest.mark.slow
HANG_GUARD = 60.0  # seconds: a guard against a hang, not a timing assertion


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingest-bench")
    generate(150, out, seed=4)
    return out


@pytest.mark.parametrize("pushers", [1, 3])
def test_the_row_measures_both_phases_and_finds_every_record(
        corpus: Path, pushers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """One client pushing, or three at once (their batches written and applied in groups
    by the server): every record acknowledged, served and counted."""
    # A batch waits for the folder only until its request's deadline, then answers
    # NOT_ATTEMPTED, as it should; at load ~20 the 10 s default was once reached here.
    # The served process reads its limits from the environment: a deadline that is a
    # hang guard, not the figure under test.
    monkeypatch.setenv("NEWSGRAPH_TIMEOUT", str(HANG_GUARD))
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    # 2 s idle: at load 18, 0.5 s once saw no query answered (a hang guard, not a figure)
    r = measure_copy(corpus, records=130, clients=3, idle_seconds=2.0, batch=50 // pushers,
                     pushers=pushers)
    assert r["ingest"]["sent"] == 130 and r["ingest"]["statuses"] == {"CREATED": 130}
    assert r["ingest"]["problems"] == [] and r["acknowledged"] == 130
    assert r["all_present"] and r["present"] == r["present_total"] == 130
    assert r["missing"] == [] and r["unacknowledged"] == 0
    # New URLs only: every record is a new article (those relating existing ones too).
    assert r["articles_after"] - r["articles_before"] == 130
    for phase in ("idle", "under_ingest"):
        assert r[phase]["queries"] > 0 and r[phase]["failures"] == {}, phase
        assert 0 < r[phase]["p50_ms"] <= r[phase]["p99_ms"]
    assert r["last_visible_ms"] is not None and r["ingest"]["records_per_s"] > 0
    # Where the CPU went in each phase: the server's process, these clients, the machine.
    for phase in ("idle", "ingest"):
        cpu = r["cpu"][phase]
        assert cpu["seconds"] > 0 and cpu["server"] > 0 and cpu["clients"] > 0, cpu
        assert cpu["machine"] >= 0.9 * (cpu["server"] + cpu["clients"]) - 0.05, cpu
    text = report(r)
    assert "130 of 130 records acknowledged" in text and "all present" in text
    assert "CPU under ingest: the server " in text and "the clients (this process)" in text
    assert "target 1,000 records/s" in text and "target ≤ 2x" in text
    # It wrote into a copy: the corpus is as it was.
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*")) == before


def test_the_presence_check_sees_a_record_gone(tmp_path: Path, corpus: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    env = {**os.environ, "NEWSGRAPH_INGEST_TOKEN": "bench-token"}
    with start(copy, within=120, env=env) as served:
        existing = [("x", "https://example.org/earlier")]
        records = [new_record("gone", i, existing, random.Random(0)) for i in range(4)]
        writer = _Client(served.port, "bench-token")
        done = _ingest([writer], records, 2)
        writer.close()
        acknowledged = set(done["acknowledged"])
        reader = _Client(served.port)
        assert check_present(reader, acknowledged)["all_present"]
        # One acknowledged record's file is taken away: the followed server drops it.
        victim = sorted((copy / "ingested").glob("*.json"))[0]
        victim.unlink()
        deadline = time.monotonic() + HANG_GUARD
        while (seen := check_present(reader, acknowledged))["present_total"] == 4:
            assert time.monotonic() < deadline, "the server never dropped the deleted record"
            time.sleep(0.05)
        reader.close()
    assert not seen["all_present"]
    assert seen["present"] == seen["present_total"] == 3 and len(seen["missing"]) == 1
    assert seen["missing"][0] in acknowledged and DOMAIN in records[0]["webUrl"]


def test_a_server_writing_more_than_a_pipe_holds_to_stderr_never_blocks() -> None:
    """bench.noisy.start reads the server's stderr as it comes: a pipe nobody reads fills
    at 64 KB and the server blocks in its next log line (seen at 100k records, where the
    load report and a log line per version pass that)."""
    import subprocess
    import sys
    from collections import deque

    from bench.noisy import drain_stderr

    proc = subprocess.Popen([sys.executable, "-c", "import sys\n"
                             "for i in range(5000): print(f'line {i} ' + 'x' * 60, "
                             "file=sys.stderr)"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tail: deque[str] = deque(maxlen=3)
    reader = drain_stderr(proc, tail)
    try:
        assert proc.wait(timeout=HANG_GUARD) == 0
    finally:
        proc.kill()
        reader.join(timeout=HANG_GUARD)
        assert proc.stderr is not None
        proc.stderr.close()
    assert list(tail)[-1].startswith("line 4999 ")


def test_settling_waits_through_an_answer_that_holds_errors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A version check answered with errors (a server busy at its deadline, as under
    CI's load: 'NoneType' object is not subscriptable before) is asked again, and
    one never answered says what came back."""
    from bench import ingest

    monkeypatch.setattr(ingest.time, "sleep", lambda seconds: None)
    answers = iter([{"data": {"stats": {"graphVersion": "a"}}},
                    {"data": None, "errors": [{"message": "ran past its time limit"}]}]
                   + [{"data": {"stats": {"graphVersion": "b"}}}] * 10_000)

    class Answering:
        def post(self, query: str) -> dict[str, object]:
            return next(answers)

    assert ingest._settle(Answering(), quiet=0.0005) == "b"  # type: ignore[arg-type]

    class Refusing:
        def post(self, query: str) -> dict[str, object]:
            return {"data": None, "errors": [{"message": "status 503"}]}

    with pytest.raises(RuntimeError, match="status 503"):
        ingest._settle(Refusing(), quiet=0.0005, limit=0.01)  # type: ignore[arg-type]
