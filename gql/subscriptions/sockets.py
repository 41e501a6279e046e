"""What both WebSocket protocols share: frames read within limits, messages checked for their
shape before a handler looks inside them, and the live session behind each socket.

A frame longer than the body limit is refused (close 1009) before it is decoded; a frame is
decoded by ``gql/request_json.py`` (strict, nested at most 100 deep). A message that is not an
object with a string ``type``, or an operation message whose ``id`` is not a string or whose
``payload`` is not an object, is the protocol's error. What the payload holds (``query``,
``variables``, ``operationName``) is checked by ``gql/admission.py``, as for every transport.

A message sent on a socket that is already closed is dropped quietly (``SocketFrames``).

Each operation started on a socket first checks its session again (``LiveSessions.check``): a
credential that ended ends the socket (close 4403 with the reason), before anything runs.

The legacy protocol's keep-alives (``ka``) run on one clock per event loop and interval
(``keep_alive_clock``): one timer sends every acknowledged socket its ``ka`` each interval,
instead of a task sleeping beside each socket. (WebSocket pings have a clock of their own, in
agentgraph/websocket_protocol.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast
from weakref import WeakKeyDictionary

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)

from domain.errors import DomainError, RateLimited
from gql.request_json import NotJSON
from gql.trusted_documents import DocumentRefused

if TYPE_CHECKING:
    from gql.app import AgentgraphGraphQL
    from gql.context import Context

# The close code of a socket whose credential ended (and of connection_init refused for it).
CREDENTIAL_ENDED = 4403
# The close code of a socket refused because its caller holds too many already.
TOO_MANY = 4429
MESSAGE_TOO_BIG = 1009
# The close code of every socket when the server shuts down: resubscribe (elsewhere) by cursor.
GOING_AWAY = 1001
OPERATION_MESSAGES = frozenset({"subscribe", "start"})


class SocketRefused(ConnectionRejectionError):
    """connection_init refused: ``close`` is the transport-ws close code and reason; the
    payload (message and code) is what graphql-ws's connection_error carries."""

    def __init__(self, error: DomainError, close_code: int) -> None:
        super().__init__({"message": error.message, "extensions": _extensions(error)})
        self.close_code = close_code
        self.reason = error.message.encode()[:123].decode(errors="ignore")


def refusal_of(error: DomainError) -> SocketRefused:
    """Why connection_init is refused: a cap reached (4429), or a credential (4403)."""
    return SocketRefused(error, TOO_MANY if isinstance(error, RateLimited) else CREDENTIAL_ENDED)


def operation_error(error: DomainError) -> GraphQLError:
    """A refusal of one operation (a cap) as the GraphQL error its error message carries."""
    return GraphQLError(error.message, extensions=_extensions(error))


def untrusted_document(context: Context, message: Any) -> GraphQLError | None:
    """With trusted documents configured: why the operation message may not run (None when it
    may, its payload then holding the trusted document as ``query``)."""
    trusted = context.config.trusted_documents
    if trusted is None:
        return None
    try:
        message["payload"] = trusted.resolve(message["payload"])
    except DocumentRefused as refused:
        return refused.error
    return None


def _extensions(error: DomainError) -> dict[str, Any]:
    return {"code": error.code, **error.extensions()}


def message_problem(message: Any) -> str | None:
    """What is wrong with a message's envelope (None when a handler may read it)."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "Invalid message: expected a JSON object with a string type."
    carries_id = message["type"] in OPERATION_MESSAGES or message["type"] in ("complete", "stop")
    if carries_id and (not isinstance(message.get("id"), str) or not message["id"]):
        return f"Invalid {message['type']} message: id must be a non-empty string."
    if message["type"] in OPERATION_MESSAGES:
        if not isinstance(message.get("payload"), dict):
            return f"Invalid {message['type']} message: payload must be an object."
        # A missing query is admission's to report, as on every transport.
        message["payload"].setdefault("query", None)
    return None


async def check_session(context: Context) -> bool:
    """Whether an operation may start on this socket: its credential, asked again now. When it
    ended, the socket is closed (4403) before this returns False."""
    session = context.session
    if session is None:
        return False
    return await context.services.hub.sessions.check(session)


class KeptAlive(Protocol):
    def send_keep_alive(self) -> Awaitable[None]: ...


class KeepAliveClock:
    """Keep-alives for every socket of one loop and interval, on one timer that runs only while
    sockets are kept alive. A tick sends each socket its ``ka`` (a socket whose send fails is
    closing: its handler leaves the clock then)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop = loop
        self.interval = interval
        self.members: set[KeptAlive] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.sending: set[asyncio.Task[None]] = set()

    def add(self, socket: KeptAlive) -> None:
        self.members.add(socket)
        if self.timer is None:
            self.timer = self.loop.call_later(self.interval, self._tick)

    def discard(self, socket: KeptAlive) -> None:
        self.members.discard(socket)
        if not self.members and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _tick(self) -> None:
        self.timer = None
        if not self.members:
            return
        task = self.loop.create_task(self._send(list(self.members)))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)
        self.timer = self.loop.call_later(self.interval, self._tick)

    @staticmethod
    async def _send(sockets: list[KeptAlive]) -> None:
        # Each send on its own: one socket whose peer stopped reading holds up no other.
        await asyncio.gather(
            *(socket.send_keep_alive() for socket in sockets), return_exceptions=True
        )


_CLOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, KeepAliveClock]] = (
    WeakKeyDictionary()
)


def keep_alive_clock(interval: float) -> KeepAliveClock:
    """The running loop's clock for keep-alives every ``interval`` seconds."""
    loop = asyncio.get_running_loop()
    clocks = _CLOCKS.setdefault(loop, {})
    clock = clocks.get(interval)
    if clock is None:
        clock = clocks[interval] = KeepAliveClock(loop, interval)
    return clock


class SocketFrames(ASGIWebSocketAdapter):
    """Strawberry's Starlette adapter with frames read within limits and closes made once."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = cast("AgentgraphGraphQL", self.view).config.max_frame_bytes
        while self.ws.application_state != WebSocketState.DISCONNECTED:
            try:
                text = await self.ws.receive_text()
            except KeyError as error:
                raise NonTextMessageReceived from error
            except WebSocketDisconnect:
                return
            if len(text) > limit:
                await self.close(MESSAGE_TOO_BIG, f"Message too big (the limit is {limit} bytes)")
                return
            try:
                yield self.view.decode_json(text)
            except NotJSON as error:
                if not ignore_parsing_errors:
                    raise NonJsonMessageReceived from error

    async def send_json(self, message: Mapping[str, object]) -> None:
        """Send, or drop the message quietly once the socket is closed (by this side, or the
        peer gone while a burst was being sent): the socket's operations are being ended by
        then, and a raise from one of their tasks would only leave a traceback behind."""
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        try:
            await super().send_json(message)
        except (WebSocketDisconnected, WebSocketDisconnect, OSError):
            return  # the peer went away during the send
        except RuntimeError as error:
            if "websocket.close" not in str(error):
                raise
            # uvicorn closed the socket itself (a keepalive ping unanswered) before this send

    async def send_text(self, text: str) -> None:
        """An already encoded message (a cohort's shared frame), sent or dropped as
        ``send_json`` sends or drops one."""
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnected, WebSocketDisconnect, OSError):
            return  # the peer went away during the send
        except RuntimeError as error:
            if "websocket.close" not in str(error):
                raise

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return  # the first close wins
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await super().close(code, reason)
