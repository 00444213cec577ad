"""A followed graph's background compaction never makes a change wait for its packing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import graph
import graph.live as live_module
from graph.incremental import STORED
from graph.storedmap import StoredMap
from tests.conftest import record, write_record
from tests.live_helpers import follow_with_held_entries, wait_for
from tests.test_live import assert_same


def _started(root: Path, cache: Path) -> graph.LiveGraph:
    """A follow from its snapshot, after a change that left entries of its state held."""
    live: graph.LiveGraph = follow_with_held_entries(root, cache)
    # Packed here, not in a forked child (tests/test_packchild.py): the packing is held
    # up through the dump of this process.
    live.pack_in_child = False
    return live


def _held_up_packing(live: graph.LiveGraph) -> tuple[threading.Event, threading.Event]:
    """Make the packing of the state's held entries wait for ``release`` once it began
    (``packing`` set then)."""
    packing, release = threading.Event(), threading.Event()
    for name in STORED:
        mapping = getattr(live._state, name)
        if isinstance(mapping, StoredMap) and mapping.held:
            dump = mapping.dump

            def slow_dump(value: Any, dump: Any = dump) -> bytes:
                packing.set()
                release.wait(30)
                return dump(value)

            mapping.dump = slow_dump  # type: ignore[method-assign]
    return packing, release


def test_a_change_is_applied_while_the_state_is_packed(tmp_path: Path) -> None:
    """The state's held entries are packed beside the applies (before, holding the
    folder: a file landing then waited for the whole packing). A packing that a change
    overtook is not used — the state stays the objects the change left, equal to a cold
    load — and the next compaction packs them."""
    root = tmp_path / "c"
    live = _started(root, tmp_path / "cache")
    packing, release = _held_up_packing(live)
    compaction = threading.Thread(target=live.compact, daemon=True)
    compaction.start()
    try:
        wait_for(packing.is_set, "the packing began")
        applied = threading.Thread(target=live.apply, daemon=True, args=(
            [write_record(root, "d.md", record("d", topics=["AI"]))],))
        applied.start()
        wait_for(lambda: "article:https://news.example/d" in live.current(),
                 "the change applied while the packing is held up", within=10)
    finally:
        release.set()
    compaction.join(30)
    applied.join(30)
    assert live._held() > 0  # overtaken: not swapped in
    assert_same(live, root)
    assert live.compact() and live._held() == 0
    live.apply([write_record(root, "e.md", record("e", related=[
        {"webUrl": "https://news.example/d"}], topics=["Facial Recognition"]))])
    assert_same(live, root)


def test_packings_overtaken_again_and_again_pack_holding_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a stream of changes each quicker than a packing, what is held stays bounded:
    after a few packings overtaken in a row, the next packs holding the folder."""
    root = tmp_path / "c"
    live = _started(root, tmp_path / "cache")
    for n in range(live_module._RACES):
        packing, release = _held_up_packing(live)
        compaction = threading.Thread(target=live.compact, daemon=True)
        compaction.start()
        wait_for(packing.is_set, "the packing began")
        live.apply([write_record(root, f"x{n}.md", record(f"x{n}", topics=["AI"]))])
        release.set()
        compaction.join(30)
        assert live._held() > 0
    assert live.compact() and live._held() == 0  # held the folder: no change could overtake it
    live.apply([write_record(root, "y.md", record("y", topics=["AI"]))])
    assert_same(live, root)
