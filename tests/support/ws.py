"""A WebSocket GraphQL client speaking both subscription protocols, for tests against a real server."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)


class WSClient:
    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol

    @classmethod
    async def open(
        cls,
        url: str,
        protocol: str,
        *,
        token: str | None = None,
        header_token: str | None = None,
        init: bool = True,
        max_queue: int | None = 64,
    ) -> WSClient:
        headers = {"Authorization": f"Bearer {header_token}"} if header_token else None
        # A client that stopped reading cannot finish a closing handshake: don't wait 10 s for it.
        connection = await connect(
            url,
            subprotocols=[protocol],  # type: ignore[list-item]
            additional_headers=headers,
            max_queue=max_queue,
            close_timeout=1,
        )
        client = cls(connection, protocol)
        if init:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            await client.send({"type": "connection_init", "payload": payload})
            ack = await client.receive()
            assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next protocol message, skipping keep-alives and answering pings."""
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), timeout)
            message = json.loads(raw)
            if message["type"] in ("ka", "pong"):
                continue
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return dict(message)

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op = uuid.uuid4().hex[:8]
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {"id": op, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )
        return op

    async def next_payload(self, timeout: float = 5.0) -> dict[str, Any]:
        """The payload of the next result (``next``/``data``); fails on anything else."""
        message = await self.receive(timeout)
        assert message["type"] in ("next", "data"), message
        return dict(message["payload"])

    async def next_event(self, field: str, timeout: float = 5.0) -> dict[str, Any]:
        payload = await self.next_payload(timeout)
        assert not payload.get("errors"), payload
        return dict(payload["data"][field])

    async def events(self, field: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        return [await self.next_event(field, timeout) for _ in range(count)]

    async def close(self) -> None:
        await self.connection.close()
