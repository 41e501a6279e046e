"""Metric points belong to an existing agent and die with it, as the foreign key made them, now
that triggers check once per statement (migration 0006): a point for a missing agent fails with
the foreign key's SQLSTATE and name, deleting an agent (or its project) deletes
its points, and an insert racing a delete of its agent either lands before it (and is deleted
with it) or fails — never an orphan."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import _asyncpg_dsn

POINT = "INSERT INTO agent_metrics (agent_id, name, value) VALUES ($1, 'm', 1)"
POINTS = "INSERT INTO agent_metrics (agent_id, name, value) SELECT unnest($1::uuid[]), 'm', 1"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def _owner(conn: asyncpg.Connection) -> uuid.UUID:
    user: uuid.UUID = await conn.fetchval(
        "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    return user


async def _project(conn: asyncpg.Connection, owner: uuid.UUID) -> uuid.UUID:
    project: uuid.UUID = await conn.fetchval(
        "INSERT INTO projects (name, slug, owner_id) VALUES ('p', $1, $2) RETURNING id",
        f"p-{uuid.uuid4().hex[:8]}",
        owner,
    )
    return project


async def _agent(conn: asyncpg.Connection, project: uuid.UUID) -> uuid.UUID:
    agent_type = await conn.fetchval(
        "INSERT INTO agent_types (name, slug, personality_prompt, primary_model)"
        " VALUES ('t', $1, 'p', 'm') RETURNING id",
        f"t-{uuid.uuid4().hex[:8]}",
    )
    agent: uuid.UUID = await conn.fetchval(
        "INSERT INTO agents (project_id, agent_type_id, name) VALUES ($1, $2, $3) RETURNING id",
        project,
        agent_type,
        f"a-{uuid.uuid4().hex[:8]}",
    )
    return agent


async def _points(conn: asyncpg.Connection, agent: uuid.UUID) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM agent_metrics WHERE agent_id = $1", agent
    )
    return count


async def test_a_point_for_a_missing_agent_fails_as_the_foreign_key_did(
    conn: asyncpg.Connection,
) -> None:
    agent = await _agent(conn, await _project(conn, await _owner(conn)))
    missing = uuid.uuid4()
    for statement, argument in ((POINT, missing), (POINTS, [agent, missing, agent])):
        with pytest.raises(asyncpg.ForeignKeyViolationError) as failed:
            await conn.execute(statement, argument)
        assert failed.value.sqlstate == "23503"
        assert failed.value.constraint_name == "fk_agent_metrics_agent_id_agents"
        assert (
            failed.value.detail == f'Key (agent_id)=({missing}) is not present in table "agents".'
        )
    assert await _points(conn, agent) == 0
    await conn.execute(POINTS, [agent, agent])
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await conn.execute("UPDATE agent_metrics SET agent_id = $1", missing)
    assert await _points(conn, agent) == 2


async def test_deleting_an_agent_or_its_project_deletes_its_points(
    conn: asyncpg.Connection,
) -> None:
    owner = await _owner(conn)
    project = await _project(conn, owner)
    doomed, kept, in_project = [await _agent(conn, project) for _ in range(3)]
    other_project = await _project(conn, owner)
    elsewhere = await _agent(conn, other_project)
    await conn.execute(POINTS, [doomed, doomed, kept, in_project, elsewhere])

    await conn.execute("DELETE FROM agents WHERE id = $1", doomed)
    assert [await _points(conn, a) for a in (doomed, kept, in_project, elsewhere)] == [0, 1, 1, 1]

    await conn.execute("DELETE FROM projects WHERE id = $1", project)  # agents cascade
    assert [await _points(conn, a) for a in (kept, in_project, elsewhere)] == [0, 0, 1]


async def _until_waiting_on_a_lock(conn: asyncpg.Connection, pid: int) -> None:
    for _ in range(1000):
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", pid
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited on a lock")


async def test_an_insert_racing_the_delete_of_its_agent_leaves_no_orphan(
    conn: asyncpg.Connection, database_url: str
) -> None:
    agent = await _agent(conn, await _project(conn, await _owner(conn)))
    other = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        # The delete first: the insert waits for it, then fails.
        deleting = other.transaction()
        await deleting.start()
        await other.execute("DELETE FROM agents WHERE id = $1", agent)
        inserting = asyncio.ensure_future(conn.execute(POINTS, [agent] * 3))
        await _until_waiting_on_a_lock(other, conn.get_server_pid())
        await deleting.commit()
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await inserting
        assert await conn.fetchval("SELECT count(*) FROM agent_metrics") == 0

        # The insert first: the delete waits for it, then deletes its points too.
        agent = await _agent(conn, await _project(conn, await _owner(conn)))
        writing = conn.transaction()
        await writing.start()
        await conn.execute(POINTS, [agent] * 3)
        deleted = asyncio.ensure_future(other.execute("DELETE FROM agents WHERE id = $1", agent))
        await _until_waiting_on_a_lock(conn, other.get_server_pid())
        await writing.commit()
        assert await deleted == "DELETE 1"
        assert await conn.fetchval("SELECT count(*) FROM agent_metrics") == 0
    finally:
        await other.close()


async def test_truncating_the_agents_empties_the_points(conn: asyncpg.Connection) -> None:
    agent = await _agent(conn, await _project(conn, await _owner(conn)))
    await conn.execute(POINT, agent)
    await conn.execute("TRUNCATE agents CASCADE")
    assert await conn.fetchval("SELECT count(*) FROM agent_metrics") == 0
