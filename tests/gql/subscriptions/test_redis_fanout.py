"""AGENTGRAPH_BROADCAST_URL=redis://… moves fan-out to Redis; the durable log stays in PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from broadcaster._backends.redis import RedisBackend

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.servers import serving
from tests.support.ws import TRANSPORT_WS, WSClient

REDIS = ("127.0.0.1", 6379)


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
async def test_events_reach_subscribers_through_redis(
    api: GraphQLClient, world: World, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        broadcast_url=f"redis://{REDIS[0]}:{REDIS[1]}/0",
    )
    app = create_app(settings, database_url=database_url)
    agent = await world.spawn(api, "Relayed")
    token = world.owner["token"]
    async with serving(app) as url:
        assert isinstance(app.state.services.hub.broadcast._backend, RedisBackend)
        client = await WSClient.open(url, TRANSPORT_WS, token=token)
        try:
            await client.subscribe(
                "subscription($a: ID!) { agentStateChanged(agentId: $a) { cursor toStatus } }",
                {"a": agent["id"]},
            )
            await asyncio.sleep(1.0)  # the relay takes its lock and LISTENs
            await api.ok(
                "mutation($a: ID!) { pauseAgent(input: {id: $a}) { agent { id } } }",
                {"a": agent["id"]},
                token=token,
            )
            event = await client.next_event("agentStateChanged", timeout=10)
            assert event["toStatus"] == "PAUSED"
        finally:
            await client.close()
