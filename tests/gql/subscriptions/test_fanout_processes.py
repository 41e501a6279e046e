"""Two `agentgraph serve` processes on one fresh database: where a subscription without `after`
starts, and what the Redis relay's hand-over delivers.

The relay's advisory lock decides who relays NOTIFY into Redis. A test that needs "no relay leads
right now" holds that lock itself (a connection of its own, as a slow hand-over would), so the
window is there on purpose rather than by luck of timing.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from agentgraph.relay import RELAY_LOCK
from tests.conftest import TEST_SECRET
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.redis import flush, redis_url, require_redis
from tests.support.servers import ServeProcess, http_url, serve
from tests.support.ws import TRANSPORT_WS, WSClient
from usecases.sweeps import SWEEPER_LOCK

# This module's own Redis database: Redis pub/sub ignores db numbers, Agentgraph's channel names
# do not (see agentgraph/relay.py), so other runs on the same Redis are not heard here.
REDIS_DB = 11
# The tests turn each hub's tail check (its 5 s safety net) off: what they see was delivered by
# the relay and the hand-over, not by a periodic look at the log.
NO_TAIL_CHECK = {"AGENTGRAPH_TAIL_CHECK_S": "3600"}

WATCH = """
subscription($project: ID!) { agentStateChanged(projectId: $project) { cursor toStatus } }
"""
# Another document: a cohort of its own, begun after the spawn (the client).
WATCH_TOO = """
subscription($project: ID!) { agentStateChanged(projectId: $project) { toStatus cursor } }
"""
# A fragment at the top makes a subscription run on its own, outside any cohort.
WATCH_ALONE = """
subscription($project: ID!) {
  ... on Subscription { agentStateChanged(projectId: $project) { cursor toStatus } }
}
"""
MOVE = "mutation($id: ID!) {{ {verb}(input: {{id: $id}}) {{ agent {{ status }} }} }}"
VERBS = ("pauseAgent", "resumeAgent")
LEADING = "agentgraph_relay_leading"
STARTED = "agentgraph_subscriptions_started"
DELIVERED = "agentgraph_events_last_delivered_seq"
COHORTS = "agentgraph_subscription_cohorts"
MEMBERS = "agentgraph_subscription_cohort_members"
LISTENERS = "agentgraph_subscription_listeners"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """A database of this test's own on the test server, empty (its processes migrate it), so
    its cursors start at 1."""
    name = f"agentgraph_fanout_{uuid.uuid4().hex[:8]}"
    maintenance = _dsn(make_url(database_url).set(database="postgres").render_as_string(False))
    admin = await asyncpg.connect(maintenance)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(maintenance)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class RelayLock:
    """The relay's advisory lock, held by the test: while it does, no process relays."""

    def __init__(self, conn: asyncpg.Connection, watch: asyncpg.Connection) -> None:
        self.conn = conn
        self.watch = watch

    @classmethod
    async def connect(cls, database_url: str) -> RelayLock:
        return cls(
            await asyncpg.connect(_dsn(database_url)), await asyncpg.connect(_dsn(database_url))
        )

    async def queued(self) -> bool:
        """Whether the test is waiting for the lock (behind its holder)."""
        waiting = await self.watch.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND pid = $1",
            self.conn.get_server_pid(),
        )
        return bool(waiting)

    async def take(self) -> None:
        """Wait for the lock (PostgreSQL hands it to waiters as its holder lets go)."""
        await self.conn.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK)

    async def release(self) -> None:
        await self.conn.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)

    async def close(self) -> None:
        await self.conn.close()
        await self.watch.close()


async def _until(check: Callable[[], Awaitable[bool]], what: str, patience_s: float = 30) -> None:
    """Poll a real signal until it holds (the patience is only there to end a broken run)."""
    deadline = time.monotonic() + patience_s
    while not await check():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.02)


async def _metric_at_least(server: ServeProcess, name: str, value: float) -> bool:
    return await server.metric(name) >= value


@asynccontextmanager
async def _graphql(server: ServeProcess) -> AsyncIterator[GraphQLClient]:
    base = http_url(server.url).removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield GraphQLClient(http)


