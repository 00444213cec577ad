"""A hostile corpus, generated here: the loader stays within time and memory bounds,
reports every hostile file with its reason, and loads every valid record.

Alias bombs, 10,000-level nesting, a 50 MB file, NUL bytes, symlink loops, a pipe and
/dev/zero posing as records, an unreadable folder, a file deleted during the load, and
the same URL in 100 files.

Tests run as root here (and in CI), and ``chmod 000`` does not stop root from reading:
the unreadable folder and file are simulated by making the operating system call
refuse (``os.scandir``, ``os.open`` raising PermissionError for that one path), and the
real ``chmod`` variant runs only when the tests do not run as root.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

import graph
from graph import loader

MB = 2**20
BOMB = "\n".join(
    [
        'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)),
        "title: A bomb",
        "webUrl: https://hostile.example/bomb",
    ]
) + "\n"
DEEP = 10_000


def good(slug: str, **fields: object) -> dict[str, object]:
    return {"title": f"Good {slug}", "webUrl": f"https://good.example/{slug}", **fields}


def load_within(path: Path, seconds: float, **options: object) -> tuple[graph.KnowledgeGraph,
                                                                        float, float]:
    """Load ``path`` in a thread; fail unless it ends within ``seconds``. Return the graph,
    the time taken and the peak of Python allocations in MB."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["kg"] = graph.load(path, workers=1, **options)
        except BaseException as e:  # noqa: BLE001 - reported below
            box["error"] = e

    tracemalloc.start()
    started = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    assert not thread.is_alive(), f"the load of {path} did not end within {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["kg"], elapsed, peak  # type: ignore[return-value]


def reasons(kg: graph.KnowledgeGraph, root: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in kg.report.errors:
        out.setdefault(os.path.relpath(p.path, root), []).append(p.reason)
    return out


def articles(kg: graph.KnowledgeGraph) -> set[str]:
    return {n for n, d in kg.nx.nodes(data=True) if d["kind"] == "article"}


# -- each hostile file, alone beside good ones -------------------------------------------


HOSTILE_TEXT = {
    "bomb.yaml": (BOMB, "YAML alias bomb"),
    "bomb.md": ("---\n" + BOMB + "---\nbody\n", "YAML alias bomb"),
    "aliases.yaml": ("a: &a x\nlist: [" + ", ".join(["*a"] * 5000) + "]\ntitle: t\n"
                     "webUrl: https://hostile.example/aliases\n", "more than 100 aliases"),
    "deep.json": ("[" * DEEP + "]" * DEEP, "nested too deeply"),
    "deep-field.json": ('{"title": "t", "webUrl": "https://hostile.example/df", "x": '
                        + "[" * DEEP + "]" * DEEP + "}", "nested too deeply"),
    "deep-flow.yaml": ("title: t\nwebUrl: https://hostile.example/dy\nx: "
                       + "[" * DEEP + "]" * DEEP + "\n", "invalid YAML"),
    "deep-block.yaml": ("title: t\nwebUrl: https://hostile.example/db\nx:\n  " + "- " * DEEP
                        + "1\n", "invalid YAML"),
    "deep.md": ("---\ntitle: t\nwebUrl: https://hostile.example/dm\nx: " + "{a: " * DEEP
                + "1" + "}" * DEEP + "\n---\n", "invalid YAML"),
    "nul.md": ("---\ntitle: t\0\nwebUrl: https://hostile.example/nul\n---\n", "NUL byte"),
    "nul.json": ('{"title": "a\0b", "webUrl": "https://hostile.example/nj"}', "NUL byte"),
    "control.yaml": ("&\x08", "the character U+0008"),  # it used to stop the whole load
    # These used to stop the whole load with a traceback:
    "surrogate.json": ('{"title": "a\\ud800b", "webUrl": "https://hostile.example/sj"}',
                       "lone surrogate"),
    "surrogate.jsonl": ('{"title": "t", "excerpt": "\\udfff", "webUrl": '
                        '"https://hostile.example/sl"}\n', "lone surrogate"),
    "surrogate-topic.json": ('{"title": "t", "webUrl": "https://hostile.example/st", '
                             '"topics": ["\\ud83d"]}', "lone surrogate"),
    "surrogate.yaml": ('a: &a "x"\ntitle: "\\ud800"\nwebUrl: https://hostile.example/sy\n',
                       "lone surrogate"),
    # libyaml refuses the escape itself, naming it
    "surrogate-plain.yaml": ('title: "\\udc00"\nwebUrl: https://hostile.example/sp\n',
                             "invalid Unicode character escape"),
}


# An integer too long to convert: the value is dropped with a warning, the record kept.
HUGE_INTEGERS = {
    "huge-int.json": ('{"title": "t", "webUrl": "https://hostile.example/hi", "n": '
                      + "9" * 5000 + "}", "integer of 5,000 digits"),
    "huge-int.jsonl": ('{"title": "t", "webUrl": "https://hostile.example/hl", "n": -'
                       + "9" * 5000 + "}\n", "integer of 5,000 digits"),
    "huge-int.yaml": ("title: t\nwebUrl: https://hostile.example/hy\nn: " + "9" * 5000 + "\n",
                      "integer of 5,000 digits"),
    "huge-quality.json": ('{"title": "t", "webUrl": "https://hostile.example/hq", '
                          '"quality": ' + "9" * 5000 + "}", "integer of 5,000 digits"),
}


@pytest.mark.parametrize("name", HUGE_INTEGERS)
def test_an_integer_too_long_to_read_is_dropped_with_a_warning(tmp_path, name):
    text, reason = HUGE_INTEGERS[name]  # it used to stop the whole load with a traceback
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "good.json").write_text(json.dumps(good("beside")), encoding="utf-8")
    kg, elapsed, _ = load_within(tmp_path, 10)
    assert kg.report.ok and len(articles(kg)) == 2, kg.report.errors
    [warning] = kg.report.warnings
    assert warning.path.endswith(name) and reason in warning.reason
    assert elapsed < 5


