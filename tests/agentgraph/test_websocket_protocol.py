"""agentgraph/websocket_protocol.py on a real uvicorn with a real client: frames sent in one
loop tick leave in one write, in order; an idle socket keeps no handshake state, no upgrade
headers, and nothing outside its slots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import connect

from agentgraph.websocket_protocol import AgentgraphWebSocketProtocol


class CountingProtocol(AgentgraphWebSocketProtocol):
    """Ours, counting the writes it hands the transport."""

    __slots__ = ("writes",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes = 0

    def _flush(self) -> None:
        if self.out:
            self.writes += 1
        super()._flush()


async def burst_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echoes what it is asked: ``burst`` sends three frames at once (one tick, no await between
    them); ``scope`` answers what the scope holds now."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message["text"] == "burst":
            await asyncio.gather(
                *(send({"type": "websocket.send", "text": f"frame {n}"}) for n in range(3))
            )
        else:
            await send({"type": "websocket.send", "text": json.dumps(len(scope["headers"]))})


@asynccontextmanager
async def served() -> AsyncIterator[tuple[str, uvicorn.Server]]:
    config = uvicorn.Config(
        burst_app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws=CountingProtocol,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/", server
    finally:
        server.should_exit = True
        await task


def _only_socket(server: uvicorn.Server) -> CountingProtocol:
    (protocol,) = server.server_state.connections
    assert isinstance(protocol, CountingProtocol)
    return protocol


async def test_frames_sent_in_one_tick_leave_in_one_write_in_order() -> None:
    async with served() as (url, server), connect(url) as client:
        await client.send("scope")
        await client.recv()
        protocol = _only_socket(server)
        before = protocol.writes
        await client.send("burst")
        assert [await client.recv() for _ in range(3)] == ["frame 0", "frame 1", "frame 2"]
        assert protocol.writes == before + 1


async def test_an_idle_socket_keeps_no_handshake_state() -> None:
    async with (
        served() as (url, server),
        connect(url, additional_headers={"X-Big": "x" * 500}) as client,
    ):
        await client.send("scope")
        # The app read the upgrade request when it began; once it reads frames, its headers go.
        assert json.loads(await client.recv()) == 0
        protocol = _only_socket(server)
        assert protocol.response is None
        assert protocol.upgrade_headers is None
        assert protocol.gate is None and protocol.out is None
        assert vars(protocol) == {}  # every attribute in a slot