async def _type_and_project(api: GraphQLClient, database_url: str) -> tuple[str, str, str]:
    """A superuser creates an agent type and a project: (token, type, project)."""
    admin = await factories.superuser(api, database_url)
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, admin["token"])
    return admin["token"], type_id, project_id


async def _fleet_of_one(api: GraphQLClient, database_url: str) -> tuple[str, str, str]:
    """A superuser creates a type and a project and spawns one agent: (token, project, agent)."""
    token, type_id, project_id = await _type_and_project(api, database_url)
    agent_id = await factories.spawn_agent(api, token, project_id, type_id)
    return token, project_id, agent_id


async def _moves(api: GraphQLClient, token: str, agent_id: str, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        await api.ok(MOVE.format(verb=VERBS[n % 2]), {"id": agent_id}, token=token)


def _fanout_env(fanout: str) -> dict[str, str]:
    if fanout == "redis":
        return {**NO_TAIL_CHECK, "AGENTGRAPH_BROADCAST_URL": redis_url(REDIS_DB)}
    return dict(NO_TAIL_CHECK)


async def _cursors(client: WSClient, count: int, timeout: float = 10) -> list[int]:
    events = await client.events("agentStateChanged", count, timeout=timeout)
    return [int(e["cursor"]) for e in events]


@pytest.mark.parametrize("fanout", ["redis", "postgres"])
async def test_a_subscription_without_after_starts_now(
    fanout: str, fresh_database: str, tmp_path: Path
) -> None:
    if fanout == "redis":
        require_redis()
        await flush(REDIS_DB)
    env = _fanout_env(fanout)
    async with AsyncExitStack() as stack:
        # The spawn below is committed while no relay leads, as at a start-up: hold the lock.
        lock = await RelayLock.connect(fresh_database)
        stack.push_async_callback(lock.close)
        await lock.take()
        a = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "a", env=env)
        )
        b = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "b", env=env)
        )
        api_a = await stack.enter_async_context(_graphql(a))
        api_b = await stack.enter_async_context(_graphql(b))

        token, type_id, project_id = await _type_and_project(api_a, fresh_database)

        async def watch(document: str) -> WSClient:
            client = await WSClient.open(a.url, TRANSPORT_WS, token=token)
            stack.push_async_callback(client.close)
            await client.subscribe(document, {"project": project_id})
            return client

        early = await watch(WATCH)  # there before the spawn: a cohort begins
        await _until(lambda: _metric_at_least(a, STARTED, 1), "the first subscription to start")
        agent_id = await factories.spawn_agent(api_a, token, project_id, type_id)  # cursor 1
        late = await watch(WATCH_TOO)  # the client: a cohort of its own
        joiner = await watch(WATCH)  # joins the running cohort
        alone = await watch(WATCH_ALONE)  # no cohort
        await _until(lambda: _metric_at_least(a, STARTED, 4), "the subscriptions to start")
        assert await a.metric(COHORTS) == 2
        assert await a.metric(MEMBERS) == 3  # early and joiner in one, late in the other
        assert await a.metric(LISTENERS) == 3  # one per cohort, and alone's own
        await lock.release()  # a relay leads (with Redis) and catches every hub up

        await _moves(api_b, token, agent_id, 4)  # cursors 2-5, through the other process
        assert await _cursors(late, 4) == [2, 3, 4, 5]
        assert await _cursors(joiner, 4) == [2, 3, 4, 5]
        assert await _cursors(alone, 4) == [2, 3, 4, 5]
        assert await _cursors(early, 5) == [1, 2, 3, 4, 5]


