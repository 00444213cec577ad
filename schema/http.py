"""GraphQL over HTTP, hardened: media types, status codes, body and batch limits, CORS,
security headers.

The GraphQL-over-HTTP specification's two response media types:

- ``application/graphql-response+json`` when the client's ``Accept`` prefers it: a
  request that fails before execution (parse, validation, variable coercion, a
  limit checked up front) answers **400** and has no ``data`` entry;
- ``application/json`` otherwise (no ``Accept``, ``*/*``, or asked for): such
  failures answer 200 with ``"data": null``, as GraphQL servers always have.

Malformed HTTP requests (bad JSON, a body over the limit, too many batched
operations) answer 4xx with a JSON ``errors`` body in either media type.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, parse
from graphql import OperationType as OperationKind
from graphql.utilities import get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

import graph
from schema.admission import (
    INLINE_CPU_S,
    PACED_NAMES,
    QUICK_CPU_S,
    QuickDocuments,
    document_key,
    may_write,
    names_in,
)
from schema.codes import BAD_REQUEST, OPERATION_RESOLUTION_FAILURE
from schema.cost import RequestBudget
from schema.lanes import Lane
from schema.limits import DeadlineResult
from schema.query import should_mask
from schema.settings import Settings, env_name
from schema.threads import OperationThreads, Ticket
from schema.wsmessages import (
    CappedWebSocketAdapter,
    CheckedLegacyWS,
    CheckedTransportWS,
    UndecodableJSON,
    json_kind,
    payload_problem,
)

__all__ = ["BODY", "GRAPHQL_RESPONSE", "JSON", "negotiate", "is_request_error", "error_body",
           "encode_response", "GraphQLOverHTTP"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_WILDCARDS = ("*/*", "application/*")
# Where the body read once by BodyLimit (schema/middleware/body.py) waits in the ASGI scope.
BODY = "newsgraph.body"
# The content types of a POST the view reads without parsing its header (any other,
# JSON or not, is read by Strawberry's view, which says what is wrong with it).
_PLAIN_JSON = frozenset({"application/json", "application/json; charset=utf-8",
                         "application/json;charset=utf-8"})


def negotiate(accept: str | None) -> str:
    """Return the media type to answer with, from an ``Accept`` header.

    The highest quality wins; on a tie ``application/graphql-response+json`` wins
    over ``application/json``, which wins over a wildcard. No header, only
    wildcards, or nothing acceptable mean ``application/json``.

    >>> negotiate("application/graphql-response+json, application/json;q=0.9")
    'application/graphql-response+json'
    >>> negotiate("application/graphql-response+json;q=0.5, application/json")
    'application/json'
    >>> negotiate("*/*"), negotiate(None), negotiate("text/plain")
    ('application/json', 'application/json', 'application/json')
    """
    best, best_rank = JSON, (0.0, 0)
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            candidate, specificity = GRAPHQL_RESPONSE, 3
        elif media == JSON:
            candidate, specificity = JSON, 2
        elif media in _WILDCARDS:
            candidate, specificity = JSON, 1
        else:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and (q, specificity) > best_rank:
            best, best_rank = candidate, (q, specificity)
    return best


# What orjson hands back to json.dumps (by raising): dates and dataclasses, which json.dumps
# refuses too, so an answer holding one fails as it always did.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode_response(body: Any) -> bytes:
    """Return a JSON answer's bytes: compact, in UTF-8 (text is not escaped to ASCII).

    orjson writes a distinct ``within`` page in ~3 µs of CPU where ``json.dumps`` takes
    ~39 (docs/history/performance-log.md, gql30). What orjson will not write as
    ``json.dumps`` would (an integer past 64 bits, a key that is not a string, a float
    subclass, a date) is written by ``json.dumps``, which accepts or refuses it as before.

    >>> encode_response({"data": {"n": 2**70}})
    b'{"data":{"n":1180591620717411303424}}'
    >>> encode_response({"data": {"title": "Café"}}).decode()
    '{"data":{"title":"Café"}}'
    """
    try:
        return orjson.dumps(body, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode()


def is_request_error(response: Mapping[str, Any]) -> bool:
    """True for a response that failed before execution: no data, no error with a path."""
    errors = response.get("errors") or []
    return (response.get("data") is None and bool(errors)
            and not any(isinstance(e, dict) and e.get("path") for e in errors))


def error_body(message: str, **extensions: Any) -> dict[str, Any]:
    """Return a GraphQL response holding one request error (and an empty cost)."""
    error: dict[str, Any] = {"message": message}
    if extensions:
        error["extensions"] = extensions
    return {"errors": [error], "extensions": {"cost": {
        "requested": {"objects": 0, "visits": 0}, "actual": {"objects": 0, "visits": 0}}}}


class _CodedHTTPException(HTTPException):
    """An HTTP error whose body's error carries ``extensions`` (a code a client reads)."""

    extensions: dict[str, Any]

    def __init__(self, status_code: int, detail: str,
                 extensions: dict[str, Any] | None = None) -> None:
        super().__init__(status_code, detail)
        if extensions is not None:
            self.extensions = extensions


