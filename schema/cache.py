"""The parse of a document text and its validation, reused: explorers send the same few
documents with new variables. (The response cache is ASGI middleware:
schema/middleware/cache.py; the execution plans are schema/plan.py's.)"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError
from graphql.language import Location, Token
from graphql.language.parser import Parser, nested_too_deeply_error
from strawberry.extensions import SchemaExtension

import graph
from graph.budget import Budget
from schema.admission import KEPT_DOCUMENTS, kept, text_of
from schema.codes import GRAPHQL_VALIDATION_FAILED, with_code
from schema.cost import RequestBudget
from schema.validation import deadline_of_validation, timed_rules, validate

__all__ = ["ParsedDocuments", "ValidatedDocuments", "parsed", "validation_errors"]


class _Parser(Parser):
    """graphql-core's parser, whose nodes keep where they are (offsets and source: all an
    error's line and column are made of) but not the lexer's tokens."""

    def loc(self, start_token: Token) -> Location | None:
        loc = super().loc(start_token)
        if loc is not None:
            loc.start_token = loc.end_token = None  # type: ignore[assignment]
        return loc


@lru_cache(maxsize=KEPT_DOCUMENTS)
def _parse(query: str, **options: Any) -> Any:
    """``graphql.parse``, leaving nothing for the cyclic collector (serve34). The lexer's
    tokens are linked both ways, one cycle per document, which every location held:
    cached documents kept them alive into the oldest generation, where only a full
    collection frees them, and a full collection holds the interpreter from every
    request for as long as it scans (~60,000 objects, tens of ms, at 20k records)."""
    parser = _Parser(query, **options)
    try:
        return parser.parse_document()
    except RecursionError:
        pass
    finally:
        token: Token | None = parser._lexer.token
        while token is not None:  # unlinked, they are freed as the lexer goes
            token.next, earlier = None, token.prev
            token.prev = None
            token = earlier
    raise nested_too_deeply_error(parser)


def _parsed(query: str, **options: Any) -> Any:
    """The parse of ``query``: the cached one, or, for a big document the caches do not
    keep (schema/admission.py ``kept``), a parse of its own."""
    return _parse(query, **options) if kept(query) else _parse.__wrapped__(query, **options)


def parsed(query: str, max_tokens: int) -> Any:
    """Return the parsed document of a query text (parsed once: the cache
    :class:`ParsedDocuments` fills; a big one each time); raise the parser's error."""
    return _parsed(query, max_tokens=max_tokens)


def validation_errors(schema: Any, document: Any, rules: tuple[Any, ...],
                      walks: Budget | None = None) -> list[GraphQLError]:
    """Return the validation errors of a document under ``rules`` (validated once: the
    cache :class:`ValidatedDocuments` fills). A validation that runs here stops at the
    deadline of ``walks`` with ``BudgetExceeded`` (schema/validation.py), and is not
    kept."""
    return _VALIDATIONS.errors(schema, document, rules, walks)


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
                ec.graphql_document = _parsed(ec.query, **ec.parse_options)
            except (GraphQLError, TypeError):
                pass
        yield


class _Validations:
    """Validation errors by (schema, document, rules), the document known by identity:
    the parse is cached, so a text seen before is the same object, and hashing a
    document (as Strawberry's ValidationCache does) walks its whole tree every time."""

    def __init__(self, maxsize: int = KEPT_DOCUMENTS):
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[int, int, Any], tuple[Any, list[GraphQLError]]]
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def errors(self, schema: Any, document: Any, rules: tuple[Any, ...],
               walks: Budget | None = None) -> list[GraphQLError]:
        key = (id(schema), id(document), rules)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is document:
                self._entries.move_to_end(key)
                return entry[1]
        with deadline_of_validation(walks):
            errors = with_code(validate(schema, document, timed_rules(rules)),
                               GRAPHQL_VALIDATION_FAILED)
        if not kept(text_of(document)):
            return errors
        with self._lock:
            self._entries[key] = (document, errors)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return errors


_VALIDATIONS = _Validations()


class ValidatedDocuments(SchemaExtension):
    """Reuse the validation of a document (with the same rules) seen before."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        budget = ec.context.get("budget") if isinstance(ec.context, dict) else None
        budget = budget if isinstance(budget, RequestBudget) else None
        try:
            ec.pre_execution_errors = _VALIDATIONS.errors(
                ec.schema._schema, ec.graphql_document, tuple(ec.validation_rules),
                budget.walks if budget is not None else None)
        except graph.BudgetExceeded as e:  # the deadline passed while it validated
            raise budget.exceeded(e) if budget is not None else e from None
        yield
