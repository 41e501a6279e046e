"""Harder faults while events are committed: a server process killed under its subscribers,
the server's LISTEN connection terminated by the database, and a subscriber whose queue
overflows in a burst. Either way every durable event
reaches the subscriber exactly once, in order — compared with a replay of the log itself."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from gql.ids import from_global_id
from tests.conftest import TEST_SECRET
from tests.gql.subscriptions.conftest import World
from tests.gql.subscriptions.test_backpressure import _flood, _slow_client
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import http_url, serve
from tests.support.waiting import registered, until
from tests.support.ws import TRANSPORT_WS, WSClient

WATCH = """
subscription($p: ID!, $after: String) {
  agentStateChanged(projectId: $p, after: $after) { cursor toStatus }
}
"""
LIGHT = "subscription($a: ID!, $after: String) { agentStateChanged(agentId: $a, after: $after) { cursor } }"
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"
VERBS = (("pauseAgent", "PAUSED"), ("resumeAgent", "IDLE"))
KILL_LISTEN = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE application_name = 'agentgraph-listen' AND datname = current_database()"
)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _replay(url: str, token: str, variables: dict[str, Any], count: int) -> list[str]:
    """The log's own order: ``count`` cursors replayed for a new subscriber."""
    client = await WSClient.open(url, TRANSPORT_WS, token=token)
    try:
        await client.subscribe(WATCH if "p" in variables else LIGHT, variables)
        return [e["cursor"] for e in await client.events("agentStateChanged", count, timeout=30)]
    finally:
        await client.close()


async def test_a_terminated_listen_connection_loses_and_repeats_nothing(
    api: GraphQLClient, world: World, live_url: str, database_url: str
) -> None:
    token = world.owner["token"]
    agent = (await world.spawn(api, "Mover"))["id"]
    moved = 0

    async def move() -> str:
        nonlocal moved
        verb, status = VERBS[moved % 2]
        await api.ok(MOVE.format(verb=verb), {"id": agent}, token=token)
        moved += 1
        return status

    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        await client.subscribe(WATCH, {"p": world.project_id})
        for _ in range(20):  # a subscription without `after` starts now: once it hears a move
            await move()
            try:
                start = (await client.next_event("agentStateChanged", timeout=2))["cursor"]
                break
            except TimeoutError:
                continue
        expected = []
        for n in range(20):
            if n == 5:
                admin = await asyncpg.connect(_dsn(database_url))
                try:
                    assert await admin.fetchval(KILL_LISTEN) is True
                finally:
                    await admin.close()
            expected.append(await move())
        received = await client.events("agentStateChanged", 20, timeout=30)
        assert [e["toStatus"] for e in received] == expected
        # Nothing twice: the next event is the next move.
        status = await move()
        after = await client.next_event("agentStateChanged", timeout=30)
        assert after["toStatus"] == status
    finally:
        await client.close()
    cursors = [e["cursor"] for e in received]
    assert cursors == await _replay(live_url, token, {"p": world.project_id, "after": start}, 20)
    assert int(after["cursor"]) > int(cursors[-1])


async def test_an_overflowed_subscriber_resumes_from_its_cursor_with_nothing_lost(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Busy")
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    hub = app.state.services.hub
    burst = 5_000

    client = await _slow_client(live_url, token)
    known = set(hub.listeners)
    async with registered(app):
        await client.subscribe(LIGHT, {"a": agent["id"]})
    [listener] = hub.listeners - known
    joined_at = str(hub.last_seq)
    await _flood(app, agent_pk, project_pk, burst)
    await until(lambda: listener.overflowed, "the listener overflowed", timeout=30)

    delivered: list[str] = []
    ending: dict[str, Any] | None = None
    while ending is None:
        message = await client.receive(timeout=10)
        if message["type"] == "next" and message["payload"].get("errors"):
            ending = message["payload"]["errors"][0]
        elif message["type"] == "next":
            delivered.append(message["payload"]["data"]["agentStateChanged"]["cursor"])
    await client.close()
    cursor = ending["extensions"]["cursor"]
    assert len(delivered) < burst

    resumed = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        await resumed.subscribe(LIGHT, {"a": agent["id"], "after": cursor})
        rest = [
            e["cursor"]
            for e in await resumed.events("agentStateChanged", burst - len(delivered), timeout=30)
        ]
    finally:
        await resumed.close()
    everything = delivered + rest
    assert len(set(everything)) == burst
    assert everything == await _replay(
        live_url, token, {"a": agent["id"], "after": joined_at}, burst
    )


async def test_subscribers_of_a_killed_process_resume_on_another_with_nothing_lost(
    database_url: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(serve(database_url, TEST_SECRET, tmp_path / "a"))
        b = await stack.enter_async_context(serve(database_url, TEST_SECRET, tmp_path / "b"))
        http = await stack.enter_async_context(
            httpx.AsyncClient(base_url=http_url(b.url).removesuffix("/graphql"), timeout=30)
        )
        api = GraphQLClient(http)
        admin = await factories.superuser(api, database_url)
        type_id = await factories.create_agent_type(api, admin["token"])
        project = await factories.create_project(api, admin["token"])
        agent = await factories.spawn_agent(api, admin["token"], project, type_id)
        token = admin["token"]
        moved = 0

        async def move() -> None:
            nonlocal moved
            await api.ok(MOVE.format(verb=VERBS[moved % 2][0]), {"id": agent}, token=token)
            moved += 1

        clients = [await WSClient.open(a.url, TRANSPORT_WS, token=token) for _ in range(3)]
        for client in clients:
            await client.subscribe(WATCH, {"p": project})
        starts: list[str] = []
        for client in clients:  # each live: it hears a move
            for _ in range(20):
                try:
                    starts.append((await client.next_event("agentStateChanged", 2))["cursor"])
                    break
                except TimeoutError:
                    await move()
        assert len(starts) == 3
        start = max(starts, key=int)
        for client in clients:  # everyone up to the same point
            seen = starts[clients.index(client)]
            while int(seen) < int(start):
                seen = (await client.next_event("agentStateChanged", 10))["cursor"]

        for _ in range(5):
            await move()
        a.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(a.process.wait)
        for _ in range(10):
            await move()

        async def follow(client: WSClient) -> list[str]:
            cursors: list[str] = []
            while len(cursors) < 15:
                try:
                    cursors.append((await client.next_event("agentStateChanged", 10))["cursor"])
                except (ConnectionClosed, AssertionError):
                    # The process is gone: resume on the other one from the last cursor.
                    with contextlib.suppress(Exception):
                        await client.close()
                    client = await WSClient.open(b.url, TRANSPORT_WS, token=token)
                    stack.push_async_callback(client.close)
                    await client.subscribe(WATCH, {"p": project, "after": (cursors or [start])[-1]})
            return cursors

        received = [await follow(client) for client in clients]
        expected = await _replay(b.url, token, {"p": project, "after": start}, 15)
        assert received == [expected] * 3