@pytest.mark.parametrize("name", HOSTILE_TEXT)
def test_each_hostile_file_is_reported_quickly_and_small(tmp_path, name):
    text, reason = HOSTILE_TEXT[name]
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "good.json").write_text(json.dumps(good("beside")), encoding="utf-8")
    kg, elapsed, peak = load_within(tmp_path, 10)
    assert elapsed < 5 and peak < 64, (elapsed, peak)
    found = reasons(kg, tmp_path)
    assert list(found) == [name] and reason in found[name][0], found
    assert articles(kg) == {"article:https://good.example/beside"}


def test_a_bad_line_or_item_costs_only_itself(tmp_path):
    rows = [json.dumps(good("j1")), "[" * DEEP + "]" * DEEP, '{"title": "x\0", "webUrl": "u"}',
            json.dumps(good("j2"))]
    (tmp_path / "lines.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "list.yaml").write_text(
        "- title: y1\n  webUrl: https://good.example/y1\n"
        "- title: \"bad\0\"\n  webUrl: https://hostile.example/y\n"
        "- title: y2\n  webUrl: https://good.example/y2\n", encoding="utf-8")
    kg, _, _ = load_within(tmp_path, 10)
    assert articles(kg) == {f"article:https://good.example/{s}" for s in ("j1", "j2", "y1", "y2")}
    lines = sorted((os.path.basename(p.path), p.line) for p in kg.report.errors)
    assert lines == [("lines.jsonl", 2), ("lines.jsonl", 3), ("list.yaml", 3)]
    assert any("NUL byte" in p.reason for p in kg.report.errors if p.path.endswith(".yaml"))


