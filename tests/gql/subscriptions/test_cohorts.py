"""Cohorts: identical subscriptions of viewers who see the same things share one listener and
one resolution per event; a slow member slows nobody else."""

from __future__ import annotations

import asyncio
import random
import socket
from urllib.parse import urlparse

from starlette.applications import Starlette
from websockets.asyncio.client import connect

from tests.conftest import BACKGROUND_TASKS
from tests.gql.subscriptions.conftest import World
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.sql_counter import StatementCounter
from tests.support.waiting import registered, until
from tests.support.ws import PROTOCOLS, TRANSPORT_WS, WSClient

WATCH = """
subscription($project: ID!) {
  agentStateChanged(projectId: $project) { cursor toStatus agent { name state { errorCount } configs { key } } }
}
"""
PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { id } } }"
RESUME = "mutation($id: ID!) { resumeAgent(input: {id: $id}) { agent { id } } }"


def _members(app: Starlette) -> list[int]:
    """The size of every running cohort."""
    return sorted(len(c.members) for c in app.state.graphql.cohorts.running.values())


async def _statements_for_one_event(
    api: GraphQLClient, world: World, live_url: str, app: Starlette, subscribers: int, move: str
) -> int:
    """SQL statements the server spends to deliver one event to ``subscribers`` subscribers."""
    agent_id = world.agents[0]
    clients = [
        await WSClient.open(live_url, PROTOCOLS[i % 2], token=world.owner["token"])
        for i in range(subscribers)
    ]
    try:
        async with registered(app):
            for client in clients:
                await client.subscribe(WATCH, {"project": world.project_id})
        await until(lambda: _members(app) == [subscribers], f"one cohort of {subscribers}")
        # The mutation runs in this task (the in-process client calls the app here); delivery
        # runs in the server's own tasks, and may start before the mutation's answer is back.
        this_task = asyncio.current_task()
        assert this_task is not None
        ignored = BACKGROUND_TASKS | {this_task.get_name()}
        app.state.services.authenticator.forget()  # the sign-in check counts every time
        with StatementCounter(app.state.services.database, ignored) as counter:
            await api.ok(move, {"id": agent_id}, token=world.owner["token"])
            # Once every member has its event, every resolution (shared or not) is done.
            for client in clients:
                assert (await client.next_event("agentStateChanged"))["agent"]["name"] == "Shared"
            return counter.count
    finally:
        for client in clients:
            await client.close()
        await until(lambda: not app.state.graphql.cohorts.running, "the cohort ended")


