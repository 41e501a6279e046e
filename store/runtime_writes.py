"""Writes of configs and capabilities."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import capabilities, configs


async def upsert_config(
    conn: AsyncConnection, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any]:
    """Create or replace the agent's config entry with this key."""
    proposed = pg_insert(configs).values(agent_id=agent_id, **values)
    statement = proposed.on_conflict_do_update(
        index_elements=[configs.c.agent_id, configs.c.key],
        set_={**{k: proposed.excluded[k] for k in values if k != "key"}, "updated_at": func.now()},
    ).returning(configs)
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


async def insert_configs(
    conn: AsyncConnection, agent_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> None:
    if rows:
        await conn.execute(pg_insert(configs), [{"agent_id": agent_id, **row} for row in rows])


async def delete_config(conn: AsyncConnection, agent_id: uuid.UUID, key: str) -> uuid.UUID | None:
    statement = (
        delete(configs)
        .where(configs.c.agent_id == agent_id, configs.c.key == key)
        .returning(configs.c.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


async def upsert_capability(
    conn: AsyncConnection, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any]:
    """Register a capability version; registering the same (name, version) again updates it."""
    proposed = pg_insert(capabilities).values(agent_id=agent_id, **values)
    statement = proposed.on_conflict_do_update(
        index_elements=[capabilities.c.agent_id, capabilities.c.name, capabilities.c.version],
        set_={
            **{k: proposed.excluded[k] for k in values if k not in ("name", "version")},
            "updated_at": func.now(),
        },
    ).returning(capabilities)
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


async def insert_capabilities(
    conn: AsyncConnection, agent_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> None:
    if rows:
        await conn.execute(pg_insert(capabilities), [{"agent_id": agent_id, **row} for row in rows])


async def capability_agent(conn: AsyncConnection, capability_id: uuid.UUID) -> uuid.UUID | None:
    query = select(capabilities.c.agent_id).where(capabilities.c.id == capability_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def set_capability_enabled(
    conn: AsyncConnection, capability_id: uuid.UUID, enabled: bool
) -> Row[Any]:
    statement = (
        update(capabilities)
        .where(capabilities.c.id == capability_id)
        .values(enabled=enabled, updated_at=func.now())
        .returning(capabilities)
    )
    row: Row[Any] = (await conn.execute(statement)).one()
    return row
