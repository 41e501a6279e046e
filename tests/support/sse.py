"""A graphql-sse client ("distinct connections" mode) over httpx, for tests against a real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SSEEvent:
    """One server-sent event: ``kind`` is ``next``, ``complete`` or ``comment``."""

    kind: str
    data: Any = None
    id: str | None = None


class SSEStream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def receive(self, timeout: float = 10.0, *, comments: bool = False) -> SSEEvent:
        """The next event (keep-alive comments skipped unless ``comments``); a hang guard only."""
        return await asyncio.wait_for(self._receive(comments), timeout)

    async def _receive(self, comments: bool) -> SSEEvent:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if fields:
                    data = fields.get("data", "")
                    return SSEEvent(
                        fields.get("event", "message"),
                        json.loads(data) if data else None,
                        fields.get("id"),
                    )
                continue
            if line.startswith(":"):
                if comments:
                    return SSEEvent("comment", line[1:].strip())
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise EOFError("the server ended the stream")

    async def next_event(
        self, field: str, timeout: float = 10.0
    ) -> tuple[str | None, dict[str, Any]]:
        """The next result's ``field`` and its event id; fails on anything else."""
        event = await self.receive(timeout)
        assert event.kind == "next" and not event.data.get("errors"), event
        return event.id, dict(event.data["data"][field])


@asynccontextmanager
async def sse_subscribe(
    ws_url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None,
    last_event_id: str | None = None,
) -> AsyncIterator[SSEStream | httpx.Response]:
    """POST /graphql/stream; yields the stream (200) or the refusal (the response, read)."""
    url = ws_url.replace("ws://", "http://") + "/stream"
    headers = {"Accept": "text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        body = {"query": query, "variables": variables or {}}
        async with http.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                yield response
            else:
                yield SSEStream(response)
