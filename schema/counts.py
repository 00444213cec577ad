"""What a load built, counted: one GraphQL type for the stats, the load report and the
versions of a followed corpus."""

from __future__ import annotations

import strawberry

__all__ = ["LoadCounts"]


@strawberry.type(description="What a load built, counted.")
class LoadCounts:
    records: int = strawberry.field(description="Records loaded.")
    articles: int = strawberry.field(description="Article nodes, stubs included.")
    stubs: int = strawberry.field(description="Articles known only from related lists.")
    providers: int = strawberry.field(description="Provider nodes.")
    topics: int = strawberry.field(description="Topic nodes.")
