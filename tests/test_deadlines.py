"""Every loop a request runs looks at its budget's deadline: past it, the work stops at its
next look, with BudgetExceeded, and keeps nothing half done for later requests.

The clock here is a counter (one tick a look), so a test says at which look the work
stopped, never how long it took."""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import graph
from bench.generate import generate
from graph import explore, select
from graph import index as index_module
from graph.budget import Budget
from graph.errors import BudgetExceeded
from graph.search import build_search_index
from graph.select import Selection

PHRASE = ("facial", "recognition")  # bench/generate writes it into a few stories


class Ticks:
    """A clock that moves one second each time it is read; ``looks`` counts the reads
    after the first (the budget's own, setting its deadline)."""

    def __init__(self) -> None:
        self.looks = -1

    def __call__(self) -> float:
        self.looks += 1
        return float(self.looks)


def ending_after(looks: int) -> tuple[Budget, Ticks]:
    """A budget whose deadline passes at its ``looks``-th look at the clock."""
    clock = Ticks()
    budget = Budget(seconds=looks - 0.5, clock=clock)  # read once here, at 0
    return budget, clock


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deadlines") / "corpus"
    generate(300, out, seed=3)
    return out


@pytest.fixture(scope="module")
def reference(corpus: Path) -> graph.KnowledgeGraph:
    """The same corpus, asked without budgets and with the default scan windows."""
    return graph.load(corpus)


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Scan windows of 256 bytes and 16 texts, so a 300-story corpus takes many."""
    monkeypatch.setattr(index_module, "SCAN_BYTES", 256)
    monkeypatch.setattr(index_module, "SCAN_TEXTS", 16)
    yield


def _phrase_everywhere(kg: graph.KnowledgeGraph) -> tuple[str, ...]:
    """A two-word phrase the corpus holds in several articles (a test that finds
    nothing could not tell a cut scan from a whole one)."""
    found = kg.index.mentioning(PHRASE)
    assert len(found) >= 5, len(found)
    kg.index.mentioning.cache_clear()
    return PHRASE


@pytest.mark.parametrize("held_once", [False, True], ids=["blob", "text held once"])
def test_a_first_phrase_scan_stops_at_the_deadline_and_keeps_nothing(
        corpus: Path, reference: graph.KnowledgeGraph, small_windows: None,
        held_once: bool) -> None:
    kg = graph.load(corpus)
    if held_once:
        kg.index.hold_text_once(build_search_index(kg))
    phrase = _phrase_everywhere(kg)
    for looks in (2, 5):
        budget, clock = ending_after(looks)
        with pytest.raises(BudgetExceeded) as cut:
            kg.index.mentioning(phrase, budget=budget)
        assert cut.value.limit == "seconds"
        # It stopped at the first look past the deadline: no window was read after it.
        assert clock.looks == looks
        assert (phrase,) not in kg.index.mentioning  # no partial answer kept
    # A later request without a deadline scans it all again: the whole, right answer.
    whole = kg.index.mentioning(phrase, budget=Budget(seconds=3600))
    assert whole == reference.index.mentioning(phrase)
    assert (phrase,) in kg.index.mentioning


def test_windows_do_not_change_any_answer(corpus: Path, reference: graph.KnowledgeGraph,
                                          small_windows: None) -> None:
    """Matches near a window's end are found once: windows end at a field's NUL."""
    kg = graph.load(corpus)
    words = sorted({w for i in reference.index.article_rows[:40].tolist()
                    for seq in reference.index.fields[i] for w in seq[:6]})
    phrases = [(w,) for w in words[:30]] + [tuple(seq[k:k + n])
                                              for i in reference.index.article_rows[:30].tolist()
                                              for seq in reference.index.fields[i][:3]
                                              for k, n in ((0, 2), (3, 3)) if len(seq) > k + n]
    assert len(phrases) > 60
    for phrase in phrases:
        got = kg.index.mentioning(phrase, budget=Budget(seconds=3600))
        assert got == reference.index.mentioning(phrase), phrase
        assert got, phrase  # every phrase was taken from the text itself


def test_within_mentions_stops_at_the_deadline_and_keeps_no_mask(
        corpus: Path, reference: graph.KnowledgeGraph, small_windows: None) -> None:
    kg = graph.load(corpus)
    phrase = _phrase_everywhere(kg)
    start = next(iter(reference.index.mentioning(phrase)))
    start_id = kg.index.ids[start]
    budget, clock = ending_after(3)
    with pytest.raises(BudgetExceeded):
        kg.within(start_id, hops=2, mentions=" ".join(phrase), budget=budget)
    assert clock.looks == 3
    for cache in (kg.index.mention_mask, kg.index.keep_mask, kg.index.kept_rows):
        assert cache.cache_info()[0] == 0 and not cache._held, cache
    again = kg.within(start_id, hops=2, mentions=" ".join(phrase), budget=Budget(seconds=3600))
    assert again == reference.within(start_id, hops=2, mentions=" ".join(phrase))


@pytest.mark.parametrize("where", [Selection(mentions="facial recognition"),
                                   Selection(category="opinion")],
                         ids=["mentions", "category"])
def test_articles_where_stops_at_the_deadline(corpus: Path, reference: graph.KnowledgeGraph,
                                              small_windows: None,
                                              monkeypatch: pytest.MonkeyPatch,
                                              where: Selection) -> None:
    """``articles(where:)`` tests every article: it looks at the deadline as it goes."""
    monkeypatch.setattr(select, "CHECK_EVERY", 8)
    kg = graph.load(corpus)
    budget, clock = ending_after(4)
    with pytest.raises(BudgetExceeded):
        select.select_articles(kg, where, budget=budget)
    assert clock.looks == 4
    whole = select.select_articles(kg, where, budget=Budget(seconds=3600))
    assert whole == select.select_articles(reference, where)


def test_central_articles_where_stops_at_the_deadline(
        corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "CHECK_EVERY", 8)
    kg = graph.load(corpus)
    everything = kg.analytics.central(Selection(category="opinion"))
    budget, clock = ending_after(3)
    with pytest.raises(BudgetExceeded):
        kg.analytics.central(Selection(category="opinion"), budget)
    assert clock.looks == 3
    assert kg.analytics.central(Selection(category="opinion"),
                                Budget(seconds=3600)) == everything


class WorkClock:
    """A clock that moves only with the work counted on it (``tick``): the deadline then
    passes at a known point of the work, whatever the machine's speed."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.done = 0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.done += 1
        self.now += self.step