class _PersistedQueryNotSupported(_CodedHTTPException):
    """A request holding only a query's hash, as persisted-query links send first: they
    send the query's text, and stop sending hashes, when told so in the words Apollo
    Server uses, which they match exactly (Apollo's link the code, urql's exchange the
    message); the reason says it in full."""

    def __init__(self) -> None:
        super().__init__(400, "PersistedQueryNotSupported")
        self.extensions = {"code": "PERSISTED_QUERY_NOT_SUPPORTED",
                           "reason": "persisted queries are not kept: send the query's "
                                     "text in 'query'"}


class _LimitHTTPException(_CodedHTTPException):
    """A request refused whole by a limit: its error is coded as a limit's inside an
    operation is (``LIMIT_EXCEEDED``, the setting's name, its value)."""

    def __init__(self, status_code: int, reason: str, limit: str, value: int):
        super().__init__(status_code, reason)
        self.extensions = {"code": "LIMIT_EXCEEDED", "limit": limit, "max": value}


class GraphQLOverHTTP(GraphQL[dict[str, Any], None]):
    """Strawberry's ASGI view, answering by the GraphQL-over-HTTP specification and limits."""

    # WebSocket messages are checked against their protocol first (schema/wsmessages.py).
    graphql_transport_ws_handler_class = CheckedTransportWS
    graphql_ws_handler_class = CheckedLegacyWS
    # ... and one past maxBodyBytes is refused before it is decoded.
    websocket_adapter_class = CappedWebSocketAdapter

    def __init__(self, schema: Any, settings: Settings, **options: Any):
        options.setdefault("graphql_ide", "graphiql" if settings.graphiql_enabled else None)
        super().__init__(schema, **options)
        self.settings = settings
        # Operations run in threads, off the event loop, _WORKERS at once, those of
        # documents not known to be quick on a few of them; those asleep in the lane
        # give their place to the next (schema/threads.py, schema/admission.py).
        self.threads = OperationThreads(running=_WORKERS, parked=settings.max_long_waiting,
                                        unknown=settings.max_unknown_running)
        self.quick = QuickDocuments()
        # Long ones take turns (schema/lanes.py), unless as many may run as threads.
        width = settings.max_long_operations
        self.lane = Lane(width=width, after=QUICK_CPU_S) if width < _WORKERS else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        if scope["method"] == "HEAD":
            # Answered as GET, without the body: the route's 405s list HEAD as allowed.
            scope, send = {**scope, "method": "GET"}, _without_body(send)
        request = Request(scope, receive)
        media = negotiate(request.headers.get("accept"))
        started = time.perf_counter()
        try:
            if scope["method"] == "GET":
                if "query" not in request.query_params and _has_body(request.headers):
                    raise HTTPException(400, _GET_BODY)
                not_utf8 = _not_utf8_parameter(scope.get("query_string", b""))
                if not_utf8 is not None:
                    raise HTTPException(400, not_utf8)
                repeated = _repeated_parameter(request)
                if repeated is not None:
                    raise _CodedHTTPException(400, repeated, extensions={"code": BAD_REQUEST})
            response = await self._ordinary(request, media) or await self.run(request)
        except HTTPException as e:
            reason = e.reason
            if reason == "Unsupported content type":  # Strawberry's words: say what is allowed
                sent = request.headers.get("content-type", "")[:100]
                reason = (f"Unsupported content type {sent!r}: send the operation as JSON with "
                          "'content-type: application/json', or as a GET with ?query=")
            extensions = e.extensions if isinstance(e, _CodedHTTPException) else {}
            response = self._json(error_body(reason, **extensions), media, e.status_code)
        elapsed = (time.perf_counter() - started) * 1000
        response.headers.append("server-timing", f"graphql;dur={elapsed:.1f}")
        await response(scope, receive, send)

    async def _ordinary(self, request: Request, media: str) -> Response | None:
        """Answer the commonest request, one operation POSTed as plain JSON, through the
        same hooks as Strawberry's ``run`` (root value, sub-response, context, execution,
        result, response) without its layers for every other kind of request (a request
        adapter, the content type parsed as a MIME header, the GraphiQL and upload
        checks). None for anything else, which ``run`` answers (and, when it is wrong,
        says why). The body was read and bounded by BodyLimit."""
        scope = request.scope
        body = scope.get(BODY)
        if body is None or scope["method"] != "POST":
            return None
        headers = request.headers
        if headers.get("content-type", "").lower() not in _PLAIN_JSON \
                or self._get_stream_transport_from_headers(headers) is not None:
            return None
        try:
            data = json.loads(body)
        except (RecursionError, UnicodeDecodeError, ValueError):
            return None
        if type(data) is not dict:
            return None
        query, variables = data.get("query"), data.get("variables")
        name, extensions = data.get("operationName"), data.get("extensions")
        if not isinstance(query, str) or not isinstance(variables, dict | None) \
                or not isinstance(name, str | None) or not isinstance(extensions, dict | None):
            return None
        root_value: Any = await self.get_root_value(request)  # type: ignore[func-returns-value]
        sub_response = await self.get_sub_response(request, media)
        context = await self.get_context(request, response=sub_response)
        result = await self.execute_single(
            request, _POSTED, sub_response, context, root_value,
            GraphQLRequestData(query=query, variables=variables, operation_name=name,
                               extensions=extensions, protocol="http"))
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any,
                             context: Any, root_value: Any, request_data: Any) -> ExecutionResult:
        """Run one operation; a batch's operations one after another, in order (Strawberry
        starts them all at once), since they share one budget and its cost must not depend
        on which thread charged first."""
        if request_data.query is None and isinstance(request_data.extensions, dict) \
                and "persistedQuery" in request_data.extensions:
            raise _PersistedQueryNotSupported
        turn = context.get("turn") if isinstance(context, dict) else None
        async with turn if turn is not None else contextlib.nullcontext():
            return await self._execute_one(request, request_adapter, context, root_value,
                                           request_data)

    async def _execute_one(self, request: Any, request_adapter: Any, context: Any,
                           root_value: Any, request_data: Any) -> ExecutionResult:
        """Run one operation in a worker thread, so the event loop keeps serving others
        (and sees this client go away) while it runs; answer at its deadline whatever it
        does, and then, or when the client goes away, end its work at its next check.

        A mutation is the exception at its deadline: its writes land whatever is
        answered, so its own answer (which says what was written and what was not) is
        waited for; told its deadline is now, it stops between writes and answers.
        """
        # Subscriptions are streams over WebSocket; run as a query, one answered
        # "Unexpected error." (its resolver gives no value) and logged a traceback.
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        if not self.allow_queries_via_get and request_adapter.method == "GET":
            allowed = allowed - {OperationType.QUERY}
        call = functools.partial(
            self.schema.execute_sync, request_data.query, root_value=root_value,
            variable_values=request_data.variables, context_value=context,
            operation_name=request_data.operation_name, allowed_operation_types=allowed,
            operation_extensions=request_data.extensions)
        work = self._on_loop(call, context, request_data.query)
        if work is None:
            work = self._start(call, context, request_data.query)
        watch = work.done() or await _first(work, request, self.settings.timeout + _GRACE)
        if not work.done() and not watch and _is_mutation(request_data.query,
                                                           request_data.operation_name):
            _stop(context)
            await asyncio.wait({work})
        if work.done():
            try:
                return work.result()
            except CannotGetOperationTypeError as e:
                raise _CodedHTTPException(400, e.as_http_error_reason(), extensions={
                    "code": OPERATION_RESOLUTION_FAILURE}) from e
            except InvalidOperationTypeError as e:
                if e.operation_type == OperationType.SUBSCRIPTION:
                    raise _CodedHTTPException(400, _SUBSCRIPTION_OVER_HTTP.format(
                        method=request_adapter.method), extensions={"code": BAD_REQUEST}) from e
                raise HTTPException(400, e.as_http_error_reason(request_adapter.method)
                                    ) from e
            except MissingQueryError as e:
                raise HTTPException(400, "No GraphQL query found in the request") from e
        _stop(context)
        work.cancel()  # still queued for a thread: it never runs; running: it stops at a check
        if watch:  # nobody to answer
            return ExecutionResult(data=None, errors=[GraphQLError("the client went away")])
        return self._past_deadline()

    def _past_deadline(self) -> ExecutionResult:
        """The answer of an operation at its deadline, whatever its work is doing."""
        timeout = self.settings.timeout
        return DeadlineResult(data=None, errors=[GraphQLError(
            f"the request ran past its time limit of {timeout:g} s (limit timeout = "
            f"{timeout:g}, set by {env_name('timeout')})",
            extensions={"code": "LIMIT_EXCEEDED", "limit": "timeout", "max": timeout})])

    def _on_loop(self, call: Callable[[], Any], context: Any, query: Any
                 ) -> asyncio.Future[Any] | None:
        """Run ``call`` (a query of the document ``query``) here, on the event loop, when
        its document's last operation took under :data:`INLINE_CPU_S` of CPU: the future
        of its result, done. None for one that may not run here (a mutation, a document
        not known to be that quick), and for one that took longer here: it is stopped at
        its next look at the deadline, what it made is dropped and what it spent given
        back to the request's budget, for the caller to run it again in an operation
        thread.

        A click's query spends a fraction of a millisecond computing; handed to a thread
        and back, it cost as much again in hand-overs, and at 16 connections on 2 cores
        twice its CPU (the threads' wake-ups and the GIL passed between cores). Here the
        event loop waits for it, as it waits for any of its own steps: at most
        INLINE_CPU_S and the work to its next look, the bound of issue 12's "a few
        milliseconds"."""
        text = query if isinstance(query, str) else ""
        budget = context.get("budget") if isinstance(context, dict) else None
        if not isinstance(budget, RequestBudget):
            return None
        key = document_key(text)
        if not self.quick.inline(key) or may_write(text):
            return None
        walks, spent = budget.walks, budget.mark()
        guard = _Inline(INLINE_CPU_S)
        walks.pace = guard
        work: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        try:
            result = call()
        except Exception as e:
            if not guard.moved:
                work.set_exception(e)
        else:
            if not guard.moved:
                work.set_result(result)
        finally:
            walks.pace = None
        cpu = guard.spent()
        self.quick.ran(key, cpu < QUICK_CPU_S, max(cpu, INLINE_CPU_S) if guard.moved else cpu)
        if guard.moved:
            budget.rewind(spent)
            return None
        return work

    def _start(self, call: Callable[[], Any], context: Any, query: Any) -> asyncio.Future[Any]:
        """Start ``call`` (an operation of the document ``query``) in an operation thread,
        through the lane: its future (its end not awaited by anyone is still retrieved)."""
        here = contextvars.copy_context()
        text = query if isinstance(query, str) else ""
        key = document_key(text)
        known = self.quick.known(key)
        # Not known to be quick and big: parsed, validated and costed in the lane's turn.
        paced = not known and names_in(text, at_most=PACED_NAMES) > PACED_NAMES \
            and not may_write(text)

        def run(ticket: Ticket) -> Any:
            return here.run(self._in_lane, call, context, ticket, key, paced)

        work = self.threads.start(run, unknown=not known)
        work.add_done_callback(_retrieve)
        return work

    async def off_loop(self, call: Callable[[], Any], context: Any, query: Any,
                       operation_name: str | None = None) -> Any:
        """Run a WebSocket connection's query or mutation (``call``) in an operation
        thread, as an HTTP request's is, and return its result. On the event loop, as
        Strawberry runs them, each held every other request while it ran: 3,000 cheap
        queries sent at once on one socket held an HTTP ``stats`` for 2.5–2.9 s (trial33).
        A connection has at most :data:`WS_RUNNING` in threads at once, the rest waiting
        for their turn (``context["ws_turns"]``), so that one socket cannot queue a
        thousand operations ahead of everyone else's, as one HTTP/1.1 connection sends
        one request at a time. Cancelled (the client stopped it, or went), the work ends
        at its next check. As over HTTP, it is answered at its deadline whatever its work
        is doing (a mutation's own answer is waited for: its writes land), and the work
        then ends at its next check."""
        async with context["ws_turns"]:
            work = self._on_loop(call, context, query)
            if work is None:
                work = self._start(call, context, query)
            try:
                await asyncio.wait({work}, timeout=self.settings.timeout + _GRACE)
                if not work.done() and _is_mutation(query, operation_name):
                    _stop(context)
                    await asyncio.wait({work})
            except asyncio.CancelledError:
                _stop(context)
                work.cancel()
                raise
            if work.done():
                return work.result()
            _stop(context)
            work.cancel()
            return self._past_deadline()

    def _in_lane(self, call: Callable[[], Any], context: Any, ticket: Ticket,
                 key: str | None = None, paced: bool = False) -> Any:
        """Run ``call`` in a worker thread, its budget pacing it through the lane (only
        here: an operation on the event loop, a subscription's, must never wait); asleep
        there, it gives its running place to another (``ticket``). A ``paced`` one waits
        for the lane before it starts: its document is parsed in its turn. Whether it
        ran quick is remembered for the document of ``key`` (schema/admission.py)."""
        lane = self.lane
        budget = context.get("budget") if isinstance(context, dict) else None
        walks = getattr(budget, "walks", None)
        cpu = time.thread_time()
        if lane is None or walks is None:
            try:
                return call()
            finally:
                if key is not None:
                    cpu = time.thread_time() - cpu
                    self.quick.ran(key, cpu < QUICK_CPU_S, cpu)
        # The lane's `after` counts from here: the wait for a thread is not the work's.
        walks.started = walks.clock()
        walks.pace = functools.partial(lane.pace, park=ticket.park)
        try:
            if paced:
                try:
                    lane.pace(walks, park=ticket.park, long=True)
                except graph.BudgetExceeded as e:  # its deadline, waiting for its turn
                    return _refused(budget, e)
            return call()
        finally:
            walks.pace = None
            # Long: it took a turn in the lane by itself, or waited for one (a paced one
            # holds the lane from its start: its own CPU time says).
            went_long = lane.leave(walks) or ticket.parked
            if key is not None:
                cpu = time.thread_time() - cpu
                self.quick.ran(key, (paced or not went_long) and cpu < QUICK_CPU_S, cpu)

    async def get_sub_response(self, request: Request | WebSocket,
                               media: str | None = None) -> Response:
        sub = await super().get_sub_response(request)
        sub.media_type = media if media is not None else negotiate(request.headers.get("accept"))
        return sub

    def decode_json(self, data: str | bytes) -> object:
        """Decode a request body, a GET parameter or a WebSocket message; one that is
        not UTF-8 or nests too deeply is a ``JSONDecodeError`` too, which a WebSocket
        handler answers as a message that is not JSON (it escaped it, dropping the
        connection)."""
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except RecursionError:
            raise UndecodableJSON("it nests too deeply to be read", "", 0) from None
        except UnicodeDecodeError as e:
            raise UndecodableJSON(f"it is not UTF-8 (byte {e.object[e.start]:#04x} at offset "
                                  f"{e.start}): send JSON as UTF-8", "", 0) from None
        except ValueError as e:  # an integer past int_max_str_digits
            digits = re.search(r"value has (\d+) digits", str(e))
            what = (f"it holds a number of {int(digits[1]):,} digits: at most "
                    f"{sys.get_int_max_str_digits():,} are read" if digits else
                    "it holds a value JSON's decoder refuses")
            raise UndecodableJSON(what, "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        """Decode JSON sent over HTTP: an object, or a list of them for a batch."""
        try:
            value = self.decode_json(data)
        except UndecodableJSON as e:
            raise HTTPException(400, f"Unable to parse request body as JSON: {e.msg}") from None
        except json.JSONDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(value, dict | list):
            raise _CodedHTTPException(400, "Expected a JSON object (or a list of them, for a "
                                           f"batch), got {json_kind(value)}",
                                      extensions={"code": BAD_REQUEST})
        if isinstance(value, dict):  # one operation (a batch's: _validate_batch_request)
            problem = payload_problem(value, query_required=False)
            if problem is not None:
                raise _CodedHTTPException(400, f"Invalid operation: {problem}",
                                          extensions={"code": BAD_REQUEST})
        return value

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's ``variables`` and ``extensions`` parameters: one that is not JSON is
        named (Strawberry's own words speak of a request body, which a GET has none of)."""
        params = dict(params)
        for name in ("variables", "extensions"):
            if params.get(name):
                try:
                    params[name] = self.decode_json(params[name])
                except (json.JSONDecodeError, UndecodableJSON) as e:
                    raise HTTPException(
                        400, f"the '{name}' parameter is not JSON ({e.msg}): send a "
                             f"URL-encoded JSON object, as {name}=%7B%22id%22%3A1%7D") from None
        return params

    def _validate_batch_request(self, request_data: list[Any], protocol: Any) -> None:
        limit = self.settings.max_batch
        if limit <= 1:
            raise _LimitHTTPException(400, "Batching is off: send one operation per request "
                                           f"(limit maxBatch = {limit}, set by "
                                           f"{env_name('max_batch')})", "maxBatch", limit)
        if not request_data:
            raise HTTPException(400, "The batch is empty: send a list of operations")
        if len(request_data) > limit:
            raise _LimitHTTPException(400, f"The batch holds {len(request_data)} operations "
                                           f"(limit maxBatch = {limit}, set by "
                                           f"{env_name('max_batch')})", "maxBatch", limit)
        for place, item in enumerate(request_data, start=1):
            if not isinstance(item, dict):
                raise _CodedHTTPException(400, "Each operation of a batch must be a JSON "
                                               f"object: operation {place} is "
                                               f"{json_kind(item)}",
                                          extensions={"code": BAD_REQUEST})
            problem = payload_problem(item, query_required=False)
            if problem is not None:
                raise _CodedHTTPException(400, f"Invalid operation in the batch: {problem}",
                                          extensions={"code": BAD_REQUEST})
        if protocol != "http":
            super()._validate_batch_request(request_data, protocol)

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        # Errors raised by extensions before execution skip MaskErrors: mask them here.
        if result.errors:
            result.errors = [e if not should_mask(e) else type(e)("Unexpected error.",
                             nodes=e.nodes, path=e.path) for e in result.errors]
        return await super().process_result(request, result)

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        media = sub_response.media_type or JSON
        status = 200
        if media == GRAPHQL_RESPONSE:
            items = response_data if isinstance(response_data, list) else [response_data]
            failed = [is_request_error(item) for item in items]
            for item, fail in zip(items, failed, strict=True):
                if fail:
                    item.pop("data", None)
            if not isinstance(response_data, list) and failed[0]:
                status = 400
        response = self._json(response_data, media, sub_response.status_code or status)
        response.headers.raw.extend(
            (k, v) for k, v in sub_response.headers.raw if k.lower() != b"content-type")
        if sub_response.background:
            response.background = sub_response.background
        return response

    def _json(self, body: Any, media: str, status: int) -> Response:
        return Response(encode_response(body), status_code=status,
                        media_type=f"{media}; charset=utf-8")


# Threads running operations; a grace past the request's deadline for the walk's own
# checks to end it (with its partial answer) before the view answers for it.
_WORKERS = 16
# A WebSocket connection's queries and mutations in operation threads at once (see
# GraphQLOverHTTP.off_loop); its others wait for their turn.
WS_RUNNING = 2
_GRACE = 0.5
# When the view starts watching the connection of a request still running (schema/http.py's
# _first): a client that leaves before then ends its work this much later at most.
_WATCH_AFTER = 0.02


def _not_utf8_parameter(query_string: bytes) -> str | None:
    """Why a GET's parameter is not UTF-8 once its escapes are decoded, or None: such
    bytes were read as U+FFFD, and the answer spoke of a character never sent."""
    if b"%" not in query_string and query_string.isascii():
        return None
    for name, value in urllib.parse.parse_qsl(query_string.decode("latin-1"),
                                              keep_blank_values=True, encoding="latin-1"):
        raw = value.encode("latin-1")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return (f"the {name!r} parameter is not UTF-8 (byte {raw[e.start]:#04x} at "
                    f"offset {e.start} of its bytes): percent-encode the UTF-8 bytes of the "
                    "text, as encodeURIComponent does")
    return None


_SUBSCRIPTION_OVER_HTTP = (
    "subscriptions are answered over a WebSocket at this same /graphql (the "
    "graphql-transport-ws or graphql-ws protocol), not over {method}: HTTP answers queries "
    "and mutations")


def _without_body(send: Send) -> Send:
    """``send`` with every body left out (a HEAD's answer), its headers kept."""
    async def sent(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)
    return sent


_OPERATION_PARAMETERS = ("query", "variables", "operationName", "extensions")


def _repeated_parameter(request: Request) -> str | None:
    """Why a GET's operation parameter given more than once is refused, or None: the
    server would run the last, where a proxy, log or filter reading the first sees
    another operation."""
    params = request.query_params
    if len(params) == len(params.multi_items()):
        return None
    for name in _OPERATION_PARAMETERS:
        times = len(params.getlist(name))
        if times > 1:
            return (f"the {name!r} parameter is given {times} times: give it once (which "
                    "one is run would depend on who reads the URL)")
    return None


class _Posted:
    """What the view reads of a POST's request adapter: its method."""

    method = "POST"


_POSTED = _Posted()


def _refused(budget: Any, error: graph.BudgetExceeded) -> ExecutionResult:
    """The answer of an operation stopped before it started (waiting for the lane): its
    limit's error, and its cost."""
    limit = budget.exceeded(error) if isinstance(budget, RequestBudget) else error
    extensions = getattr(limit, "extensions", None)
    return ExecutionResult(data=None, errors=[GraphQLError(str(limit), extensions=extensions,
                                                           original_error=limit)])


class _Inline:
    """The pace of a query run on the event loop (:meth:`GraphQLOverHTTP._on_loop`): at a
    look at the deadline past ``limit`` seconds of this thread's CPU, it stops the work
    (``moved``), and at every look after, so that the work unwinds at once."""

    def __init__(self, limit: float):
        self.limit = limit
        self.started = time.thread_time()
        self.moved = False

    def __call__(self, walks: graph.Budget) -> None:
        if self.moved or time.thread_time() - self.started > self.limit:
            self.moved = True
            raise graph.BudgetExceeded("moved off the event loop", limit="inline",
                                       value=self.limit)

    def spent(self) -> float:
        return time.thread_time() - self.started


def _retrieve(work: asyncio.Future[Any]) -> None:
    if not work.cancelled():
        work.exception()


async def _first(work: asyncio.Future[Any], request: Request, timeout: float) -> bool:
    """Wait until ``work`` is done, the client goes away (True) or ``timeout`` seconds
    pass, whichever comes first. The client is watched from :data:`_WATCH_AFTER` seconds
    on: most operations end before then, and no longer make and cancel, each, a task that
    reads the connection."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[bool] = loop.create_future()

    def settle(gone: bool = False) -> None:
        if not outcome.done():
            outcome.set_result(gone)

    def gone(task: asyncio.Future[None]) -> None:
        if not task.cancelled():
            settle(True)

    def watch() -> None:
        watching.append(task := asyncio.ensure_future(_client_gone(request)))
        task.add_done_callback(gone)

    watching: list[asyncio.Future[None]] = []
    work.add_done_callback(lambda _: settle())
    timers = (loop.call_later(timeout, settle), loop.call_later(_WATCH_AFTER, watch))
    try:
        return await outcome
    finally:
        for timer in timers:
            timer.cancel()
        for task in watching:
            task.cancel()


async def _client_gone(request: Request) -> None:
    """Return once the client has disconnected (the request body is read already)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


# gql's RequestsHTTPTransport(method="GET") sends its operation as a GET's JSON body,
# which no GraphQL server reads: without this it was shown the playground's HTML.
_GET_BODY = ("this GET carries a body, which is not read: a GET sends its operation in the "
             "URL (?query=...&variables=... as JSON); send it as a POST with a JSON body "
             '{"query": ..., "variables": ...}')


def _has_body(headers: Any) -> bool:
    """Whether a request says it carries a body (a length past 0, or chunks)."""
    length = headers.get("content-length", "").strip()
    return (length not in ("", "0")) or "transfer-encoding" in headers


def _is_mutation(query: str | None, operation_name: str | None) -> bool:
    """True when the operation a request runs is a mutation (read at its deadline only)."""
    try:
        operation = get_operation_ast(parse(query or ""), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is OperationKind.MUTATION


def _stop(context: Any) -> None:
    """End an operation's work at its next check of the deadline: the budget's deadline
    is moved to now (the client left, or the answer was given without it)."""
    budget = context.get("budget") if isinstance(context, dict) else None
    walks = getattr(budget, "walks", None)  # the request's graph.budget.Budget
    if walks is not None:
        walks.deadline = walks.clock() - 1
