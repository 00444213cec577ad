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


def test_what_is_kept_of_documents_is_bounded_by_one_number():
    # Every full collection scans what the caches hold. Each cache of what is made of a
    # document (parse, validation, plan, pipeline, cost estimate) holds its document; the
    # estimates kept 1,024 where the parse kept 256, so documents the parse had let go
    # stayed alive. After many distinct documents, no more than KEPT_DOCUMENTS are alive.
    from pathlib import Path

    from graphql import DocumentNode

    import graph
    from schema.admission import KEPT_DOCUMENTS

    kg = graph.load(Path(__file__).parent / "fixtures" / "corpus")
    for i in range(3 * KEPT_DOCUMENTS):
        assert "errors" not in execute(kg, f"query Q{i} {{ stats {{ articles }} }}")
    gc.collect()
    alive = sum(isinstance(o, DocumentNode) for o in gc.get_objects())
    assert alive <= KEPT_DOCUMENTS + 4, alive
