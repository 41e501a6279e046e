"""A slow subscriber cannot grow the server's memory: its queue is bounded, heartbeats coalesce,
and an overflow ends the subscription with the cursor to resume from."""

from __future__ import annotations

import gc
import socket
from typing import Any
from urllib.parse import urlparse

from starlette.applications import Starlette
from websockets.asyncio.client import connect

from domain.events import EventKind
from gql.ids import from_global_id
from gql.subscriptions import streams
from store import eventlog
from store.eventlog import NewEvent
from tests.gql.subscriptions.conftest import World
from tests.support.api import GraphQLClient
from tests.support.waiting import registered, started, until
from tests.support.ws import PROTOCOLS, TRANSPORT_WS, WSClient

STATE = """
subscription($agent: ID!, $after: String) {
  agentStateChanged(agentId: $agent, after: $after) {
    cursor kind agent { name state { workflowData } configs { key value } }
  }
}
"""
EVENTS = 10_000


async def _slow_client(url: str, token: str) -> WSClient:
    """A client whose socket buffer is tiny and which stops reading after one message."""
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    connection = await connect(
        url, sock=sock, subprotocols=[TRANSPORT_WS], max_queue=1, close_timeout=1
    )  # type: ignore[list-item]
    client = WSClient(connection, TRANSPORT_WS)
    await client.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await client.receive())["type"] == "connection_ack"
    return client


async def _flood(
    app: Starlette, agent_pk: Any, project_pk: Any, count: int, per_transaction: int = 500
) -> None:
    """Commit ``count`` durable events for the agent (load generation, in batches)."""
    database = app.state.services.database
    for start in range(0, count, per_transaction):
        batch = [
            NewEvent(EventKind.STATE_UPDATED, agent_pk, project_pk, {"n": n})
            for n in range(start, min(start + per_transaction, count))
        ]
        async with database.transaction() as conn:
            await eventlog.append(conn, batch)


