"""What a client sees of a failure on the server's side: a statement past
AGENTGRAPH_STATEMENT_TIMEOUT_MS is TIMEOUT, a database that cannot be reached is UNAVAILABLE
(both with ``extensions.retryable``: the same request may succeed later), and only a bug is
INTERNAL, with a reference id and nothing else; the log has the details.

The failures are real ones: another transaction holds the agent's row lock and PostgreSQL
cancels the waiting statement at the timeout; a server URL nobody listens on; a trigger that
raises (a fault of ours, not of the request).
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from gql.ids import from_global_id
from tests.conftest import _asyncpg_dsn
from tests.gql.conftest import World
from tests.support.api import GraphQLClient

PAUSE = "mutation($id: ID!) { pauseAgent(input: {id: $id}) { agent { status revision } } }"
AGENT = "query($id: ID!) { agent(id: $id) { status revision statusHistory { totalCount } } }"
ME = "{ me { id } }"
RETRYABLE = {"retryable": True}


@pytest.fixture
async def impatient(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    """The app with a 300 ms statement timeout, on the test database."""
    quick = settings.model_copy(update={"statement_timeout_ms": 300, "data_dir": tmp_path})
    app: Starlette = create_app(quick, database_url=database_url)
    try:
        async with GraphQLClient.for_app(app) as client:
            yield client
    finally:
        await app.state.services.database.dispose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nobody listens once the probe is closed


@pytest.fixture
async def unreachable(settings: Settings, tmp_path: Path) -> AsyncIterator[GraphQLClient]:
    """The app on a PostgreSQL URL nobody answers at."""
    app: Starlette = create_app(
        settings.model_copy(update={"data_dir": tmp_path, "db_read_patience_s": 0.2}),
        database_url=f"postgresql+asyncpg://nobody@127.0.0.1:{_closed_port()}/none",
    )
    try:
        async with GraphQLClient.for_app(app) as client:
            yield client
    finally:
        await app.state.services.database.dispose()


async def _hold_row_lock(database_url: str, agent_id: str) -> asyncpg.Connection:
    holder = await asyncpg.connect(_asyncpg_dsn(database_url))
    await holder.execute("BEGIN")
    await holder.execute(
        "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", from_global_id(agent_id, "Agent")
    )
    return holder


async def test_a_statement_past_the_timeout_is_cancelled_and_answered_timeout(
    api: GraphQLClient, world: World, impatient: GraphQLClient, database_url: str
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Locked")
    holder = await _hold_row_lock(database_url, agent["id"])
    try:
        # Without the timeout this would wait for the lock as long as it is held: a hang.
        refused = await asyncio.wait_for(
            impatient.execute(PAUSE, {"id": agent["id"]}, token=token), 30
        )
    finally:
        await holder.close()  # ends the transaction, releasing the lock

    assert refused.status == 200 and refused.data is None
    [error] = refused.errors
    assert error["extensions"] == {"code": "TIMEOUT", **RETRYABLE}
    assert "statement timeout" not in str(refused.errors) and "SELECT" not in str(refused.errors)

    # Nothing was written, and the same request succeeds once the lock is gone.
    assert (await api.ok(AGENT, {"id": agent["id"]}, token=token))["agent"] == {
        "status": "IDLE", "revision": 1, "statusHistory": {"totalCount": 1},
    }  # fmt: skip
    paused = await impatient.ok(PAUSE, {"id": agent["id"]}, token=token)
    assert paused["pauseAgent"]["agent"] == {"status": "PAUSED", "revision": 2}


async def test_a_read_past_the_timeout_is_timeout_on_the_compiled_path_too(
    api: GraphQLClient, world: World, impatient: GraphQLClient, database_url: str
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Locked")
    holder = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        # An ACCESS EXCLUSIVE lock blocks even reads of the table.
        await holder.execute("BEGIN")
        await holder.execute("LOCK TABLE agent_states IN ACCESS EXCLUSIVE MODE")
        query = "query($id: ID!) { agent(id: $id) { name state { currentWorkflow } } }"
        refused = await asyncio.wait_for(
            impatient.execute(query, {"id": agent["id"]}, token=token), 30
        )
    finally:
        await holder.close()
    assert refused.status == 200 and refused.codes == ["TIMEOUT"], refused
    assert refused.errors[0]["extensions"] == {"code": "TIMEOUT", **RETRYABLE}


async def test_an_unreachable_database_is_unavailable_and_retryable(
    world: World, unreachable: GraphQLClient
) -> None:
    token = world.owner["token"]
    for document in [
        ME,
        PAUSE,
        'mutation { login(input: {email: "a@b.example", password: "0123456789"}) { accessToken } }',
    ]:
        refused = await unreachable.execute(document, {"id": "QWdlbnQ6eA"}, token=token)
        assert refused.status == 200 and refused.data is None, refused
        [error] = refused.errors
        assert error["extensions"] == {"code": "UNAVAILABLE", **RETRYABLE}, refused
    # Without a token nothing needs the database: the usual refusal.
    assert (await unreachable.execute(ME)).code == "UNAUTHENTICATED"


async def test_a_bug_is_internal_with_only_a_reference(
    api: GraphQLClient, world: World, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Broken")
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        await conn.execute(
            "CREATE FUNCTION test_broken() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'a bug of ours'; END $$;"
            "CREATE TRIGGER test_broken BEFORE UPDATE ON agents "
            "FOR EACH ROW EXECUTE FUNCTION test_broken()"
        )
        refused = await api.execute(PAUSE, {"id": agent["id"]}, token=token)
    finally:
        await conn.execute(
            "DROP TRIGGER IF EXISTS test_broken ON agents; DROP FUNCTION IF EXISTS test_broken()"
        )
        await conn.close()

    assert refused.status == 200 and refused.data is None
    [error] = refused.errors
    assert error["extensions"] == {"code": "INTERNAL"}
    found = re.fullmatch(r"Internal server error \(reference ([0-9a-f]{12})\)\.", error["message"])
    assert found, error["message"]
    reference = found.group(1)
    # The details are in the log under that reference, never in the answer.
    [record] = [
        r for r in caplog.records if r.name == "agentgraph.errors" and reference in r.getMessage()
    ]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "a bug of ours" in repr(record.exc_info[1]) or "a bug of ours" in str(
        record.exc_info[1].__cause__
    )
    assert "a bug of ours" not in str(refused.errors) and "UPDATE" not in str(refused.errors)

    # Nothing was written.
    assert (await api.ok(AGENT, {"id": agent["id"]}, token=token))["agent"] == {
        "status": "IDLE", "revision": 1, "statusHistory": {"totalCount": 1},
    }  # fmt: skip
