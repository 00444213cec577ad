"""The graph as tidy pandas DataFrames: one per node kind and one per edge kind.

pandas is an optional extra (``pip install 'newsgraph[pandas]'``); nothing else in
newsgraph needs it, so it is imported only when :func:`frames` is called.

Each node frame has an ``id`` column (the node id) and that kind's own attributes, in a
fixed order whatever the corpus holds; each edge frame has ``source`` and ``target``
(node ids, in the edge's stored direction) and, for ``RELATED``, its ``evidence``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graph.build import ARTICLE, PROVIDER, PUBLISHED_BY, RELATED, TAGGED, TOPIC

if TYPE_CHECKING:
    import pandas as pd

    from graph.kg import KnowledgeGraph

__all__ = ["Frames", "frames", "NODE_COLUMNS", "EDGE_COLUMNS"]

NODE_COLUMNS: dict[str, tuple[str, ...]] = {
    ARTICLE: ("id", "url", "title", "provider", "published_at", "topics", "is_stub",
              "quality", "heat", "category", "type", "published", "excerpt", "body",
              "web_url", "original_url", "images", "secured", "sources", "extra"),
    PROVIDER: ("id", "domain", "name"),
    TOPIC: ("id", "slug", "name"),
}
EDGE_COLUMNS: dict[str, tuple[str, ...]] = {
    RELATED: ("source", "target", "evidence"),
    PUBLISHED_BY: ("source", "target"),
    TAGGED: ("source", "target"),
}
# Columns whose values may be missing get pandas' nullable dtypes, not floats or objects.
_DTYPES: dict[str, Any] = {"quality": "Int64", "heat": "Int64", "published": "boolean",
                           "is_stub": "bool"}
_INSTALL = "pip install 'newsgraph[pandas]'"


@dataclass(frozen=True, slots=True)
class Frames:
    """The DataFrames of one graph: ``articles``, ``providers``, ``topics`` (nodes) and
    ``related``, ``published_by``, ``tagged`` (edges)."""

    articles: pd.DataFrame
    providers: pd.DataFrame
    topics: pd.DataFrame
    related: pd.DataFrame
    published_by: pd.DataFrame
    tagged: pd.DataFrame

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(name, frame)`` for the six frames, nodes first."""
        return iter((name, getattr(self, name)) for name in self.__slots__)


def frames(kg: KnowledgeGraph) -> Frames:
    """Return the graph as six tidy DataFrames, one per node kind and one per edge kind.

    Parameters
    ----------
    kg : KnowledgeGraph

    Returns
    -------
    Frames
        Node frames with the columns of :data:`NODE_COLUMNS`, edge frames with those of
        :data:`EDGE_COLUMNS`; rows in the graph's order. ``published_at`` is a
        timezone-aware (UTC) datetime column; ``quality`` and ``heat`` are nullable
        integers.

    Raises
    ------
    ImportError
        When pandas is not installed, saying how to install it.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph.kg import KnowledgeGraph
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("topic:privacy", kind="topic", slug="privacy", name="Privacy")
    >>> g.add_node("provider:a.example", kind="provider", domain="a.example", name="A")
    >>> g.add_node("provider:b.example", kind="provider", domain="b.example", name="B")
    >>> f = frames(KnowledgeGraph(g))
    >>> f.providers
                       id     domain name
    0  provider:a.example  a.example    A
    1  provider:b.example  b.example    B
    """
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError(
            f"kg.frames() needs pandas, which is not installed: {_INSTALL}") from e
    rows: dict[str, list[tuple[Any, ...]]] = {kind: [] for kind in (*NODE_COLUMNS,
                                                                    *EDGE_COLUMNS)}
    for node, data in kg.nx.nodes(data=True):
        kind = data["kind"]
        rows[kind].append((node, *(data.get(c) for c in NODE_COLUMNS[kind][1:])))
    for u, v, kind, data in kg.nx.edges(keys=True, data=True):
        rows[kind].append((u, v, *(data.get(c) for c in EDGE_COLUMNS[kind][2:])))

    def frame(kind: str, columns: tuple[str, ...]) -> pd.DataFrame:
        df = pd.DataFrame.from_records(rows[kind], columns=list(columns))
        df = df.astype({c: t for c, t in _DTYPES.items() if c in df.columns})
        if "published_at" in df.columns:
            df["published_at"] = pd.to_datetime(df["published_at"], utc=True)
        return df

    node = {kind: frame(kind, columns) for kind, columns in NODE_COLUMNS.items()}
    edge = {kind: frame(kind, columns) for kind, columns in EDGE_COLUMNS.items()}
    return Frames(node[ARTICLE], node[PROVIDER], node[TOPIC],
                  edge[RELATED], edge[PUBLISHED_BY], edge[TAGGED])
