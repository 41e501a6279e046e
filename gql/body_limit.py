"""The request body limit of /graphql (SPEC §8): an oversized body is refused before it is read."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.limits import QUERY_TOO_COMPLEX


class _BodyTooLarge(Exception):
    pass


class RequestBodyLimit:
    """ASGI middleware: an HTTP body over ``max_bytes`` is answered 413 (QUERY_TOO_COMPLEX)
    as soon as its Content-Length, or the bytes received so far, pass the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(f"{declared} bytes", scope, receive, send)
            return
        received = 0
        responded = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _BodyTooLarge:
            if responded:
                raise
            await self._refuse(f"more than {self.max_bytes} bytes", scope, receive, send)

    async def _refuse(self, size: str, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"Request body too large: {size} (the limit is {self.max_bytes} bytes)."
        body = {"errors": [{"message": message, "extensions": {"code": QUERY_TOO_COMPLEX}}]}
        await JSONResponse(body, status_code=413)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
