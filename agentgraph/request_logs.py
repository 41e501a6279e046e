"""One log record per request, with its request id (X-Request-ID, echoed in the response).

An incoming ``X-Request-ID`` of 1 to 128 characters from ``[A-Za-z0-9._:-]`` is kept (a proxy's
or a client's id, to follow a request across systems); anything else is replaced with a new
one. The record (logger ``agentgraph.requests``) names the method, path, status, duration,
operation, kind of caller and error codes. Requests that answered errors are logged at INFO
(ERROR when one was INTERNAL); the others at DEBUG, so a busy server writes a line per request
only when asked to (AGENTGRAPH_LOG_LEVEL=debug).
"""

from __future__ import annotations

import logging
import os
import re
import time

from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.request_log import CURRENT, RequestLog

logger = logging.getLogger("agentgraph.requests")
_tracer = trace.get_tracer("agentgraph.http")

HEADER = b"x-request-id"
_VALID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")


def request_id(scope: Scope) -> str:
    """The request's id: the client's X-Request-ID when it is well-formed, else a new one."""
    for key, value in scope.get("headers", ()):
        if key == HEADER and _VALID.fullmatch(value):
            return bytes(value).decode("ascii")
    # 128 random bits in 32 hex digits, as uuid4().hex, without building a UUID.
    return os.urandom(16).hex()


class RequestLogging:
    """ASGI middleware: a RequestLog for each HTTP request and WebSocket connection."""

    def __init__(self, app: ASGIApp, *, traced: bool = False) -> None:
        self.app = app
        self.traced = traced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        entry = RequestLog(request_id(scope))
        token = CURRENT.set(entry)
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                echoed = (HEADER, entry.request_id.encode())
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        if not self.traced:
            try:
                # A WebSocket's messages are the app's to send as they are.
                await self.app(scope, receive, sending if scope["type"] == "http" else send)
            finally:
                CURRENT.reset(token)
                if scope["type"] == "http":
                    _log(scope, entry, status, time.perf_counter() - started)
            return
        # The request's span (continuing the caller's trace), current while it is logged too.
        with _tracer.start_as_current_span(
            f"{scope.get('method', 'WEBSOCKET')} {scope['path']}",
            context=propagate.extract(_headers(scope)),
            kind=trace.SpanKind.SERVER,
        ) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                span.set_attribute("http.response.status_code", status)
                CURRENT.reset(token)
                if scope["type"] == "http":
                    _log(scope, entry, status, time.perf_counter() - started)


def _headers(scope: Scope) -> dict[str, str]:
    return {bytes(k).decode("latin-1"): bytes(v).decode("latin-1") for k, v in scope["headers"]}


def _log(scope: Scope, entry: RequestLog, status: int, seconds: float) -> None:
    codes = entry.error_codes
    level = logging.ERROR if "INTERNAL" in codes else logging.INFO if codes else logging.DEBUG
    if not logger.isEnabledFor(level):
        return
    logger.log(
        level,
        "%s %s %s %s",
        scope["method"],
        scope["path"],
        status,
        entry.operation or "-",
        extra={
            "request_id": entry.request_id,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "operation": entry.operation,
            "caller": entry.caller,
            "error_codes": codes,
        },
    )
