"""AGENTGRAPH_STATEMENT_TIMEOUT_MS bounds every statement, and what a client sees of a failure
on our side (INTERNAL) is a reference id and nothing else; the log has the details.

The failure is a real one: another transaction holds the agent's row lock, the mutation's
locking SELECT waits for it, and PostgreSQL cancels the statement at the timeout.
"""

from __future__ import annotations

import asyncio
import logging
import re
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


async def test_a_statement_past_the_timeout_is_cancelled_and_answered_internal(
    api: GraphQLClient,
    world: World,
    impatient: GraphQLClient,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = world.owner["token"]
    agent = await world.spawn(api, "Locked")
    holder = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(
            "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", from_global_id(agent["id"], "Agent")
        )
        # Without the timeout this would wait for the lock as long as it is held: a hang.
        refused = await asyncio.wait_for(
            impatient.execute(PAUSE, {"id": agent["id"]}, token=token), 30
        )
    finally:
        await holder.close()  # ends the transaction, releasing the lock

    assert refused.data is None
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
    cause = record.exc_info[1]
    while cause is not None and not isinstance(cause, asyncpg.QueryCanceledError):
        cause = cause.__cause__ or getattr(cause, "orig", None)
    assert cause is not None and "statement timeout" in str(cause)
    assert "statement timeout" not in str(refused.errors) and "SELECT" not in str(refused.errors)

    # Nothing was written, and the same server answers again once the lock is gone.
    assert (await api.ok(AGENT, {"id": agent["id"]}, token=token))["agent"] == {
        "status": "IDLE", "revision": 1, "statusHistory": {"totalCount": 1},
    }  # fmt: skip
    paused = await impatient.ok(PAUSE, {"id": agent["id"]}, token=token)
    assert paused["pauseAgent"]["agent"] == {"status": "PAUSED", "revision": 2}
