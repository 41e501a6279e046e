"""The legacy `graphql-ws` protocol, with live sessions (gql/subscriptions/sockets.py), and the
deadline the newer protocol has: a client must send connection_init within
AGENTGRAPH_WS_INIT_TIMEOUT_S, or the socket is closed (4408), so idle unauthenticated sockets
cannot pile up.

The protocol has no close codes of its own: a refused connection_init is a ``connection_error``
carrying the message and its code (UNAUTHENTICATED, or RATE_LIMITED for the cap on sockets),
then close 4403 (4429 for the cap); a credential that ends is a ``connection_error`` too, then
close 4403. A message it cannot read
is answered with an ``error`` (VALIDATION_ERROR); a start past the cap on subscriptions with an
``error`` (RATE_LIMITED).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage,
    OperationMessage,
    StartMessage,
)

from gql.context import Context
from gql.server_metrics import connection_closed, connection_opened
from gql.subscriptions.sockets import (
    CREDENTIAL_ENDED,
    GOING_AWAY,
    KeepAliveClock,
    SocketRefused,
    check_session,
    keep_alive_clock,
    message_problem,
    operation_error,
    untrusted_document,
)
from gql.subscriptions.streams import end_task
from usecases.live.sessions import TooManySubscriptions


class GraphQLWSHandler(BaseGraphQLWSHandler[Context, None]):
    context: Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context.end_socket = self.end_socket
        self.context.going_away = self.going_away
        # Keep-alives come from the loop's clock (sockets.py), not a task of this socket's.
        self.clock: KeepAliveClock | None = None

    async def handle(self) -> None:
        timeout = self.view.connection_init_wait_timeout.total_seconds()
        deadline = asyncio.create_task(self._close_unless_initialised(timeout))
        connection_opened(GRAPHQL_WS_PROTOCOL)
        try:
            await super().handle()
        finally:
            self._stop_keep_alives()
            connection_closed(GRAPHQL_WS_PROTOCOL)
            deadline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deadline
            if self.context.session is not None:
                self.context.services.hub.sessions.close(self.context.session)

    async def _close_unless_initialised(self, timeout: float) -> None:
        await asyncio.sleep(timeout)
        if not self.connection_acknowledged:
            await self.websocket.close(code=4408, reason="Connection initialisation timeout")

    async def handle_message(self, message: OperationMessage) -> None:
        problem = message_problem(message)
        if problem is not None:
            error = {"message": problem, "extensions": {"code": "VALIDATION_ERROR"}}
            await self.send_message(cast(OperationMessage, {"type": "error", "payload": error}))
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # Strawberry's, except that a refusal closes with what it means (4403 for a credential,
        # 4429 for the cap) rather than 1011, an internal error; and a second connection_init
        # changes nothing (the socket keeps the credential it was opened with).
        if self.connection_acknowledged:
            error = {"message": "Already initialised.", "extensions": {"code": "VALIDATION_ERROR"}}
            await self.send_message(cast(OperationMessage, {"type": "error", "payload": error}))
            return
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            error = {
                "message": "Invalid connection_init payload.",
                "extensions": {"code": "VALIDATION_ERROR"},
            }
            await self.send_message(
                cast(OperationMessage, {"type": "connection_error", "payload": error})
            )
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        self.context.connection_params = payload
        try:
            await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as refused:
            self.context.connection_params = None
            await self.send_message(
                cast(OperationMessage, {"type": "connection_error", "payload": refused.payload})
            )
            code = refused.close_code if isinstance(refused, SocketRefused) else CREDENTIAL_ENDED
            await self.websocket.close(code=code, reason="")
            return
        self.context.connection_params = None  # read (its token kept by the session)
        await self.send_message(cast(OperationMessage, {"type": "connection_ack"}))
        self.connection_acknowledged = True
        if self.keep_alive and self.keep_alive_interval:
            await self.send_keep_alive()  # the first at once, as Strawberry's; then each interval
            self.clock = keep_alive_clock(self.keep_alive_interval)
            self.clock.add(self)

    async def send_keep_alive(self) -> None:
        with contextlib.suppress(Exception):  # the socket is closing: its handle() ends
            await self.send_message(cast(OperationMessage, {"type": "ka"}))

    def _stop_keep_alives(self) -> None:
        if self.clock is not None:
            self.clock.discard(self)
            self.clock = None

    async def handle_start(self, message: StartMessage) -> None:
        if not self.connection_acknowledged:
            await super().handle_start(message)  # 4401
            return
        operation_id = message["id"]
        if operation_id in self.tasks:
            await self.cleanup_operation(operation_id)  # a start with a running id replaces it
        if not await check_session(self.context):
            return  # the credential ended: the socket is closed
        untrusted = untrusted_document(self.context, message)
        if untrusted is not None:
            await self._refuse(operation_id, untrusted)
            return
        session = self.context.session
        assert session is not None
        sessions = self.context.services.hub.sessions
        try:
            sessions.start_subscription(session)
        except TooManySubscriptions as refused:
            await self._refuse(operation_id, operation_error(refused))
            return
        await super().handle_start(message)
        task = self.tasks.get(operation_id)
        if task is None:
            sessions.stop_subscription(session)
            return
        task.add_done_callback(lambda _: sessions.stop_subscription(session))

    async def cleanup_operation(self, operation_id: str) -> None:
        """Strawberry's, except that the operation's task is ended by ``end_task`` (not in the
        middle of resolving an event); it sends nothing more (``send_data_message``)."""
        result_source = self.subscriptions.pop(operation_id, None)
        task = self.tasks.pop(operation_id, None)
        if result_source is not None:
            with contextlib.suppress(RuntimeError):  # running: its task is ended below
                await result_source.aclose()
        if task is None:
            return  # already finished (and released itself), or never existed
        end_task(task)
        with contextlib.suppress(BaseException):
            await task

    async def send_data_message(self, execution_result: Any, operation_id: str) -> None:
        if operation_id in self.tasks:  # not stopped
            await super().send_data_message(execution_result, operation_id)

    async def end_socket(self, reason: str) -> None:
        """The credential ended: stop every operation, say why, then close (4403)."""
        self._stop_keep_alives()
        await self.cleanup()
        error = {"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}
        with contextlib.suppress(Exception):
            await self.send_message(
                cast(OperationMessage, {"type": "connection_error", "payload": error})
            )
        await self.websocket.close(code=CREDENTIAL_ENDED, reason=reason)

    async def going_away(self) -> None:
        """The server is shutting down: stop every operation, then close (1001) so the client
        resubscribes, elsewhere, from its cursors."""
        self._stop_keep_alives()
        await self.cleanup()
        await self.websocket.close(code=GOING_AWAY, reason="Server shutting down")

    async def _refuse(self, operation_id: str, error: GraphQLError) -> None:
        await self.send_message(
            cast(
                OperationMessage, {"type": "error", "id": operation_id, "payload": error.formatted}
            )
        )
