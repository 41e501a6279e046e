"""The request deadline's shared timer (gql/deadline.py) on bare ASGI apps: a request past its
deadline is stopped and answered TIMEOUT, the others are untouched, a cancellation that is not
the deadline's stays a cancellation, and a request that ended leaves nothing behind."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from gql.deadline import RequestDeadline

SLOW = "/slow"


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == SLOW:
        await asyncio.Event().wait()  # never set: only the deadline ends it
    await JSONResponse({"data": {"path": scope["path"]}})(scope, receive, send)


def _client(deadline: RequestDeadline) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=deadline), base_url="http://t")


async def test_only_the_requests_past_their_deadline_are_stopped() -> None:
    short = RequestDeadline(_app, 0.2)
    async with _client(short) as client:
        answers = await asyncio.gather(
            *(client.get(SLOW if i % 3 == 0 else f"/fast/{i}") for i in range(30))
        )
    for i, answer in enumerate(answers):
        assert answer.status_code == 200
        if i % 3 == 0:
            [error] = answer.json()["errors"]
            assert error["extensions"] == {"code": "TIMEOUT", "retryable": True}
        else:
            assert answer.json() == {"data": {"path": f"/fast/{i}"}}
    assert short.deadlines(asyncio.get_running_loop()).pending() == 0


async def test_deadlines_of_different_lengths_share_the_loop() -> None:
    long, short = RequestDeadline(_app, 30), RequestDeadline(_app, 0.1)
    async with _client(long) as patient, _client(short) as hasty:
        waiting = asyncio.ensure_future(patient.get(SLOW))
        answer = await hasty.get(SLOW)
        assert answer.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert not waiting.done()  # the 30 s deadline is still ahead
        assert long.deadlines(asyncio.get_running_loop()).pending() == 1
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert long.deadlines(asyncio.get_running_loop()).pending() == 0


async def test_a_cancellation_that_is_not_the_deadlines_stays_one() -> None:
    deadline = RequestDeadline(_app, 30)
    async with _client(deadline) as client:
        request = asyncio.ensure_future(client.get(SLOW))
        await asyncio.sleep(0.05)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
    assert deadline.deadlines(asyncio.get_running_loop()).pending() == 0


async def test_too_late_to_answer_is_an_error() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.Event().wait()

    deadline = RequestDeadline(streaming, 0.1)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    sent: list[object] = []

    async def send(message: object) -> None:
        sent.append(message)

    async def receive() -> object:
        return {"type": "http.request", "body": b""}

    with pytest.raises(TimeoutError):
        await deadline(scope, receive, send)  # type: ignore[arg-type]
    assert len(sent) == 1  # nothing written after the start
