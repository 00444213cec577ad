"""The text held once (graph/index.py ``hold_text_once``): once a server's search index is
in, the read index lets its lowercased copy of the articles' text go, and every phrase
is answered exactly as before, from the candidates the search index names."""

from __future__ import annotations

import itertools
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import write_record
from hypothesis import given, settings
from hypothesis import strategies as st

import graph
from bench.generate import generate
from graph.background import BackgroundAnalytics
from graph.normalize import fold, tokens
from graph.search import build_search_index
from graph.snapshot import pack, unpack

HANG_GUARD = 60  # seconds: a hang guard for a busy CI machine, not a timing assertion

# Near the edges of the bytes rule: non-ASCII letters and marks beside a word, ligatures,
# letters that lowercase to two, digits, punctuation inside words.
TRICKY = {
    "a.md": ({"title": "Café société: l'ÉTÉ à Zürich", "topics": ["Facial Recognition"]},
             "İstanbul ﬁnds the straße and the STRASSE; naïve a\u0301b x—y 3rd-party"),
    "b.md": ({"title": "Facial-recognition's rise", "topics": ["Weather"]},
             "face scanners, FACIAL\nrecognition and facialrecognition; a a a"),
    "c.md": ({"title": "Σίσυφος ΣΊΣΥΦΟΣ and ǅungla", "excerpt": "x\u0000y nul"},
             "the end of the road; the end"),
}


def _tricky(tmp_path: Path) -> Path:
    for name, (fields, body) in TRICKY.items():
        fields = {"webUrl": f"https://{name[0]}.example/story", **fields}
        write_record(tmp_path / "tricky", name, fields, body)
    return tmp_path / "tricky"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("once") / "corpus"
    generate(300, out, seed=11)
    return out


def _held_once(path: Path) -> graph.KnowledgeGraph:
    kg = graph.load(path)
    kg.index.hold_text_once(build_search_index(kg))
    assert kg.index.text is None
    return kg


def _phrases(kg: graph.KnowledgeGraph, count: int, seed: int) -> list[tuple[str, ...]]:
    """Runs of one to three tokens from the articles' texts, their neighbours swapped,
    and strings that are not tokens at all."""
    rnd = random.Random(seed)
    index = kg.index
    rows = index.article_rows.tolist()
    found: list[tuple[str, ...]] = []
    for i in rnd.sample(rows, min(count, len(rows))):
        for text in index.texts(i):
            seq = tokens(text)
            for n in (1, 2, 3):
                if len(seq) >= n:
                    at = rnd.randrange(len(seq) - n + 1)
                    found.append(tuple(seq[at:at + n]))
                    found.append(tuple(reversed(seq[at:at + n])))
    found += [("face-scan",), ("Facial",), ("facial recognition",), ("the", "end-of")]
    return list(dict.fromkeys(found))


def test_a_generated_corpus_answers_every_phrase_the_same(generated: Path) -> None:
    plain, once = graph.load(generated), _held_once(generated)
    phrases = _phrases(plain, 120, seed=3)
    assert len(phrases) > 300
    for phrase in phrases:
        assert once.index.mentioning(phrase) == plain.index.mentioning(phrase), phrase
    assert plain.index.mentioning(("facial", "recognition"))  # not all empty


def test_tricky_text_answers_every_phrase_the_same(tmp_path: Path) -> None:
    path = _tricky(tmp_path)
    plain, once = graph.load(path), _held_once(path)
    words = sorted({t for i in plain.index.article_rows.tolist()
                    for text in plain.index.texts(i) for t in tokens(text)})
    phrases = [(w,) for w in words] + list(itertools.permutations(words[:14], 2))
    phrases += _phrases(plain, 10, seed=1) + [("strasse",), ("i̇stanbul",), ("a", "a", "a")]
    for phrase in phrases:
        assert once.index.mentioning(phrase) == plain.index.mentioning(phrase), phrase
    assert plain.index.mentioning(("facial", "recognition"))


@settings(max_examples=60, deadline=None)
@given(phrase=st.lists(st.sampled_from(["the", "end", "a", "facial", "recognition", "café",
                                        "straße", "strasse", "ﬁnds", "σίσυφος", "x", "y",
                                        "A", "Face-", "é"]) | st.text(min_size=1, max_size=6),
                       min_size=1, max_size=3))
def test_random_phrases_answer_the_same(tmp_path_factory: pytest.TempPathFactory,
                                        phrase: list[str]) -> None:
    path = _tricky(tmp_path_factory.mktemp("r"))
    plain, once = graph.load(path), _held_once(path)
    assert once.index.mentioning(tuple(phrase)) == plain.index.mentioning(tuple(phrase))


def test_a_snapshot_of_an_index_holding_its_text_once_stores_the_blob(generated: Path) -> None:
    plain, once = graph.load(generated), _held_once(generated)
    g, _, index = unpack(*pack(once.nx, once.report, once.index))
    assert index.text == plain.index.text and index.words is None


