"""Records listing many related stories: read and followed in linear time.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

import pytest

import graph

# -- a record listing many related stories, followed ------------------------------------------

def test_a_follow_reads_a_long_related_list_once_per_record(tmp_path, monkeypatch):
    # Each related entry looked for its own place in the record's list from the start: a
    # record of n related links cost n²/2 steps to follow and at each edit (100,000 links:
    # minutes, "~30 s" in the last trial's follow). Counted here, not timed: the items the
    # build walks through enumerate() grow as n, not n².
    import builtins

    from graph import incremental

    n = 2_000
    related = "".join(f"  - {{title: R{i}, webUrl: 'https://r.example/{i}'}}\n"
                      for i in range(n))
    (tmp_path / "hub.md").write_text(
        f"---\ntitle: Hub\nwebUrl: https://hub.example/s\nrelated:\n{related}---\n",
        encoding="utf-8")
    walked = 0

    class Counting:
        def __init__(self, iterable, start=0):
            self.inner = builtins.enumerate(iterable, start)

        def __iter__(self):
            return self

        def __next__(self):
            nonlocal walked
            walked += 1
            return next(self.inner)

    monkeypatch.setattr(incremental, "enumerate", Counting, raising=False)
    live = graph.follow(tmp_path)
    hub = tmp_path / "hub.md"
    hub.write_text(hub.read_text(encoding="utf-8").replace("title: Hub", "title: Hub, edited"),
                   encoding="utf-8")
    live.apply([hub])
    assert live.current()["article:https://hub.example/s"]["title"] == "Hub, edited"
    assert walked < 50 * n, walked  # n²/2 is 2,000,000
    monkeypatch.undo()
    from tests.test_live import assert_same

    assert_same(live, tmp_path)


def test_a_long_list_of_flow_items_is_read_in_time_linear_in_its_text(monkeypatch):
    # The fast reader made, for each flow value in block YAML, a copy of every line to the
    # end of the file: a record of 100,000 `- {title: ..., webUrl: ...}` related items
    # took 185 s to load (7.5 s at 20,000: n² characters copied). Counted, not timed: the
    # characters handed to the flow reader grow as the text, and the answer is PyYAML's.
    import yaml

    from graph import blockyaml, yamlflow

    n = 2_000
    text = "title: Hub\nwebUrl: https://hub.example/s\nrelated:\n" + "".join(
        f"  - {{title: R{i}, webUrl: 'https://r.example/{i}'}}\n" for i in range(n)) + \
        "  - {title: 'over\n      two lines', webUrl: https://r.example/last}\n"
    read = 0
    original = yamlflow._Flow

    class Counting(original):  # type: ignore[misc, valid-type]
        def __init__(self, source: str):
            nonlocal read
            read += len(source)
            super().__init__(source)

    monkeypatch.setattr(yamlflow, "_Flow", Counting)
    [(value, line)] = blockyaml.read(text, 2, False)
    assert value == yaml.safe_load(text) and line == 2
    assert read < 10 * len(text), (read, len(text))  # n² / 2 lines' worth before


# -- an edit of a record listing many related stories ----------------------------------------

def _hub(tmp_path, n: int, title: str = "Hub", edit=None, topics: str = "AI") -> None:
    items = [f"  - {{title: R{i}, webUrl: 'https://r.example/{i}'}}\n" for i in range(n)]
    if edit is not None:
        edit(items)
    (tmp_path / "hub.md").write_text(
        f"---\ntitle: {title}\nwebUrl: https://hub.example/s\ntopics: [{topics}]\nrelated:\n"
        f"{''.join(items)}---\n", encoding="utf-8")


def _counting_nodes(monkeypatch) -> list[str]:
    from graph import incremental

    made: list[str] = []
    node = incremental.BuildState._node

    def counted(self, b, url):
        made.append(url)
        return node(self, b, url)

    monkeypatch.setattr(incremental.BuildState, "_node", counted)
    return made


def test_an_edit_that_keeps_a_long_related_list_remakes_only_its_own_node(tmp_path, monkeypatch):
    # Editing the title of a record listing 100,000 related stories made every stub it
    # lists again and took its 100,000 RELATED edges out and back in: ~38 s (55 s busy)
    # against a ~12 s follow. Counted, not timed: the nodes made again by the edit.
    from tests.test_live import assert_same

    n = 2_000
    _hub(tmp_path, n)
    live = graph.follow(tmp_path)
    made = _counting_nodes(monkeypatch)
    _hub(tmp_path, n, title="Hub, edited")
    live.apply([tmp_path / "hub.md"])
    assert live.current()["article:https://hub.example/s"]["title"] == "Hub, edited"
    assert len(made) < 10, len(made)
    monkeypatch.undo()
    assert_same(live, tmp_path)


def _drop(i):
    return lambda items: items.pop(i)


def _retitle(i):
    return lambda items: items.__setitem__(
        i, f"  - {{title: Retitled, webUrl: 'https://r.example/{i}'}}\n")


def _swap(i, j):
    def swap(items):
        items[i], items[j] = items[j], items[i]
    return swap


def _dated(i):
    return lambda items: items.__setitem__(
        i, f"  - {{title: R{i}, webUrl: 'https://r.example/{i}', "
           f"publishedDateTime: 2024-01-02}}\n")


@pytest.mark.parametrize("edit", [_drop(5), _retitle(7), _swap(3, 30), _dated(11),
                                  lambda items: items.append(
                                      "  - {title: New, webUrl: 'https://r.example/new'}\n")])
def test_an_edit_of_a_long_related_list_is_followed_as_a_cold_load_reads_it(
        tmp_path, edit):
    # The other side of the above: an edit that changes the list (an entry dropped,
    # retitled, moved, dated, added) makes the stubs and edges again.
    from tests.test_live import assert_same

    n = 40  # past the 16 links from which a source indexes its links by target
    _hub(tmp_path, n)
    (tmp_path / "other.md").write_text(
        "---\ntitle: Other\nwebUrl: https://other.example/o\nrelated:\n"
        "  - {title: From other, webUrl: 'https://r.example/5'}\n---\n", encoding="utf-8")
    live = graph.follow(tmp_path)
    _hub(tmp_path, n, title="Hub, edited", edit=edit)
    live.apply([tmp_path / "hub.md"])
    assert_same(live, tmp_path)


def test_a_long_related_list_kept_by_an_edit_of_the_topics_is_followed(tmp_path):
    from tests.test_live import assert_same

    _hub(tmp_path, 40)
    live = graph.follow(tmp_path)
    _hub(tmp_path, 40, topics="Privacy")  # its edges made again, the stubs kept
    live.apply([tmp_path / "hub.md"])
    assert_same(live, tmp_path)


def test_a_long_related_list_moved_in_its_file_is_followed_as_a_cold_load_reads_it(tmp_path):
    from tests.test_live import assert_same

    related = "".join(f"    - {{title: R{i}, webUrl: 'https://r.example/{i}'}}\n"
                      for i in range(40))
    hub = f"- title: Hub\n  webUrl: https://hub.example/s\n  related:\n{related}"
    first = "- title: First\n  webUrl: https://first.example/f\n"
    (tmp_path / "all.yaml").write_text(hub, encoding="utf-8")
    live = graph.follow(tmp_path)
    (tmp_path / "all.yaml").write_text(first + hub, encoding="utf-8")  # its line and place move
    live.apply([tmp_path / "all.yaml"])
    assert_same(live, tmp_path)
    (tmp_path / "all.yaml").write_text(hub.replace("title: Hub", "title: Hub, again"),
                                       encoding="utf-8")
    live.apply([tmp_path / "all.yaml"])
    assert_same(live, tmp_path)


def test_a_record_with_many_topics_is_read_in_time_linear_in_its_topics(tmp_path,
                                                                          monkeypatch):
    # Each topic was looked for among the record's topics so far (a list): a record of
    # 50,000 topics took 58 s to load, n²/2 string comparisons. Counted, not timed: the
    # comparisons of slugs grow as n, not n².
    from graph import build
    from graph.report import LoadReport

    n = 3_000
    compared = 0

    class Counted(str):
        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            nonlocal compared
            compared += 1
            return str.__eq__(self, other)

    real = build.topic_slug
    monkeypatch.setattr(build, "topic_slug", lambda name: Counted(real(name)))
    names = [f"t{i}" for i in range(n)] + ["T0", "t1"]
    slugs = build.Builder(LoadReport()).entry_topics(names, "tags.md", 2)
    assert slugs == [f"t{i}" for i in range(n)]
    assert compared < 50 * n, compared  # n²/2 is 4,500,000
    monkeypatch.undo()
    topics = ", ".join(names)
    (tmp_path / "tags.md").write_text(
        f"---\ntitle: Tags\nwebUrl: https://tags.example/s\ntopics: [{topics}]\n---\n",
        encoding="utf-8")
    kg = graph.load(tmp_path)
    assert kg.report.errors == []
    assert kg.nx.out_degree("article:https://tags.example/s") == n + 1  # + its provider
