"""Records listing many related stories: read and followed in linear time.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

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
