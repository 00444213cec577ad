"""graph.follow: a live graph that, after any sequence of file changes, equals a cold load."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import graph
from graph import live as live_module
from graph import reindex
from graph.change import articles_changed
from graph.compact import Adjacency
from tests.conftest import record, write_record
from tests.live_helpers import fail_one_apply, ingest_together


def snapshot_of(kg: graph.KnowledgeGraph) -> dict[str, Any]:
    """Everything a cold load decides, in a comparable form: nodes, edges, report."""
    g = kg.nx
    return {
        "nodes": {n: dict(d) for n, d in g.nodes(data=True)},
        "edges": {(u, v, k): dict(d) for u, v, k, d in g.edges(keys=True, data=True)},
        "report": kg.report.as_dict(),
    }


def assert_same(live: graph.LiveGraph, root: Path) -> None:
    cold = graph.load(root)
    got, want = snapshot_of(live.current()), snapshot_of(cold)
    assert got["report"] == want["report"]
    assert got["nodes"].keys() == want["nodes"].keys()
    for node, data in want["nodes"].items():
        assert got["nodes"][node] == data, node
    assert got["edges"] == want["edges"]
    assert_same_order(live.current(), cold)
    assert_same_index(live.current(), cold)


def orders_of(kg: graph.KnowledgeGraph) -> dict[str, Any]:
    """Every order a user of ``kg.nx`` sees: its nodes, each node's attributes, its
    edges (each node's successors and each pair's keys, in order) and in-edges."""
    g = kg.nx
    return {"nodes": list(g),
            "attributes": {n: list(d) for n, d in g.nodes(data=True)},
            "edges": list(g.edges(keys=True)),
            "in_edges": [(n, list(g._pred[n])) for n in g],
            "in_keys": [(u, v, list(keys)) for v in g for u, keys in g._pred[v].items()]}


def assert_same_order(kg: graph.KnowledgeGraph, cold: graph.KnowledgeGraph) -> None:
    """A followed version lists what kg.nx holds in the order a cold load lists it."""
    got, want = orders_of(kg), orders_of(cold)
    for what in want:
        assert got[what] == want[what], what


PHRASES = ("story", "story a", "related b", "ai", "facial recognition", "artificial",
           "news example", "c")


def by_id(index: Any, csr: Any) -> dict[str, list[str]]:
    """Each node's row of ``csr``, as ids, in the row's order."""
    ids = index.ids
    return {ids[p]: [ids[q] for q in csr.row(p)] for p in range(len(ids))}


def in_rank_order(index: Any) -> list[str]:
    """The ids in the order of the index's rank (newest first, then id)."""
    order = [0] * len(index.ids)
    for p, r in enumerate(index.rank.tolist()):
        order[r] = p
    return [index.ids[p] for p in order]


def assert_same_index(kg: graph.KnowledgeGraph, cold: graph.KnowledgeGraph) -> None:
    """The read index, lookups and per-version analytics a version carried over from the
    previous one (graph/reindex.py) answer as the cold load's do. Positions may differ
    (a followed version adds nodes after the others): everything is compared by id, and
    every order a reader takes — rows, rank, the id order kept beside — is the same."""
    from graph.normalize import phrase_tokens

    got, want = kg.index, cold.index
    assert want.id_order is None and want.ids == sorted(want.ids)  # a load's: id order
    assert sorted(got.ids) == want.ids and len(got.pos) == len(want.pos)
    assert all(got.ids[got.pos[x]] == x for x in want.ids)
    assert got.ids_in_order() == want.ids
    assert [got.ids[p] for p in got.in_id_order().tolist()] == want.ids
    if got.id_rank is not None:
        assert [want.ids[r] for r in got.id_rank.tolist()] == got.ids
    for kind in ("article", "topic", "provider"):
        assert got.ids_in_order(kind) == want.ids_in_order(kind)

    def at(index: Any, values: list[Any]) -> dict[str, Any]:
        return dict(zip(index.ids, values, strict=True))

    assert at(got, got.kind) == at(want, want.kind)
    assert at(got, got.kind_code.tolist()) == at(want, want.kind_code.tolist())
    assert at(got, got.newest_first) == at(want, want.newest_first)
    assert in_rank_order(got) == in_rank_order(want)
    for kind, csr in want.csr.items():
        assert by_id(got, got.csr[kind]) == by_id(want, csr), kind

    def named(index: Any, positions: Any) -> set[str]:
        return {index.ids[p] for p in positions}

    for phrase in PHRASES:
        tokens = phrase_tokens(phrase)
        assert named(got, got.mentioning(tokens)) == named(want, want.mentioning(tokens)), \
            phrase
        # answers are handed on to the next version (graph/reindex.py), so asked of each
        assert named(got, np.flatnonzero(got.mention_mask(tokens))) == \
            named(want, np.flatnonzero(want.mention_mask(tokens))), phrase
    # The walks' rows, carried over too: asked of each version, as queries would.
    from graph.build import ARTICLE, RELATED, TAGGED, TOPIC
    from graph.index import WALK_ORDER

    for via in (WALK_ORDER, (RELATED, TAGGED)):
        assert by_id(got, got.combined(via)) == by_id(want, want.combined(via)), via
        for phrase in ("story", "ai"):
            for kinds in (frozenset({ARTICLE}), frozenset({ARTICLE, TOPIC})):
                # Kept rows list their nodes in node order (the walk sorts what it
                # reads of them by rank): the same nodes, in any order.
                a = by_id(got, got.kept_rows(via, kinds, phrase_tokens(phrase)))
                b = by_id(want, want.kept_rows(via, kinds, phrase_tokens(phrase)))
                assert {k: sorted(v) for k, v in a.items()} == \
                    {k: sorted(v) for k, v in b.items()}, via
    for node in want.ids:
        data = cold.nx.nodes[node]
        for url in (data.get("url"), data.get("web_url"), data.get("original_url")):
            if url:
                assert kg.article(url) == cold.article(url), url
    assert dict(got.aliases.items()) == dict(want.aliases.items())
    for name, topic in cold._topic_names.items():
        assert kg.topic(name) == topic
    assert kg._topic_names == cold._topic_names  # none left over either
    assert kg.counts == cold.counts
    assert list(kg.analytics.same_story.items()) == list(cold.analytics.same_story.items())
    assert kg.analytics.topic_articles == cold.analytics.topic_articles
    assert_same_answers(kg, cold)


