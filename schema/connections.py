"""One generic Relay connection: ``Connection[T]`` of ``Edge[T]`` with ``PageInfo`` and
``totalCount``, paged both ways (schema/pagination.py).

``Connection[Article]`` is named ``ArticleConnection`` in the SDL, ``Edge[Article]``
``ArticleEdge``. A list whose edges carry more than a cursor (a search hit's field, a
score, a distance) subclasses both and overrides ``edges``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from schema.pagination import Page, list_key, paginate

__all__ = ["PageInfo", "Edge", "Connection", "page_of", "page_info"]

NodeType = TypeVar("NodeType")


@strawberry.type(description="Where a page of a connection stands (Relay Cursor Connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description=(
        "Paging forward (`first`): more items follow this page. Paging backward: items "
        "follow `before`."))
    has_previous_page: bool = strawberry.field(description=(
        "Paging backward (`last`): more items precede this page. Paging forward: items "
        "precede `after`."))
    start_cursor: str | None = strawberry.field(description=(
        "Cursor of the first edge; pass as `before` for the page before."))
    end_cursor: str | None = strawberry.field(description=(
        "Cursor of the last edge; pass as `after` for the page after."))


@strawberry.type(description="An item of a connection, with its cursor.")
class Edge(Generic[NodeType]):
    cursor: str = strawberry.field(description=(
        "Opaque; pass as `after` or `before` to this same field with the same arguments."))
    node: NodeType = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: its edges, where it stands, and the total.")
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many items in all pages.")

    @classmethod
    def of(cls, info: Info, items: Sequence[Any], node: Callable[[Any], Any],
           first: int | None, after: str | None, last: int | None = None,
           before: str | None = None, *, edge: Callable[..., Any] | None = None,
           bound: tuple[Any, ...] = ()) -> Any:
        """Return the page of ``items`` as this connection; ``node`` maps an item to its
        node, ``edge(cursor, item)`` builds a custom edge instead."""
        page = page_of(info, items, first, after, last, before, bound)
        if edge is None:
            edges = [Edge(cursor=page.cursor(i), node=node(x)) for i, x in page.items]
        else:
            edges = [edge(page.cursor(i), x) for i, x in page.items]
        return cls(edges=edges, page_info=page_info(page), total_count=page.total)


def page_of(info: Info, items: Sequence[Any], first: int | None, after: str | None,
            last: int | None, before: str | None, bound: tuple[Any, ...] = ()) -> Page[Any]:
    """Return one page of ``items``, its cursors bound to this field on this object with
    the arguments ``bound`` (those that shape the list, not the paging ones)."""
    parent = info._raw_info.parent_type.name
    key = list_key(parent, info._raw_info.field_name, *bound)
    return paginate(items, key, first, after, last, before)


class _Cursor:
    """A PageInfo's start or end cursor, encoded when it is read (a value set on the
    object, as the constructor sets it, wins): most queries never ask for them."""

    def __init__(self, end: bool):
        self.end = end

    def __get__(self, info: Any, owner: type | None = None) -> Any:
        if info is None:
            return self
        page = info.__dict__["_page"]
        items = page.items
        return page.cursor(items[-1 if self.end else 0][0]) if items else None


PageInfo.start_cursor = _Cursor(end=False)  # type: ignore[assignment]
PageInfo.end_cursor = _Cursor(end=True)  # type: ignore[assignment]


def page_info(page: Page[Any]) -> PageInfo:
    """Return the PageInfo of a page."""
    info = object.__new__(PageInfo)
    attributes = info.__dict__
    attributes["has_next_page"] = page.has_next
    attributes["has_previous_page"] = page.has_previous
    attributes["_page"] = page
    return info