async def test_identical_subscriptions_share_one_resolution(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    agent = await world.spawn(api, "Shared")
    world.agents = [agent["id"]]  # type: ignore[attr-defined]
    services = app.state.services
    listeners_before = len(services.hub.listeners)

    await _statements_for_one_event(api, world, live_url, app, 1, PAUSE)  # warms the owner cache
    one = await _statements_for_one_event(api, world, live_url, app, 1, RESUME)
    twenty = await _statements_for_one_event(api, world, live_url, app, 20, PAUSE)
    assert twenty == one, (one, twenty)
    await until(lambda: len(services.hub.listeners) == listeners_before, "listeners gone")

    # While they watch: one listener on the hub and one cohort for the twenty.
    clients = [
        await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"]) for _ in range(20)
    ]
    try:
        for client in clients:
            await client.subscribe(WATCH, {"project": world.project_id})
        running = app.state.graphql.cohorts.running
        await until(lambda: _members(app) == [20], "twenty members")
        await until(lambda: len(services.hub.listeners) > listeners_before, "a listener")
        [cohort] = running.values()
        assert len(cohort.members) == 20
        assert len(services.hub.listeners) == listeners_before + 1
    finally:
        for client in clients:
            await client.close()
    await until(lambda: not app.state.graphql.cohorts.running, "the cohort ended")


AS_SEEN = """
subscription($agent: ID!) {
  agentStateChanged(agentId: $agent) {
    toStatus agent { name project { agents { totalCount } agentStats { totalInstances } } }
  }
}
"""


async def test_viewers_who_see_different_things_never_share(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    # The owner sees the whole project; the agent's own token sees its project scoped to the
    # agent. Both may watch the agent, with the same document and variables.
    agent = await world.spawn(api, "Mine")
    await world.spawn(api, "Sibling")
    runtime = await factories.agent_token(api, world.owner["token"], agent["id"])
    owner = await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"])
    itself = await WSClient.open(live_url, PROTOCOLS[0], token=runtime["token"])
    try:
        async with registered(app, listeners=2):
            await owner.subscribe(AS_SEEN, {"agent": agent["id"]})
            await itself.subscribe(AS_SEEN, {"agent": agent["id"]})
            await until(lambda: sum(_members(app)) == 2, "both joined a cohort")
            assert _members(app) == [1, 1], "two cohorts of one"
        await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
        seen_by_owner = (await owner.next_event("agentStateChanged"))["agent"]["project"]
        seen_by_itself = (await itself.next_event("agentStateChanged"))["agent"]["project"]
        assert seen_by_owner == {"agents": {"totalCount": 2}, "agentStats": {"totalInstances": 2}}
        assert seen_by_itself == {"agents": {"totalCount": 1}, "agentStats": {"totalInstances": 1}}
    finally:
        await owner.close()
        await itself.close()


async def _unread_client(url: str, token: str) -> WSClient:
    """A client with a small socket receive buffer that stops reading once a message waits."""
    parsed = urlparse(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
    sock.connect((parsed.hostname, parsed.port))
    sock.setblocking(False)
    connection = await connect(
        url,
        sock=sock,
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        max_queue=1,
        close_timeout=1,
    )
    client = WSClient(connection, TRANSPORT_WS)
    await client.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await client.receive())["type"] == "connection_ack"
    return client


HEAVY = """
subscription($project: ID!) {
  agentStateChanged(projectId: $project) { cursor toStatus agent { configs { key value } } }
}
"""


async def test_a_member_that_stops_reading_does_not_hold_up_the_others(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    # Each event carries ~100 kB of configs, incompressible (WebSocket compression would shrink
    # repeated text to nothing): some of them fill the stopped reader's socket and the server's
    # buffers towards it, so its send blocks, which must block only it.
    rng = random.Random(19)
    configs = [{"key": f"pad{i}", "value": rng.randbytes(5_000).hex()} for i in range(10)]
    agent = await world.spawn(api, "Shared", configs=configs)
    token = world.owner["token"]
    reader = await WSClient.open(live_url, PROTOCOLS[0], token=token, max_queue=None)
    sleeper = await _unread_client(live_url, token)
    try:
        async with registered(app):
            await reader.subscribe(HEAVY, {"project": world.project_id})
        await sleeper.subscribe(HEAVY, {"project": world.project_id})
        await until(lambda: _members(app) == [2], "one cohort of two")
        [cohort] = app.state.graphql.cohorts.running.values()

        def stuck() -> bool:
            """A member with results piling up: its send is blocked (a reading member's queue
            holds at most the one result in flight)."""
            return any(len(m.durable or ()) >= 3 for m in cohort.members)

        async def move_and_read(i: int) -> None:
            to = ("PAUSED", "IDLE")[i % 2]
            await api.ok(PAUSE if to == "PAUSED" else RESUME, {"id": agent["id"]}, token=token)
            assert (await reader.next_event("agentStateChanged", timeout=10))["toStatus"] == to

        moves = 0
        while not stuck():  # the reader reads each event as it comes, the sleeper nothing
            assert moves < 400, "the sleeper's socket never filled"
            await move_and_read(moves)
            moves += 1
        for _ in range(10):  # and on, while the sleeper is stuck
            await move_and_read(moves)
            moves += 1
        assert stuck() and not any(m.overflowed for m in cohort.members)
    finally:
        await reader.close()
        await sleeper.close()


async def test_a_cursor_given_as_a_variable_default_is_never_shared(
    api: GraphQLClient, world: World, live_url: str
) -> None:
    agent = await world.spawn(api, "Replayed")
    await api.ok(PAUSE, {"id": agent["id"]}, token=world.owner["token"])
    document = """subscription($a: ID!, $after: String = "0") {
      agentStateChanged(agentId: $a, after: $after) { cursor toStatus } }"""
    clients = [
        await WSClient.open(live_url, PROTOCOLS[0], token=world.owner["token"]) for _ in range(2)
    ]
    try:
        for client in clients:
            await client.subscribe(document, {"a": agent["id"]})
        for client in clients:
            replay = await client.events("agentStateChanged", 2)
            assert [e["toStatus"] for e in replay] == ["IDLE", "PAUSED"]
    finally:
        for client in clients:
            await client.close()
