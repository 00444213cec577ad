"""``mentions`` and ``search`` read text in Unicode's composed form (NFC): an accent written
as a combining mark (``Cafe`` + U+0301, as macOS file names and some PDFs give it) is the
composed letter (``Café``), in the articles' text and in the phrase asked, on every path
a phrase is answered by — the same answers as normalizing every text and splitting it
into tokens the naive way."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from conftest import write_record

import graph
from graph.search import build_search_index
from graph.select import search, search_by_scan
from graph.snapshot import pack, unpack

DECOMPOSED_E = "e\u0301"  # e + COMBINING ACUTE ACCENT
RECORDS = {
    "a.md": ({"title": f"Caf{DECOMPOSED_E} society returns"}, None),
    "b.md": ({"title": "Paris", "excerpt": "Café society, again"}, None),
    "c.md": ({"title": "Plain"}, "cafe society without an accent"),
    "d.md": ({"title": "Topic only", "topics": [f"Caf{DECOMPOSED_E} Culture"]}, None),
    "e.md": ({"title": "Zu\u0308rich diary"}, "\u212bngstro\u0308m units"),  # Å as ANGSTROM SIGN
    "f.md": ({"title": "Zürich notes"}, "Ångström, composed; q\u0323\u0307 marks"),
    "g.md": ({"title": "Marks in the other order"}, "q\u0307\u0323 marks"),
}
PHRASES = ["café society", f"caf{DECOMPOSED_E} society", "cafe society", "café", "cafe",
           "café culture", "zürich", "zu\u0308rich", "ZU\u0308RICH", "ångström",
           "\u212bngstro\u0308m", "a\u030angstro\u0308m units", "q\u0323\u0307 marks",
           "q\u0307\u0323", "q"]


def _naive(kg: graph.KnowledgeGraph, phrase: str) -> set[str]:
    """The articles holding ``phrase``: every text NFC-normalized and tokenized alone."""
    def words(text: str) -> list[str]:
        return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower())

    wanted = words(phrase)
    found = set()
    for i, kind in enumerate(kg.index.kind):
        if kind != "article":
            continue
        for text in kg.index.texts(i):
            seq = words(text)
            if any(seq[k:k + len(wanted)] == wanted for k in range(len(seq))):
                found.add(kg.index.ids[i])
    return found


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    for name, (given, body) in RECORDS.items():
        fields = dict(given)
        topics = ["News", *fields.pop("topics", [])]  # one topic links them all
        write_record(tmp_path / "c", name, {"webUrl": f"https://{name[0]}.example/s",
                                            "topics": topics, **fields}, body)
    return tmp_path / "c"


def _mentioning(kg: graph.KnowledgeGraph, phrase: str) -> set[str]:
    from graph.normalize import mentions_tokens

    return {kg.index.ids[i] for i in kg.index.mentioning(mentions_tokens(phrase))}


def test_a_decomposed_accent_matches_the_composed_letter(corpus: Path) -> None:
    kg = graph.load(corpus)
    want = {"article:https://a.example/s", "article:https://b.example/s"}
    assert _mentioning(kg, "café society") == want
    assert _mentioning(kg, f"caf{DECOMPOSED_E} society") == want
    assert _mentioning(kg, "cafe society") == {"article:https://c.example/s"}
    assert _mentioning(kg, "café culture") == {"article:https://d.example/s"}
    assert kg.mentions("article:https://e.example/s", "Ångström units")
    assert kg.mentions("article:https://g.example/s", "q\u0323\u0307 marks")


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_path_answers_as_the_naive_normalized_scan(corpus: Path, phrase: str) -> None:
    plain = graph.load(corpus)
    want = _naive(plain, phrase)
    assert _mentioning(plain, phrase) == want
    once = graph.load(corpus)
    once.index.hold_text_once(build_search_index(once))
    assert _mentioning(once, phrase) == want
    g, report, index = unpack(*pack(plain.nx, plain.report, plain.index))
    assert {index.ids[i] for i in index.mentioning(tuple(_tokens(phrase)))} == want
    start = "article:https://a.example/s"
    near = {n for n, _ in plain.within(start, hops=2, mentions=phrase)}
    assert near == want - {start}
    assert {node for node, _ in search(plain, phrase)} == want
    assert {node for node, _ in search_by_scan(plain, phrase)} == want


def _tokens(phrase: str) -> list[str]:
    from graph.normalize import tokens

    return tokens(phrase)


def test_a_followed_corpus_answers_its_new_records_as_the_naive_scan(tmp_path: Path) -> None:
    # A version made from changed files indexes only their text (graph/reindex.py).
    first = {"webUrl": "https://a.example/s", "topics": ["News"], **RECORDS["a.md"][0]}
    write_record(tmp_path / "c", "a.md", first)
    live = graph.follow(tmp_path / "c")
    written = []
    for name, (given, body) in list(RECORDS.items())[1:]:
        fields = dict(given)
        topics = ["News", *fields.pop("topics", [])]
        written.append(write_record(tmp_path / "c", name, {
            "webUrl": f"https://{name[0]}.example/s", "topics": topics, **fields}, body))
    live.apply(written)
    kg = live.current()
    assert kg.index.extra_text  # the new records' text is indexed apart
    for phrase in PHRASES:
        assert _mentioning(kg, phrase) == _naive(kg, phrase), phrase
