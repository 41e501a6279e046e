"""The WebSocket protocols as a client lives them: the connection_init deadline, and keep-alives
on an idle connection."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.gql.subscriptions.conftest import World
from tests.support.servers import serve_process, serving
from tests.support.ws import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, WSClient


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_connection_without_connection_init_is_closed_with_4408(
    settings: Settings, database_url: str, tmp_path: Path, protocol: str
) -> None:
    quick = settings.model_copy(update={"ws_init_timeout_s": 0.5, "data_dir": tmp_path})
    app = create_app(quick, database_url=database_url)
    async with serving(app) as url:
        opened = time.monotonic()  # before connecting, so the server's deadline starts later
        client = await WSClient.open(url, protocol, init=False)
        with pytest.raises(ConnectionClosed) as closed:
            await client.receive(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4408
        assert closed.value.rcvd.reason == "Connection initialisation timeout"
        # The deadline, not an immediate refusal (no upper bound: a busy machine may be late).
        assert time.monotonic() - opened >= 0.5


class FrameClient:
    """A WebSocket client that shows every frame it receives, pings included (the usual
    clients answer pings out of sight). It answers them, as a browser does."""

    def __init__(self, url: str, subprotocol: str) -> None:
        self.uri = parse_uri(url)
        self.protocol = ClientProtocol(self.uri, subprotocols=[Subprotocol(subprotocol)])
        self.frames: list[Frame] = []

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.uri.host, self.uri.port)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.handshake_exc is None and self.protocol.state is not State.OPEN:
            self.protocol.receive_data(await asyncio.wait_for(self.reader.read(65536), 10))
            self.frames += [e for e in self.protocol.events_received() if isinstance(e, Frame)]
        assert self.protocol.handshake_exc is None, self.protocol.handshake_exc

    def _flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    async def send_json(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()
        await self.writer.drain()

    async def next_frame(self, timeout: float = 10.0) -> Frame:
        while not self.frames:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            assert data, "the server closed the connection"
            self.protocol.receive_data(data)
            self.frames += [e for e in self.protocol.events_received() if isinstance(e, Frame)]
            self._flush()  # pongs for the pings just received
        return self.frames.pop(0)

    async def close(self) -> None:
        self.writer.close()


async def test_idle_connections_get_keep_alives_on_both_protocols(
    api: Any, world: World, database_url: str, tmp_path: Path
) -> None:
    """`agentgraph serve` with AGENTGRAPH_WS_KEEPALIVE_S: WebSocket pings on every connection,
    and the legacy protocol's own `ka` messages besides."""
    env = {"AGENTGRAPH_WS_KEEPALIVE_S": "0.2"}
    async with serve_process(database_url, TEST_SECRET, tmp_path, env=env) as url:
        for protocol in (TRANSPORT_WS, LEGACY_WS):
            client = FrameClient(url, protocol)
            await client.connect()
            auth = {"authorization": f"Bearer {world.owner['token']}"}
            await client.send_json({"type": "connection_init", "payload": auth})
            pings, keep_alives, seen = 0, 0, []
            # Nothing subscribed: everything arriving now is the server keeping the line alive.
            # Both kinds come every 0.2 s, so 30 frames without three of each means one is off.
            while pings < 3 or (protocol == LEGACY_WS and keep_alives < 3):
                assert pings + len(seen) < 30, (protocol, pings, seen)
                frame = await client.next_frame()
                if frame.opcode is Opcode.PING:
                    pings += 1
                elif frame.opcode is Opcode.TEXT:
                    message = json.loads(frame.data)
                    seen.append(message["type"])
                    keep_alives += message["type"] == "ka"
                else:
                    raise AssertionError(f"unexpected {frame.opcode.name} frame")
            assert seen[0] == "connection_ack"
            assert set(seen[1:]) <= {"ka"}, seen
            await client.close()