def test_a_neighborhoods_edges_stop_at_the_deadline(
        reference: graph.KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """The edges of a page are gathered node by node, the deadline looked at before each:
    a page whose deadline passes while they are gathered ends there, not after them all."""
    kg = reference
    topics = [n for n, kind in zip(kg.index.ids, kg.index.kind, strict=True) if kind == "topic"]
    hub = max(topics, key=lambda t: len(select.articles_of(kg, t)))
    whole = kg.neighborhood(hub, hops=2, limit=300)
    rows = {n: sum(1 for e in whole.edges if e.source == n) for n in whole.nodes}
    assert len(whole.edges) > 100

    clock = WorkClock(step=0.001)  # 1 ms an edge made; the walk itself takes no time here
    made = explore.edge

    def counted(*args: object, **kwargs: object) -> object:
        clock.tick()
        return made(*args, **kwargs)

    monkeypatch.setattr(explore, "edge", counted)
    with pytest.raises(BudgetExceeded):
        kg.neighborhood(hub, hops=2, limit=300, budget=Budget(seconds=0.05, clock=clock))
    # 50 edges were due; at most one node's row more was read after the deadline.
    assert clock.done <= 50 + max(rows.values()) < len(whole.edges)


def test_threads_asking_for_an_answer_being_made_wait_for_it() -> None:
    """A cache's answer asked by several threads at once (every query thread, on a new
    graph version) is made once; the others are given it."""
    import threading

    made: list[int] = []
    release = threading.Event()

    def make(x: int, budget: Budget | None = None) -> list[int]:
        made.append(x)
        release.wait(10)
        return [x * x]

    cache = index_module.Answers(make, 4)
    answers: list[list[int]] = []
    threads = [threading.Thread(target=lambda: answers.append(cache(3))) for _ in range(8)]
    for t in threads:
        t.start()
    while not made:
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)  # the others are asking meanwhile
    release.set()
    for t in threads:
        t.join(10)
    assert made == [3] and len(answers) == 8
    assert all(a is answers[0] for a in answers) and answers[0] == [9]


def test_a_thread_waiting_for_an_answer_its_maker_gave_up_makes_it() -> None:
    """The thread making an answer is cut by its budget: nothing is kept, and a thread
    that waited for it makes the answer itself; a waiter past its own deadline stops."""
    import threading

    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def make(x: int, budget: Budget | None = None) -> int:
        calls.append("made")
        if len(calls) == 1:
            started.set()
            release.wait(10)
            raise BudgetExceeded("cut", limit="seconds", value=1)
        return x + 1

    cache = index_module.Answers(make, 4)
    failed: list[BaseException] = []

    def first() -> None:
        try:
            cache(1)
        except BudgetExceeded as e:
            failed.append(e)

    t = threading.Thread(target=first)
    t.start()
    started.wait(10)
    with pytest.raises(BudgetExceeded):
        cache(1, budget=Budget(seconds=0.05))  # waits, and its own deadline passes
    answer: list[int] = []
    waiter = threading.Thread(target=lambda: answer.append(cache(1)))
    waiter.start()
    threading.Event().wait(0.1)
    release.set()
    t.join(10)
    waiter.join(10)
    assert failed and answer == [2] and calls == ["made", "made"]