async def test_a_hand_over_delivers_what_was_committed_meanwhile_at_once(
    fresh_database: str, tmp_path: Path
) -> None:
    require_redis()
    await flush(REDIS_DB)
    env = _fanout_env("redis")
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "a", env=env)
        )
        await _until(lambda: _metric_at_least(a, LEADING, 1), "A to lead the relay")
        b = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "b", env=env)
        )
        assert await b.metric(LEADING) == 0
        api = await stack.enter_async_context(_graphql(b))
        token, project_id, agent_id = await _fleet_of_one(api, fresh_database)  # cursor 1
        client = await WSClient.open(b.url, TRANSPORT_WS, token=token)
        stack.push_async_callback(client.close)
        await client.subscribe(WATCH, {"project": project_id})
        await _until(lambda: _metric_at_least(b, STARTED, 1), "the subscription to start")
        await _moves(api, token, agent_id, 1)
        assert await _cursors(client, 1) == [2]  # relayed by A

        # Queue for the relay's lock behind A: when A dies, the test holds the hand-over open.
        lock = await RelayLock.connect(fresh_database)
        stack.push_async_callback(lock.close)
        taking = asyncio.create_task(lock.take())
        await _until(lock.queued, "the test to queue for the relay's lock")
        a.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(a.process.wait)
        await taking  # granted as A's session ends

        await _moves(api, token, agent_id, 4, first=1)  # cursors 3-6, while no relay leads
        assert await b.metric(DELIVERED) == 2, "no hub can have heard them"
        assert await b.metric(LEADING) == 0

        released = time.monotonic()
        await lock.release()
        arrival: list[float] = []

        async def receive() -> list[int]:
            # 10 s: a generous bound for "within a second or two of the new leader taking over"
            # on a shared machine; the times measured are printed.
            cursors = await _cursors(client, 4, timeout=10)
            arrival.append(time.monotonic())
            return cursors

        receiving = asyncio.create_task(receive())
        await _until(lambda: _metric_at_least(b, LEADING, 1), "B to take the relay over")
        took_over = time.monotonic()
        assert await receiving == [3, 4, 5, 6]
        await _moves(api, token, agent_id, 1, first=5)
        assert await _cursors(client, 1) == [7], "each event once: the next one is the new one"
        print(
            f"hand-over: B led {took_over - released:.3f} s after the lock was free; cursors 3-6"
            f" arrived {arrival[0] - released:.3f} s after it was free"
            f" ({arrival[0] - took_over:+.3f} s from B's gauge reading 1, polled every 20 ms)",
            file=sys.stderr,
        )


def _lock_holder(key: int) -> str:
    """The application_name of the session holding advisory lock ``key`` in this database (or
    NULL): advisory locks are per database, and other tests' servers hold the same keys."""
    return (
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
        " WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        f" AND l.locktype = 'advisory' AND l.granted AND l.classid = {key >> 32}"
        f" AND l.objid = {key & 0xFFFFFFFF} AND l.objsubid = 1"
    )


async def test_a_frozen_leader_gives_way_within_its_lease(
    fresh_database: str, tmp_path: Path
) -> None:
    # SIGSTOP keeps the leader's connections open (the kernel still answers for it): only the
    # lease, which PostgreSQL ends once the leader has renewed nothing for 2 s, frees its locks.
    require_redis()
    await flush(REDIS_DB)
    env = {**_fanout_env("redis"), "AGENTGRAPH_LEADER_LEASE_S": "2"}
    async with AsyncExitStack() as stack:
        watch = await asyncpg.connect(_dsn(fresh_database))
        stack.push_async_callback(watch.close)

        async def holder(key: int) -> str | None:
            return await watch.fetchval(_lock_holder(key))  # type: ignore[no-any-return]

        a = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "a", env=env)
        )
        a_name = f"agentgraph-leader {a.process.pid}"

        async def a_leads() -> bool:
            return await holder(RELAY_LOCK) == a_name and await holder(SWEEPER_LOCK) == a_name

        await _until(a_leads, "A to lead the relay and the sweeper")
        b = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "b", env=env)
        )
        b_name = f"agentgraph-leader {b.process.pid}"
        api = await stack.enter_async_context(_graphql(b))
        token, project_id, agent_id = await _fleet_of_one(api, fresh_database)  # cursor 1
        on_a = await WSClient.open(a.url, TRANSPORT_WS, token=token)
        on_b = await WSClient.open(b.url, TRANSPORT_WS, token=token)
        for client, server in ((on_a, a), (on_b, b)):
            stack.push_async_callback(client.close)
            await client.subscribe(WATCH, {"project": project_id})
            await _until(lambda s=server: _metric_at_least(s, STARTED, 1), "a subscription")
        await _moves(api, token, agent_id, 1)
        assert await _cursors(on_a, 1) == [2]
        assert await _cursors(on_b, 1) == [2]  # relayed by A

        a.process.send_signal(signal.SIGSTOP)
        stack.callback(a.process.send_signal, signal.SIGCONT)  # never left frozen
        await _moves(api, token, agent_id, 3, first=1)  # cursors 3-5, while A is frozen

        async def b_leads() -> bool:
            return await holder(RELAY_LOCK) == b_name and await holder(SWEEPER_LOCK) == b_name

        await _until(b_leads, "B to take the relay and the sweeper over", patience_s=60)
        await _until(lambda: _metric_at_least(b, LEADING, 1), "B's relay to be up")
        assert await _cursors(on_b, 3, timeout=30) == [3, 4, 5]

        # A wakes: it leads nothing now, and its subscriber catches up, each event once.
        a.process.send_signal(signal.SIGCONT)
        await _until(lambda: _metric_at_most(a, LEADING, 0), "A to see it leads no more")
        await _moves(api, token, agent_id, 2, first=4)  # cursors 6-7
        assert await _cursors(on_b, 2, timeout=30) == [6, 7]
        assert await _cursors(on_a, 5, timeout=30) == [3, 4, 5, 6, 7]
        assert await holder(RELAY_LOCK) == b_name
        await _moves(api, token, agent_id, 1, first=6)
        assert await _cursors(on_a, 1) == [8], "each event once: the next one is the new one"
        assert await _cursors(on_b, 1) == [8]


