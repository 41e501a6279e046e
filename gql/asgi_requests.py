"""What the paths in front of the Strawberry view (the compiled reads, the ingest path) read of
an ASGI request: headers, the bearer token, the whole body (and its JSON, when CheckedRequests
decoded it already), and a receive that replays it; and the JSON answer they write."""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Receive, Scope, Send

_JSON = b"application/json"
# The scope's (body, request) of a request CheckedRequests took (gql/http_requests.py): the
# body it hands on and that body's JSON object, decoded once for every layer behind it.
DECODED = "agentgraph.decoded"


def bearer(value: str) -> str | None:
    """gql.app._bearer: the token of ``Bearer <token>`` (or the bare value)."""
    if not value.strip():
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def token_of(scope: Scope) -> str | None:
    """The bearer token of the request's Authorization header, if any."""
    value = header(scope, b"authorization")
    return bearer(value.decode("latin-1")) if value is not None else None


def json_request(scope: Scope) -> bool:
    """A JSON body asking for a JSON answer (other media types are the view's)."""
    content_type = header(scope, b"content-type") or b""
    # The common spelling by an exact compare; any other parsed.
    if content_type != _JSON and content_type.split(b";")[0].strip().lower() != _JSON:
        return False
    accept = header(scope, b"accept")
    # Other media types (graphql-response+json, multipart, event streams) are the view's.
    return accept is None or accept.strip() in (b"", b"*/*", _JSON)


def decoded(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """The JSON object of ``body`` as CheckedRequests decoded it, if that is the very body it
    handed on (a layer between that swapped the body leaves it to be decoded again)."""
    stashed = scope.get(DECODED)
    if stashed is not None and stashed[0] is body:
        request: dict[str, Any] = stashed[1]
        return request
    return None


async def read_body(receive: Receive) -> bytes:
    """The whole body; a body in one message is that message's very bytes (so that
    ``decoded`` knows it)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    if len(chunks) == 1 and type(chunks[0]) is bytes:
        return chunks[0]
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the next app the body already read, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class JSONAnswer:
    """A 200 response of JSON bytes: what ``Response(body, media_type="application/json")``
    sends (the same messages and headers, in the same order), without building one."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"%d" % len(self.body)), (b"content-type", _JSON)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})