def assert_same_answers(kg: graph.KnowledgeGraph, cold: graph.KnowledgeGraph) -> None:
    """The walks, paths, selections and exports of a version answer as the cold load's,
    in the same order, whatever positions its nodes have."""
    from graph import explore, paths
    from graph.analytics import SAME_STORY
    from graph.select import Selection, search_by_scan, select_articles

    articles = cold.index.ids_in_order("article")
    assert select_articles(kg) == select_articles(cold)
    assert select_articles(kg, Selection(mentions="story"), order="TITLE_ASC") == \
        select_articles(cold, Selection(mentions="story"), order="TITLE_ASC")
    assert search_by_scan(kg, "story") == search_by_scan(cold, "story")
    assert list(explore.whole(kg).nodes.items()) == list(explore.whole(cold).nodes.items())
    assert [e.id for e in explore.whole(kg).edges] == [e.id for e in explore.whole(cold).edges]
    for start in articles[:4]:
        for hops, via, mentions, kinds in ((2, None, None, None), (3, None, "story", None),
                                           (2, ("RELATED", SAME_STORY), None, ("article",)),
                                           (1, ("TAGGED",), None, ("article", "topic"))):
            assert kg.within_paths(start, hops, via, mentions, kinds) == \
                cold.within_paths(start, hops, via, mentions, kinds), (start, hops, via)
        sub, want = kg.neighborhood(start, hops=2), cold.neighborhood(start, hops=2)
        assert list(sub.nodes.items()) == list(want.nodes.items())
        assert [e.id for e in sub.edges] == [e.id for e in want.edges]
        for end in articles[-3:]:
            assert kg.shortest_path(start, end) == cold.shortest_path(start, end)
            assert [p.nodes for p in paths.k_shortest_paths(kg, start, end, k=3)] == \
                [p.nodes for p in paths.k_shortest_paths(cold, start, end, k=3)]


