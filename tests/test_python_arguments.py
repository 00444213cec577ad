"""The Python API as a notebook calls it with the wrong kind of argument: one record or
path where a list is expected, a value that is no callback, a string for a selection. Each
is refused up front with a TypeError naming what was given and what is allowed, and
nothing is written or changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import record, write_record

import graph
from graph.ingest import ingest
from graph.select import Selection, select_articles


@pytest.fixture
def live(tmp_path: Path) -> graph.LiveGraph:
    write_record(tmp_path, "a.md", record("a"))
    return graph.follow(tmp_path)


@pytest.mark.parametrize("callback", [5, None, "print"])
def test_on_change_refuses_what_is_not_callable(live, tmp_path, callback):
    # It was kept, and the next change (an ingest) failed on it: "applying written files
    # failed: TypeError('int' object is not callable)", the ingest raising too.
    with pytest.raises(TypeError, match=r"on_change takes a callable, called with each "
                                        rf"graph.Change; got {type(callback).__name__} "):
        live.on_change(callback)
    outcomes = ingest(live, [record("b")])
    assert [o.status for o in outcomes] == ["CREATED"]
    assert "article:https://news.example/b" in live.current()


@pytest.mark.parametrize("one", ["str", "path"])
def test_apply_refuses_one_path_given_alone(live, tmp_path, one):
    # A str was read as the paths of its characters (and nothing applied, silently); a
    # Path raised "'PosixPath' object is not iterable".
    b = write_record(tmp_path, "b.md", record("b"))
    given = str(b) if one == "str" else b
    with pytest.raises(TypeError, match=r"apply takes a list of paths \(or None for every "
                                        r"file\); got one .*: put it in a list"):
        live.apply(given)
    assert "article:https://news.example/b" not in live.current()
    assert live.apply([given]) is not None
    assert "article:https://news.example/b" in live.current()


@pytest.mark.parametrize("one", [record("b"), "https://news.example/b", b"{}"])
def test_ingest_refuses_one_record_given_alone(live, tmp_path, one):
    # A dict was read as its keys, each REJECTED as "expected a record ..., got str"; a
    # str as its characters, one REJECTED outcome each.
    with pytest.raises(TypeError, match=r"ingest takes a list of records \(each a mapping "
                                        rf"of fields\); got one {type(one).__name__}"):
        ingest(live, one)
    assert not (tmp_path / "ingested").exists()


def test_central_refuses_a_selection_that_is_no_selection(live):
    # It raised AttributeError: 'str' object has no attribute 'empty'.
    kg = live.current()
    with pytest.raises(TypeError, match=r"central takes a graph.select.Selection \(or None "
                                        r"for every article\); got str 'ai'"):
        kg.analytics.central("ai")
    assert kg.analytics.central(Selection(topics=("ai",))) == []
    assert [a for a, _ in kg.analytics.central()] == ["article:https://news.example/a"]


@pytest.mark.parametrize("progress", [3, "yes", True])
def test_load_and_follow_refuse_a_progress_that_is_not_callable(tmp_path, progress):
    # Taken, it failed at the first step the load reported: "'int' object is not callable".
    write_record(tmp_path, "a.md", record("a"))
    with pytest.raises(TypeError, match=r"progress takes a callable, called with each "
                                        r"graph\.progress\.Step, or None; got "):
        graph.load(tmp_path, progress=progress)
    with pytest.raises(TypeError, match=r"progress takes a callable"):
        graph.follow(tmp_path, progress=progress)


START = "article:https://news.example/a"


@pytest.mark.parametrize("call", ["within", "within_paths", "neighborhood"])
@pytest.mark.parametrize("where", [{"topics": ["ai"]}, "ai"])
def test_a_walk_refuses_a_where_that_is_no_selection(live, call, where):
    # It raised AttributeError: 'dict' object has no attribute 'empty' (a notebook writes
    # the GraphQL filter's shape, where={"topics": [...]}).
    kg = live.current()
    walk = {"within": lambda: kg.within(START, where=where),
            "within_paths": lambda: kg.within_paths(START, where=where),
            "neighborhood": lambda: graph.explore.expand(kg, START, selection=where)}[call]
    with pytest.raises(TypeError, match=r"takes a graph.select.Selection \(or None for every "
                                        rf"article\); got {type(where).__name__} "):
        walk()
    assert kg.within(START, where=Selection(topics=("ai",))) == []


def test_exclude_given_one_id_alone_excludes_it(tmp_path):
    # A str was read as the ids of its characters: nothing excluded, silently.
    write_record(tmp_path, "a.md", record("a", related=["https://news.example/b"]))
    write_record(tmp_path, "b.md", record("b"))
    kg = graph.load(tmp_path)
    b = "article:https://news.example/b"
    assert b in kg.neighborhood(START).nodes
    assert b not in kg.neighborhood(START, exclude=b).nodes
    assert kg.neighborhood(START, exclude=b).nodes == kg.neighborhood(START, exclude=[b]).nodes


@pytest.mark.parametrize("name", ["topics", "providers"])
def test_a_selection_given_one_topic_or_provider_alone_keeps_it(tmp_path, name):
    # Selection(topics="ai") was read as the topics 'a' and 'i': nothing kept, silently;
    # Selection(providers="news.example") as the domains 'n', 'e', ... ('.' refused).
    write_record(tmp_path, "a.md", record("a", topics=["AI"]))
    write_record(tmp_path, "b.md", record("b", host="other.example"))
    kg = graph.load(tmp_path)
    one = {"topics": "ai", "providers": "news.example"}[name]
    alone = select_articles(kg, Selection(**{name: one}))
    assert alone == ["article:https://news.example/a"]
    assert select_articles(kg, Selection(**{name: [one]})) == alone
    assert Selection(**{name: one}) == Selection(**{name: (one,)})