def test_a_thread_waiting_for_an_answer_makes_way_for_its_maker_in_the_lane() -> None:
    """The maker of an answer paces itself in a server's lane of long operations (one
    place); a thread waiting for that answer while holding the place gives it up when its
    turn is over, so the maker gets it and finishes — rather than both waiting until a
    deadline (every 2-hop query of a server beside sustained ingest hung so)."""
    import threading
    import time

    from schema.lanes import Lane

    lane = Lane(width=1, after=0.0, turn=0.05)
    holding, made = threading.Event(), threading.Event()

    def make(x: int, budget: Budget | None = None) -> int:
        assert budget is not None
        holding.wait(10)
        for _ in range(20):
            budget.check_time()  # waits here for the lane's place
            time.sleep(0.005)
        made.set()
        return x * 2

    cache = index_module.Answers(make, 4)
    results: list[object] = []

    def maker() -> None:
        budget = Budget(seconds=10, pace=lane.pace)
        try:
            results.append(cache(4, budget=budget))
        except BudgetExceeded as e:
            results.append(e)
        finally:
            lane.leave(budget)  # its operation ended, as a server's does

    first = threading.Thread(target=maker)
    first.start()
    waiter_budget = Budget(seconds=10, pace=lane.pace)
    waiter_budget.check_time()  # takes the lane's one place
    assert lane.holders() == 1
    holding.set()
    answer = cache(4, budget=waiter_budget)  # waits for the maker's answer
    first.join(30)
    assert answer == 8 and results == [8] and made.is_set()


@pytest.mark.parametrize("where", [None, Selection(is_stub=False)],
                         ids=["whole graph", "where"])
def test_an_exports_edges_stop_at_the_deadline(
        reference: graph.KnowledgeGraph, monkeypatch: pytest.MonkeyPatch,
        where: Selection | None) -> None:
    """A whole-graph export's edges (and a `where` export's) are gathered node by node, the
    deadline looked at before each: an export whose deadline passes while they are gathered
    ends there, not after every edge of the graph (at 20k records, 120k of them)."""
    kg = reference
    everything = explore.select_subgraph(kg, selection=where)
    rows = Counter(e.source for e in everything.edges)
    assert len(everything.edges) > 300

    clock = WorkClock(step=0.001)  # 1 ms each number of an edge kept (three an edge)

    class Counted(array):  # type: ignore[type-arg]
        def append(self, value: int) -> None:
            clock.tick()
            super().append(value)

    monkeypatch.setattr(explore, "array", Counted)
    with pytest.raises(BudgetExceeded):
        explore.select_subgraph(kg, selection=where, budget=Budget(seconds=0.05, clock=clock))
    # Past the deadline, at most the rest of one node's edges.
    assert clock.done <= 50 + 3 * max(rows.values()) < 3 * len(everything.edges)


class _CountingPatterns:
    """graph.index's ``re``, whose compiled patterns count their searches."""

    def __init__(self) -> None:
        import re

        self.re = re
        self.searches = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.re, name)

    def compile(self, *args: object, **kwargs: object) -> object:
        pattern = self.re.compile(*args, **kwargs)  # type: ignore[call-overload]
        counter = self

        class Counted:
            def search(self, *a: object) -> object:
                counter.searches += 1
                return pattern.search(*a)

        return Counted()


@pytest.mark.parametrize("held_once", [False, True], ids=["blob", "text held once"])
def test_a_phrase_scan_reads_an_article_no_further_than_its_first_match(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held_once: bool) -> None:
    """An article is in a phrase's answer at its first match: its text past it is not
    searched. One record of 9 MB repeating a word (under the 10 MB file limit) was
    matched at each of its 1.8M words, 2 s for 'word word' and 16 s, past the deadline
    every time, for a 32-word phrase."""
    generate(20, tmp_path, seed=5)
    (tmp_path / "long.json").write_text(json.dumps(
        {"title": "Long", "webUrl": "https://long.example/1", "excerpt": "word " * 5000}))
    kg = graph.load(tmp_path)
    if held_once:
        kg.index.hold_text_once(build_search_index(kg))
    counting = _CountingPatterns()
    monkeypatch.setattr(index_module, "re", counting)
    found = kg.index.mentioning(("word",) * 32)
    assert [kg.index.ids[i] for i in found] == ["article:https://long.example/1"]
    assert counting.searches < 50, counting.searches
