"""Harder faults while events are committed: a server process killed under its subscribers,
the server's LISTEN connection terminated by the database, and a subscriber whose queue
overflows in a burst. Either way every durable event
reaches the subscriber exactly once, in order — compared with a replay of the log itself.
Sockets that go away mid-burst (closed, aborted, stuck, or ended by the server) leave no
traceback in the server's output."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gql.ids import from_global_id
from store import eventlog
from tests.conftest import TEST_SECRET
from tests.gql.subscriptions.conftest import World
from tests.gql.subscriptions.test_backpressure import _flood, _slow_client
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.redis import flush, redis_url, require_redis
from tests.support.servers import ServeProcess, http_url, serve
from tests.support.waiting import registered, until
from tests.support.ws import PROTOCOLS, TRANSPORT_WS, WSClient

WATCH = """
subscription($p: ID!, $after: String) {
  agentStateChanged(projectId: $p, after: $after) { cursor toStatus }
}
"""
LIGHT = "subscription($a: ID!, $after: String) { agentStateChanged(agentId: $a, after: $after) { cursor } }"
HEAVY = """
subscription($a: ID!) { agentStateChanged(agentId: $a) { cursor agent { configs { value } } } }
"""
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"
VERBS = (("pauseAgent", "PAUSED"), ("resumeAgent", "IDLE"))
# The Redis database of these tests (channel names carry it and the PostgreSQL database's name).
REDIS_DB = 11
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
    # Events of 2 KB each: the burst outgrows the sockets' buffers (a few MB on loopback), so
    # the subscriber falls behind however fast the server resolves it.
    padding = "x" * 400
    agent = await world.spawn(
        api, "Busy", configs=[{"key": f"pad{i}", "value": padding} for i in range(5)]
    )
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    hub = app.state.services.hub
    burst = 5_000

    client = await _slow_client(live_url, token)
    known = set(hub.listeners)
    async with registered(app):
        await client.subscribe(HEAVY, {"a": agent["id"]})
    [listener] = hub.listeners - known
    joined_at = str(hub.last_seq)
    # In one transaction: its notifications arrive together, faster than any subscriber (the
    # hub hands a subscriber a burst it heard at once in one go).
    await _flood(app, agent_pk, project_pk, burst, per_transaction=burst)
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


@pytest.mark.parametrize("fanout", ["postgres", "redis"])
async def test_subscribers_of_a_killed_process_resume_on_another_with_nothing_lost(
    fanout: str, database_url: str, tmp_path: Path
) -> None:
    env: dict[str, str] = {}
    if fanout == "redis":
        # A relays for both processes: killing it kills the relay leader too, and with the
        # tail check off only the hand-over (B's RESYNC) can bring B's hub what A never relayed.
        require_redis()
        await flush(REDIS_DB)
        env = {"AGENTGRAPH_BROADCAST_URL": redis_url(REDIS_DB), "AGENTGRAPH_TAIL_CHECK_S": "3600"}
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            serve(database_url, TEST_SECRET, tmp_path / "a", env=env)
        )
        if fanout == "redis":
            await until_metric(a, "agentgraph_relay_leading", 1)
        b = await stack.enter_async_context(
            serve(database_url, TEST_SECRET, tmp_path / "b", env=env)
        )
        if fanout == "redis":
            assert await b.metric("agentgraph_relay_leading") == 0
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


# What a server must never print while its subscribers come and go.
TROUBLE = ("Traceback", "Exception ignored", "Task exception was never retrieved", "ERROR")


async def _stuck_client(url: str, token: str, protocol: str) -> WSClient:
    """A client whose socket buffer is tiny and which stops reading after the ack."""
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    connection = await connect(url, sock=sock, subprotocols=[protocol], max_queue=1)  # type: ignore[list-item]
    client = WSClient(connection, protocol)
    await client.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await client.receive())["type"] == "connection_ack"
    return client


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_sockets_closed_mid_burst_end_quietly(
    protocol: str,
    api: GraphQLClient,
    world: World,
    app: Starlette,
    database_url: str,
    tmp_path: Path,
) -> None:
    token = world.owner["token"]
    padding = "x" * 400
    agent = await world.spawn(
        api, "Bursting", configs=[{"key": f"pad{i}", "value": padding} for i in range(5)]
    )
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    heavy = (
        "subscription($a: ID!) { agentStateChanged(agentId: $a) {"
        " cursor agent { name configs { key value } } } }"
    )
    queue = 100
    env = {"AGENTGRAPH_SUBSCRIBER_QUEUE_SIZE": str(queue)}
    async with serve(database_url, TEST_SECRET, tmp_path / "s", env=env) as server:
        # Clients that stop reading: the server's sends to them wait for the socket to drain
        # (it never does), so each is in the middle of a send when its socket goes away.
        stuck = [await _stuck_client(server.url, token, protocol) for _ in range(4)]
        readers = [await WSClient.open(server.url, protocol, token=token) for _ in range(4)]
        for client in (*stuck, *readers):
            await client.subscribe(heavy, {"a": agent["id"]})
        await until_metric(server, "agentgraph_subscriptions", 8)
        flooding = asyncio.create_task(_flood(app, agent_pk, project_pk, 3000))
        for n, client in enumerate(readers):
            await client.receive(timeout=30)  # the burst is under way
            if n % 2:
                client.connection.transport.abort()  # gone without a closing handshake
            else:
                await client.connection.close()
        await flooding
        # The hub has handed the whole burst out: each stuck stream waits to send, or has ended.
        await until_metric(server, "agentgraph_events_last_delivered_seq", await _newest(app))
        for client in stuck:
            client.connection.transport.abort()
        await until_metric(server, "agentgraph_subscriptions", 0, at_most=True)

        # The server goes on serving: a new subscriber hears the next event.
        after = await WSClient.open(server.url, protocol, token=token)
        try:
            await after.subscribe(heavy, {"a": agent["id"]})
            await until_metric(server, "agentgraph_subscriptions", 1)
            await _flood(app, agent_pk, project_pk, 1)
            assert await after.next_event("agentStateChanged", timeout=30)
        finally:
            await after.close()
        log = (tmp_path / "s" / "serve.log").read_text()
    assert not [line for line in log.splitlines() if any(t in line for t in TROUBLE)], log


async def _newest(app: Starlette) -> int:
    async with app.state.services.database.read() as conn:
        return int(await eventlog.last_seq(conn))


async def until_metric(
    server: ServeProcess, name: str, value: float, *, at_most: bool = False
) -> None:
    """Poll the server's /metrics until ``name`` reaches ``value`` (or falls to it)."""
    for _ in range(600):
        current = await server.metric(name)
        if (current <= value) if at_most else (current >= value):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never reached {value}")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_the_server_ends_mid_burst_ends_quietly(
    protocol: str,
    api: GraphQLClient,
    world: World,
    app: Starlette,
    database_url: str,
    tmp_path: Path,
) -> None:
    # The server closes the socket (4403: its token was revoked) while the subscription's
    # stream is still sending the burst: what is left to send is dropped, not raised.
    agent = await world.spawn(api, "Revoked mid-burst")
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    token = await factories.agent_token(api, world.owner["token"], agent["id"])
    light = "subscription($a: ID!) { agentStateChanged(agentId: $a) { cursor } }"
    async with serve(database_url, TEST_SECRET, tmp_path / "s") as server:
        clients = [
            await WSClient.open(server.url, protocol, token=token["token"]) for _ in range(6)
        ]
        for client in clients:
            await client.subscribe(light, {"a": agent["id"]})
        await until_metric(server, "agentgraph_subscriptions", len(clients))
        flooding = asyncio.create_task(_flood(app, agent_pk, project_pk, 3000))
        await clients[0].receive(timeout=30)  # the burst is under way
        await api.ok(
            "mutation($id: ID!) { revokeAgentToken(id: $id) { id } }",
            {"id": token["id"]},
            token=world.owner["token"],
        )
        for client in clients:
            with contextlib.suppress(TimeoutError), pytest.raises(ConnectionClosed):
                while True:
                    await client.receive(timeout=30)
        await flooding
        await until_metric(server, "agentgraph_subscriptions", 0, at_most=True)
        log = (tmp_path / "s" / "serve.log").read_text()
    assert not [line for line in log.splitlines() if any(t in line for t in TROUBLE)], log
