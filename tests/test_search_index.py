"""search(text:) reads an inverted index (graph/search.py) and answers exactly as the scan
it replaced (graph.select.search_by_scan) does, on generated corpora and crafted texts."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from conftest import write_record

import graph
from bench.generate import generate
from graph.normalize import tokens
from graph.select import search, search_by_scan


@pytest.fixture(scope="module", params=[(600, 3), (1500, 11)], ids=["600", "1500"])
def generated(request, tmp_path_factory) -> graph.KnowledgeGraph:
    n, seed = request.param
    out = tmp_path_factory.mktemp(f"gen{n}")
    generate(n, out, seed=seed)
    return graph.load(out)


def _queries(kg: graph.KnowledgeGraph, seed: int) -> list[str]:
    counts: Counter[str] = Counter()
    index = kg.index
    sample = []
    for i, kind in enumerate(index.kind):
        if kind == "article":
            words = tokens(" ".join(index.texts(i)))
            counts.update(set(words))
            sample.append(words)
    rng = random.Random(seed)
    common = [w for w, _ in counts.most_common(20)]
    rare = [w for w, c in counts.items() if c <= 2][:20]
    phrases = []
    for words in rng.sample(sample, 30):
        if len(words) >= 3:
            at = rng.randrange(len(words) - 2)
            phrases.append(" ".join(words[at:at + rng.choice((2, 3))]))
    pairs = [f"{rng.choice(common)} {rng.choice(common)}" for _ in range(15)]
    return [*common, *rare, *phrases, *pairs, "facial recognition", "Facial-Recognition",
            "no-such-word-anywhere", "data data", "zzzz"]


def test_the_index_answers_as_the_scan_on_generated_corpora(generated):
    for text in _queries(generated, seed=len(generated.index.ids)):
        want = search_by_scan(generated, text)
        got = search(generated, text)
        assert len(got) == len(want), text
        assert list(got) == want, text
        assert got[5:9] == want[5:9]


def test_the_index_answers_as_the_scan_on_crafted_texts(tmp_path: Path):
    texts = [
        ("Café crème: façade", "naïve résumé", "Ünïcode ÉCOLE straße STRASSE"),
        ("A_B a-b ab", "x_y_z", "a b a b a"),
        ("İstanbul ISTANBUL", "ﬁne fine", "Ω omega ω"),
        ("2022 budget", "budget 2022 budget", "the budget, 2022-budget"),
    ]
    for n, (title, excerpt, body) in enumerate(texts):
        write_record(tmp_path, f"r{n}.md", {"title": title, "excerpt": excerpt,
                                             "webUrl": f"https://t.example/{n}",
                                             "topics": ["Budget Talks", "Omega"]}, body=body)
    kg = graph.load(tmp_path)
    for text in ["café", "cafe", "crème façade", "a b", "a_b", "ab", "x y z", "istanbul",
                 "i̇stanbul", "fine", "ﬁne", "omega", "ω", "budget", "budget 2022", "2022",
                 "talks", "budget talks", "straße", "strasse", "a b a"]:
        assert list(search(kg, text)) == search_by_scan(kg, text), text


def test_several_words_count_the_articles_read_to_rank_them(generated):
    text = " ".join(w for w, _ in Counter(
        w for i, k in enumerate(generated.index.kind) if k == "article"
        for w in set(tokens(" ".join(generated.index.texts(i))))).most_common(2))
    reads: list[int] = []
    hits = search(generated, text, check=reads.append)
    assert hits.scanned == sum(reads) > 0
    assert search(generated, text.split()[0]).scanned == 0  # one word: a slice, no reading


@pytest.mark.parametrize("chunk", [3, 8192])
def test_a_phrase_is_found_in_each_text_alone_not_across_neighbours(tmp_path: Path,
                                                                    monkeypatch, chunk):
    """Several words are looked for in many texts at once (joined): a match that runs from
    one text into the next must not count, nor hide a match of the next text."""
    monkeypatch.setattr(graph.search, "_CHUNK", chunk)
    bodies = ["beta one alpha", "beta two alpha", "alpha beta inside", "beta alpha beta",
              "alpha", "beta", "beta alpha", "gamma alpha_beta", "alpha-beta", "beta. alpha"]
    for n, body in enumerate(bodies * 3):
        write_record(tmp_path, f"r{n:02d}.md", {"title": f"Story {n}", "excerpt": "alpha beta"
                                                if n == 7 else "x",
                                                "webUrl": f"https://t.example/{n}"}, body=body)
    kg = graph.load(tmp_path)
    for text in ["alpha beta", "beta alpha", "beta alpha beta", "alpha beta inside"]:
        want = search_by_scan(kg, text)
        assert list(search(kg, text)) == want, text
    assert {field for _, field in search(kg, "alpha beta")} == {"body", "excerpt"}
