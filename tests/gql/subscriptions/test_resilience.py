"""Subscriptions survive what monitoring screens live through: database restarts under load,
and several server processes on one database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.migrate import upgrade_async
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import RestartablePostgres, serve_process, serving
from tests.support.ws import TRANSPORT_WS, WSClient

STATE_CHANGED = """
subscription($agent: ID!) { agentStateChanged(agentId: $agent) { cursor fromStatus toStatus } }
"""
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"


@pytest.fixture
async def restartable(tmp_path: Path) -> AsyncIterator[RestartablePostgres]:
    postgres = RestartablePostgres(tmp_path / "pg")
    try:
        await upgrade_async(postgres.url)
        yield postgres
    finally:
        postgres.destroy()


async def _world(api: GraphQLClient, app: Starlette) -> World:
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, owner["token"])
    return World(admin=admin, owner=owner, type_id=type_id, project_id=project_id)


async def _transitions(app: Starlette, agent_pk: str) -> list[tuple[int, str | None, str]]:
    async with app.state.services.database.read() as conn:
        rows = await conn.execute(
            text(
                "SELECT t.seq, t.from_status, t.to_status FROM status_transitions t "
                "WHERE t.agent_id = :a AND t.from_status IS NOT NULL ORDER BY t.seq"
            ),
            {"a": agent_pk},
        )
        return [(r.seq, r.from_status, r.to_status) for r in rows]


@pytest.mark.slow
async def test_a_database_restart_under_load_loses_nothing(
    restartable: RestartablePostgres, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=restartable.url, data_dir=tmp_path / "data", secret_key=TEST_SECRET
    )
    app = create_app(settings, database_url=restartable.url)
    async with serving(app) as url, GraphQLClient.for_app(app) as api:
        world = await _world(api, app)
        agent = await world.spawn(api, "Survivor")
        token = world.owner["token"]
        client = await WSClient.open(url, TRANSPORT_WS, token=token)
        await client.subscribe(STATE_CHANGED, {"agent": agent["id"]})
        await client.expect_silence(0.3)

        async def drive(goal: int) -> None:
            """Commit ``goal`` transitions, retrying while the database is away."""
            verbs = ["pauseAgent", "resumeAgent"]
            done = 0
            while done < goal:
                result = await api.execute(
                    MOVE.format(verb=verbs[done % 2]), {"id": agent["id"]}, token=token
                )
                if not result.errors:
                    done += 1
                elif result.code == "INVALID_TRANSITION":
                    done += 1  # an earlier attempt committed though its answer was lost
                else:
                    await asyncio.sleep(0.05)

        received: list[dict[str, Any]] = []

        async def collect() -> None:
            while True:
                received.append(await client.next_event("agentStateChanged", timeout=30))

        collector = asyncio.create_task(collect())
        await drive(40)
        await asyncio.to_thread(restartable.restart)
        await drive(60)

        from gql.ids import from_global_id

        committed = await _transitions(app, str(from_global_id(agent["id"], "Agent")))
        for _ in range(300):
            if len(received) >= len(committed):
                break
            await asyncio.sleep(0.1)
        collector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await collector
        await client.close()
        assert app.state.services.hub.broadcast._backend.reconnects >= 1

    assert len(committed) >= 100
    assert [
        (int(e["cursor"]), e["fromStatus"].lower(), e["toStatus"].lower()) for e in received
    ] == committed


async def test_two_server_processes_deliver_every_event(
    api: GraphQLClient, world: World, live_url: str, database_url: str, tmp_path: Path
) -> None:
    from tests.support.servers import post

    agent = await world.spawn(api, "Shared")
    token = world.owner["token"]
    async with serve_process(database_url, TEST_SECRET, tmp_path) as other_url:
        here = await WSClient.open(live_url, TRANSPORT_WS, token=token)
        there = await WSClient.open(other_url, TRANSPORT_WS, token=token)
        try:
            for client in (here, there):
                await client.subscribe(STATE_CHANGED, {"agent": agent["id"]})
            await asyncio.sleep(0.3)
            await api.ok(MOVE.format(verb="pauseAgent"), {"id": agent["id"]}, token=token)
            result = await post(
                other_url, MOVE.format(verb="resumeAgent"), {"id": agent["id"]}, token
            )
            assert "errors" not in result, result
            for client in (here, there):
                events = await client.events("agentStateChanged", 2)
                assert [(e["fromStatus"], e["toStatus"]) for e in events] == [
                    ("IDLE", "PAUSED"),
                    ("PAUSED", "IDLE"),
                ]
        finally:
            await here.close()
            await there.close()