def test_a_new_file_is_seen_and_a_deleted_one_goes(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a", related=[record("b")]))
    live = graph.follow(tmp_path)
    first = live.version
    assert live.current().report.stubs == 1
    seen = []
    live.on_change(seen.append)

    b = write_record(tmp_path, "b.md", record("b", topics=["AI"]))
    change = live.apply([b])
    assert change is not None and change.previous == first and change.version == live.version
    assert change.updated == ("article:https://news.example/b",)  # the stub became a record
    assert live.current().report.stubs == 0
    assert seen == [change]
    assert_same(live, tmp_path)

    b.unlink()
    change = live.apply([b])
    assert change is not None and change.updated == ("article:https://news.example/b",)
    assert live.current().report.stubs == 1
    assert live.version == first  # the folder is as it was: the same version
    assert_same(live, tmp_path)


def test_an_old_version_never_changes(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    old = live.current()
    live.apply([write_record(tmp_path, "b.md", record("b"))])
    assert "article:https://news.example/b" not in old
    assert "article:https://news.example/b" in live.current()


def test_every_old_version_keeps_what_it_held(tmp_path: Path) -> None:
    """Versions share their node and adjacency maps and index arrays (graph/patch.py,
    graph/reindex.py): each change made after a version — a node added before and after
    every other, one rewritten, one removed, a stub made and dropped, a provider and a
    topic gone — leaves everything it held, and its read index, as they were."""
    write_record(tmp_path, "m.md", record("m", topics=["AI"], related=["https://news.example/s"]))
    write_record(tmp_path, "n.md", record("n", host="other.example", topics=["Courts"]))
    live = graph.follow(tmp_path)
    steps = [
        lambda: write_record(tmp_path, "a.md", record("0first", related=["https://news.example/m"])),
        lambda: write_record(tmp_path, "z.md", record("zlast", host="zz.example", topics=["AI"])),
        lambda: write_record(tmp_path, "m.md", record("m", title="Changed", topics=["Law"])),
        lambda: (tmp_path / "n.md").unlink() or tmp_path / "n.md",
        lambda: write_record(tmp_path, "s.md", record("s", topics=["New topic"])),
    ]
    held = []
    for step in steps:
        kg = live.current()
        held.append((kg, snapshot_of(kg), _index_of(kg)))
        live.apply([step()])
    assert_same(live, tmp_path)
    for kg, snapshot, index in held:
        assert snapshot_of(kg) == snapshot
        assert _index_of(kg) == index


def _index_of(kg: graph.KnowledgeGraph) -> dict[str, Any]:
    index = kg.index
    return {"in_edges": sorted(kg.nx.in_edges(keys=True)), "ids": list(index.ids),
            "kind": index.kind_code.tolist(),
            "rank": index.rank.tolist(), "newest": index.newest_key.tolist(),
            "csr": {k: (c.indptr.tolist(), c.indices.tolist()) for k, c in index.csr.items()},
            "ai": sorted(index.mentioning(("ai",))), "nodes": len(kg.nx)}


def test_two_followers_of_one_folder_report_one_version(tmp_path: Path) -> None:
    write_record(tmp_path, "x/a.md", record("a"))
    write_record(tmp_path, "b.json", record("b"), form="json")
    here = graph.follow(tmp_path)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        there = graph.follow(".")
    finally:
        os.chdir(cwd)
    assert here.version == there.version
    copy = tmp_path.parent / (tmp_path.name + "-copy")
    shutil.copytree(tmp_path, copy)
    assert graph.follow(copy).version == here.version


def test_nothing_changed_makes_no_version(tmp_path: Path) -> None:
    a = write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    assert live.apply([a]) is None
    assert live.apply(None) is None


def test_a_rescan_without_paths_finds_an_edit(tmp_path: Path) -> None:
    a = write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    write_record(tmp_path, "a.md", record("a", title="A longer title than before"))
    os.utime(a, ns=(1, 1))
    change = live.apply(None)
    assert change is not None and change.updated == ("article:https://news.example/a",)
    assert_same(live, tmp_path)


def test_a_renamed_folder_is_read_again(tmp_path: Path) -> None:
    write_record(tmp_path, "x/a.md", record("a"))
    live = graph.follow(tmp_path)
    (tmp_path / "x").rename(tmp_path / "y")
    live.apply([tmp_path / "x", tmp_path / "y"])
    assert live.current().report.errors == []
    assert_same(live, tmp_path)


@pytest.mark.parametrize("inside", [None, "note.txt", "index.md"])
def test_a_file_replaced_by_a_folder_of_its_name_is_gone(tmp_path: Path, inside: str | None,
                                                        ) -> None:
    # 'story.md' deleted and a folder 'story.md/' made in its place (an editor's or a
    # sync tool's page bundle): its records stayed in every later version, a cold load
    # holding one article fewer.
    write_record(tmp_path, "a.md", record("a"))
    write_record(tmp_path, "story.md", record("story"))
    live = graph.follow(tmp_path)
    (tmp_path / "story.md").unlink()
    (tmp_path / "story.md").mkdir()
    if inside is not None:
        write_record(tmp_path, f"story.md/{inside}", record("inner"))
    live.apply([tmp_path / "story.md"])
    assert_same(live, tmp_path)
    assert live.current().report.articles == graph.load(tmp_path).report.articles


def test_a_folder_replaced_by_a_file_of_its_name_is_read_as_one(tmp_path: Path) -> None:
    write_record(tmp_path, "a.md", record("a"))
    write_record(tmp_path, "story.md/index.md", record("inner"))
    live = graph.follow(tmp_path)
    shutil.rmtree(tmp_path / "story.md")
    write_record(tmp_path, "story.md", record("story"))
    live.apply([tmp_path / "story.md"])
    assert_same(live, tmp_path)


def _vim_saves(path: Path, text: str, keep_backup: bool) -> list[Path]:
    """Save ``path`` as vim does (its ``4913`` probe, the old file renamed ``x~``, the
    new one written, the backup kept with ``:set backup``); return the paths touched."""
    probe = path.parent / "4913"
    probe.write_text("")
    probe.unlink()
    swap = path.parent / f".{path.name}.swp"
    swap.write_bytes(b"b0VIM 9.0")
    backup = path.parent / f"{path.name}~"
    os.replace(path, backup)
    path.write_text(text)
    if not keep_backup:
        backup.unlink()
    return [probe, swap, backup, path]


def _emacs_saves(path: Path, text: str) -> list[Path]:
    """Edit ``path`` as emacs does: its lock (a symlink ``.#x`` to nowhere), an
    auto-save file ``#x#``, then a save with the backup ``x~`` kept."""
    lock = path.parent / f".#{path.name}"
    os.symlink("someone@host.1234:1700000000", lock)
    autosave = path.parent / f"#{path.name}#"
    autosave.write_text(text)
    backup = path.parent / f"{path.name}~"
    shutil.copyfile(path, backup)
    path.write_text(text)
    autosave.unlink()
    lock.unlink()
    return [lock, autosave, backup, path]


def _jetbrains_saves(path: Path, text: str) -> list[Path]:
    """Save ``path`` as a JetBrains IDE's safe write does: a temporary file beside it,
    the old file moved aside, the temporary file renamed in its place."""
    tmp = path.parent / f"{path.name}___jb_tmp___"
    old = path.parent / f"{path.name}___jb_old___"
    tmp.write_text(text)
    os.replace(path, old)
    os.replace(tmp, path)
    old.unlink()
    return [tmp, old, path]


@pytest.mark.parametrize("editor", ["vim", "vim with backups", "emacs", "jetbrains"])
def test_an_editors_own_files_are_no_records_and_list_no_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, editor: str) -> None:
    """An editor saving a story leaves or passes through files of its own beside it
    (vim's ``.x.swp``, ``4913`` and ``x~``; emacs's ``.#x`` lock symlink, ``#x#`` and
    ``x~``; a JetBrains IDE's ``x___jb_tmp___`` and ``x___jb_old___``): none is read as
    a record, and the change (and every later one) looks at the paths named, without
    listing the whole folder (at 100k files a listing is ~1 s an apply)."""
    for slug in "abc":
        write_record(tmp_path, f"s/{slug}.md", record(slug))
    live = graph.follow(tmp_path)
    listed: list[int] = []
    listing = live_module.LiveGraph._list

    def counted(self: graph.LiveGraph) -> Any:
        listed.append(1)
        return listing(self)

    monkeypatch.setattr(live_module.LiveGraph, "_list", counted)
    for n, slug in enumerate("abc"):
        path = tmp_path / "s" / f"{slug}.md"
        text = path.read_text().replace(f"Story {slug}", f"Story {slug}, saved {n}")
        if editor.startswith("vim"):
            touched = _vim_saves(path, text, keep_backup=editor == "vim with backups")
        elif editor == "emacs":
            touched = _emacs_saves(path, text)
        else:
            touched = _jetbrains_saves(path, text)
        change = live.apply(touched)
        assert change is not None and change.updated == (f"article:https://news.example/{slug}",)
        assert listed == [], f"save {n} listed the whole folder"
        assert_same(live, tmp_path)
    assert live.current().report.records == 3
    added = write_record(tmp_path, "s/d.md", record("d"))
    live.apply([added])  # a later change, the editor's leftovers still there
    assert listed == []
    assert_same(live, tmp_path)


def test_following_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(graph.NewsgraphError, match="no such file or folder"):
        graph.follow(tmp_path / "missing")


# -- the property: any sequence of file operations --------------------------------

# The last two are one story: `café` composed and decomposed (as macOS writes a file name).
SLUGS = ("a", "b", "c", "caf\u00e9", "cafe\u0301")
HOSTS = ("news.example", "other.example")
SPELLINGS = ("AI", "ai", "Artificial Intelligence", "Facial Recognition", "facial recognition")
DATES = (None, "2022-01-01T00:00:00Z", "2023-06-01T12:00:00Z", "not a date")
FILES = ("one.md", "two.yaml", "sub/three.json", "sub/four.jsonl", "cafe\u0301.md")
FORMS = {".md": "md", ".yaml": "yaml", ".json": "json", ".jsonl": "jsonl"}

fields_strategy = st.fixed_dictionaries({
    "slug": st.sampled_from(SLUGS),
    "host": st.sampled_from(HOSTS),
    "topics": st.lists(st.sampled_from(SPELLINGS), max_size=2),
    # (slug, host, the provider the entry names: a stub's provider follows its winner)
    "related": st.lists(st.tuples(st.sampled_from(SLUGS), st.sampled_from(HOSTS),
                                  st.sampled_from((None, *HOSTS))), max_size=2),
    "date": st.sampled_from(DATES),
    "tracking": st.booleans(),
    "spelled": st.sampled_from(("title", "upper")),  # how it spells its provider's name
})


def _fields(spec: dict[str, Any]) -> dict[str, Any]:
    url = f"https://{spec['host']}/{spec['slug']}" + ("?utm_source=x" if spec["tracking"] else "")
    fields: dict[str, Any] = {"title": f"Story {spec['slug']}", "webUrl": url,
                              "topics": spec["topics"],
                              "provider": {"name": getattr(spec["host"], spec["spelled"])(),
                                           "domain": spec["host"]},
                              "related": [{"title": f"Related {s}", "webUrl": f"https://{h}/{s}",
                                           **({"provider": {"domain": p}} if p else {})}
                                          for s, h, p in spec["related"]]}
    if spec["date"] is not None:
        fields["publishedDateTime"] = spec["date"]
    return fields


class FollowedFolder(RuleBasedStateMachine):
    """File operations on a folder; after each, the live graph equals a cold load."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="newsgraph-live-"))
        write_record(self.root, "seed.md", record("a"))
        self.live = graph.follow(self.root)
        self.changes: list[Any] = []
        self.live.on_change(self.changes.append)
        self.previous = self.live.current()
        self.specs: dict[str, dict[str, Any]] = {"seed.md": {}}
        self.compact_at = reindex.COMPACT_AT, reindex.FOLD_AT, reindex.SEGMENTS, reindex.SPARE
        self.edges_held, live_module.EDGES_HELD = live_module.EDGES_HELD, 0

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        reindex.COMPACT_AT, reindex.FOLD_AT, reindex.SEGMENTS, reindex.SPARE = self.compact_at
        live_module.EDGES_HELD = self.edges_held

    @rule()
    def compact(self) -> None:
        """The newest version's edges packed into arrays and the build state's held
        entries into blobs (graph/compaction.py): the same version, the same graph."""
        version, kg = self.live.version, self.live.current()
        self.live.compact()
        assert self.live.version == version and self.live.current() is kg
        assert isinstance(kg.nx._succ, Adjacency) and isinstance(kg.nx._pred, Adjacency)

    @rule(at=st.sampled_from((0, 1, 2, 4, 10**6)), segments=st.integers(0, 3),
          spare=st.sampled_from((0, 4096)))
    def compact_after(self, at: int, segments: int, spare: int) -> None:
        """The next versions fold their text and URL deltas into the base past ``at``
        (never, at 10**6), join the text delta's segments past ``segments``, and give a
        spread CSR's new buffer ``spare`` entries of room (0: a new buffer often)."""
        reindex.COMPACT_AT = reindex.FOLD_AT = at
        reindex.SEGMENTS = segments
        reindex.SPARE = spare

    def _write(self, name: str, spec: dict[str, Any]) -> Path:
        form = FORMS[Path(name).suffix]
        fields = _fields(spec)
        value: Any = [fields] if form in ("yaml", "jsonl") else fields
        self.specs[name] = spec
        return write_record(self.root, name, value, form=form)

    @rule(name=st.sampled_from(FILES), spec=fields_strategy)
    def add_or_edit(self, name: str, spec: dict[str, Any]) -> None:
        self.live.apply([self._write(name, spec)])

    @rule(name=st.sampled_from(FILES), to=st.sampled_from(FILES))
    def rename(self, name: str, to: str) -> None:
        src, dst = self.root / name, self.root / to
        if not src.exists() or name == to or Path(name).suffix != Path(to).suffix:
            return
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        self.specs[to] = self.specs.pop(name)
        self.live.apply([src, dst])

    @rule(name=st.sampled_from(FILES))
    def delete(self, name: str) -> None:
        path = self.root / name
        if path.exists():
            path.unlink()
            self.specs.pop(name, None)
            self.live.apply([path])

    @rule(name=st.sampled_from(FILES), how=st.sampled_from(("half", "garbage", "empty")))
    def corrupt(self, name: str, how: str) -> None:
        path = self.root / name
        if not path.exists():
            return
        data = path.read_bytes()
        path.write_bytes({"half": data[: len(data) // 2], "garbage": b"\xff\xfe{[",
                          "empty": b""}[how])
        self.live.apply([path])

    @rule(name=st.sampled_from(FILES), to=st.sampled_from(FILES),
          date=st.sampled_from(DATES))
    def duplicate_url_elsewhere(self, name: str, to: str, date: str | None) -> None:
        spec = self.specs.get(name)
        if not spec or name == to:
            return
        self.live.apply([self._write(to, {**spec, "date": date, "tracking": True})])

    @rule(name=st.sampled_from(FILES), related=st.sampled_from(SLUGS))
    def change_a_related_link(self, name: str, related: str) -> None:
        spec = self.specs.get(name)
        if not spec:
            return
        self.live.apply([self._write(name, {**spec, "related": [(related, "news.example", None)]})])

    @rule(name=st.sampled_from(FILES), spec=fields_strategy, other=st.sampled_from(FILES),
          also=fields_strategy)
    def edit_unseen_then_change_another(self, name: str, spec: dict[str, Any], other: str,
                                        also: dict[str, Any]) -> None:
        """A file edited whose change is not applied yet when another's is: the records a
        follow reads again from it (graph/incremental.py, _Held) are not what it holds."""
        if name == other:
            return
        edited = self._write(name, spec)
        self.live.apply([self._write(other, also)])
        self.live.apply([edited])

    @rule(name=st.sampled_from(FILES), to=st.sampled_from((None, *FILES)),
          other=st.sampled_from(FILES), also=fields_strategy)
    def delete_or_rename_unseen_then_change_another(self, name: str, to: str | None,
                                                    other: str, also: dict[str, Any]) -> None:
        """A `git checkout` or `rsync --delete`: a file deleted or renamed (``to``) whose
        change is not applied yet when another's is; then the watcher's late events."""
        src = self.root / name
        if name == other or not src.exists() or to in (name, other) or (
                to is not None and Path(name).suffix != Path(to).suffix):
            return
        spec = self.specs.pop(name)
        if to is None:
            src.unlink()
        else:
            (self.root / to).parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, self.root / to)
            self.specs[to] = spec
        self.live.apply([self._write(other, also)])
        self.live.apply([src] if to is None else [src, self.root / to])

    @rule()
    def rescan_everything(self) -> None:
        self.live.apply(None)

    @rule(batches=st.lists(st.lists(fields_strategy, min_size=1, max_size=3), min_size=1,
                           max_size=3))
    def ingest_at_once(self, batches: list[list[dict[str, Any]]]) -> None:
        """Batches sent through ingest at once, written and applied as one group (a URL
        may come in several of them, or be a file's already)."""
        results = ingest_together(self.live, [[_fields(spec) for spec in batch]
                                              for batch in batches])
        for outcomes in results:
            assert not isinstance(outcomes, BaseException), outcomes

    @invariant()
    def equals_a_cold_load(self) -> None:
        assert_same(self.live, self.root)
        assert self.live.version == graph.follow(self.root).version

    @invariant()
    def each_change_names_every_article_that_differs(self) -> None:
        """A change's added, updated and removed articles are those whose fields or
        edges differ between the two versions, looked for among every node."""
        for change in self.changes:
            assert (change.added, change.updated, change.removed) == articles_changed(
                self.previous, change.graph, set(self.previous.nx) | set(change.graph.nx))
            self.previous = change.graph
        self.changes.clear()


TestFollowedFolder = FollowedFolder.TestCase
TestFollowedFolder.settings = settings(
    max_examples=40, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])


