"""One hot row starves no one (issue 13 §8): lock waits, idle transactions and each request's
total time are bounded, and one caller's writes hold at most its write slots of the pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from gql.ids import split_global_id
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.waiting import until

SET_CONFIG = """
mutation($input: SetAgentConfigInput!) { setAgentConfig(input: $input) { key value } }
"""
CONFIGS = "query($id: ID!) { agent(id: $id) { configs { key value } } }"
ME = "{ me { id email } }"
PROJECTS = "{ projects { totalCount edges { node { name } } } }"
WAITING_ON_LOCKS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'
"""

Server = Callable[..., AbstractAsyncContextManager[tuple[Starlette, GraphQLClient]]]


@pytest.fixture
def server(settings: Settings, database_url: str, tmp_path: Path) -> Server:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[Starlette, GraphQLClient]]:
        chosen = settings.model_copy(update={"data_dir": tmp_path, **overrides})
        app = create_app(chosen, database_url=database_url)
        async with app.router.lifespan_context(app), GraphQLClient.for_app(app) as api:
            yield app, api

    return start


@pytest.fixture
async def admin_connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def row_locked(conn: asyncpg.Connection, agent_id: str) -> AsyncIterator[None]:
    """Another transaction holds the agent's row, as a long write would."""
    _, pk = split_global_id(agent_id)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", pk)
        yield
    finally:
        await transaction.rollback()


async def _owner_and_agent(api: GraphQLClient, app: Starlette) -> tuple[dict[str, Any], str]:
    admin = await factories.superuser(api, app)
    owner = await factories.register(api)
    type_id = await factories.create_agent_type(api, admin["token"])
    project_id = await factories.create_project(api, owner["token"])
    agent_id = await factories.spawn_agent(api, owner["token"], project_id, type_id)
    return owner, agent_id


async def _count(conn: asyncpg.Connection, query: str) -> int:
    # Within a transaction PostgreSQL keeps the first snapshot of its statistics views.
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    return int(await conn.fetchval(query))


async def _polled_until(conn: asyncpg.Connection, query: str, count: int, what: str) -> None:
    """Poll the query's count until it reaches ``count`` (a hang guard, not a timing claim)."""
    for _ in range(1000):
        if await _count(conn, query) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def _set(agent_id: str, key: str, value: str) -> dict[str, Any]:
    return {"input": {"agentId": agent_id, "key": key, "value": value}}


async def test_forty_writers_on_one_row_leave_the_pool_to_everyone_else(
    server: Server, admin_connection: asyncpg.Connection
) -> None:
    # Lock and statement timeouts longer than the test: the writers stay queued until the row
    # is released.
    async with server(lock_timeout_ms=120_000, statement_timeout_ms=120_000) as (app, api):
        owner, agent_id = await _owner_and_agent(api, app)
        token, caller = owner["token"], f"user:{split_global_id(owner['user_id'])[1]}"
        other = await factories.register(api)
        await factories.create_project(api, other["token"])
        slots = app.state.settings.db_write_slots_per_caller
        writers: list[asyncio.Task[Any]] = []
        try:
            async with row_locked(admin_connection, agent_id):
                writers += [
                    asyncio.create_task(
                        api.execute(SET_CONFIG, _set(agent_id, "hot", str(i)), token=token)
                    )
                    for i in range(40)
                ]
                await _polled_until(
                    admin_connection, WAITING_ON_LOCKS, slots, "the caller's slots reach the row"
                )
                waiting = app.state.services.write_slots.waiting(caller)
                assert waiting == 40 - slots  # the others queue in memory, without connections
                # Another tenant meanwhile: a viewer query and a read.
                me = asyncio.create_task(api.execute(ME, token=other["token"]))
                read = asyncio.create_task(api.execute(PROJECTS, token=other["token"]))
                done, _ = await asyncio.wait({me, read}, timeout=30)
                assert done == {me, read}, "another tenant waited behind the hot row"
                assert not any(w.done() for w in writers)  # answered while every writer waits
                # Still only the caller's slots wait on the row, each with a connection.
                assert await _count(admin_connection, WAITING_ON_LOCKS) == slots
                assert me.result().code is None and me.result().data == {
                    "me": {"id": other["user_id"], "email": other["email"]}
                }
                assert read.result().code is None
                assert read.result().data["projects"]["totalCount"] == 1  # type: ignore[index]
        finally:
            results = await asyncio.gather(*writers, return_exceptions=True)
    assert [getattr(r, "code", r) for r in results] == [None] * 40


async def test_a_lock_wait_past_the_lock_timeout_is_a_retryable_timeout(
    server: Server, admin_connection: asyncpg.Connection
) -> None:
    async with server(lock_timeout_ms=200) as (app, api):
        owner, agent_id = await _owner_and_agent(api, app)
        token = owner["token"]
        async with row_locked(admin_connection, agent_id):
            result = await api.error(SET_CONFIG, _set(agent_id, "late", "x"), token=token)
        assert result.errors[0]["extensions"] == {"code": "TIMEOUT", "retryable": True}
        assert "nothing was written" in result.errors[0]["message"]
        data = await api.ok(CONFIGS, {"id": agent_id}, token=token)
        assert data["agent"]["configs"] == []
        # And the next write goes through.
        await api.ok(SET_CONFIG, _set(agent_id, "late", "x"), token=token)


async def test_a_request_past_its_deadline_is_a_timeout_that_wrote_nothing(
    server: Server, app: Starlette, api: GraphQLClient, admin_connection: asyncpg.Connection
) -> None:
    owner, agent_id = await _owner_and_agent(api, app)  # on the tests' server: no deadline race
    token = owner["token"]
    async with server(
        lock_timeout_ms=120_000, statement_timeout_ms=120_000, request_timeout_s=1
    ) as (hurried, hurried_api):
        async with row_locked(admin_connection, agent_id):
            result = await hurried_api.execute(SET_CONFIG, _set(agent_id, "late", "x"), token=token)
            assert result.status == 200 and result.data is None
            assert result.errors[0]["extensions"] == {"code": "TIMEOUT", "retryable": True}
            assert "deadline of 1 s" in result.errors[0]["message"]
        await until(
            lambda: hurried.state.services.database.engine.pool.checkedout() == 0,
            "the stopped request's connection returned to the pool",
        )
    data = await api.ok(CONFIGS, {"id": agent_id}, token=token)
    assert data["agent"]["configs"] == []


async def test_sessions_bound_lock_waits_and_idle_transactions(app: Starlette) -> None:
    settings = app.state.settings
    async with app.state.services.database.read() as conn:
        lock = (await conn.execute(text("SHOW lock_timeout"))).scalar_one()
        idle = (await conn.execute(text("SHOW idle_in_transaction_session_timeout"))).scalar_one()
    assert lock == f"{settings.lock_timeout_ms // 1000}s"
    assert idle == f"{settings.idle_in_transaction_timeout_ms // 60_000}min"
