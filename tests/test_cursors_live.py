"""Cursors stand for their item: paging a followed graph while stories arrive and leave.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

import graph
from schema.query import execute

# -- a cursor held across a change of the followed folder -------------------------------------

PAGE = ("query($a: String) { articles(first: 2, after: $a) { pageInfo { endCursor } "
        "edges { node { id } } } }")
WITHIN = ('query($a: String) { within(from: "topic:ai", hops: 2, first: 2, after: $a) '
          "{ pageInfo { endCursor } edges { node { id } } } }")


def _story(root: Path, slug: str, date: str, topics: str = "[AI]") -> None:
    (root / f"{slug}.md").write_text(
        f"---\ntitle: Story {slug}\nwebUrl: https://cursor.example/{slug}\n"
        f"publishedDateTime: {date}\ntopics: {topics}\n---\n", encoding="utf-8")


def _ids(response) -> list[str]:
    assert "errors" not in response, response
    field = next(iter(response["data"].values()))
    return [e["node"]["id"].rsplit("/", 1)[-1] for e in field["edges"]]


@pytest.fixture
def followed(tmp_path):
    for i in range(1, 7):
        _story(tmp_path, f"s{i}", f"2024-01-0{i}T00:00:00Z")
    return tmp_path, graph.follow(tmp_path)


@pytest.mark.parametrize("query", [PAGE, WITHIN], ids=["articles", "within"])
def test_the_next_page_after_a_story_arrived_repeats_nothing(followed, query):
    # Cursors were offsets: a newer story arriving at the head of the list between two pages
    # moved every item down one place, and the second page began with the last item of the
    # first, as a client paging an infinite list of news saw it (Apollo and Relay append it
    # twice).
    root, live = followed
    one = execute(live.current(), query)
    assert _ids(one) == ["s6", "s5"]
    _story(root, "s9", "2024-02-01T00:00:00Z")
    live.apply([root / "s9.md"])
    after = next(iter(one["data"].values()))["pageInfo"]["endCursor"]
    two = execute(live.current(), query, {"a": after})
    assert _ids(two) == ["s4", "s3"]


def test_the_next_page_after_a_story_left_skips_nothing(followed):
    root, live = followed
    one = execute(live.current(), PAGE)
    (root / "s6.md").unlink()
    live.apply([root / "s6.md"])
    two = execute(live.current(), PAGE, {"a": one["data"]["articles"]["pageInfo"]["endCursor"]})
    assert _ids(two) == ["s4", "s3"]


def test_a_cursor_whose_story_is_gone_is_refused_saying_why(followed):
    root, live = followed
    one = execute(live.current(), PAGE)
    (root / "s5.md").unlink()
    live.apply([root / "s5.md"])
    two = execute(live.current(), PAGE, {"a": one["data"]["articles"]["pageInfo"]["endCursor"]})
    [error] = two["errors"]
    assert "no longer in this list" in error["message"], error
    assert "first page" in error["message"], error


def test_a_cursor_of_the_last_release_still_pages(followed):
    # "c1:<list key>:<offset>": what clients held before; read as an offset, as it was.
    import base64

    _, live = followed
    one = execute(live.current(), PAGE)
    text = base64.b64decode(one["data"]["articles"]["pageInfo"]["endCursor"]).decode()
    version, key, offset, *_ = text.split(":")
    old = base64.b64encode(f"c1:{key}:{offset}".encode()).decode()
    assert _ids(execute(live.current(), PAGE, {"a": old})) == ["s4", "s3"]


def test_a_cursor_is_looked_for_near_its_offset_only():
    # A cursor whose item moved is looked for within NEARBY places: a search of the whole
    # list, a hash an item, would be uncounted work a forged cursor could ask for each time.
    from graph.errors import InvalidArgument
    from schema.pagination import NEARBY, paginate

    items = [f"article:https://news.example/{i}" for i in range(3 * NEARBY)]
    page = paginate(items, "list", first=1, after=None)
    cursor = page.cursor(page.items[0][0])
    near = [f"article:https://new.example/{i}" for i in range(NEARBY - 1)] + items
    assert paginate(near, "list", first=1, after=cursor).items[0][1] == items[1]
    far = [f"article:https://new.example/{i}" for i in range(NEARBY + 1)] + items
    with pytest.raises(InvalidArgument, match="moved more than"):
        paginate(far, "list", first=1, after=cursor)