async def _metric_at_most(server: ServeProcess, name: str, value: float) -> bool:
    return await server.metric(name) <= value


async def _kill_redis_clients(name: str) -> int:
    """CLIENT KILL every Redis connection named ``name`` (only this test's): returns how many."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url(REDIS_DB))
    try:
        ids = [c["id"] for c in await client.client_list() if c.get("name") == name]
        for ident in ids:
            await client.client_kill_filter(_id=ident)
        return len(ids)
    finally:
        await client.aclose()


async def test_lost_redis_connections_lose_and_repeat_nothing(
    fresh_database: str, tmp_path: Path
) -> None:
    # Every Redis connection of both processes (their hubs' subscriptions and the relay's) is
    # killed by Redis (CLIENT KILL, as a Redis restart or a network cut would); the machine's
    # Redis itself keeps running. Messages published while a hub was away are never heard:
    # the hub reads them from the log once it has subscribed again.
    require_redis()
    await flush(REDIS_DB)
    name = f"agentgraph-test-{uuid.uuid4().hex[:8]}"
    env = {**NO_TAIL_CHECK, "AGENTGRAPH_BROADCAST_URL": f"{redis_url(REDIS_DB)}?client_name={name}"}
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "a", env=env)
        )
        await _until(lambda: _metric_at_least(a, LEADING, 1), "A to lead the relay")
        b = await stack.enter_async_context(
            serve(fresh_database, TEST_SECRET, tmp_path / "b", env=env)
        )
        api = await stack.enter_async_context(_graphql(b))
        token, project_id, agent_id = await _fleet_of_one(api, fresh_database)  # cursor 1
        clients = []
        for server in (a, b):
            client = await WSClient.open(server.url, TRANSPORT_WS, token=token)
            stack.push_async_callback(client.close)
            await client.subscribe(WATCH, {"project": project_id})
            await _until(lambda s=server: _metric_at_least(s, STARTED, 1), "a subscription")
            clients.append(client)
        await _moves(api, token, agent_id, 1)
        for client in clients:
            assert await _cursors(client, 1) == [2]

        cursor = 2
        for _ in range(3):  # more than once: every reconnection is followed as the first
            # Both hubs' subscriptions at least (the relay's connection, and a hub's own for
            # publishing, are back only once they next publish).
            assert await _kill_redis_clients(name) >= 2
            await _moves(api, token, agent_id, 3, first=cursor - 1)
            expected = [cursor + 1, cursor + 2, cursor + 3]
            for client in clients:
                assert await _cursors(client, 3, timeout=30) == expected
            cursor += 3
        await _moves(api, token, agent_id, 1, first=cursor - 1)
        for client in clients:
            assert await _cursors(client, 1) == [cursor + 1], "each event once"
