"""graphql-sse in its "distinct connections" mode: POST /graphql/stream, one subscription per
request, answered as a ``text/event-stream``.

It stands where both WebSocket protocols stand: the Authorization header authenticates (an
access token or an agent token), the stream is a live session counted against the per-caller
caps on sockets and subscriptions (usecases/live/sessions.py) and re-checked like a socket, and
the document goes through ``AgentgraphSchema.stream`` (gql/admission.py, then the limits and
the budget). Refusals known before the stream starts are plain JSON answers with a status:
401 for a credential, 429 for a cap, 400 for a malformed body or Last-Event-ID, 503 when the
database is away. A document refused by admission or the limits is one ``next`` carrying the
errors (with their codes), then ``complete``, as the WebSocket protocols answer it.

The stream is ``event: next`` per result and ``event: complete`` at its end. A durable event's
``id:`` is its cursor: a client that reconnects with ``Last-Event-ID`` resumes right after it,
without gap or duplicate (the header wins over an ``after`` argument). Comments (``: keep-alive``)
every AGENTGRAPH_WS_KEEPALIVE_S keep proxies from cutting an idle stream. A credential that
ends gets a ``next`` with an UNAUTHENTICATED error, then ``complete``; a server shutting down
ends the stream without ``complete``, so the client reconnects (elsewhere) with Last-Event-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.types.execution import ExecutionResult

from domain.errors import DomainError, RateLimited, Unauthenticated, Unavailable, ValidationFailed
from gql.encoding import encode_json
from gql.http_requests import request_error
from gql.request_json import NotJSON, decode
from gql.server_metrics import connection_closed, connection_opened
from gql.subscriptions.scope import parse_cursor
from gql.subscriptions.streams import end_task
from usecases.live.sessions import LiveSession, TooManySubscriptions

if TYPE_CHECKING:
    from gql.app import AgentgraphGraphQL

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    # nginx buffers responses unless told not to; a buffered stream is not live.
    (b"x-accel-buffering", b"no"),
]
KEEP_ALIVE = b": keep-alive\n\n"


def _refused(error: DomainError) -> JSONResponse:
    if isinstance(error, Unavailable):
        status = 503
    elif isinstance(error, RateLimited):
        status = 429
    elif error.code == "UNAUTHENTICATED":
        status = 401
    else:
        status = 400
    body = {"errors": [{"message": error.message, "extensions": _extensions(error)}]}
    return JSONResponse(body, status_code=status)


def _extensions(error: DomainError) -> dict[str, Any]:
    return {"code": error.code, **error.extensions()}


def _frame(event: str, data: object, cursor: int | None = None) -> bytes:
    head = f"id: {cursor}\n" if cursor is not None else ""
    payload = encode_json(data).decode() if data is not None else ""
    return f"{head}event: {event}\ndata: {payload}\n\n".encode()


def _payload(result: ExecutionResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


class _Stream:
    """One open event stream: its session, and why it is ending (if it is)."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.ended_reason: str | None = None

    async def end(self, reason: str) -> None:
        """The credential ended: an UNAUTHENTICATED error, then complete."""
        self.ended_reason = reason
        self.stop.set()

    async def going_away(self) -> None:
        """The server is shutting down: end without complete (the client resumes elsewhere)."""
        self.stop.set()


class EventStreams:
    """ASGI: POST /graphql/stream (behind the same request checks as POST /graphql)."""

    def __init__(self, view: AgentgraphGraphQL) -> None:
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "POST":
            # (CheckedRequests answers first today; this holds if GET is ever let through.)
            answer = request_error(405, "Subscribe with POST.", "method", headers={"Allow": "POST"})
            await answer(scope, receive, send)
            return
        stream = _Stream()
        try:
            session, context, body = await self._open(request, stream)
        except DomainError as error:
            await _refused(error)(scope, receive, send)
            return
        sessions = self.view.services.hub.sessions
        try:
            sessions.start_subscription(session)
        except TooManySubscriptions as error:
            sessions.close(session)
            await _refused(error)(scope, receive, send)
            return
        connection_opened("sse")
        try:
            source = await self.view.schema.stream(
                body.get("query"),
                variable_values=body.get("variables"),
                context_value=context,
                operation_name=body.get("operationName"),
            )
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            await self._run(stream, source, context, receive, send)
        finally:
            connection_closed("sse")
            sessions.close(session)

    async def _open(
        self, request: Request, stream: _Stream
    ) -> tuple[LiveSession, Any, dict[str, Any]]:
        view = self.view
        header = request.headers.get("authorization", "").strip()
        scheme, _, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else header
        viewer = await view.services.authenticator.viewer(token or None)
        if not token or not viewer.is_authenticated:
            raise Unauthenticated()
        cursor = _last_event_id(request)
        try:
            body = decode(await request.body())
        except NotJSON as error:
            raise ValidationFailed("body", error.reason) from error
        if not isinstance(body, dict):
            raise ValidationFailed("body", "must be a JSON object")
        # TooManySockets past the per-caller cap (an SSE stream counts as a socket).
        session = view.services.hub.sessions.open(
            token, viewer, stream.end, going_away=stream.going_away
        )
        client = request.client.host if request.client else "unknown"
        context = view._context(viewer, client)
        context.session = session
        context.last_event_id = cursor
        return session, context, body

    async def _run(
        self, stream: _Stream, source: Any, context: Any, receive: Receive, send: Send
    ) -> None:
        ended = False

        async def pump() -> None:
            last: int | None = None
            async with contextlib.aclosing(source):
                async for result in source:
                    event = context.current_event
                    cursor = None
                    if result.data is not None and event is not None and event.durable:
                        cursor = event.seq if event.seq != last else None
                        last = event.seq or last
                    if ended:
                        return  # asked to end: nothing more is sent
                    await send(_body(_frame("next", _payload(result), cursor)))
            if not ended:
                await send(_body(_frame("complete", None)))

        async def keep_alive() -> None:
            while True:
                await asyncio.sleep(self.view.config.ws_keepalive_s)
                await send(_body(KEEP_ALIVE))

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        pumping = asyncio.create_task(pump())
        tasks = [
            pumping,
            asyncio.create_task(keep_alive()),
            asyncio.create_task(disconnected()),
            asyncio.create_task(stream.stop.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended = True
            end_task(pumping)  # not in the middle of resolving an event
            for task in tasks[1:]:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        with contextlib.suppress(Exception):  # the client may be gone already
            if stream.ended_reason is not None:
                error = {"message": stream.ended_reason, "extensions": {"code": "UNAUTHENTICATED"}}
                await send(_body(_frame("next", {"data": None, "errors": [error]})))
                await send(_body(_frame("complete", None)))
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _body(chunk: bytes) -> dict[str, Any]:
    return {"type": "http.response.body", "body": chunk, "more_body": True}


def _last_event_id(request: Request) -> int | None:
    value = request.headers.get("last-event-id")
    if value is None or not value.strip():
        return None
    try:
        return parse_cursor(value.strip())
    except ValidationFailed:
        raise ValidationFailed(
            "Last-Event-ID", "must be the id of an event this server sent"
        ) from None
