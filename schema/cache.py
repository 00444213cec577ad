"""The parse of a document text, reused: explorers send the same few documents with new
variables. (The response cache is ASGI middleware: schema/middleware/cache.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, parse
from strawberry.extensions import SchemaExtension

__all__ = ["ParsedDocuments"]


@lru_cache(maxsize=256)
def _parse(query: str, **options: Any) -> Any:
    return parse(query, **options)


class ParsedDocuments(SchemaExtension):
    """Reuse the parsed document of a query text (and parse options) seen before.

    A text that does not parse is left to the normal path, which reports the error
    as it always does. (Strawberry's ParserCache raises it from inside its hook instead,
    past the other extensions: the max-tokens error would lose its setting's name.)
    """

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None and ec.graphql_document is None:
            try:
                ec.graphql_document = _parse(ec.query, **ec.parse_options)
            except (GraphQLError, TypeError):
                pass
        yield
