"""Which stories a change brings to someone watching: new or changed articles that match
a selection, or that are, or came, within some hops of a story.

A :class:`StoryWatch` remembers the zone it last saw (the articles within ``hops`` of
its start); each :class:`graph.change.Change` then yields the articles that were added or
changed and match, and those that entered the zone because an edge appeared (a new
record relating to a story already near), each with its hops and path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graph.build import ARTICLE
from graph.change import Change
from graph.kg import KnowledgeGraph
from graph.select import Selection

__all__ = ["Arrival", "StoryWatch", "ADDED", "UPDATED", "ENTERED"]

ADDED, UPDATED, ENTERED = "ADDED", "UPDATED", "ENTERED"


@dataclass(frozen=True, slots=True)
class Arrival:
    """One story to tell a watcher about: why (``ADDED``, ``UPDATED`` or ``ENTERED``),
    and, when watching near a start, how many hops away it is and the path there."""

    node: str
    reason: str
    hops: int | None = None
    path: tuple[str, ...] | None = None


class StoryWatch:
    """What one watcher wants: articles matching ``selection``, optionally only those
    within ``hops`` of ``start``. Stubs are never reported: they are not stories yet.

    Examples
    --------
    >>> import tempfile, pathlib, graph
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.md").write_text("---\\ntitle: A\\nwebUrl: https://x.org/a\\n"
    ...                                "related: [{title: B, webUrl: 'https://x.org/b'}]\\n---\\n")
    >>> live = graph.follow(root)
    >>> watch = StoryWatch(live.current(), start="article:https://x.org/a", hops=2)
    >>> _ = (root / "c.md").write_text("---\\ntitle: C\\nwebUrl: https://x.org/c\\n"
    ...                                "related: [{title: B, webUrl: 'https://x.org/b'}]\\n---\\n")
    >>> [(a.node, a.reason, a.hops) for a in watch.arrivals(live.apply([root / "c.md"]))]
    [('article:https://x.org/c', 'ADDED', 2)]
    """

    def __init__(self, kg: KnowledgeGraph, selection: Selection | None = None,
                 start: str | None = None, hops: int = 2, via: tuple[str, ...] | None = None):
        self.selection = selection if selection is not None and not selection.empty else None
        if self.selection is not None:
            # Read now, as a query reads it: a phrase no article can hold (or a topic no
            # corpus can) was first read at the next change, and the subscription sat
            # silent until then.
            self.selection.check()
        self.start = start
        self.hops = hops
        self.via = via
        self.zone: dict[str, int] = self._zone(kg)[0]

    def _zone(self, kg: KnowledgeGraph) -> tuple[dict[str, int], Callable[[str], list[str]]]:
        if self.start is None or self.start not in kg:
            return {}, lambda node: []
        found, path_of = kg.within_lazy_paths(self.start, self.hops, self.via)
        return dict(found), path_of

    def arrivals(self, change: Change) -> list[Arrival]:
        """Return the stories ``change`` brings: near a start, each in the zone that is
        new (ADDED), was not in the zone before (ENTERED) or changed (UPDATED), in walk
        order; otherwise each added, then each changed, article that matches."""
        kg = change.graph
        if kg is None:
            return []
        keep = self.selection.predicate(kg) if self.selection is not None else None

        def wanted(node: str) -> bool:
            data = kg.nx.nodes[node]
            return (data.get("kind") == ARTICLE and not data.get("is_stub")
                    and (keep is None or keep(node)))

        out: list[Arrival] = []
        if self.start is None:
            for why, nodes in ((ADDED, change.added), (UPDATED, change.updated)):
                out += [Arrival(n, why) for n in nodes if n in kg and wanted(n)]
            return out
        before = self.zone
        zone, path_of = self._zone(kg)
        self.zone = zone
        added, updated = set(change.added), set(change.updated)
        for node, hops in zone.items():
            if node not in kg or not wanted(node):
                continue
            reason = (ADDED if node in added else ENTERED if node not in before
                      else UPDATED if node in updated else None)
            if reason is not None:
                out.append(Arrival(node, reason, hops, tuple(path_of(node))))
        return out
