"""What an HTTP request to /graphql must be before the endpoint sees it (the compiled read path
or the Strawberry view): a POST of a JSON object with a string ``query``, or a GET of a query
(handed on as that POST; gql/graphql_over_http.py). A trusted document's id is swapped for
its document here (gql/trusted_documents.py).

Anything else is answered here, with a GraphQL error body and no token needed to get it:
- a method other than POST and GET: 405 (``Allow: GET, POST``); a mutation over GET: 405
  (``Allow: POST``); a GET without a query string asking for HTML gets GraphiQL (development);
- a body that is not ``application/json`` (form posts, multipart, ``application/graphql``,
  text), or JSON in another charset: 415;
- a body that is not JSON in UTF-8, nested past 100 levels (``gql/request_json.py``), not an
  object (a string, number, null, or an array: batches are not enabled), or whose ``query`` is
  missing or not a string, ``variables`` or ``extensions`` not an object, ``operationName`` not
  a string: 400, ``VALIDATION_ERROR`` naming the member in ``extensions.field``.
The body (within the limit RequestBodyLimit keeps, outside this) is then handed on as it came,
with its JSON object in the scope (``gql.asgi_requests.DECODED``): the layers behind (the ingest
path) read it from there instead of decoding the body again.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import OperationType, get_operation_ast
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.asgi_requests import DECODED
from gql.documents import Documents
from gql.graphql_over_http import (
    GRAPHQL_RESPONSE,
    BadGetRequest,
    as_post,
    get_request,
    wants_graphql_response,
)
from gql.request_json import NotJSON, decode
from gql.request_log import note_operation
from gql.trusted_documents import DocumentRefused, TrustedDocuments

VALIDATION_ERROR = "VALIDATION_ERROR"
_VARY = (b"vary", b"Accept")
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
        self,
        app: ASGIApp,
        *,
        graphiql: bool,
        documents: Documents,
        trusted: TrustedDocuments | None = None,
    ) -> None:
        self.app = app
        self.graphiql = graphiql
        self.documents = documents
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _negotiated(send, graphql_response=wants_graphql_response(scope))
        if scope["method"] == "GET" and self.graphiql and _asks_for_graphiql(scope):
            await self.app(scope, receive, send)
            return
        over_get = scope["method"] == "GET"
        if over_get:
            body, refused = _get_body(scope)
            scope = as_post(scope)
        else:
            refused = _method_or_media_type(scope)
            body = await _body(receive) if refused is None else b""
        if refused is None and self.trusted is not None:
            body, refused = _trusted(body, self.trusted)
        request: dict[str, Any] = {}
        if refused is None:
            request, refused = _checked(body)
        if refused is None and over_get and self._is_mutation(request):
            refused = request_error(
                405, "Mutations are POSTed: GET runs queries only.", "method",
                headers={"Allow": "POST"},
            )  # fmt: skip
        if refused is None:
            scope[DECODED] = (body, request)
            await self.app(scope, _replaying(body, receive), send)
            return
        await refused(scope, receive, send)

    def _is_mutation(self, request: dict[str, Any]) -> bool:
        document = self.documents.prepare(request["query"]).document
        if document is None:
            return False  # the pipeline reports why
        operation = get_operation_ast(document, request.get("operationName"))
        return operation is not None and operation.operation is OperationType.MUTATION


def _get_body(scope: Scope) -> tuple[bytes, JSONResponse | None]:
    try:
        return json.dumps(get_request(scope)).encode(), None
    except BadGetRequest as error:
        return b"", request_error(400, error.message, error.field)


def _negotiated(send: Send, *, graphql_response: bool) -> Send:
    """``send``, with ``Vary: Accept`` on the response, and its JSON labelled
    application/graphql-response+json when the client prefers that."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            if not graphql_response:  # the common case: only Vary added
                headers = [*message.get("headers", ()), _VARY]
            else:
                headers = [
                    (k, v) for k, v in message.get("headers", ())
                    if not (k == b"content-type" and v == b"application/json")
                ]  # fmt: skip
                if len(headers) < len(message.get("headers", ())):
                    headers.append((b"content-type", GRAPHQL_RESPONSE.encode()))
                headers.append(_VARY)
            message = {**message, "headers": headers}
        await send(message)

    return sending


def _method_or_media_type(scope: Scope) -> JSONResponse | None:
    if scope["method"] != "POST":
        return request_error(
            405,
            "GraphQL requests are POSTed to /graphql as JSON, or queries sent with GET.",
            "method",
            headers={"Allow": "GET, POST"},
        )
    content_type = _header(scope, b"content-type")
    if content_type == "application/json":  # the common spelling, without parsing it
        return None
    media_type, _, params = content_type.partition(";")
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
    that is not a JSON object is left for _checked to refuse."""
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


def _checked(body: bytes) -> tuple[dict[str, Any], JSONResponse | None]:
    """The body's JSON object (decoded once, here), or why the body is refused."""
    try:
        request = decode(body)
    except NotJSON as error:
        return {}, request_error(400, error.reason, "body")
    if not isinstance(request, dict):
        return {}, request_error(
            400,
            'The body must be a JSON object: {"query": "…", "variables": {…}} '
            "(batches of requests are not enabled).",
            "body",
        )
    return request, _request_problem(request)


def _request_problem(request: dict[str, Any]) -> JSONResponse | None:
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
    asks = scope.get("query_string", b"")
    names = (b"query=", b"documentId=", b"extensions=")
    return not any(name in asks for name in names) and ("text/html" in accept or "*/*" in accept)


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
