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
