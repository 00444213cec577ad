"""What a storyAdded watch pushes at each change (graph/arrivals.py): the same as a walk
of every version from scratch compared with the last one (bench.naive.NaiveStoryWatch,
the code each subscription ran before subs40), read from what the change touched; one
watch serving identical subscriptions (schema/subscriptions.py); its zone within a
budget; a start that leaves the graph, and a selection of stubs, said so."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graph
from bench.naive import NaiveStoryWatch
from graph.arrivals import StoryWatch
from graph.budget import Budget
from graph.errors import StartGone
from graph.select import Selection
from schema.settings import Settings
from schema.subscriptions import ChangeFeed
from tests.conftest import record, write_record

SLUGS = [f"s{i}" for i in range(8)]
HOSTS = ["a.example", "b.example", "c.example"]
TOPICS = ["Alpha", "Beta", "Gamma", "Facial recognition"]
DATES = ["2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"]


def url(slug: str) -> str:
    return f"https://news.example/{slug}"


def fields(slug: str, spec: dict[str, Any]) -> dict[str, Any]:
    out = record(slug, title=("Facial recognition: " if spec["fr"] else "Story ") + slug,
                 publishedDateTime=DATES[spec["date"]],
                 provider={"name": spec["host"], "domain": spec["host"]},
                 topics=spec["topics"])
    if spec["related"]:
        out["related"] = [{"title": f"Story {r}", "webUrl": url(r)} for r in spec["related"]]
    return out


specs = st.fixed_dictionaries({
    "fr": st.booleans(), "date": st.integers(0, len(DATES) - 1),
    "host": st.sampled_from(HOSTS),
    "topics": st.lists(st.sampled_from(TOPICS), max_size=2, unique=True),
    "related": st.lists(st.sampled_from(SLUGS), max_size=3, unique=True),
})
operations = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(SLUGS), specs),
    st.tuples(st.just("delete"), st.sampled_from(SLUGS), st.none()),
)
WATCHES = [  # (start, hops, selection)
    (f"article:{url('s0')}", 1, None),
    (f"article:{url('s0')}", 2, None),
    (f"article:{url('s1')}", 2, Selection(mentions="facial recognition")),
    (f"article:{url('s2')}", 3, Selection(topics=("beta",))),
    (f"article:{url('s3')}", 2, Selection(is_stub=False)),
    ("topic:alpha", 2, None),
    ("provider:a.example", 1, Selection(mentions="facial recognition")),
    (None, 2, Selection(mentions="facial recognition")),
]


def follow(root: Path, first: list[tuple[str, dict[str, Any]]]) -> graph.LiveGraph:
    for slug, spec in first:
        write_record(root, f"{slug}.md", fields(slug, spec))
    return graph.follow(root)


def apply(live: graph.LiveGraph, root: Path, op: tuple[str, str, Any]) -> graph.Change | None:
    kind, slug, spec = op
    path = root / f"{slug}.md"
    if kind == "write":
        write_record(root, f"{slug}.md", fields(slug, spec))
    else:
        path.unlink(missing_ok=True)
    return live.apply([path])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.lists(st.tuples(st.sampled_from(SLUGS), specs), min_size=3, max_size=8),
       ops=st.lists(operations, min_size=1, max_size=8))
def test_a_watch_pushes_what_a_walk_from_scratch_would(first, ops) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        live = follow(root, first)
        kg = live.current()
        pairs = [(StoryWatch(kg, sel, start, hops), NaiveStoryWatch(kg, sel, start, hops))
                 for start, hops, sel in WATCHES if start is None or start in kg]
        for op in ops:
            change = apply(live, root, op)
            if change is None:  # the folder as it was: no version made
                continue
            for pair in list(pairs):
                watch, naive = pair
                expected = naive.arrivals(change)
                try:
                    got = watch.arrivals(change)
                except StartGone:
                    assert watch.start not in change.graph and expected == []
                    pairs.remove(pair)
                    continue
                assert got == expected, (watch.key, op)
                assert watch.zone == naive.zone


def chain(root: Path) -> graph.LiveGraph:
    # s0 relates s1; s1 relates s2 (hops: s1 1, s2 2); s9 is far off.
    write_record(root, "s0.md", record("s0", provider={"name": "P0", "domain": "p0.example"},
                                       related=[{"title": "S1", "webUrl": url("s1")}]))
    write_record(root, "s1.md", record("s1", provider={"name": "P1", "domain": "p1.example"},
                                       related=[{"title": "S2", "webUrl": url("s2")}]))
    write_record(root, "s9.md", record("s9", provider={"name": "P9", "domain": "p9.example"}))
    return graph.follow(root)


def test_a_change_far_from_the_zone_is_not_walked(tmp_path: Path) -> None:
    live = chain(tmp_path)
    watch = StoryWatch(live.current(), start=f"article:{url('s0')}", hops=2)
    assert watch.walks == 1
    write_record(tmp_path, "s9.md", record("s9", title="Edited far off",
                                           provider={"name": "P9", "domain": "p9.example"}))
    far = live.apply([tmp_path / "s9.md"])
    assert watch.arrivals(far) == []
    assert watch.walks == 1  # nothing it changed was within reach: no walk
    # and the watch holds the version it saw, not the one it walked (positions stay)
    assert watch._kg is far.graph
    write_record(tmp_path, "s2.md", record("s2", provider={"name": "P9", "domain": "p9.example"}))
    arrivals = watch.arrivals(live.apply([tmp_path / "s2.md"]))
    assert [(a.node, a.reason, a.hops) for a in arrivals] == [
        (f"article:{url('s2')}", "UPDATED", 2)]  # a stub until now: its record came
    assert watch.walks == 2


def test_a_watch_far_from_a_change_that_renumbers_holds_only_the_new_version(
        tmp_path: Path) -> None:
    # A version that removes a node numbers every node again: the zone's positions no
    # longer hold, and a watch kept the version it last walked for as long as no change
    # came near (its index alive beside the current one). It walks again instead.
    live = chain(tmp_path)
    watch = StoryWatch(live.current(), start=f"article:{url('s0')}", hops=2)
    (tmp_path / "s9.md").unlink()
    far = live.apply([tmp_path / "s9.md"])
    assert far.removed == (f"article:{url('s9')}",)
    assert watch.arrivals(far) == []
    assert watch._kg is far.graph and watch.walks == 2


def test_a_watch_whose_start_leaves_the_graph_says_so(tmp_path: Path) -> None:
    live = chain(tmp_path)
    watch = StoryWatch(live.current(), start=f"article:{url('s0')}", hops=2)
    (tmp_path / "s0.md").unlink()  # nothing relates to s0: the node goes
    change = live.apply([tmp_path / "s0.md"])
    with pytest.raises(StartGone, match=r"near.from 'article:https://news.example/s0' is "
                                        r"gone from the graph as of version \w+.*another start"
                       ) as e:
        watch.arrivals(change)
    assert e.value.extensions == {"code": "START_GONE", "start": f"article:{url('s0')}",
                                  "version": change.version}


def test_a_watch_of_stubs_only_is_refused(sample_kg) -> None:
    with pytest.raises(graph.InvalidArgument,
                       match="isStub: true can never match here: stubs .* are never pushed"):
        StoryWatch(sample_kg, Selection(is_stub=True))


def test_a_zone_past_the_budget_is_refused_and_one_that_grows_past_it_ends(
        tmp_path: Path) -> None:
    live = chain(tmp_path)
    kg = live.current()
    start = f"article:{url('s0')}"
    with pytest.raises(graph.BudgetExceeded, match="budget of 1 visits"):
        StoryWatch(kg, start=start, hops=2, budget=lambda: Budget(visits=1))
    # s0's row (s1 and its provider) and those two rows: 2 + 3 + 1 visits. A record
    # relating s0 adds to s0's row and brings its own: past 6.
    watch = StoryWatch(kg, start=start, hops=2, budget=lambda: Budget(visits=6))
    write_record(tmp_path, "s5.md", record("s5", related=[{"title": "S0", "webUrl": url("s0")}]))
    with pytest.raises(graph.BudgetExceeded, match="budget of 6 visits"):
        watch.arrivals(live.apply([tmp_path / "s5.md"]))


def test_identical_subscriptions_share_one_watch_and_one_walk_a_change(tmp_path: Path) -> None:
    live = chain(tmp_path)
    feed = ChangeFeed(live, max_subscriptions=100, max_seconds=60)
    kg, limits = live.current(), Settings()
    start = f"article:{url('s0')}"
    same = [feed.watch(kg, limits, None, start, 2) for _ in range(3)]
    other = feed.watch(kg, limits, None, start, 1)
    with feed.subscribe(10, same[0]) as a:
        shared = feed.watch(kg, limits, None, start, 2)  # joins the open one
        assert shared is same[0]
        with feed.subscribe(10, shared) as b, feed.subscribe(10, other) as c:
            assert feed.watches == 2
            write_record(tmp_path, "s3.md", record(
                "s3", related=[{"title": "S1", "webUrl": url("s1")}]))
            change = live.apply([tmp_path / "s3.md"])
            feed._fan_out(change)
            (ca, got_a), (cb, got_b), (_, got_c) = (a.pending[0], b.pending[0], c.pending[0])
            assert ca is cb is change and got_a is got_b  # read once, for both
            # s1 has a new edge (s3 relates it): UPDATED, as any article whose edges changed
            assert [(x.node, x.reason, x.hops) for x in got_a] == [
                (f"article:{url('s1')}", "UPDATED", 1), (f"article:{url('s3')}", "ADDED", 2)]
            assert [(x.node, x.reason, x.hops) for x in got_c] == [
                (f"article:{url('s1')}", "UPDATED", 1)]
            assert shared.watch.walks == 2 and other.watch.walks == 2
    assert feed.watches == 0 and not feed._shared


def test_a_watch_that_fails_ends_its_subscriptions_and_no_others(tmp_path: Path,
                                                                 monkeypatch, caplog) -> None:
    live = chain(tmp_path)
    feed = ChangeFeed(live, max_subscriptions=100, max_seconds=60)
    broken = feed.watch(live.current(), Settings(), None, f"article:{url('s0')}", 2)

    def fails(change: graph.Change) -> list[Any]:
        raise RuntimeError("a fault in one watch")

    monkeypatch.setattr(broken.watch, "arrivals", fails)
    with feed.subscribe(10, broken) as story, feed.subscribe(10) as changed:
        write_record(tmp_path, "s3.md", record("s3"))
        change = live.apply([tmp_path / "s3.md"])
        feed._fan_out(change)  # raised at the broken watch: graphChanged missed the change
        assert changed.pending[0] is change
        (_, error), = story.pending
        assert str(error) == "this subscription failed reading a change; subscribe again"
    assert "storyAdded watch" in caplog.text and "a fault in one watch" in caplog.text


def test_a_watch_whose_start_becomes_a_stub_goes_on(tmp_path: Path) -> None:
    # s1's file deleted, s0 still relates it: s1 stays, a stub; the zone is walked from it.
    live = chain(tmp_path)
    watch = StoryWatch(live.current(), start=f"article:{url('s1')}", hops=2)
    (tmp_path / "s1.md").unlink()
    change = live.apply([tmp_path / "s1.md"])
    assert change.graph is not None and change.graph[f"article:{url('s1')}"]["is_stub"]
    assert watch.arrivals(change) == []  # s0 unchanged; s2, a stub, no longer related
    write_record(tmp_path, "s4.md", record("s4", related=[{"title": "S1", "webUrl": url("s1")}]))
    arrivals = watch.arrivals(live.apply([tmp_path / "s4.md"]))
    assert [(a.node, a.reason, a.hops) for a in arrivals] == [(f"article:{url('s4')}", "ADDED", 1)]
