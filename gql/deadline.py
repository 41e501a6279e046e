"""Each HTTP request's total time is bounded: past AGENTGRAPH_REQUEST_TIMEOUT_S it is stopped
and answered ``TIMEOUT`` (``extensions.retryable``), with a GraphQL error body.

Stopping cancels the request's task: a transaction it had open is rolled back, so nothing
half-written remains (a mutation document's earlier fields, each its own transaction, stay
committed, as they would after any error). The waits a request may meet — for a write slot,
a pooled connection, a row lock (bounded by ``lock_timeout`` on its own) — all count.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DeadlinePassed


class RequestDeadline:
    """ASGI: run ``app`` for at most ``seconds`` per HTTP request (0: no deadline)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        deadline = asyncio.timeout(self.seconds)
        try:
            async with deadline:
                await self.app(scope, receive, send_tracked)
        except TimeoutError:
            if not deadline.expired() or started:
                raise  # not ours, or too late to answer
            error = DeadlinePassed(self.seconds)
            body = {"errors": [{"message": error.message, "extensions": {
                "code": error.code, **error.extensions()}}]}  # fmt: skip
            await JSONResponse(body)(scope, receive, send)
