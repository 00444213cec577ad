"""What a serving process holds outside its frozen graph is scanned by every full collection,
which holds every request while it runs: a heavy request's results while it runs, and what
the server makes once after the freeze (the background analytics, lists an index makes on
first read). At 20k records a whole-graph export's 120,000 edges were ~80% of what each
full collection scanned under the export attack (serve36). Counted in objects the collector
tracks, never timed."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import graph
from bench.generate import generate
from graph import explore
from graph.select import Selection

ALL_KINDS = ["RELATED", "TAGGED", "PUBLISHED_BY", "SAME_STORY"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scans") / "corpus"
    generate(300, out, seed=3)
    return out


@pytest.fixture(scope="module")
def kg(corpus: Path) -> graph.KnowledgeGraph:
    kg = graph.load(corpus)
    kg.analytics.storylines  # noqa: B018 - SAME_STORY edges and storylines, as a server's
    return kg


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_a_whole_graph_selection_leaves_its_edges_out_of_the_collectors_scans(kg):
    """An export's edges are held as numbers while it is written: as one object each,
    every full collection during the export visited them (and what each holds)."""
    explore.whole(kg, via=ALL_KINDS)  # whatever one-time state the first call makes
    before = _tracked()
    sub = explore.whole(kg, via=ALL_KINDS)
    grown = _tracked() - before
    assert len(sub.edges) > 1_000
    assert grown < 50, grown  # one Edge an edge: more than a thousand


def test_a_where_selection_leaves_its_edges_out_of_the_collectors_scans(kg):
    provider = max(kg.index.ids_in_order("provider"),
                   key=lambda p: len(kg.nx._pred[p]))
    where = Selection(providers=(provider.removeprefix("provider:"),))
    explore.select_subgraph(kg, selection=where, via=ALL_KINDS)
    before = _tracked()
    sub = explore.select_subgraph(kg, selection=where, via=ALL_KINDS)
    grown = _tracked() - before
    assert len(sub.edges) > 20
    assert grown < 20, grown


def _visited(root: object) -> int:
    """The references a full collection follows from ``root`` and the tracked objects it
    holds (not through classes, modules or functions: what the part itself makes it visit)."""
    seen: set[int] = set()
    todo, visits = [root], 0
    while todo:
        o = todo.pop()
        if id(o) in seen or not gc.is_tracked(o) or isinstance(o, type) \
                or type(o).__name__ in ("module", "function", "builtin_function_or_method"):
            continue
        seen.add(id(o))
        held = gc.get_referents(o)
        visits += len(held)
        todo.extend(held)
    return visits


def test_the_analytics_lookups_are_left_out_of_the_collectors_scans(kg):
    """The background analytics are installed after the server froze its graph and live
    as long as it: each lookup of one item an article (the central ranking, an article's
    storyline) or a row a pair of providers was visited item by item by every full
    collection (~100,000 references at 20k records, serve36). Read as before."""
    a = kg.analytics
    central, of, overlap = a.central_articles, a.storyline_of, a.provider_overlap
    # A tuple (or dict) is let go once what it holds is: by the next collection at most.
    gc.collect()
    gc.collect()
    assert len(central) > 200 and len(of) > 200 and overlap
    assert _visited(central) == 0
    assert _visited(overlap) == 0
    # The storylines themselves (a few objects each), not one reference an article.
    assert _visited(of) < 20 * len(a.storylines) < len(of), (_visited(of), len(a.storylines))
    assert of[next(iter(of))] in a.storylines
    assert all(a in s.articles for a, s in of.items())


def test_an_index_lists_made_on_first_read_are_left_out_of_the_collectors_scans(
        corpus: Path, tmp_path: Path):
    """A snapshot's index makes its per-node lists (kinds, dates) on first read, after the
    server froze its graph: one list item a node for every full collection to visit."""
    graph.load(corpus, cache=tmp_path)
    warm = graph.load(corpus, cache=tmp_path)
    assert warm.from_snapshot and "newest_first" not in vars(warm.index)
    newest = warm.index.newest_first
    gc.collect()
    assert _visited(newest) == 0
    assert list(newest) == warm.index.newest_key.tolist()
