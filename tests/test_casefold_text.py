"""``search`` and ``mentions`` read text case-folded, as topics are: ``Straße``, ``STRASSE``
and ``strasse`` are one word (lowercasing keeps the ``ß``, so a German reader typing
``strasse`` missed the story titled ``Straße``, while ``topic:strasse`` held both), and a
Greek word's final sigma is its sigma, and Turkish ``İ`` is the letter ``i``. The same
answers on a cold load, from the search index, from a snapshot, with the text held once,
and on a followed graph's new versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_record

import graph
from graph.normalize import mentions_tokens
from graph.search import build_search_index
from graph.select import search, search_by_scan
from graph.snapshot import pack, unpack

RECORDS = {
    "a.md": {"title": "Straße gesperrt", "excerpt": "Die Hauptstraße bleibt zu"},
    "b.md": {"title": "STRASSE OFFEN"},
    "c.md": {"title": "Eine strasse, klein geschrieben"},
    "d.md": {"title": "ΟΔΟΣ κλειστή"},  # capitals: lowercasing ends it with ς
    "e.md": {"title": "Η οδοσ σήμερα"},  # a sigma written at the end, as folding gives
    "f.md": {"title": "Something else"},
    "g.md": {"title": "İSTANBUL'DA SEÇİM"},  # Turkish capitals: İ lowercases to i + U+0307
    "h.md": {"title": "Istanbul votes"},
}
GERMAN = {"article:https://a.example/s", "article:https://b.example/s",
          "article:https://c.example/s"}
GREEK = {"article:https://d.example/s", "article:https://e.example/s"}
ISTANBUL = {"article:https://g.example/s", "article:https://h.example/s"}
PHRASES = [("strasse", GERMAN), ("STRASSE", GERMAN), ("Straße", GERMAN), ("straße", GERMAN),
           ("ΟΔΟΣ", GREEK), ("οδος", GREEK), ("οδοσ", GREEK),
           ("straße gesperrt", {"article:https://a.example/s"}),
           ("STRASSE GESPERRT", {"article:https://a.example/s"}),
           # 'İstanbul' was the words 'i' and 'stanbul' (the dot a mark, not a letter), so
           # 'istanbul' missed it, as topic slugs had (topic:istanbul since session 27)
           ("istanbul", ISTANBUL), ("İstanbul", ISTANBUL), ("ISTANBUL", ISTANBUL),
           ("seçim", {"article:https://g.example/s"})]


def _write(root: Path, names: list[str]) -> list[Path]:
    return [write_record(root, name, {"webUrl": f"https://{name[0]}.example/s",
                                      "topics": ["News"], **RECORDS[name]})
            for name in names]


def _every_answer(kg: graph.KnowledgeGraph, phrase: str) -> dict[str, set[str]]:
    ids = kg.index.ids
    return {
        "mentions": {ids[i] for i in kg.index.mentioning(mentions_tokens(phrase))},
        "search": {node for node, _ in search(kg, phrase)},
        "search_by_scan": {node for node, _ in search_by_scan(kg, phrase)},
        "kg.mentions": {n for n in ids if n.startswith("article:") and kg.mentions(n, phrase)},
    }


@pytest.mark.parametrize(("phrase", "want"), PHRASES)
def test_a_word_and_its_capitals_are_one_word_on_every_path(tmp_path: Path, phrase: str,
                                                           want: set[str]) -> None:
    _write(tmp_path / "c", list(RECORDS))
    kg = graph.load(tmp_path / "c")
    for how, got in _every_answer(kg, phrase).items():
        assert got == want, (how, phrase)
    once = graph.load(tmp_path / "c")
    once.index.hold_text_once(build_search_index(once))
    assert {once.index.ids[i] for i in once.index.mentioning(mentions_tokens(phrase))} == want
    _, _, index = unpack(*pack(kg.nx, kg.report, kg.index))
    assert {index.ids[i] for i in index.mentioning(mentions_tokens(phrase))} == want
    start = "article:https://f.example/s"  # one topic links them all: within 2 hops
    assert {n for n, _ in kg.within(start, hops=2, mentions=phrase)} == want


def test_a_followed_graph_folds_its_new_records_as_a_cold_load(tmp_path: Path) -> None:
    _write(tmp_path / "c", ["f.md"])
    live = graph.follow(tmp_path / "c")
    live.apply(_write(tmp_path / "c", [n for n in RECORDS if n != "f.md"]))
    kg = live.current()
    assert kg.index.extra_text  # the new records' text is indexed apart (graph/reindex.py)
    for phrase, want in PHRASES:
        for how, got in _every_answer(kg, phrase).items():
            assert got == want, (how, phrase)
