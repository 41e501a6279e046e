"""GraphQL over HTTP (the GraphQL Foundation's spec) beyond a POST of JSON: the
``application/graphql-response+json`` media type with its status codes, and queries over GET.

- A client whose Accept header prefers ``application/graphql-response+json`` (at least as high a
  q as ``application/json``) gets it; a response without ``data`` (a request error: the
  document does not parse or validate, or may not run) then has status 400. ``application/json``
  stays the default, with status 200 for every GraphQL response.
- ``GET /graphql?query=…&variables=…&operationName=…&extensions=…`` (``variables`` and
  ``extensions`` as JSON; ``documentId`` for trusted documents) runs a query; a mutation over GET
  is refused with 405 and ``Allow: POST`` (GET must not change anything).
- Responses vary by Accept (``Vary: Accept``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Scope

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_GET_MEMBERS = ("query", "operationName", "documentId")
_GET_JSON_MEMBERS = ("variables", "extensions")


class BadGetRequest(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _accept(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"accept":
            return bytes(value).decode("latin-1")
    return ""


def _quality(accept: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        media_type, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        qualities[media_type.lower()] = max(q, qualities.get(media_type.lower(), 0.0))
    return qualities


def wants_graphql_response(scope: Scope) -> bool:
    """Whether the client prefers application/graphql-response+json to application/json."""
    accept = _accept(scope)
    if GRAPHQL_RESPONSE not in accept.lower():
        return False
    qualities = _quality(accept)
    preferred = qualities.get(GRAPHQL_RESPONSE, 0.0)
    return preferred > 0 and preferred >= qualities.get(JSON, 0.0)


def is_request_error(response_data: Any) -> bool:
    """A GraphQL response that did not execute: no data, and no error at a path."""
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return False
    errors = response_data.get("errors") or []
    return bool(errors) and all(not e.get("path") for e in errors if isinstance(e, dict))


def get_request(scope: Scope) -> dict[str, Any]:
    """The GraphQL request a GET's query string carries (BadGetRequest when malformed)."""
    raw = bytes(scope.get("query_string", b"")).decode("latin-1")
    try:
        params = dict(parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError as error:
        raise BadGetRequest("query", "The query string must be UTF-8.") from error
    request: dict[str, Any] = {name: params[name] for name in _GET_MEMBERS if name in params}
    for name in _GET_JSON_MEMBERS:
        if params.get(name):
            try:
                request[name] = json.loads(params[name])
            except ValueError as error:
                raise BadGetRequest(name, f"The {name} parameter must be JSON.") from error
    return request


def as_post(scope: Scope) -> Scope:
    """A GET's scope as the POST of a JSON body (which the caller hands on)."""
    headers = [(k, v) for k, v in scope.get("headers", ()) if k != b"content-type"]
    headers.append((b"content-type", JSON.encode()))
    return {**scope, "method": "POST", "headers": headers, "query_string": b""}
