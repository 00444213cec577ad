"""A request's ``String`` and ``ID`` variables hold Unicode text, as its document does.

JSON can carry a lone surrogate (``"\\ud800"``), which is no character: graphql-core's
lexer refuses one written in the document (``Invalid Unicode escape sequence``), but
takes one in a variable, and each field then read it its own way: a search text or a
``mentions`` phrase as no letter (``ai\\udfff`` searched ``ai``), a topic in a filter as
the topic without it, an id as no node, a URL as an error. Here a variable whose type is
``String`` or ``ID`` (also inside a list or an input object such as ``ArticleFilter``)
and whose value holds one is refused as graphql-core refuses a variable of the wrong
type, before anything runs: ``Variable '$s' has invalid value at .mentions: ...``, at the
variable's definition, with the code of an argument error.

A ``JSON`` variable (the ingest mutation's records) is left to its reader, which refuses
the record holding one and keeps the batch's others (graph/values.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    Undefined,
)
from graphql.pyutils import print_path_list

from graph.errors import BAD_USER_INPUT, shown
from graph.values import lone_surrogate

__all__ = ["text_variable_errors"]

_TEXT_SCALARS = frozenset({"String", "ID"})
ALLOWED = ("a String or ID is Unicode text; a JSON string writes a character past U+FFFF "
           "as a pair of escapes, high then low, like '\\ud83e\\udd16' for U+1F916")


def text_variable_errors(operation: OperationDefinitionNode, sources: dict[str, Any]
                         ) -> list[GraphQLError]:
    """Return an error for each of ``operation``'s variables whose text holds a lone
    surrogate; ``sources`` are graphql-core's coerced variables' sources (each a
    signature and the value as sent)."""
    errors: list[GraphQLError] = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        source = sources.get(name)
        if source is None or source.value is Undefined or source.value is None:
            continue
        for path, text in _texts(source.value, source.signature.type, []):
            char = lone_surrogate(text)
            if char is None:
                continue
            errors.append(GraphQLError(
                f"Variable '${name}' has invalid value{print_path_list(path)}: "
                f"{shown(text)} holds a lone surrogate (U+{ord(char):04X} at "
                f"{text.index(char)}), which is not Unicode text: {ALLOWED}",
                definition, extensions={"code": BAD_USER_INPUT}))
            break  # one error a variable, as graphql-core says one
    return errors


def _texts(value: Any, type_: GraphQLInputType, path: list[str | int]
           ) -> Iterator[tuple[list[str | int], str]]:
    """Yield each non-ASCII text of ``value`` that ``type_`` reads as a String or ID,
    with its path; a value of the wrong shape is left to graphql-core to refuse."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _texts(item, type_.of_type, [*path, i])
        else:  # one value given for a list is a list of it (input coercion)
            yield from _texts(value, type_.of_type, path)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for name, field in type_.fields.items():
                if name in value:
                    yield from _texts(value[name], field.type, [*path, name])
    elif isinstance(type_, GraphQLScalarType) and type_.name in _TEXT_SCALARS:
        if isinstance(value, str) and not value.isascii():
            yield path, value
