"""A followed .jsonl file, edited line by line, is read again whole: each line's record
updated, added or removed, every problem at its line, as a cold load of the folder has
them — also when the follow started from its snapshot (records held by reference, read
again by their place in the file)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

import graph
from tests.test_live import assert_same


def _rec(slug: str, **fields: object) -> str:
    return json.dumps({"title": f"Story {slug}", "webUrl": f"https://news.example/{slug}",
                       **fields})


EDITS = {
    "a line edited": [_rec("a"), _rec("b", title="B again"), _rec("c"), _rec("d"),
                      _rec("e")],
    "a line taken out": [_rec("a"), _rec("b", title="B again"), _rec("d"), _rec("e")],
    "a line put first": [_rec("z", quality=900), _rec("a"), _rec("b"), _rec("d"), _rec("e")],
    "a broken line": [_rec("z", quality=900), "{broken", _rec("a"), _rec("d", topics=["y"]),
                      _rec("e")],
    "blank lines": ["", _rec("z", quality=900), "", _rec("a"), _rec("e", quality=700)],
    "one story twice": [_rec("a"), _rec("a", title="A again"), _rec("e", quality=700)],
    "lines swapped": [_rec("e", quality=700), _rec("a", title="A again"), _rec("a")],
    "related across lines": [_rec("a", related=[{"webUrl": "https://news.example/b"}]),
                             _rec("b", related=[{"webUrl": "https://news.example/q"}])],
    "one line left": [_rec("q")],
}
START = [_rec("a"), _rec("b", quality=500), _rec("c"), _rec("d", topics=["x"]), _rec("e")]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("from_snapshot", [False, True], ids=["built", "from snapshot"])
def test_each_edit_of_a_followed_jsonl_is_what_a_cold_load_reads(tmp_path, from_snapshot):
    root, cache = tmp_path / "corpus", tmp_path / "cache"
    root.mkdir()
    stories = _write(root / "stories.jsonl", START)
    _write(root / "other.jsonl", [_rec("o", related=[{"webUrl": "https://news.example/a"}])])
    if from_snapshot:
        graph.follow(root, cache=cache)
        gc.collect()
    live = graph.follow(root, cache=cache if from_snapshot else None)
    assert live.from_cache == from_snapshot
    assert_same(live, root)
    for lines in EDITS.values():
        live.apply([_write(stories, lines)])
        assert_same(live, root)
