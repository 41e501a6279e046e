"""The migrations build the schema the models describe, and they run both ways."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from agentgraph.migrate import downgrade, head_revision, upgrade
from store.models import Base
from tests.conftest import _asyncpg_dsn


@pytest.fixture
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    """An empty database of its own on the test server (migrations must not disturb the others)."""
    name = f"agentgraph_migrations_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_dsn(database_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_downgrade_upgrade_round_trip(scratch_url: str) -> None:
    import asyncio

    expected = {table.name for table in Base.metadata.sorted_tables}

    await asyncio.to_thread(upgrade, scratch_url)
    assert await _tables(scratch_url) == expected

    await asyncio.to_thread(downgrade, scratch_url, "base")
    assert await _tables(scratch_url) == set()

    await asyncio.to_thread(upgrade, scratch_url)
    assert await _tables(scratch_url) == expected


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert version == head_revision()
    assert differences == []


def test_spec_table_names_exist() -> None:
    spec_tables = {
        "users", "agent_types", "projects", "agents", "agent_configs", "agent_states",
        "agent_capabilities", "agent_metrics", "status_transitions", "executions",
        "execution_steps", "approvals", "checkpoints", "execution_events", "agent_tokens",
        "refresh_tokens", "events",
    }  # fmt: skip
    # Beside the product's tables: the rate limit's counters (usecases/budgets.py) and the
    # sign-in throttle's (usecases/throttle.py).
    assert spec_tables | {"caller_budgets", "sign_in_throttle"} == set(Base.metadata.tables)
