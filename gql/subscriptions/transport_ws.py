"""The `graphql-transport-ws` protocol, with live sessions (gql/subscriptions/sockets.py).

Beyond Strawberry's handler: connection_init refusals close with what they mean (4403 for a
credential, 4429 for the per-caller cap on sockets); every subscribe checks the socket's
credential again and counts against the per-caller cap on subscriptions (an ``error`` with
RATE_LIMITED past it); a document refused before it runs — bad syntax included — is answered
with an ``error`` message carrying the codes, and the socket stays open; a credential that ends
cancels the socket's operations and closes it (4403).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, cast

from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from gql.context import Context
from gql.encoding import encode_json
from gql.server_metrics import connection_closed, connection_opened
from gql.subscriptions.cohorts import SharedResult
from gql.subscriptions.sockets import (
    CREDENTIAL_ENDED,
    GOING_AWAY,
    SocketFrames,
    SocketRefused,
    check_session,
    message_problem,
    operation_error,
    untrusted_document,
)
from gql.subscriptions.streams import end_task
from usecases.live.sessions import TooManySubscriptions


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    context: Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context.end_socket = self.end_socket
        self.context.going_away = self.going_away

    async def handle(self) -> None:
        connection_opened(GRAPHQL_TRANSPORT_WS_PROTOCOL)
        try:
            await super().handle()
        finally:
            connection_closed(GRAPHQL_TRANSPORT_WS_PROTOCOL)
            if self.context.session is not None:
                self.context.services.hub.sessions.close(self.context.session)

    async def handle_message(self, message: Message) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # Strawberry's, except for what a refusal closes with.
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
            # Cancelled, it is nothing to keep for the socket's life (shutdown() skips it).
            self.connection_init_timeout_task = None
        payload = message.get("payload", {})
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        try:
            await self.view.on_ws_connect(self.context)
        except SocketRefused as refused:
            await self.websocket.close(code=refused.close_code, reason=refused.reason)
            return
        except ConnectionRejectionError:
            await self.websocket.close(code=CREDENTIAL_ENDED, reason="Forbidden")
            return
        finally:
            self.context.connection_params = None  # read (its token kept by the session)
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # 4401, 4409
            return
        if not await check_session(self.context):
            return  # the credential ended: the socket is closed
        untrusted = untrusted_document(self.context, message)
        if untrusted is not None:
            await self._refuse(message["id"], untrusted)
            return
        session = self.context.session
        assert session is not None
        sessions = self.context.services.hub.sessions
        try:
            sessions.start_subscription(session)
        except TooManySubscriptions as refused:
            await self._refuse(message["id"], operation_error(refused))
            return
        await super().handle_subscribe(message)
        operation = self.operations.get(message["id"])
        if operation is None or operation.task is None:
            sessions.stop_subscription(session)
            return
        operation.task.add_done_callback(lambda _: sessions.stop_subscription(session))

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: Any
    ) -> None:
        """Strawberry's, except that a cohort's results go out as the frame the cohort encoded
        once for every member (only the operation id is this socket's)."""
        frames = cast(SocketFrames, self.websocket)
        prefix = '{"id":' + encode_json(operation.id).decode() + ',"type":"next","payload":'

        async def unshared() -> AsyncGenerator[Any, None]:
            async for result in result_source:
                if isinstance(result, SharedResult):
                    if not operation.completed:
                        await frames.send_text(prefix + result.next_payload() + "}")
                else:
                    yield result

        async with aclosing(unshared()) as results:
            await super()._send_result_stream(operation, results)

    async def cleanup_operation(self, operation_id: str) -> None:
        """Strawberry's, except that the operation's task is ended by ``end_task`` (not in the
        middle of resolving an event) and sends nothing more."""
        operation = self.operations.pop(operation_id, None)
        if operation is None:
            return
        operation.completed = True
        end_task(operation.task)

    async def end_socket(self, reason: str) -> None:
        """The credential ended: cancel every operation, then close (4403)."""
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=CREDENTIAL_ENDED, reason=reason)

    async def going_away(self) -> None:
        """The server is shutting down: cancel every operation, then close (1001) so the
        client resubscribes, elsewhere, from its cursors."""
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=GOING_AWAY, reason="Server shutting down")

    async def _refuse(self, operation_id: str, error: GraphQLError) -> None:
        await self.send_message(
            cast(Message, {"id": operation_id, "type": "error", "payload": [error.formatted]})
        )

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # Refused documents are answered with their errors (codes included), as over HTTP.
        return None
