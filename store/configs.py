"""An agent's config entries: reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import AgentConfig
from store.rows import fetch_all, fetch_one, fetch_per_parent
from store.tables import configs


async def configs_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AgentConfig]]:
    """Each agent's config entries, by key."""
    query = select(configs).where(configs.c.agent_id.in_(agent_ids)).order_by(configs.c.key)
    return await fetch_per_parent(conn, AgentConfig, query, agent_ids, "agent_id")


async def configs_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[AgentConfig]:
    return await fetch_all(conn, AgentConfig, select(configs).where(configs.c.id.in_(ids)))


async def upsert_config(
    conn: AsyncConnection, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> AgentConfig:
    """Create or replace the agent's config entry with this key."""
    proposed = pg_insert(configs).values(agent_id=agent_id, **values)
    statement = proposed.on_conflict_do_update(
        index_elements=[configs.c.agent_id, configs.c.key],
        set_={**{k: proposed.excluded[k] for k in values if k != "key"}, "updated_at": func.now()},
    ).returning(configs)
    return await fetch_one(conn, AgentConfig, statement)


async def count_other_configs(conn: AsyncConnection, agent_id: uuid.UUID, key: str) -> int:
    """How many config entries the agent has besides the one with ``key``."""
    query = select(func.count()).where(configs.c.agent_id == agent_id, configs.c.key != key)
    return int((await conn.execute(query)).scalar_one())


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
