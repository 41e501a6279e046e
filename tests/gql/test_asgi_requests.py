"""What the fast paths read of a request and write back (gql/asgi_requests.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from gql.asgi_requests import DECODED, JSONAnswer, decoded, json_request, read_body
from gql.http_requests import CheckedRequests
from gql.schema import build_schema


async def _sent(response: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await response({"type": "http"}, receive, send)
    return messages


@pytest.mark.parametrize("body", [b"{}", b'{"data":{"__typename":"Query"}}', "é".encode() * 700])
async def test_a_json_answer_sends_what_starlette_sends(body: bytes) -> None:
    assert await _sent(JSONAnswer(body)) == await _sent(
        Response(body, media_type="application/json")
    )


@pytest.mark.parametrize(
    ("headers", "json"),
    [
        ([(b"content-type", b"application/json")], True),
        ([(b"content-type", b"application/json; charset=utf-8"), (b"accept", b"*/*")], True),
        ([(b"content-type", b"APPLICATION/JSON"), (b"accept", b"application/json")], True),
        ([(b"content-type", b"application/json"), (b"accept", b"text/event-stream")], False),
        ([(b"content-type", b"application/jsonx")], False),
        ([(b"content-type", b"text/plain")], False),
        ([], False),
    ],
)
def test_json_requests_are_known_by_their_headers(
    headers: list[tuple[bytes, bytes]], json: bool
) -> None:
    assert json_request({"type": "http", "headers": headers}) is json


def _receiving(*chunks: bytes) -> Receive:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": at < len(chunks) - 1}
        for at, chunk in enumerate(chunks)
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


async def _handed_on(scope: Scope, *chunks: bytes) -> tuple[bytes, Any]:
    """What CheckedRequests hands the layer behind it: the body it reads, and what ``decoded``
    gives of that body (None when the request is refused)."""
    seen: list[tuple[bytes, Any]] = []

    async def behind(scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        seen.append((body, decoded(scope, body)))

    async def send(message: Message) -> None:
        pass

    checked = CheckedRequests(behind, graphiql=False, documents=build_schema().documents)
    await checked(scope, _receiving(*chunks), send)
    return seen[0] if seen else (b"", None)


def _post(query_string: bytes = b"", method: str = "POST") -> Scope:
    headers = [(b"content-type", b"application/json")]
    return {"type": "http", "method": method, "headers": headers, "query_string": query_string}


@pytest.mark.parametrize(
    "chunks",
    [
        (b'{"query": "{ __typename }"}',),
        (b'{"query": "mutation { a }", ', b'"variables": {"v": [[1.5], "\\u0000"]}}', b""),
        (json.dumps({"query": "{ x }", "variables": {"deep": [[[[]]]] * 30}}).encode(),),
    ],
)
async def test_the_layers_behind_checked_requests_get_the_bodys_json_decoded_once(
    chunks: tuple[bytes, ...],
) -> None:
    body, request = await _handed_on(_post(), *chunks)
    assert body == b"".join(chunks)
    assert request == json.loads(body)


async def test_a_query_sent_with_get_is_handed_on_decoded_too() -> None:
    body, request = await _handed_on(_post(b"query=%7B+__typename+%7D", "GET"))
    assert request == json.loads(body) == {"query": "{ __typename }"}


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'{"query": 1}', b'{"query": "{ a }", "variables": []}', b"[" * 101 + b"]" * 101],
)
async def test_a_refused_body_is_handed_on_to_no_layer(body: bytes) -> None:
    assert await _handed_on(_post(), body) == (b"", None)


async def test_a_body_in_one_message_is_read_as_its_very_bytes() -> None:
    body = b'{"query": "{ a }"}'
    assert await read_body(_receiving(body)) is body
    assert await read_body(_receiving(body[:5], body[5:])) == body


def test_the_decoded_json_is_only_that_of_the_very_body_handed_on() -> None:
    body = b'{"query": "{ a }"}'
    scope = {DECODED: (body, {"query": "{ a }"})}
    assert decoded(scope, body) == {"query": "{ a }"}
    # Equal bytes from another layer (one that swapped the body) are decoded again.
    assert decoded(scope, bytes(bytearray(body))) is None
    assert decoded({}, body) is None
