"""graph.storedmap: a map whose entries sit pickled (in a snapshot part or a buffer)
behaves as the dict (or defaultdict) it stands for, through sets, deletes, in-place
changes of values read and compactions."""

from __future__ import annotations

import pickle
from collections import defaultdict
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from graph.storedmap import Blobs, StoredMap, pack_blobs


def _map(base: dict[str, Any] | None = None, factory: Any = None) -> StoredMap:
    blobs = None
    if base is not None:
        data, table = pack_blobs((k, pickle.dumps(v)) for k, v in base.items())
        blobs = Blobs(data, table)
    return StoredMap(lambda key, data: pickle.loads(data), pickle.dumps, factory, blobs)


def test_entries_are_read_from_the_blobs_and_held_once_read() -> None:
    m = _map({"a": [1], "b": [2], "é": [3]})
    assert len(m) == 3 and "a" in m and "z" not in m and m.get("z") is None
    assert m.held_count == 0
    m["a"].append(9)  # a value read is held: changed in place, it stays changed
    assert m["a"] == [1, 9] and m.held_count == 1
    m.compact()
    assert m.held_count == 0 and m["a"] == [1, 9] and sorted(m) == ["a", "b", "é"]


def test_a_factory_makes_missing_entries_only_when_indexed() -> None:
    m = _map({"a": {1}}, factory=set)
    assert m.get("b") is None and "b" not in m and m.pop("b", None) is None
    m["b"].add(2)
    assert m["b"] == {2} and len(m) == 2


def test_a_key_deleted_from_the_base_stays_deleted_through_compactions() -> None:
    m = _map({"a": 1, "b": 2})
    del m["a"]
    m.compact()
    m["c"] = 3
    m.compact()
    assert "a" not in m and dict(m.items()) == {"b": 2, "c": 3} and len(m) == 2


KEYS = st.sampled_from(["a", "b", "c", "d", "url/é", ""])
OPS = st.lists(st.one_of(
    st.tuples(st.just("set"), KEYS, st.integers()),
    st.tuples(st.just("del"), KEYS, st.none()),
    st.tuples(st.just("pop"), KEYS, st.none()),
    st.tuples(st.just("append"), KEYS, st.integers()),  # m[k].append(v): in place
    st.tuples(st.just("get"), KEYS, st.none()),
    st.tuples(st.just("peek"), KEYS, st.none()),
    st.tuples(st.just("compact"), st.none(), st.none()),
), max_size=40)


@given(base=st.dictionaries(KEYS, st.lists(st.integers(), max_size=3)), ops=OPS,
       with_factory=st.booleans())
def test_a_stored_map_equals_the_dict_it_stands_for(
        base: dict[str, list[int]], ops: list[tuple[str, Any, Any]], with_factory: bool,
) -> None:
    model: dict[str, Any] = defaultdict(list, base) if with_factory else dict(base)
    m = _map(base, list if with_factory else None)
    for op, key, value in ops:
        if op == "set":
            model[key] = m[key] = [value]
        elif op == "del":
            if key in model:
                del model[key], m[key]
            else:
                assert key not in m
        elif op == "pop":
            assert m.pop(key, None) == model.pop(key, None)
        elif op == "append":
            if with_factory or key in model:
                model[key].append(value)
                m[key].append(value)
        elif op == "get":
            assert m.get(key) == model.get(key)
        elif op == "peek":  # a copy to read: holds nothing
            held = m.held_count
            assert m.peek(key) == model.get(key) and m.held_count == held
        else:
            m.compact()
        assert len(m) == len(model)
        assert sorted(m) == sorted(model)
        assert {k: m[k] for k in model} == dict(model)
    assert {k: pickle.loads(v) for k, v in m.stored_items()} == dict(model)


def test_compactions_append_small_buffers_and_merge_them_when_they_grow() -> None:
    """Each compaction packs the held entries with the newest buffers no more than four
    times their size: a few held entries make a buffer of their own; many, one buffer."""
    m = _map()
    for i in range(20):
        m[f"k{i}"] = i
    m.compact()
    m["a"] = 1
    m.compact()
    del m["k3"]
    m["k4"] = 44
    m.compact()
    assert [len(b) for b in m.buffers] == [20, 2]  # "a" and "k4" (the 1-entry buffer merged)
    assert len(m) == 20 and "k3" not in m and m["k4"] == 44 and m["a"] == 1
    for i in range(30):
        m[f"z{i}"] = i
    m.compact()
    assert [len(b) for b in m.buffers] == [50]  # all merged: "k3" gone for good
    assert len(m) == 50 and "k3" not in m and m["k5"] == 5 and sorted(m) == sorted(
        [f"k{i}" for i in range(20) if i != 3] + ["a"] + [f"z{i}" for i in range(30)])


def test_keys_whose_hashes_share_their_high_bits_are_told_apart(monkeypatch: Any) -> None:
    # The table is held by the hashes' high 32 bits: keys alike there (or wholly alike)
    # are found by the key stored with each blob, and a missing one is not found.
    import graph.storedmap as storedmap

    monkeypatch.setattr(storedmap, "key_hash", lambda key: (7 << 32) | len(key))
    m = _map({"a": 1, "bb": 2, "cc": 3, "ddd": 4})
    assert [m[k] for k in ("a", "bb", "cc", "ddd")] == [1, 2, 3, 4]
    assert "dd" not in m and "eeee" not in m and len(m) == 4


def test_a_lookup_does_not_copy_the_table() -> None:
    # A key is found by a binary search of the table's hashes (int32): searched for with a
    # Python int, numpy cast the whole table to int64 on every lookup, O(entries) each —
    # the first look at a followed folder of 100k records, ~400k lookups, took 137 s of
    # CPU from a snapshot. Counted in bytes allocated, not timed.
    import tracemalloc

    n = 200_000
    blob, table = pack_blobs((f"k{i}", pickle.dumps(i)) for i in range(n))
    blobs = Blobs(blob, table)
    assert pickle.loads(blobs.find("k12345") or b"") == 12345  # warm: nothing made lazily
    tracemalloc.start()
    try:
        for key in ("k0", "k777", f"k{n - 1}", "missing"):
            blobs.find(key)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < n  # well under a copy of the table (4 bytes an entry, 8 once cast)


def test_an_entry_looked_for_then_read_is_read_from_its_layer_once() -> None:
    """A change asks ``url in stored`` and then reads ``stored[url]`` (or ``get`` then
    ``pop``): the blob found by the first is used by the second, not read again (from a
    snapshot each read is a block read and checked, ing32); a compaction since makes
    the next look read its layers again."""
    data, table = pack_blobs((k, pickle.dumps(v)) for k, v in {"a": [1], "b": [2]}.items())
    reads: list[tuple[int, int]] = []

    class Counted:
        def read(self, offset: int, size: int) -> bytes:
            reads.append((offset, size))
            return data[offset : offset + size]

    m = StoredMap(lambda key, raw: pickle.loads(raw), pickle.dumps, None,
                  Blobs(Counted(), table))
    assert "a" in m and m["a"] == [1]
    assert len(reads) == 1
    assert "b" in m and m.peek("b") == [2] and m.peek("b") == [2] and len(reads) == 2
    m.compact()  # "a", held, is packed into a buffer in memory: "b" is still the base's
    assert m.get("b") == [2] and len(reads) == 3
    assert "a" in m and m.pop("a") == [1] and "a" not in m and len(reads) == 3
