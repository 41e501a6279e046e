"""AGENTGRAPH_BROADCAST_URL=redis://… moves fan-out to Redis; the durable log stays in PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from broadcaster._backends.redis import RedisBackend
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.redis import redis_url, require_redis
from tests.support.servers import serving
from tests.support.waiting import registered
from tests.support.ws import TRANSPORT_WS, WSClient

REDIS_DB = 11
EVENTS = """
subscription($a: ID!) { agentEvents(agentId: $a, kinds: [HEARTBEAT, STATUS_CHANGED]) { kind } }
"""
BEAT = "mutation($a: ID!) { heartbeat(input: {agentId: $a}) { id } }"
PAUSE = "mutation($a: ID!) { pauseAgent(input: {id: $a}) { agent { id } } }"


async def test_events_reach_subscribers_through_redis(
    api: GraphQLClient, world: World, database_url: str, tmp_path: Path
) -> None:
    require_redis()
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        broadcast_url=redis_url(REDIS_DB),
    )
    app: Starlette = create_app(settings, database_url=database_url)
    agent = await world.spawn(api, "Relayed")
    token = world.owner["token"]
    async with serving(app) as url:
        assert isinstance(app.state.services.hub.broadcast._backend, RedisBackend)
        client = await WSClient.open(url, TRANSPORT_WS, token=token)
        try:
            async with registered(app):
                await client.subscribe(EVENTS, {"a": agent["id"]})
            # Heartbeats are never logged, so one reaching the subscriber came through the
            # relay (PostgreSQL NOTIFY → Redis → the hub): beat until the relay, which takes
            # its lock and LISTENs in the background, passes one on.
            for _ in range(50):
                await api.ok(BEAT, {"a": agent["id"]}, token=token)
                try:
                    beat = await client.next_event("agentEvents", timeout=0.2)
                except TimeoutError:
                    continue
                assert beat["kind"] == "HEARTBEAT"
                break
            else:
                raise AssertionError("no heartbeat came through Redis")
            await api.ok(PAUSE, {"a": agent["id"]}, token=token)
            while (event := await client.next_event("agentEvents"))["kind"] == "HEARTBEAT":
                pass  # beats sent before the relay was up may still trickle in
            assert event["kind"] == "STATUS_CHANGED"
        finally:
            await client.close()
