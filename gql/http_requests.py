"""What an HTTP request to /graphql must be before the endpoint sees it (the compiled read path
or the Strawberry view): a POST of a JSON object with a string ``query``.

Anything else is answered here, with a GraphQL error body and no token needed to get it:
- a method other than POST: 405 (``Allow: POST``); GET serves GraphiQL only, in development,
  to a browser asking for HTML — GET queries are not enabled;
- a body that is not ``application/json`` (form posts, multipart, ``application/graphql``,
  text), or JSON in another charset: 415;
- a body that is not JSON in UTF-8, nested past 100 levels (``gql/request_json.py``), not an
  object (a string, number, null, or an array: batches are not enabled), or whose ``query`` is
  missing or not a string, ``variables`` or ``extensions`` not an object, ``operationName`` not
  a string: 400, ``VALIDATION_ERROR`` naming the member in ``extensions.field``.
The body (within the limit RequestBodyLimit keeps, outside this) is then handed on as it came.
"""

from __future__ import annotations

import json

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.request_json import NotJSON, decode
from gql.request_log import note_operation
from gql.trusted_documents import DocumentRefused, TrustedDocuments

VALIDATION_ERROR = "VALIDATION_ERROR"
_MEMBERS = (
    ("variables", dict, "an object"),
    ("extensions", dict, "an object"),
    ("operationName", str, "a string"),
)


def request_error(
    status: int, message: str, field: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A refused request's response: one GraphQL error, VALIDATION_ERROR about ``field``."""
    error = {"message": message, "extensions": {"code": VALIDATION_ERROR, "field": field}}
    note_operation(None, [VALIDATION_ERROR])
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)


class CheckedRequests:
    """ASGI: refuse what is not a GraphQL request over HTTP; pass the rest to ``app``."""

    def __init__(
        self, app: ASGIApp, *, graphiql: bool, trusted: TrustedDocuments | None = None
    ) -> None:
        self.app = app
        self.graphiql = graphiql
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET" and self.graphiql and _asks_for_graphiql(scope):
            await self.app(scope, receive, send)
            return
        refused = _method_or_media_type(scope)
        if refused is None:
            body = await _body(receive)
            if self.trusted is not None:
                body, refused = _trusted(body, self.trusted)
            refused = refused or _body_problem(body)
            if refused is None:
                await self.app(scope, _replaying(body, receive), send)
                return
        await refused(scope, receive, send)


def _method_or_media_type(scope: Scope) -> JSONResponse | None:
    if scope["method"] != "POST":
        return request_error(
            405,
            "GraphQL requests are POSTed to /graphql as JSON"
            " (GET queries are not enabled; GET serves GraphiQL in development).",
            "method",
            headers={"Allow": "POST"},
        )
    media_type, _, params = _header(scope, b"content-type").partition(";")
    charset = params.lower().replace(" ", "").partition("charset=")[2].split(";")[0]
    if media_type.strip().lower() != "application/json" or charset not in ("", "utf-8"):
        return request_error(
            415,
            "The body must be JSON (Content-Type: application/json, UTF-8): "
            '{"query": "…", "variables": {…}}.',
            "body",
        )
    return None


def _trusted(body: bytes, trusted: TrustedDocuments) -> tuple[bytes, JSONResponse | None]:
    """The body with its document id swapped for the trusted document (or why not); a body
    that is not a JSON object is left for _body_problem to refuse."""
    try:
        request = decode(body)
    except NotJSON:
        return body, None
    if not isinstance(request, dict):
        return body, None
    try:
        resolved = trusted.resolve(request)
    except DocumentRefused as refused:
        code = str((refused.error.extensions or {})["code"])
        note_operation(None, [code])
        return body, JSONResponse({"errors": [refused.error.formatted]}, status_code=400)
    return json.dumps(resolved).encode(), None


def _body_problem(body: bytes) -> JSONResponse | None:
    try:
        request = decode(body)
    except NotJSON as error:
        return request_error(400, error.reason, "body")
    if not isinstance(request, dict):
        return request_error(
            400,
            'The body must be a JSON object: {"query": "…", "variables": {…}} '
            "(batches of requests are not enabled).",
            "body",
        )
    query = request.get("query")
    if query is None:
        return request_error(400, "No GraphQL query found in the request.", "query")
    if not isinstance(query, str):
        return request_error(400, "The query must be a string (a GraphQL document).", "query")
    for name, kind, spelled in _MEMBERS:
        value = request.get(name)
        if value is not None and not isinstance(value, kind):
            return request_error(400, f"The {name} must be {spelled} or null.", name)
    return None


def _asks_for_graphiql(scope: Scope) -> bool:
    # Strawberry renders the IDE for a GET without a query that accepts HTML.
    accept = _header(scope, b"accept")
    return b"query=" not in scope.get("query_string", b"") and (
        "text/html" in accept or "*/*" in accept
    )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands on the body already read, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
