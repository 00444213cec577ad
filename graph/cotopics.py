"""Co-topic weights held in arrays: :class:`CoTopics`, the ``co_topics`` part of
:class:`graph.analytics.Analytics`.

At 100k records the table names 187,636 pairs of topics. As a dict of lists of
``(topic, shared, weight)`` tuples it held 30.4 MiB in a server (a tuple, an int and a
float a row, ~160 bytes); here a row is 16 bytes in three arrays and a topic's rows
are made as tuples when read, the same values in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["CoTopics"]

Row = tuple[str, int, float]


class CoTopics(Mapping[str, list[Row]]):
    """Topic id → ``[(other topic, shared articles, weight), ...]``: a read-only
    mapping equal to the dict of lists it was made from (keys in its order), each
    value a new list of new tuples, made when read.

    >>> co = CoTopics.of({"topic:a": [("topic:b", 2, 0.5)], "topic:b": [("topic:a", 2, 0.5)]})
    >>> co["topic:a"], len(co), co == {"topic:a": [("topic:b", 2, 0.5)],
    ...                                 "topic:b": [("topic:a", 2, 0.5)]}
    ([('topic:b', 2, 0.5)], 2, True)
    """

    __slots__ = ("_topics", "_place", "_starts", "_others", "_shared", "_weights")

    def __init__(self, topics: list[str], starts: np.ndarray, others: np.ndarray,
                 shared: np.ndarray, weights: np.ndarray):
        self._topics = topics  # the keys, in order; rows name the others by place here
        self._place = {t: i for i, t in enumerate(topics)}
        self._starts = starts  # topic i's rows are [starts[i], starts[i + 1])
        self._others = others
        self._shared = shared
        self._weights = weights

    @classmethod
    def of(cls, table: Mapping[str, list[Row]]) -> CoTopics:
        """Hold ``table`` (topic id → rows) in arrays; a row's other topic must be a key."""
        topics = list(table)
        place = {t: i for i, t in enumerate(topics)}
        starts = np.zeros(len(topics) + 1, dtype=np.int64)
        np.cumsum([len(rows) for rows in table.values()], out=starts[1:])
        rows = [row for rows in table.values() for row in rows]
        others = np.fromiter((place[r[0]] for r in rows), dtype=np.int32, count=len(rows))
        shared = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        weights = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
        return cls(topics, starts, others, shared, weights)

    def __getitem__(self, topic: str) -> list[Row]:
        i = self._place[topic]
        lo, hi = int(self._starts[i]), int(self._starts[i + 1])
        names = self._topics
        return list(zip([names[o] for o in self._others[lo:hi].tolist()],
                        self._shared[lo:hi].tolist(), self._weights[lo:hi].tolist(),
                        strict=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self._topics)

    def __len__(self) -> int:
        return len(self._topics)

    def __contains__(self, topic: object) -> bool:
        return topic in self._place

    def __reduce__(self) -> tuple[Any, ...]:
        # The place of each topic is made again where it is unpickled (a dict a topic).
        return (type(self), (self._topics, self._starts, self._others, self._shared,
                             self._weights))