async def test_a_client_that_never_reads_is_bounded_and_ended_with_its_cursor(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    padding = "x" * 400
    agent = await world.spawn(
        api, "Busy", configs=[{"key": f"pad{i}", "value": padding} for i in range(5)]
    )
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    hub = app.state.services.hub

    client = await _slow_client(live_url, token)
    known = set(hub.listeners)
    async with registered(app):
        await client.subscribe(STATE, {"agent": agent["id"]})
    [listener] = hub.listeners - known  # the only subscriber of this test
    # Without a cursor the subscription's resume point starts where the hub stood when it
    # joined: nothing flooded below has been delivered yet.
    joined_at = hub.last_seq
    await _flood(app, agent_pk, project_pk, EVENTS)
    await until(lambda: listener.overflowed, "the listener overflowed", timeout=30)

    # Bounded: never more than the queue's capacity waited, and the queue was dropped.
    capacity = app.state.settings.subscriber_queue_size
    assert listener.overflowed
    assert listener.high_water <= capacity
    assert len(listener.durable) == 0

    # The client reads on: what reached its socket, then the error with the resume cursor.
    delivered: list[dict[str, Any]] = []
    ending: dict[str, Any] | None = None
    while ending is None:
        message = await client.receive(timeout=10)
        if message["type"] == "next" and message["payload"].get("errors"):
            ending = message["payload"]["errors"][0]
        elif message["type"] == "next":
            delivered.append(message["payload"]["data"]["agentStateChanged"])
    assert (await client.receive())["type"] == "complete"
    await client.close()
    assert ending["extensions"]["code"] == "RATE_LIMITED"
    cursor = ending["extensions"]["cursor"]
    assert len(delivered) < EVENTS
    # The cursor is the last event that reached the client (or, had none, the joining point).
    assert cursor == (delivered[-1]["cursor"] if delivered else str(joined_at))
    await until(lambda: listener not in hub.listeners, "the subscription left nothing registered")

    # Resuming from the cursor continues exactly after the last delivered event.
    resumed = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        await resumed.subscribe(STATE, {"agent": agent["id"], "after": cursor})
        following = await resumed.events("agentStateChanged", 3)
    finally:
        await resumed.close()
    assert [int(e["cursor"]) for e in following] == [
        int(cursor) + 1,
        int(cursor) + 2,
        int(cursor) + 3,
    ]


async def test_heartbeats_coalesce_per_agent_for_a_slow_subscriber(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    token = world.owner["token"]
    first = await world.spawn(api, "First")
    second = await world.spawn(api, "Second")
    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        async with registered(app):
            await client.subscribe(
                "subscription($p: ID!) { agentHeartbeat(projectId: $p) { cursor kind health resourceUsage agent { name } } }",
                {"p": world.project_id},
            )
        beat = "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id } }"
        await api.ok(
            beat, {"i": {"agentId": first["id"], "resourceUsage": {"cpu": 0.1}}}, token=token
        )
        event = await client.next_event("agentHeartbeat")
        assert event == {"cursor": None, "kind": "HEARTBEAT", "health": "HEALTHY",
                         "resourceUsage": {"cpu": 0.1}, "agent": {"name": "First"}}  # fmt: skip
    finally:
        await client.close()

    # The coalescing itself: many beats waiting for one agent leave only the latest.
    from domain.events import LiveEvent
    from usecases.live.hub import Listener

    listener = Listener(lambda _: True, capacity=10)
    agent_a, agent_b = (from_global_id(a["id"], "Agent") for a in (first, second))
    project = from_global_id(world.project_id, "Project")
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    for n in range(1000):
        listener.offer(
            LiveEvent(
                EventKind.HEARTBEAT, agent_a if n % 2 else agent_b, project, now, data={"n": n}
            )
        )
    assert len(listener.beats) == 2 and not listener.overflowed
    latest = [await listener.next(), await listener.next()]
    assert sorted(e.data["n"] for e in latest) == [998, 999]


async def test_a_stream_stopped_while_resolving_ends_between_events_not_cancelled(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    # Cancelled in the middle of an execution, graphql-core leaves the coroutines of the fields
    # it had not started yet unawaited (RuntimeWarnings, errors in this suite). A stream that is
    # stopped while it resolves a replay page ends at its next step instead: its task returns.
    token = world.owner["token"]
    agent = await world.spawn(api, "Replayed")
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    # Sibling fields that each await: every event's execution waits on them together.
    wide = (
        "subscription($agent: ID!, $after: String) { agentStateChanged(agentId: $agent,"
        " after: $after) { cursor fromStatus toStatus reason actor agent { name } } }"
    )
    async with app.state.services.database.read() as conn:
        start = await eventlog.last_seq(conn)
    await _flood(app, agent_pk, project_pk, 2000)
    for protocol in PROTOCOLS:
        client = await WSClient.open(live_url, protocol, token=token)
        try:
            before = set(streams.resolving_tasks())
            op = await client.subscribe(wide, {"agent": agent["id"], "after": str(start)})
            assert await client.next_event("agentStateChanged", timeout=30)
            [task] = set(streams.resolving_tasks()) - before  # 1,999 events still to resolve
            stop = "complete" if protocol == TRANSPORT_WS else "stop"
            await client.send({"id": op, "type": stop})
            await until(task.done, "the stream's task ended", timeout=30)
            assert not task.cancelled()
            gc.collect()
        finally:
            await client.close()


async def test_a_cohort_left_while_resolving_ends_between_events_not_cancelled(
    api: GraphQLClient, world: World, live_url: str, app: Starlette
) -> None:
    # The cohort's last member leaves while the cohort resolves a burst: the cohort's task
    # returns at its stream's next step, as an operation's does.
    token = world.owner["token"]
    agent = await world.spawn(api, "Watched")
    agent_pk = from_global_id(agent["id"], "Agent")
    project_pk = from_global_id(world.project_id, "Project")
    wide = (
        "subscription($agent: ID!) { agentStateChanged(agentId: $agent) {"
        " cursor fromStatus toStatus reason actor agent { name } } }"
    )
    client = await WSClient.open(live_url, TRANSPORT_WS, token=token)
    try:
        async with started(app):
            op = await client.subscribe(wide, {"agent": agent["id"]})
        [cohort] = app.state.graphql.cohorts.running.values()
        task = cohort._task
        await _flood(app, agent_pk, project_pk, 2000, per_transaction=2000)
        assert await client.next_event("agentStateChanged", timeout=30)
        assert task in streams.resolving_tasks()  # the burst is being resolved
        await client.send({"id": op, "type": "complete"})
        await until(task.done, "the cohort's task ended", timeout=30)
        assert not task.cancelled()
        gc.collect()
    finally:
        await client.close()
