"""The parsed documents a server keeps (schema/cache.py) hold nothing the cyclic
collector must find: a full collection holds the interpreter from every request for as
long as it runs, and its length grows with what it scans (serve34)."""

from __future__ import annotations

import gc

from schema.cache import _parse, parsed
from schema.query import execute


def test_a_parsed_document_leaves_no_cycles_for_the_collector():
    gc.collect()
    gc.disable()
    try:
        document = parsed("query Cheap { stats { articles } } # a new text", 1000)
        assert document.definitions[0].loc.start == 0  # locations are kept, by offset
        del document
        _parse.cache_clear()
        assert gc.collect() == 0  # freed as their last reference went
    finally:
        gc.enable()


def test_errors_still_say_where_in_the_document():
    from pathlib import Path

    import graph

    kg = graph.load(Path(__file__).parent / "fixtures" / "corpus")
    [error] = execute(kg, "{\n  stats { nope } }")["errors"]
    assert error["locations"] == [{"line": 2, "column": 11}]
