"""bench/subscriptions.py: the storyAdded work before and after, on the same changes of a
generated corpus, pushing the same arrivals; identical subscriptions share one watch."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import subscriptions
from bench.generate import generate


@pytest.mark.parametrize("distinct", [False, True])
def test_the_bench_pushes_the_same_before_and_after_and_shares_identical_ones(
        tmp_path: Path, distinct: bool) -> None:
    generate(300, tmp_path / "c", seed=3, style="mixed")
    r = subscriptions.run(tmp_path / "c", 4, 3, distinct)  # raises if the pushes differ
    assert r["watches"] == (4 if distinct else 1)
    assert r["pushed"] > 0  # each change is a story two hops from a start: pushed
    assert len(r["before_ms"]) == len(r["after_ms"]) == 3
    assert r["walks_after"] <= (12 if distinct else 3)  # never more than one per watch
    assert not (tmp_path / "c" / subscriptions.FOLDER).exists()  # its files removed


def test_the_bench_refuses_a_corpus_without_a_start(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    with pytest.raises(SystemExit, match="no story with a topic and a related story"):
        subscriptions.run(tmp_path / "c", 2, 1, False)
