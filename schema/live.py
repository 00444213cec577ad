"""Serving a followed corpus: one graph version per request, and its id in every answer.

A request takes the server's current graph once, when it first asks for it, and keeps
it in its ASGI scope: the response cache, the GraphQL context and every resolver then
see the same version even when the next one lands midway. Each answer names it in
``extensions.graphVersion``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.types import Scope
from strawberry.extensions import SchemaExtension

import graph

__all__ = ["graph_of", "GraphVersion", "SCOPE_KEY", "graph_version_of"]

SCOPE_KEY = "newsgraph.graph"


def graph_of(scope: Scope) -> graph.KnowledgeGraph | None:
    """Return the graph version this request runs on, taking the current one the first
    time it is asked; None while the server is still loading."""
    kg = scope.get(SCOPE_KEY)
    if kg is None:
        kg = scope["app"].state.kg
        if kg is not None:
            scope[SCOPE_KEY] = kg
    return kg


class GraphVersion(SchemaExtension):
    """Add ``extensions.graphVersion``: the id of the graph version the answer comes from
    (a followed corpus only; a graph loaded once has none)."""

    def on_operation(self) -> Iterator[None]:
        yield

    def get_results(self) -> dict[str, Any]:
        return graph_version_of(self.execution_context.context)


def graph_version_of(context: Any) -> dict[str, Any]:
    """Return ``extensions.graphVersion`` of a request context's graph (none when the
    graph is not a followed corpus's version)."""
    kg = context.get("kg") if isinstance(context, dict) else None
    version = getattr(kg, "version", None)
    return {"graphVersion": version} if version else {}
