"""agentgraph/websocket_protocol.py on a real uvicorn with real clients: frames sent in one
loop tick leave in one write, in order; an idle socket keeps no handshake state, no upgrade
headers, and nothing outside its slots; keepalive pings come from one clock for every socket,
and a socket whose pong does not come is failed (1011)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

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
async def served(**options: Any) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    config = uvicorn.Config(
        burst_app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws=CountingProtocol,
        log_level="warning",
        **options,
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
        assert protocol.scope["headers"] == []
        # The handshake's parser (which holds the upgrade request) gave way to one of frames.
        assert protocol.conn.parser.gi_code.co_qualname == "Protocol.parse"  # type: ignore[attr-defined]
        assert vars(protocol) == {}  # every attribute in a slot


class RawClient:
    """A client that sees every frame, pings included, and answers pings only when told to."""

    def __init__(self, url: str, *, answers_pings: bool) -> None:
        self.uri = parse_uri(url)
        self.protocol = ClientProtocol(self.uri)
        self.answers_pings = answers_pings
        self.pings = 0

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.uri.host, self.uri.port)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.state is not State.OPEN:
            self.protocol.receive_data(await asyncio.wait_for(self.reader.read(65536), 10))
            assert self.protocol.handshake_exc is None, self.protocol.handshake_exc

    def _flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    async def until_closed_or(self, pings: int) -> int | None:
        """Read until ``pings`` pings came (None) or the server closed (its close code)."""
        while self.pings < pings:
            data = await asyncio.wait_for(self.reader.read(65536), 10)
            if not data:
                return None if self.protocol.close_rcvd is None else self.protocol.close_rcvd.code
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.PING:
                    self.pings += 1
                if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    assert self.protocol.close_rcvd is not None
                    return self.protocol.close_rcvd.code
            if self.answers_pings:
                self._flush()  # the pongs websockets queued for those pings
            else:
                self.protocol.data_to_send()  # dropped: this client never answers
        return None


async def test_keepalive_pings_every_socket_on_one_clock_and_fails_a_silent_one() -> None:
    async with served(ws_ping_interval=0.1, ws_ping_timeout=0.3) as (url, server):
        answering = RawClient(url, answers_pings=True)
        silent = RawClient(url, answers_pings=False)
        await answering.connect()
        await silent.connect()
        while len(server.server_state.connections) < 2:
            await asyncio.sleep(0.01)
        protocols = set(server.server_state.connections)
        clock = next(iter(protocols)).shared.pings  # type: ignore[attr-defined]
        assert clock.members == protocols and clock.timer is not None
        assert all(p.shared.pings is clock for p in protocols)  # type: ignore[attr-defined]
        # Pings keep coming to the socket that answers them ...
        assert await answering.until_closed_or(pings=5) is None
        # ... while the one that stayed silent was failed once its pong was late.
        assert await silent.until_closed_or(pings=100) == 1011
        assert silent.pings >= 1
        assert len(clock.members) == 1
        answering.writer.close()
        silent.writer.close()
