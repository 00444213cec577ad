"""WebSocket messages checked before Strawberry's handlers read them.

Strawberry's handlers of ``graphql-transport-ws`` and the legacy ``graphql-ws`` read a
message's fields as they come: a ``subscribe`` whose payload was a list, or a message
that was a JSON list, raised inside the handler (the socket dropped without a close
code, a traceback in the server's log); a ``query`` that was a number completed with
nothing said; an ``operationName`` that was a number answered "Unexpected error.".
Here each message is checked against its protocol first: ``graphql-transport-ws``
closes the socket with 4400 and a reason that says what is allowed (what its
specification asks for a message it cannot read); ``graphql-ws`` answers an ``error``
for the operation and goes on, as that protocol does.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from json import JSONDecodeError
from typing import Any, cast

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from graph.errors import shown

__all__ = ["MAX_ID_CHARS", "message_problem", "payload_problem", "CheckedTransportWS",
           "CheckedLegacyWS", "CappedWebSocketAdapter", "MESSAGE_TOO_BIG", "UndecodableJSON",
           "json_kind"]

# Clients number operations ("1", "2", ...) or give them a UUID: 256 is far more than
# either, and an id is kept as long as its operation runs.
MAX_ID_CHARS = 256
# RFC 6455's close code for a message too big to process.
MESSAGE_TOO_BIG = 1009
_NOT_AN_OBJECT = "Invalid message: a message must be a JSON object with a 'type' (text)"
# The close code graphql-transport-ws gives a message it cannot read.
INVALID_MESSAGE = 4400
# The messages a client sends in the legacy graphql-ws protocol.
_LEGACY_TYPES = ("connection_init", "start", "stop", "connection_terminate")


def payload_problem(payload: Any, *, query_required: bool = True) -> str | None:
    """What is wrong with an operation's payload (``query``, ``variables``,
    ``operationName``, ``extensions``), in under 100 bytes; None when nothing is.

    The one check of an operation's members, over WebSocket and HTTP (a POSTed operation
    and each of a batch's, schema/http.py); over HTTP ``query`` may be missing, for
    Strawberry to answer (a persisted query's hash, or "No GraphQL query found")."""
    if not isinstance(payload, dict):
        return "'payload' must be an object holding 'query' (text)"
    query = payload.get("query")
    if not isinstance(query, str) and (query_required or query is not None):
        return f"'query' must be text (a GraphQL document), not {json_kind(query)}"
    for name, kind, what in (("variables", dict, "an object"),
                             ("operationName", str, "text"),
                             ("extensions", dict, "an object")):
        value = payload.get(name)
        if value is not None and not isinstance(value, kind):
            if kind is dict and isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
                return (f"'{name}' must be an object or null, not text holding JSON: send "
                        "the object itself")
            return f"'{name}' must be {what} or null, not {json_kind(value)}"
    return None


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in a few words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    kinds: dict[type, str] = {str: "text", list: "a list", dict: "an object"}
    return kinds.get(type(value), "a value")


def _id_problem(message: dict[str, Any]) -> str | None:
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or len(operation_id) > MAX_ID_CHARS:
        return f"'id' must be text of at most {MAX_ID_CHARS} characters"
    return None


def message_problem(message: Any) -> str | None:
    """What is wrong with a ``graphql-transport-ws`` message, as a close reason (at
    most 123 bytes, what a close frame holds); None when nothing is."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return _NOT_AN_OBJECT
    kind = message["type"]
    if kind == "subscribe":
        problem = _id_problem(message) or payload_problem(message.get("payload"))
    elif kind == "complete":
        problem = _id_problem(message)
    else:
        return None
    return f"Invalid {kind} message: {problem}" if problem else None


class CheckedTransportWS(BaseGraphQLTransportWSHandler[Any, Any]):
    """``graphql-transport-ws``: a message its protocol does not allow closes with 4400."""

    async def handle_message(self, message: Any) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)


class UndecodableJSON(JSONDecodeError):
    """JSON that cannot be decoded for another reason than its syntax (it nests too
    deeply, holds too long a number): ``msg`` says which."""


class _NotJSON:
    """A legacy-protocol message that did not decode, handed on to be answered (Strawberry
    reads that protocol ignoring such messages, without a word to the client)."""

    def __init__(self, error: JSONDecodeError):
        self.reason = (f"Invalid message: {error.msg}" if isinstance(error, UndecodableJSON)
                       else f"Invalid message: not JSON ({error.msg} at character {error.pos})")


class CheckedLegacyWS(BaseGraphQLWSHandler[Any, Any]):
    """``graphql-ws`` (legacy): a bad message or ``start`` is answered with an ``error``,
    as is one that is not JSON or of a type the protocol does not have (its reference
    server, subscriptions-transport-ws, answers both)."""

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, _NotJSON):
            await self.websocket.send_json({"type": "error",
                                            "payload": {"message": message.reason}})
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.websocket.send_json({"type": "error",
                                            "payload": {"message": _NOT_AN_OBJECT}})
            return
        if message["type"] not in _LEGACY_TYPES:
            await self.websocket.send_json({"type": "error", "payload": {"message": (
                f"Invalid message type {shown(message['type'])}: the graphql-ws protocol has "
                f"{', '.join(_LEGACY_TYPES[:-1])} and {_LEGACY_TYPES[-1]} (a client speaking "
                "graphql-transport-ws offers that subprotocol)")}})
            return
        if message["type"] in ("start", "stop"):
            problem = _id_problem(message)
            if problem is None and message["type"] == "start":
                problem = payload_problem(message.get("payload"))
            if problem is not None:
                answer: dict[str, Any] = {"type": "error", "payload": {
                    "message": f"Invalid {message['type']} message: {problem}"}}
                if isinstance(message.get("id"), str):
                    answer["id"] = message["id"]
                await self.websocket.send_json(answer)
                return
        await super().handle_message(cast(Any, message))


class CappedWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's WebSocket adapter, closing with 1009 on a message past ``maxBodyBytes``
    before decoding it.

    A message is decoded on the event loop: one of uvicorn's default 16 MB held every other
    request for as long as that took. A subscribe holds what an HTTP request holds (a
    document of at most ``maxDocumentBytes``, its variables), so the cap is the HTTP body's;
    `newsgraph serve` also sets uvicorn's ``ws_max_size`` to it, so such a message is refused
    as its frames arrive, never buffered whole. This check holds under any ASGI server.
    """

    async def iter_json(self, *, ignore_parsing_errors: bool = False
                        ) -> AsyncGenerator[object, None]:
        """Yield each message decoded; close with 1009 at one too big to decode."""
        cap: int = cast(Any, self.view).settings.max_body_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await self.ws.receive_text()
                    size = len(text) if len(text) > cap else len(text.encode())
                    if size > cap:
                        await self.close(MESSAGE_TOO_BIG, f"message too big: {size:,} bytes, at "
                                                          f"most {cap:,} (maxBodyBytes)")
                        return
                    yield self.view.decode_json(text)
                except UndecodableJSON as e:  # valid JSON: say why it is not read
                    if not ignore_parsing_errors:
                        reason = f"Invalid message: {e.msg}".encode()[:123]
                        await self.close(INVALID_MESSAGE, reason.decode(errors="ignore"))
                        return
                    yield _NotJSON(e)
                except JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
                    yield _NotJSON(e)  # the legacy protocol's: answered, not ignored
        except KeyError as e:  # a binary message: Starlette's receive_text has no 'text'
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:
            pass