def test_the_servers_background_job_lets_the_blob_go_and_answers_the_same(
        generated: Path) -> None:
    kg = graph.load(generated)
    before = {p: kg.index.mentioning(p) for p in _phrases(kg, 40, seed=5)[:150]}
    kg.index.mentioning.cache_clear()
    job = BackgroundAnalytics(kg, use_fork=True).start()
    assert job.wait(HANG_GUARD), job.status()
    assert kg.index.text is None
    for phrase, found in before.items():
        assert kg.index.mentioning(phrase) == found, phrase


def _same_answers(kg: graph.KnowledgeGraph, path: Path, seed: int) -> int:
    """Assert ``kg`` answers phrases as a graph loaded afresh from ``path`` (its blob
    made from every article) does, by article id; return how many phrases it tried."""
    plain = graph.load(path)
    phrases = _phrases(plain, 40, seed=seed)[:200] + [("facial", "recognition"),
                                                       ("changed",), ("changed", "story")]
    for phrase in phrases:
        got = {kg.index.ids[i] for i in kg.index.mentioning(phrase)}
        assert got == {plain.index.ids[i] for i in plain.index.mentioning(phrase)}, phrase
    return len(phrases)


def _story(n: int, words: str) -> tuple[dict[str, object], str]:
    return ({"webUrl": f"https://changed.example/{n}", "title": f"Changed story {n} {words}",
             "topics": ["Facial Recognition", f"Topic {n % 3}"]},
            f"A changed story: {words}, the end of the road")


def _wait_analytics(kg: graph.KnowledgeGraph) -> None:
    job = BackgroundAnalytics(kg, use_fork=True).start()
    assert job.wait(HANG_GUARD), job.status()


def test_a_followed_corpus_lets_its_blob_go_and_answers_the_same(
        generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a followed version's search index is in, its blob goes, and the versions made
    from it carry that (their changes' text apart) and answer as a fresh load does."""
    from graph import reindex

    path = tmp_path / "c"
    shutil.copytree(generated, path)
    live = graph.follow(path)
    kg = live.current()
    _wait_analytics(kg)
    assert kg.index.text is None
    assert _same_answers(kg, path, seed=1) > 150

    # Changes carry it on: a story rewritten, one added, one removed; twice.
    files = sorted(p for p in path.rglob("*") if p.is_file())
    written = [write_record(path, "changed/1.md", *_story(1, "facial recognition rules"))]
    live.apply(written + [files[0]])
    files[1].unlink()
    written.append(write_record(path, "changed/2.md", *_story(2, "weather and roads")))
    live.apply([files[1], *written])
    kg = live.current()
    assert kg.index.text is None and kg.index.extra_text  # the changes' text apart
    _same_answers(kg, path, seed=2)
    # A snapshot of such a version stores a blob of the text current in it.
    _, _, index = unpack(*pack(kg.nx, kg.report, kg.index))
    assert index.text is not None and index.words is None
    for phrase in _phrases(kg, 20, seed=3)[:60]:
        assert index.mentioning(phrase) == kg.index.mentioning(phrase), phrase

    # Its own search index in: the delta named by it too, and let go on the next change.
    _wait_analytics(kg)
    _same_answers(kg, path, seed=4)
    write_record(path, "changed/1.md", *_story(1, "a third telling"))
    live.apply([path / "changed/1.md"])
    kg = live.current()
    assert kg.index.text is None and len(kg.index.extra_text) == 1
    _same_answers(kg, path, seed=5)

    # A delta past COMPACT_AT makes the blob again, from the articles' strings.
    monkeypatch.setattr(reindex, "COMPACT_AT", 3)
    many = [write_record(path, f"changed/m{n}.md", *_story(n, f"batch {n}"))
            for n in range(3, 60)]
    live.apply(many)
    kg = live.current()
    assert kg.index.text is not None and not kg.index.extra_text
    assert kg.index.text == graph.load(path).index.text
    _same_answers(kg, path, seed=6)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from("aΣσςİIé\u0301Ϊ\u0345 \x00-'.Zß"),
                              min_size=1, max_size=8), min_size=1, max_size=5))
def test_texts_lowercased_at_once_are_each_lowercased(texts: list[str]) -> None:
    """The candidates' texts are folded joined (one call, not one per text): the same
    bytes and the same starts as each text folded alone, final sigmas and marks and all."""
    from graph.index import FIELD_SEP, _lowered

    alone = [fold(t).replace("\x00", " ").encode() for t in texts]
    data, starts, _ = _lowered(texts, np.arange(len(texts)))
    assert data == FIELD_SEP.join(alone)
    assert starts.tolist() == [sum(len(a) + 1 for a in alone[:k]) for k in range(len(texts))]
