"""HEALTH_CHANGED: an overdue heartbeat turns an agent STALE (once, however many servers run),
and its next heartbeat turns it HEALTHY again — durable events both."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from starlette.applications import Starlette

from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.waiting import registered
from tests.support.ws import TRANSPORT_WS, WSClient
from usecases.sweeps import run_sweeper, sweep_once

HEALTH = """
subscription($agent: ID!) {
  agentEvents(agentId: $agent, kinds: [HEALTH_CHANGED]) { cursor kind health agent { health } }
}
"""
BEAT = "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { health } }"


async def test_overdue_heartbeats_go_stale_once_and_recover(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Beating")
    services = app.state.services
    # A second sweeper on the same database, as another server process would run: it must not
    # double-publish (the advisory lock lets one sweep).
    rival = asyncio.create_task(run_sweeper(services.database, services.heartbeat_timeout, 0.2))
    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        async with registered(app):
            await client.subscribe(HEALTH, {"agent": agent["id"]})
        long_ago = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        stale = await api.ok(BEAT, {"i": {"agentId": agent["id"], "at": long_ago}}, token=token)
        assert stale["heartbeat"]["health"] == "STALE"

        went_stale = await client.next_event("agentEvents", timeout=15)
        assert (went_stale["kind"], went_stale["health"]) == ("HEALTH_CHANGED", "STALE")
        # Once, not once per sweep: another sweep finds nothing newly stale. (And not once per
        # sweeper: the log below holds one STALE, and the next event is the recovery.)
        assert await sweep_once(services.database, services.heartbeat_timeout) == 0

        recovered = await api.ok(BEAT, {"i": {"agentId": agent["id"]}}, token=token)
        assert recovered["heartbeat"]["health"] == "HEALTHY"
        back = await client.next_event("agentEvents")
        assert (back["health"], back["agent"]["health"]) == ("HEALTHY", "HEALTHY")
        assert int(back["cursor"]) > int(went_stale["cursor"])
    finally:
        await client.close()
        rival.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rival
    async with services.database.read() as conn:
        kinds = (
            await conn.execute(
                text("SELECT data->>'health' FROM events WHERE kind = 'health_changed'")
            )
        ).scalars()
        assert list(kinds) == ["stale", "healthy"]
