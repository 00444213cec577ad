"""kg.frames(): one tidy DataFrame per node kind and per edge kind (graph/frames.py)."""

from __future__ import annotations

import sys

import networkx as nx
import pytest
from explore_corpus import ALPHA, BETA, EXPLORE, P1

import graph
from graph.frames import EDGE_COLUMNS, NODE_COLUMNS

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(EXPLORE)


def test_each_frame_has_only_its_kinds_columns(kg):
    f = kg.frames()
    assert list(f.articles.columns) == list(NODE_COLUMNS[graph.ARTICLE])
    assert list(f.providers.columns) == ["id", "domain", "name"]
    assert list(f.topics.columns) == ["id", "slug", "name"]
    assert list(f.related.columns) == ["source", "target", "evidence"]
    assert list(f.published_by.columns) == ["source", "target"]
    assert list(f.tagged.columns) == ["source", "target"]
    assert "kind" not in f.articles.columns


def test_rows_are_the_graphs_nodes_and_edges(kg):
    f = kg.frames()
    kinds = {"article": 0, "provider": 0, "topic": 0}
    for _, kind in kg.nx.nodes(data="kind"):
        kinds[kind] += 1
    assert (len(f.articles), len(f.providers), len(f.topics)) == (
        kinds["article"], kinds["provider"], kinds["topic"])
    assert sum(len(df) for _, df in list(f)[:3]) == kg.counts["nodes"]
    edges = {k: 0 for k in EDGE_COLUMNS}
    for _, _, k in kg.nx.edges(keys=True):
        edges[k] += 1
    assert (len(f.related), len(f.published_by), len(f.tagged)) == (
        edges["RELATED"], edges["PUBLISHED_BY"], edges["TAGGED"])
    assert sum(len(df) for _, df in list(f)[3:]) == kg.counts["edges"]


def test_values_are_the_nodes_attributes(kg):
    f = kg.frames()
    alpha = f.articles.set_index("id").loc[ALPHA]
    assert alpha["title"] == kg[ALPHA]["title"]
    assert alpha["published_at"] == pd.Timestamp(kg[ALPHA]["published_at"])
    assert str(f.articles["published_at"].dtype).endswith(", UTC]")
    assert str(f.articles["quality"].dtype) == "Int64"  # missing values stay missing
    assert f.published_by[f.published_by["source"] == ALPHA]["target"].tolist() == [P1]
    related = f.related[(f.related["source"] == ALPHA) & (f.related["target"] == BETA)]
    assert related["evidence"].tolist() == [kg.nx.edges[ALPHA, BETA, "RELATED"]["evidence"]]


def test_an_empty_graph_has_empty_frames_with_their_columns():
    f = graph.KnowledgeGraph(nx.MultiDiGraph()).frames()
    assert len(f.articles) == 0 and list(f.topics.columns) == ["id", "slug", "name"]


def test_without_pandas_the_error_says_how_to_install_it(kg, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'newsgraph\[pandas\]'"):
        kg.frames()