def test_a_50_mb_file_is_refused_without_being_read(tmp_path):
    big = tmp_path / "big.jsonl"
    row = (json.dumps(good("big")) + "\n").encode()
    with big.open("wb") as f:
        f.write(row * (50 * MB // len(row) + 1))
    (tmp_path / "good.json").write_text(json.dumps(good("small")), encoding="utf-8")
    kg, elapsed, peak = load_within(tmp_path, 10)
    assert reasons(kg, tmp_path) == {"big.jsonl": [
        "file is 50.0 MB, over the 10.0 MB limit (--max-file-mb, or graph.load's "
        "max_file_bytes, raises it)"]}
    assert articles(kg) == {"article:https://good.example/small"}
    assert peak < 5 and elapsed < 10, (peak, elapsed)  # a hang guard, not a timing


def test_a_50_mb_file_under_a_raised_limit_loads_in_linear_memory(tmp_path):
    big = tmp_path / "big.md"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    with big.open("w", encoding="utf-8") as f:
        f.write("---\ntitle: A long read\nwebUrl: https://good.example/long\n---\n")
        f.write(line * (50 * MB // len(line)))
    kg, elapsed, peak = load_within(big, 60, max_file_bytes=64 * MB)
    assert articles(kg) == {"article:https://good.example/long"} and kg.report.ok
    assert peak < 8 * 50, peak  # a few copies of the text, never more
    assert elapsed < 30


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_a_pipe_or_a_device_posing_as_a_record_is_never_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")  # reading it would wait for a writer forever
    os.symlink("/dev/zero", tmp_path / "zero.json")  # reading it would never end
    (tmp_path / "good.json").write_text(json.dumps(good("ok")), encoding="utf-8")
    kg, _, _ = load_within(tmp_path, 10)  # /dev/zero is outside the corpus folder: not followed
    assert [os.path.basename(p.path) for p in kg.report.skipped] == ["zero.json"]
    kg, elapsed, peak = load_within(tmp_path, 10, follow_symlinks=True)
    assert reasons(kg, tmp_path) == {
        "pipe.md": ["not a regular file (a pipe, device or socket): never read"],
        "zero.json": ["not a regular file (a pipe, device or socket): never read"]}
    assert articles(kg) == {"article:https://good.example/ok"}
    assert elapsed < 5 and peak < 5


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets need a POSIX system")
def test_a_socket_posing_as_a_record_is_said_to_be_no_regular_file(tmp_path, monkeypatch):
    # A Unix socket in the folder (a server's, left in a synced notes folder) was
    # 'cannot read file: No such device or address', opening it failing with ENXIO.
    monkeypatch.chdir(tmp_path)  # a socket's path is at most 107 bytes: bound relative
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("sock.md")
        (tmp_path / "good.json").write_text(json.dumps(good("ok")), encoding="utf-8")
        kg, _, _ = load_within(tmp_path, 10)
    assert reasons(kg, tmp_path) == {
        "sock.md": ["not a regular file (a pipe, device or socket): never read"]}
    assert articles(kg) == {"article:https://good.example/ok"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize("given", ["pipe.md", "zero.json"])
def test_a_pipe_or_a_device_given_as_the_path_is_said_to_be_one(tmp_path, given):
    # `newsgraph load pipe.md` (or a link to /dev/zero) said 'cannot read folder: Not a directory':
    # it was listed as a folder, being no regular file. It is a file that is never read.
    os.mkfifo(tmp_path / "pipe.md")
    os.symlink("/dev/zero", tmp_path / "zero.json")  # the path given: its link is followed
    path = tmp_path / given
    kg, elapsed, _ = load_within(path, 10)
    assert [(p.path, p.reason) for p in kg.report.errors] == [
        (str(path), "not a regular file (a pipe, device or socket): never read")]
    assert elapsed < 5


def test_a_symlink_loop_given_as_the_path_is_said_to_be_one(tmp_path):
    # It was 'no such file or folder' for a name that is there.
    os.symlink("b.md", tmp_path / "a.md")
    os.symlink("a.md", tmp_path / "b.md")
    os.symlink("nowhere.md", tmp_path / "dangling.md")
    with pytest.raises(graph.NewsgraphError) as loop:
        graph.load(tmp_path / "a.md")
    assert str(loop.value) == (f"{str(tmp_path / 'a.md')!r} is a symlink that leads nowhere "
                               "(a loop of symlinks, or one to a missing file)")
    with pytest.raises(graph.NewsgraphError) as dangling:
        graph.load(tmp_path / "dangling.md")
    assert "is a symlink that leads nowhere" in str(dangling.value)


def test_symlink_loops_end_and_are_reported(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.json").write_text(json.dumps(good("inner")), encoding="utf-8")
    os.symlink("..", tmp_path / "sub" / "up")  # a folder loop
    os.symlink("self.md", tmp_path / "self.md")  # a file that points at itself
    os.symlink("nowhere.md", tmp_path / "dangling.md")
    kg, elapsed, _ = load_within(tmp_path, 10)
    found = reasons(kg, tmp_path)
    assert found == {
        os.path.join("sub", "up"): ["symlink loop: this folder was already read"],
        "self.md": ["cannot read file: Too many levels of symbolic links"],
        "dangling.md": ["cannot read file: No such file or directory"]}
    assert articles(kg) == {"article:https://good.example/inner"}
    assert elapsed < 5


def test_a_file_or_folder_reached_twice_inside_the_corpus_is_read_once(tmp_path):
    # An alias is no loop: a folder linked from another place in the corpus was called
    # a "symlink loop" (an error: load exited 1), and a file linked from elsewhere in
    # the corpus was read twice, a warning calling it a duplicate of itself. Each is
    # read once, from its own path, with a note; nothing is rejected.
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text(
        "---\n" + "".join(f"{k}: {v}\n" for k, v in good("a").items()) + "---\n",
        encoding="utf-8")
    (tmp_path / "posts" / "b.json").write_text(json.dumps(good("b")), encoding="utf-8")
    (tmp_path / "z").mkdir()
    os.symlink(os.path.join("..", "posts"), tmp_path / "z" / "posts-alias")  # a folder alias
    os.symlink(os.path.join("posts", "a.md"), tmp_path / "a-link.md")  # sorts before posts/
    kg, _, _ = load_within(tmp_path, 10)
    assert not kg.report.errors and not kg.report.warnings
    assert articles(kg) == {"article:https://good.example/a", "article:https://good.example/b"}
    assert kg.report.files == 2
    notes = {os.path.relpath(p.path, tmp_path): p.reason for p in kg.report.skipped}
    posts = os.path.join(tmp_path, "posts")
    assert notes == {
        os.path.join("z", "posts-alias"): f"the folder {posts!r} again, through a symlink: "
                                          "read once",
        "a-link.md": f"a symlink to {os.path.join(posts, 'a.md')!r}, read there: "
                     "not read twice"}
    assert kg[kg.article("https://good.example/a")]["sources"] == [
        os.path.join(posts, "a.md") + ":2"]


def _refuse(monkeypatch: pytest.MonkeyPatch, name: str, path: Path) -> None:
    real = getattr(os, name)

    def refusing(target, *args, **kwargs):
        named = os.fspath(target)
        if kwargs.get("dir_fd") is not None:  # a file opened through its folder (by the
            # load: graph/corpusfolders.py), which the file's permissions refuse as well
            named = os.path.join(os.readlink(f"/proc/self/fd/{kwargs['dir_fd']}"), named)
            if named == os.path.realpath(path):
                raise PermissionError(13, "Permission denied", os.fspath(target))
        if named == os.fspath(path):
            raise PermissionError(13, "Permission denied", os.fspath(target))
        return real(target, *args, **kwargs)

    monkeypatch.setattr(os, name, refusing)
    if name == "scandir":
        # The folder walk in C (graph/_native/filestats.c) reads folders without
        # os.scandir: a folder it cannot read sends it back to the Python walk, which
        # says why (test_an_unreadable_folder_for_real; tests/test_records.py).
        monkeypatch.setenv("NEWSGRAPH_PURE_STATS", "1")


def test_an_unreadable_folder_and_file_are_reported(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.json").write_text(json.dumps(good("hidden")), encoding="utf-8")
    (tmp_path / "secret.json").write_text(json.dumps(good("secret")), encoding="utf-8")
    (tmp_path / "open.json").write_text(json.dumps(good("open")), encoding="utf-8")
    _refuse(monkeypatch, "scandir", locked)  # as root, chmod 000 would not stop us
    _refuse(monkeypatch, "open", tmp_path / "secret.json")
    kg, _, _ = load_within(tmp_path, 10)
    assert reasons(kg, tmp_path) == {"locked": ["cannot read folder: Permission denied"],
                                     "secret.json": ["cannot read file: Permission denied"]}
    assert articles(kg) == {"article:https://good.example/open"}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads a chmod 000 folder anyway; the test above simulates it")
def test_an_unreadable_folder_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.json").write_text(json.dumps(good("hidden")), encoding="utf-8")
    (tmp_path / "open.json").write_text(json.dumps(good("open")), encoding="utf-8")
    locked.chmod(0)
    try:
        kg, _, _ = load_within(tmp_path, 10)
    finally:
        locked.chmod(stat.S_IRWXU)
    assert reasons(kg, tmp_path) == {"locked": ["cannot read folder: Permission denied"]}
    assert articles(kg) == {"article:https://good.example/open"}


def test_a_file_deleted_during_the_load_is_reported(tmp_path, monkeypatch):
    for slug in ("a", "b", "c"):
        (tmp_path / f"{slug}.json").write_text(json.dumps(good(slug)), encoding="utf-8")
    listed = loader.list_files

    def find_then_delete(root: Path, **options):  # deleted after listing, before reading
        listing = listed(root, **options)
        (tmp_path / "b.json").unlink()
        return listing

    monkeypatch.setattr(loader, "list_files", find_then_delete)
    kg, _, _ = load_within(tmp_path, 10)
    assert reasons(kg, tmp_path) == {"b.json": ["cannot read file: No such file or directory"]}
    assert articles(kg) == {"article:https://good.example/a", "article:https://good.example/c"}


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_link_swapped_in_after_listing_is_not_followed_outside(tmp_path, monkeypatch, what):
    """A file (or the folder holding it) replaced by a symlink to outside the corpus
    between listing and reading is refused: the opened file's real path is checked."""
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for slug in ("a", "b"):
        (corpus / "sub" / f"{slug}.json").write_text(json.dumps(good(slug)), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.json").write_text(json.dumps(good("secret")), encoding="utf-8")
    listed = loader.list_files

    def list_then_swap(root: Path, **options):
        listing = listed(root, **options)
        if what == "file":
            (corpus / "sub" / "b.json").unlink()
            os.symlink(outside / "b.json", corpus / "sub" / "b.json")
        else:
            (corpus / "sub" / "a.json").rename(tmp_path / "a.json")
            (corpus / "sub" / "b.json").unlink()
            (corpus / "sub").rmdir()
            os.symlink(outside, corpus / "sub")
        return listing

    monkeypatch.setattr(loader, "list_files", list_then_swap)
    kg, _, _ = load_within(corpus, 10)
    assert "article:https://good.example/secret" not in articles(kg)
    found = reasons(kg, corpus)[os.path.join("sub", "b.json")]
    assert found == [f"opens {str(outside / 'b.json')!r}, outside the corpus folder "
                     f"{str(corpus)!r} (it was swapped for a symlink after the folder was "
                     "listed): not read (--follow-symlinks reads it)"]


def test_a_swapped_link_is_read_with_follow_symlinks(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "b.json").write_text(json.dumps(good("b")), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(good("outside")), encoding="utf-8")
    listed = loader.list_files

    def list_then_swap(root: Path, **options):
        listing = listed(root, **options)
        (corpus / "b.json").unlink()
        os.symlink(tmp_path / "b.json", corpus / "b.json")
        return listing

    monkeypatch.setattr(loader, "list_files", list_then_swap)
    kg, _, _ = load_within(corpus, 10, follow_symlinks=True)
    assert articles(kg) == {"article:https://good.example/outside"} and kg.report.ok


def test_a_date_out_of_range_in_utc_is_dropped_with_a_warning(tmp_path):
    # it used to raise OverflowError from the build and stop the whole load
    for i, when in enumerate(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]):
        (tmp_path / f"{i}.json").write_text(json.dumps(good(str(i), publishedDateTime=when)),
                                            encoding="utf-8")
    kg, _, _ = load_within(tmp_path, 10)
    assert len(articles(kg)) == 2 and kg.report.ok
    assert [w.reason.split(": ", 2)[-1] for w in kg.report.warnings] == [
        "'0001-01-01T00:00:00+01:00' is out of range once converted to UTC",
        "'9999-12-31T23:59:59-01:00' is out of range once converted to UTC"]


def test_the_same_url_in_100_files_is_one_article_with_99_warnings(tmp_path):
    for i in range(100):
        fields = good("same", title=f"Version {i}",
                      publishedDateTime=f"2022-01-{1 + i % 28:02d}T00:00:00Z")
        name = f"copy{i:03d}"
        if i % 3 == 0:
            (tmp_path / f"{name}.json").write_text(json.dumps(fields), encoding="utf-8")
        elif i % 3 == 1:
            (tmp_path / f"{name}.jsonl").write_text(json.dumps(fields) + "\n", encoding="utf-8")
        else:
            front = "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items())
            (tmp_path / f"{name}.md").write_text(f"---\n{front}---\n", encoding="utf-8")
    kg, elapsed, _ = load_within(tmp_path, 10)
    assert articles(kg) == {"article:https://good.example/same"}
    assert kg.report.records == 100 and kg.report.ok and len(kg.report.warnings) == 99
    # the latest date (the 28th: copies 27, 55 and 83) wins, a tie going to the later path
    assert kg.nx.nodes["article:https://good.example/same"]["title"] == "Version 83"
    assert all("copy083" in w.reason and "wins" in w.reason for w in kg.report.warnings)
    assert elapsed < 5


# -- all of it at once ------------------------------------------------------------------------


def test_a_whole_hostile_corpus_loads_every_valid_record(tmp_path, monkeypatch):
    for name, (text, _) in HOSTILE_TEXT.items():
        (tmp_path / "hostile" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "hostile" / name).write_text(text, encoding="utf-8")
    with (tmp_path / "hostile" / "big.json").open("wb") as f:
        f.truncate(50 * MB)  # sparse: 50 MB by its size, nothing on disk
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "hostile" / "pipe.md")
    os.symlink("..", tmp_path / "hostile" / "loop")
    for name, (text, _) in HUGE_INTEGERS.items():
        (tmp_path / "hostile" / name).write_text(text, encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_text(json.dumps(good("outside")), encoding="utf-8")
    os.symlink(outside, tmp_path / "hostile" / "outside.json")
    with open(os.path.join(os.fsencode(tmp_path / "hostile"), b"latin-\xe9.json"), "wb") as f:
        f.write(json.dumps(good("latin")).encode())
    (tmp_path / "locked").mkdir()
    _refuse(monkeypatch, "scandir", tmp_path / "locked")
    for i in range(100):
        (tmp_path / "dups" / f"{i}.json").parent.mkdir(exist_ok=True)
        (tmp_path / "dups" / f"{i}.json").write_text(json.dumps(good("dup")), encoding="utf-8")
    for i in range(300):
        (tmp_path / "good" / f"{i}.json").parent.mkdir(exist_ok=True)
        (tmp_path / "good" / f"{i}.json").write_text(json.dumps(good(f"g{i}")), encoding="utf-8")
    kg, elapsed, peak = load_within(tmp_path, 30)
    found = reasons(kg, tmp_path)
    expected = {os.path.join("hostile", n) for n in HOSTILE_TEXT} | {
        os.path.join("hostile", "big.json"), os.path.join("hostile", "loop"), "locked"}
    if hasattr(os, "mkfifo"):
        expected.add(os.path.join("hostile", "pipe.md"))
    assert set(found) == expected
    assert articles(kg) == {f"article:https://good.example/g{i}" for i in range(300)} | {
        "article:https://good.example/dup"} | {
        f"article:https://hostile.example/{s}" for s in ("hi", "hl", "hy", "hq")}
    assert len(kg.report.warnings) == 99 + len(HUGE_INTEGERS)
    assert {os.path.basename(p.path) for p in kg.report.skipped} == {
        "outside.json", "latin-\\xe9.json"}
    assert elapsed < 15 and peak < 128, (elapsed, peak)


# -- one file or record raising anything costs only itself ------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_whatever_one_file_raises_is_reported_and_the_rest_loads(tmp_path, monkeypatch,
                                                                  workers):
    from graph import records

    for i in range(600):  # enough files for two parse workers
        (tmp_path / f"{i:03d}.json").write_text(json.dumps(good(f"w{i}")), encoding="utf-8")
    real = records.parse_text

    def exploding(text, suffix, result):
        if result.path.endswith("007.json"):
            raise MemoryError("simulated")
        if result.path.endswith("300.json"):
            raise KeyError("simulated")
        return real(text, suffix, result)

    monkeypatch.setattr(records, "parse_text", exploding)
    kg = graph.load(tmp_path, workers=workers)
    assert reasons(kg, tmp_path) == {
        "007.json": ["could not be read: MemoryError: simulated"],
        "300.json": ["could not be read: KeyError: 'simulated'"]}
    assert len(articles(kg)) == 598


class _Exploding(str):
    """A title that raises when read: whatever a record may raise while it is built."""

    def strip(self, *args: object) -> str:
        raise RuntimeError("simulated")


def test_whatever_one_record_raises_in_the_build_is_reported_and_the_rest_loads(tmp_path):
    from graph.build import build_graph
    from graph.records import Record

    records = [Record(good(slug, title=_Exploding(slug)) if slug == "b" else good(slug),
                      str(tmp_path / f"{slug}.json"), 1) for slug in ("a", "b", "c")]
    report = graph.LoadReport()
    kg = graph.KnowledgeGraph(build_graph(records, report), report)
    assert reasons(kg, tmp_path) == {
        "b.json": ["record could not be loaded: RuntimeError: simulated"]}
    assert articles(kg) == {"article:https://good.example/a", "article:https://good.example/c"}


# -- symlinks out of the corpus folder -------------------------------------------------------


@pytest.fixture
def outside_link(tmp_path):
    """A corpus with a symlinked file and a symlinked folder pointing outside it, and one
    symlink that stays inside."""
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.json").write_text(json.dumps(good("secret", secured="s3cret")),
                                         encoding="utf-8")
    (outside / "folder" / "more.json").write_text(json.dumps(good("more")), encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / ".store").mkdir(parents=True)  # hidden: read only through the link below
    (corpus / ".store" / "real.json").write_text(json.dumps(good("real")), encoding="utf-8")
    (corpus / "own.json").write_text(json.dumps(good("own")), encoding="utf-8")
    os.symlink(outside / "secret.json", corpus / "secret.json")
    os.symlink(outside / "folder", corpus / "folder")
    os.symlink(".store", corpus / "shown")  # inside the corpus folder: followed
    return corpus


def test_symlinks_out_of_the_corpus_folder_are_not_followed(outside_link):
    kg, _, _ = load_within(outside_link, 10)
    assert articles(kg) == {"article:https://good.example/real",
                            "article:https://good.example/own"}
    skipped = {os.path.relpath(p.path, outside_link): p.reason for p in kg.report.skipped}
    assert set(skipped) == {"secret.json", "folder"}
    assert all("outside the corpus folder" in r and "--follow-symlinks" in r
               for r in skipped.values())
    assert kg.report.ok


def test_follow_symlinks_follows_them(outside_link):
    kg, _, _ = load_within(outside_link, 10, follow_symlinks=True)
    assert {n.rsplit("/", 1)[1] for n in articles(kg)} == {"real", "own", "secret", "more"}


def test_a_corpus_given_through_a_symlink_is_read(outside_link, tmp_path):
    os.symlink(outside_link, tmp_path / "via")
    kg, _, _ = load_within(tmp_path / "via", 10)
    assert {n.rsplit("/", 1)[1] for n in articles(kg)} == {"real", "own"}


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_note(tmp_path):
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.json"), "wb") as f:
        f.write(json.dumps(good("cafe")).encode())
    (tmp_path / "good.json").write_text(json.dumps(good("ok")), encoding="utf-8")
    kg, _, _ = load_within(tmp_path, 10)
    [skipped] = kg.report.skipped
    assert skipped.path.endswith("caf\\xe9.json") and "not valid UTF-8" in skipped.reason
    str(skipped).encode("utf-8")  # printable
    assert articles(kg) == {"article:https://good.example/ok"}