def test_concurrent_applies_share_rebuilds_and_miss_nothing(tmp_path: Path) -> None:
    import threading

    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    built = []
    live.on_change(built.append)

    missing = []

    def add(i: int) -> None:
        live.apply([write_record(tmp_path, f"t/{i}.md", record(f"t{i}"))])
        if f"article:https://news.example/t{i}" not in live.current():
            missing.append(i)  # apply returned before its file was in the current version

    threads = [threading.Thread(target=add, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert missing == []
    assert live.current().report.articles == 17
    assert 1 <= len(built) <= 16
    assert_same(live, tmp_path)


def test_a_failed_build_is_built_again_by_the_next_apply(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write_record(tmp_path, "a.md", record("a", related=[record("c")]))
    live = graph.follow(tmp_path)
    b = write_record(tmp_path, "b.md", record("b", related=[record("a")]))
    fail_one_apply(live, b, MemoryError("no room for the next version"), monkeypatch)
    assert "article:https://news.example/b" not in live.current()  # the old version stays
    change = live.apply([])  # nothing new on disk, but the parse kept is not served yet
    assert change is not None and "article:https://news.example/b" in live.current()
    assert_same(live, tmp_path)
    write_record(tmp_path, "a.md", record("a"))  # and the changes after it apply as before
    live.apply([tmp_path / "a.md"])
    assert_same(live, tmp_path)


def test_a_build_from_every_file_reads_them_in_the_parse_pool(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build made again from every file (after a failed one, or a change that could
    not be applied by itself) reads the files whose records were let go as a load reads
    them, by the parse pool, not one after another in the follower (at 100k, ~89,000
    files read in one interpreter)."""
    for slug in "acdefg":
        write_record(tmp_path, f"{slug}.md", record(slug, related=[record("c")]))
    live = graph.follow(tmp_path)
    b = write_record(tmp_path, "b.md", record("b", related=[record("a")]))
    fail_one_apply(live, b, MemoryError("no room for the next version"), monkeypatch)
    pooled: list[list[str]] = []
    parse_files = live_module.parse_files

    def counted(files: list[str], *args: Any, **kwargs: Any) -> Any:
        pooled.append(list(files))
        return parse_files(files, *args, **kwargs)

    monkeypatch.setattr(live_module, "parse_files", counted)
    monkeypatch.setattr(live_module, "POOL_MIN_FILES", 4, raising=False)
    live.apply([])
    assert [sorted(files) for files in pooled] == [
        sorted(str(tmp_path / f"{slug}.md") for slug in "acdefg")]
    assert_same(live, tmp_path)


def test_a_followed_graph_lists_each_nodes_edges_as_a_load_does(tmp_path: Path) -> None:
    """Pages of edges (explore's neighborhood) follow each node's adjacency order: a
    followed folder gives the order a cold load gives, whatever the hash seed."""
    for name in ("a", "b", "c"):
        others = [record(x) for x in "abcd" if x != name]
        write_record(tmp_path, f"{name}.md", record(name, related=others, topics=["AI", "ML"]))
    live, cold = graph.follow(tmp_path).current(), graph.load(tmp_path)
    for node in cold.nx:
        assert list(live.nx._succ[node]) == list(cold.nx._succ[node]), node


def test_after_changes_kg_nx_lists_everything_in_a_cold_loads_order(tmp_path: Path) -> None:
    """The rule is "equals a cold load", order included: a followed version's nodes come
    in id order (not its persistent map's hash order), each node's in-edges by source
    id, and an edge added back to a record not read again (``d`` -> ``a`` after ``a``
    changed its topics) in the place ``d``'s record gives it, not at the end."""
    write_record(tmp_path, "d.md", record("d", related=[record("a"), record("x")]))
    write_record(tmp_path, "a.md", record("a", topics=["AI"], related=[record("d")]))
    live = graph.follow(tmp_path)
    live.apply([write_record(tmp_path, "a.md", record("a", topics=["ML"], related=[record("d")])),
                write_record(tmp_path, "0.md", record("0", topics=["ML"], related=[record("d")]))])
    kg, cold = live.current(), graph.load(tmp_path)
    assert list(kg.nx) == sorted(kg.nx) == list(cold.nx)
    assert list(kg.nx.successors("article:https://news.example/d")) == [
        "provider:news.example", "article:https://news.example/a", "article:https://news.example/x"]
    assert list(kg.nx.predecessors("article:https://news.example/d")) == [
        "article:https://news.example/0", "article:https://news.example/a"]
    assert_same_order(kg, cold)


def test_a_file_swapped_for_an_outside_symlink_is_not_read(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """As a load refuses it (tests/test_hostile.py): a followed file replaced by a
    symlink to outside the folder after the change was looked at, before it is read,
    is not read."""
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    write_record(corpus, "a.md", record("a"))
    write_record(corpus, "b.md", record("b"))
    write_record(outside, "b.md", record("secret"))
    live = graph.follow(corpus)
    write_record(corpus, "b.md", record("b", title="B, edited"))
    parse_file = live_module.parse_file

    def swap_then_parse(path: Path, **options: Any) -> Any:
        if path.name == "b.md":
            (corpus / "b.md").unlink()
            os.symlink(outside / "b.md", corpus / "b.md")
        return parse_file(path, **options)

    monkeypatch.setattr(live_module, "parse_file", swap_then_parse)
    live.apply([corpus / "b.md"])
    kg = live.current()
    assert kg.article("https://news.example/secret") is None
    assert kg.article("https://news.example/b") is None
    assert kg.article("https://news.example/a") is not None
    assert [e.reason for e in kg.report.errors if e.path.endswith("b.md")] == [
        f"opens {str(outside / 'b.md')!r}, outside the corpus folder {str(corpus)!r} (it was "
        "swapped for a symlink after the folder was listed): not read (--follow-symlinks "
        "reads it)"]


def test_a_big_provider_and_topic_stay_equal_to_a_cold_load(tmp_path: Path) -> None:
    """Rows longer than a few dozen entries (a provider's, a topic's) are carried over by
    another path than short ones (graph/reindex.py); adds, edits and deletes among a
    hundred articles of one provider and topic still give what a cold load gives."""
    def story(i: int, **more: Any) -> dict[str, Any]:
        fields = {"topics": ["AI"], "provider": {"name": "Big", "domain": "news.example"},
                  "related": [record(f"s{(i * 7) % 100}")], **more}
        return record(f"s{i}", **fields)

    for i in range(100):
        write_record(tmp_path, f"s{i}.md", story(i))
    live = graph.follow(tmp_path)
    changed = [write_record(tmp_path, f"n{i}.md", story(100 + i)) for i in range(5)]
    changed.append(write_record(tmp_path, "s3.md", story(3, topics=["ML"])))
    for i in (10, 50):
        (tmp_path / f"s{i}.md").unlink()
        changed.append(tmp_path / f"s{i}.md")
    live.apply(changed)
    assert_same(live, tmp_path)
    (tmp_path / "n0.md").unlink()
    live.apply([tmp_path / "n0.md", write_record(tmp_path, "s4.md", story(4, title="Renamed"))])
    assert_same(live, tmp_path)


def test_nodes_added_before_and_after_every_other_keep_the_index_a_cold_load_gives(
        tmp_path: Path) -> None:
    """The CSR entries kept are carried in runs between the rows a change rewrites
    (graph/reindex.py): nodes that sort before every other node and after it, a first
    and a last row rewritten, and a node removed between them, over two versions (the
    second starts from the first's kept rank order), still give a cold load's index."""
    for slug in ("m1", "m2", "m3", "m4"):
        write_record(tmp_path, f"{slug}.md", record(slug, topics=["AI"],
                                                    related=[record("m2")]))
    live = graph.follow(tmp_path)
    changed = [write_record(tmp_path, "first.md", record("a0", host="aaa.example",
                                                         topics=["AI"],
                                                         related=[record("m1")])),
               write_record(tmp_path, "last.md", record("z9", host="zzz.example",
                                                        related=[record("m4")])),
               write_record(tmp_path, "m1.md", record("m1", topics=["ML"]))]
    (tmp_path / "m3.md").unlink()
    live.apply([*changed, tmp_path / "m3.md"])
    assert_same(live, tmp_path)
    live.apply([write_record(tmp_path, "m4.md", record("m4", host="aaa.example")),
                write_record(tmp_path, "new.md",
                             record("m5", related=[record("a0", host="aaa.example")]))])
    assert_same(live, tmp_path)


def test_a_version_adding_nodes_keeps_every_position_and_one_removing_renumbers(
        tmp_path: Path) -> None:
    """Positions never shift while nodes are only added (graph/reindex.py, Moved): the
    nodes a version adds come after the others — even one whose id sorts before every
    other — so no CSR entry is renumbered, and the id order is kept beside for the
    readers that list nodes by id. A version that removes a node numbers them all in
    id order again, as a load does."""
    for slug in ("m1", "m2"):
        write_record(tmp_path, f"{slug}.md", record(slug, topics=["AI"], related=[record("m2")]))
    live = graph.follow(tmp_path)
    before = live.current().index
    live.apply([write_record(tmp_path, "first.md", record("a0", host="aaa.example",
                                                          topics=["AI"],
                                                          related=[record("m1")]))])
    after = live.current().index
    assert after.ids[:len(before.ids)] == before.ids
    assert all(after.pos[x] == p for p, x in enumerate(before.ids))
    assert after.ids[len(before.ids):] == sorted(set(after.ids) - set(before.ids))
    assert after.ids_in_order() == sorted(after.ids) != after.ids
    assert_same(live, tmp_path)
    live.apply([write_record(tmp_path, "last.md", record("z9", related=[record("a0")]))])
    assert live.current().index.ids[:len(after.ids)] == after.ids
    assert_same(live, tmp_path)
    (tmp_path / "m1.md").unlink()
    (tmp_path / "first.md").unlink()
    live.apply([tmp_path / "m1.md", tmp_path / "first.md"])
    renumbered = live.current().index
    assert renumbered.ids == sorted(renumbered.ids) and renumbered.id_order is None
    assert_same(live, tmp_path)


@pytest.mark.parametrize("spare", [0, 4096])
def test_a_version_adding_nodes_copies_no_kept_row(tmp_path: Path, spare: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A version that only adds nodes appends the rows it writes anew to the buffer the
    versions before it read (graph/reindex.py, _appended): no kept entry is copied, and
    every earlier version still reads its rows as they were, through a new buffer made
    when one is full (``spare`` 0: often)."""
    from graph.index import WALK_ORDER

    monkeypatch.setattr(reindex, "SPARE", spare, raising=False)
    for slug in ("m1", "m2", "m3"):
        write_record(tmp_path, f"{slug}.md", record(slug, topics=["AI"], related=[record("m2")]))
    live = graph.follow(tmp_path)
    held = []
    for i in range(6):
        kg = live.current()
        held.append((kg, {k: by_id(kg.index, kg.index.csr[k]) for k in WALK_ORDER}))
        live.apply([write_record(tmp_path, f"n{i}.md", record(f"n{i}", topics=["AI"],
                                                              related=[record("m1")]))])
        assert_same(live, tmp_path)
    for kg, rows in held:
        assert {k: by_id(kg.index, kg.index.csr[k]) for k in WALK_ORDER} == rows
    a, b = held[-1][0].index.csr, live.current().index.csr
    if spare:  # the last two versions share one buffer: the newer one's rows were appended
        assert all(np.shares_memory(a[k].indices, b[k].indices) for k in WALK_ORDER)
        assert all(b[k].indices.base is a[k].indices.base for k in WALK_ORDER)


def test_a_compacted_follow_reads_its_edges_from_arrays_and_goes_on(tmp_path: Path) -> None:
    """A cold follow's graph is dicts; compacted, its edges are arrays (the same graph,
    the same version), and the changes after go on over them."""
    write_record(tmp_path, "a.md", record("a", related=[{"webUrl": "https://news.example/b"}],
                                          topics=["AI"]))
    write_record(tmp_path, "b.md", record("b", topics=["ai"]))
    live = graph.follow(tmp_path)
    kg, version = live.current(), live.version
    assert not isinstance(kg.nx._succ, Adjacency)
    edges_before = sorted(kg.nx.edges(keys=True, data=True), key=repr)
    held, live_module.EDGES_HELD = live_module.EDGES_HELD, 0
    try:
        assert live.compact()
    finally:
        live_module.EDGES_HELD = held
    assert live.current() is kg and live.version == version
    assert isinstance(kg.nx._succ, Adjacency) and isinstance(kg.nx._pred, Adjacency)
    assert sorted(kg.nx.edges(keys=True, data=True), key=repr) == edges_before
    assert_same(live, tmp_path)
    write_record(tmp_path, "c.md", record("c", related=[{"webUrl": "https://news.example/a"}],
                                          topics=["AI"]))
    live.apply([tmp_path / "c.md"])
    (tmp_path / "b.md").unlink()
    live.apply([tmp_path / "b.md"])
    assert_same(live, tmp_path)


def test_a_topic_renamed_changes_which_articles_a_walk_keeps(tmp_path: Path) -> None:
    """A topic's name comes from its most frequent spelling; two spellings can share a slug
    yet not a word ("A" and the full-width "Ａ"). When the name changes, so does the text
    of every article tagged with it, and the rows a walk keeps (kept_rows, carried to the
    next version) change for their neighbours, which the change itself did not touch."""
    from graph.build import ARTICLE
    from graph.index import WALK_ORDER
    from graph.normalize import phrase_tokens

    write_record(tmp_path, "x.md", record("x", topics=["A"], related=[record("y")]))
    write_record(tmp_path, "y.md", record("y", related=[record("x")]))
    live = graph.follow(tmp_path)
    key = (WALK_ORDER, frozenset({ARTICLE}), phrase_tokens("a"))
    before = live.current().index.kept_rows(*key)  # asked: handed on to the next version
    assert before.indptr[-1] > 0
    paths = [write_record(tmp_path, f"z{i}.md", record(f"z{i}", topics=["Ａ"]))
             for i in range(2)]
    live.apply(paths)
    assert live.current().nx.nodes["topic:a"]["name"] == "Ａ"
    got, want = live.current().index, graph.load(tmp_path).index
    a, b = by_id(got, got.kept_rows(*key)), by_id(want, want.kept_rows(*key))
    assert {k: sorted(v) for k, v in a.items()} == {k: sorted(v) for k, v in b.items()}
    assert_same(live, tmp_path)


def test_the_rows_a_walk_keeps_are_carried_not_made_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version that only adds nodes carries the rows a walk keeps for a phrase
    (kept_rows) from the previous version's, remaking only the rows the change touched
    and those beside an article that came to hold the phrase or stopped holding it;
    before, each version gathered every kept node's rows and sorted them again."""
    from graph.build import ARTICLE
    from graph.index import WALK_ORDER, ReadIndex
    from graph.normalize import phrase_tokens

    write_record(tmp_path, "x.md", record("x", title="AI story", related=[record("y")]))
    write_record(tmp_path, "y.md", record("y", related=[record("x")]))
    live = graph.follow(tmp_path)
    key = (WALK_ORDER, frozenset({ARTICLE}), phrase_tokens("ai"))
    live.current().index.kept_rows(*key)  # asked: handed on to the next version
    made: list[Any] = []
    real = ReadIndex._kept_rows

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ReadIndex, "_kept_rows", counted)
    live.apply([write_record(tmp_path, "z.md", record("z", title="More AI",
                                                      related=[record("y")])),
                write_record(tmp_path, "x.md", record("x", title="Not now",
                                                      related=[record("y")]))])
    got = live.current().index
    assert key in got.kept_rows._held and made == []
    want = graph.load(tmp_path).index
    a, b = by_id(got, got.kept_rows(*key)), by_id(want, want.kept_rows(*key))
    assert {k: sorted(v) for k, v in a.items()} == {k: sorted(v) for k, v in b.items()}
    assert_same(live, tmp_path)


def test_the_heap_is_trimmed_by_a_thread_of_its_own(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A version's applier does not wait for ``malloc_trim`` (it walks the whole heap):
    a thread of its own calls it, soon after."""
    import threading

    from graph import heap

    calls: list[str] = []
    done = threading.Event()

    class FakeLibc:
        def malloc_trim(self, pad: int) -> int:
            calls.append(threading.current_thread().name)
            done.set()
            return 0

    write_record(tmp_path, "a.md", record("a"))
    live = graph.follow(tmp_path)
    monkeypatch.setattr(heap, "_LIBC", FakeLibc())
    applier: list[str] = []
    live.on_change(lambda change: applier.append(threading.current_thread().name))
    assert live.apply([write_record(tmp_path, "b.md", record("b"))]) is not None
    assert done.wait(10)
    assert calls and applier and applier[0] not in calls
    assert all(name == "newsgraph-heap" for name in calls)
