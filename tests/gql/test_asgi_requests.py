"""What the fast paths read of a request and write back (gql/asgi_requests.py)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response

from gql.asgi_requests import JSONAnswer, json_request


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
