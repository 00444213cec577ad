"""``mentions`` and ``search`` in scripts written without spaces between words: Chinese,
Japanese kana and kanji (trial37).

A token was a maximal run of letters and digits, so a Chinese headline was one token from
its first character to its last punctuation, and no word inside it could be found:
``mentions: "人脸识别"`` (facial recognition) missed "学校因使用人脸识别扫描仪遭到反对", and
search found a Chinese or Japanese story only by its whole sentence. Each Han, Hiragana and
Katakana character is now a token of its own, as search engines' standard analyzers have
it, so a phrase is its characters in a row; Hangul, written with spaces, keeps its runs.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from conftest import write_record

import graph
from graph.normalize import tokens
from graph.search import build_search_index
from graph.select import search, search_by_scan
from graph.snapshot import pack, unpack

RECORDS = {
    "a.md": {"title": "中国学校因使用人脸识别扫描仪遭到强烈反对"},
    "b.md": {"title": "Schools and facial recognition", "excerpt": "天津禁止强制人脸识别。"},
    "c.md": {"title": "東京で顔認識カメラの導入が進む", "excerpt": "カメラ、2024年に100台"},
    "d.md": {"title": "人工智能AI新闻2024年"},
    "e.md": {"title": "인공지능 뉴스 속보"},
    "f.md": {"title": "Plain English", "excerpt": "识别 alone, and 人脸 alone, apart"},
}
PHRASES = ["人脸识别", "人脸", "识别", "学校", "强制人脸识别", "东京", "東京", "顔認識カメラ",
           "カメラ", "2024年", "年", "ai", "人工智能ai", "智能ai新闻", "新闻2024", "인공지능",
           "인공", "facial recognition", "人脸 识别", "识别扫描仪遭"]

# The characters read one to a token: what the naive reference splits apart.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _naive_words(text: str) -> list[str]:
    out = []
    for run in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).casefold()):
        out.extend(re.findall(_UNSPACED.pattern + r"|(?:(?!" + _UNSPACED.pattern
                              + r")[^\W_])+", run))
    return out


def _naive(kg: graph.KnowledgeGraph, phrase: str) -> set[str]:
    wanted = _naive_words(phrase)
    found = set()
    for i, kind in enumerate(kg.index.kind):
        if kind != "article":
            continue
        for text in kg.index.texts(i):
            seq = _naive_words(text)
            if any(seq[k:k + len(wanted)] == wanted for k in range(len(seq))):
                found.add(kg.index.ids[i])
    return found


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    for name, fields in RECORDS.items():
        write_record(tmp_path / "c", name, {"webUrl": f"https://{name[0]}.example/s",
                                            "topics": ["News"], **fields})
    return tmp_path / "c"


@pytest.mark.parametrize(("text", "words"), [
    ("人工智能新闻", ["人", "工", "智", "能", "新", "闻"]),
    ("2024年AI人工智能", ["2024", "年", "ai", "人", "工", "智", "能"]),
    ("東京オリンピック・パラリンピック",
     ["東", "京", "オ", "リ", "ン", "ピ", "ッ", "ク", "パ", "ラ", "リ", "ン", "ピ", "ッ", "ク"]),
    ("인공지능 뉴스", ["인공지능", "뉴스"]),
    ("Facial-Recognition's\nrise", ["facial", "recognition", "s", "rise"]),
])
def test_each_han_and_kana_character_is_a_token(text, words):
    assert tokens(text) == words


def test_a_chinese_word_inside_a_headline_is_mentioned(corpus: Path) -> None:
    kg = graph.load(corpus)
    assert kg.mentions("article:https://a.example/s", "人脸识别")
    assert kg.mentions("article:https://b.example/s", "人脸识别")
    assert not kg.mentions("article:https://f.example/s", "人脸识别")  # the words apart
    found = [n for n, _ in search(kg, "人脸识别")]
    assert set(found[:2]) == {"article:https://a.example/s", "article:https://b.example/s"}


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_path_answers_as_the_naive_scan(corpus: Path, phrase: str) -> None:
    plain = graph.load(corpus)
    want = _naive(plain, phrase)
    from graph.normalize import mentions_tokens

    def mentioning(kg_index) -> set[str]:
        return {kg_index.ids[i] for i in kg_index.mentioning(mentions_tokens(phrase))}

    assert mentioning(plain.index) == want
    once = graph.load(corpus)
    once.index.hold_text_once(build_search_index(once))
    assert mentioning(once.index) == want
    _, _, index = unpack(*pack(plain.nx, plain.report, plain.index))
    assert mentioning(index) == want
    start = "article:https://a.example/s"
    near = {n for n, _ in plain.within(start, hops=2, mentions=phrase)}
    assert near == want - {start}
    # search ranks the phrase's articles first, then those holding its words apart
    found = [node for node, _ in search(plain, phrase)]
    assert found == [node for node, _ in search_by_scan(plain, phrase)]
    assert set(found[:len(want)]) == want
