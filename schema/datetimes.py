"""The ``DateTime`` scalar, read as Strawberry reads it, with an error that says what a date
looks like.

Strawberry's own scalar passes dateutil's words on: ``"yesterday"`` was refused with
``invalid literal for int() with base 10: b'yest'`` and ``""`` with ``ISO string too
short``, which say what went wrong inside the parser, not what the argument takes. The
values read, and how, are unchanged (Strawberry's own parse, dateutil's ``isoparse``; a
time without an offset is UTC, as ``publishedAfter`` reads it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import ValueNode, value_from_ast_untyped
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from graph.errors import shown

__all__ = ["DATETIME", "parse_datetime_argument", "parse_datetime_literal"]

EXPECTED = ("expected an ISO 8601 date or date-time, like '2022-02-21', "
            "'2022-02-21T03:37:00Z' or '2022-02-21T05:37:00+02:00'")
# A value shaped like an ISO date: a parse failure then names the part out of range.
_STRAWBERRY_PARSE: Callable[[object], datetime] = DateTimeDefinition.parse_value  # type: ignore[assignment]
_ISO_SHAPED = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")


def parse_datetime_argument(value: object) -> datetime:
    """Return a ``DateTime`` argument as a datetime; refuse anything else, saying what the
    value was and what a date looks like."""
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(
            f"Value cannot represent a DateTime: {shown(value)} is not text; {EXPECTED}")
    try:
        parsed: datetime = _STRAWBERRY_PARSE(value)
    except StrawberryInputCoercionError as e:
        # Strawberry's words: 'Value cannot represent a DateTime: "...". <dateutil's>'
        said = str(e).partition('". ')[2]
        detail = f" ({said})" if said and _ISO_SHAPED.fullmatch(value.strip()) else ""
        raise StrawberryInputCoercionError(
            f"Value cannot represent a DateTime: {shown(value)}{detail}; {EXPECTED}") from None
    return parsed


def parse_datetime_literal(value_node: ValueNode, variables: dict[str, Any] | None = None
                           ) -> datetime:
    """Return a ``DateTime`` written in the document as a datetime; refuse anything else as
    :func:`parse_datetime_argument` does, at the literal: graphql-core reports a scalar's
    own GraphQLError as it is, which had no ``locations``."""
    try:
        return parse_datetime_argument(value_from_ast_untyped(value_node, variables))
    except StrawberryInputCoercionError as e:
        raise StrawberryInputCoercionError(e.message, value_node) from None


DATETIME = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=DateTimeDefinition.specified_by_url,
    serialize=DateTimeDefinition.serialize,
    parse_value=parse_datetime_argument,
    parse_literal=parse_datetime_literal,
    origin=datetime,
)
