"""``images`` as other writers give them: Hugo's list of URLs (``images: [cover.jpg]``),
one image written alone, a list mixing shapes, a URL of the wrong type.

Each failure here was found by trying newsgraph as its users and attackers do, and
reproduced before it was fixed: one item that was not a mapping dropped every image of
the record ("images dropped: expected a list of {url, width, height}"), and an image
whose url was a list or a number was answered ``url: null`` without a word."""

from __future__ import annotations

import pytest

import graph
from tests.conftest import FORMS, record, write_record

A = "https://img.example/a.jpg"
B = "https://img.example/b.jpg"


def _load(tmp_path, images, form="md"):
    write_record(tmp_path, f"a.{form}", record("a", images=images), form=form)
    kg = graph.load(tmp_path)
    assert not kg.report.errors, kg.report.errors
    return kg["article:https://news.example/a"]["images"], [w.reason for w in
                                                            kg.report.warnings]


@pytest.mark.parametrize("form", FORMS)
def test_an_image_given_as_its_url_is_read_as_that_image(tmp_path, form):
    # Hugo's front matter lists its images' URLs (`images: [post-cover.png]`).
    images, warnings = _load(tmp_path, [{"url": A, "width": 20}, B], form)
    assert images == [{"url": A, "width": 20}, {"url": B}]
    assert warnings == []


@pytest.mark.parametrize("alone", [A, {"url": A, "width": 20}])
def test_one_image_written_alone_is_read_as_the_list_of_it(tmp_path, alone):
    images, warnings = _load(tmp_path, alone)
    assert images == [alone if isinstance(alone, dict) else {"url": A}]
    assert warnings == ["images is one image, not a list: read as a list of it; write it as "
                        "a list (images: [- {url: https://..., width: ..., height: ...}] or "
                        "- https://...)"]


def test_an_item_of_another_shape_is_dropped_alone(tmp_path):
    images, warnings = _load(tmp_path, [{"url": A}, 5, ["x"], {"url": B}])
    assert images == [{"url": A}, {"url": B}]
    assert warnings == [
        "images[1] dropped: expected a mapping {url, width, height} or the image's URL as "
        "text, got a number 5",
        "images[2] dropped: expected a mapping {url, width, height} or the image's URL as "
        "text, got a list ['x']"]


@pytest.mark.parametrize(("url", "kind"), [([A], "a list"), ({"href": A}, "a mapping"),
                                           (5, "a number")])
def test_an_image_url_that_is_not_text_is_dropped_with_a_warning(tmp_path, url, kind):
    images, warnings = _load(tmp_path, [{"url": url, "width": 20}])
    assert images == [{"width": 20}]
    assert warnings == [f"images[0].url dropped: expected text (the image's URL), got {kind} "
                        f"{url!r}"]


def test_images_that_are_no_image_at_all_are_still_dropped(tmp_path):
    images, warnings = _load(tmp_path, 42)
    assert images == []
    assert warnings == ["images dropped: expected a list of images, each a mapping {url, "
                        "width, height} or the image's URL as text, got a number 42"]
