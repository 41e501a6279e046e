"""An agent's versioned capabilities: reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import AgentCapability
from domain.values import semver_order
from store.rows import fetch_all, fetch_one, per_parent
from store.tables import capabilities


async def capabilities_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AgentCapability]]:
    """Each agent's capabilities by name, then by semantic version (1.9.0 before 1.10.0); versions
    of equal precedence (differing only in build metadata) by their text."""
    query = select(capabilities).where(capabilities.c.agent_id.in_(agent_ids))
    found = await fetch_all(conn, AgentCapability, query)
    found.sort(key=lambda c: (c.name, semver_order(c.version), c.version))
    return per_parent(found, agent_ids, "agent_id")


async def capabilities_by_ids(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> list[AgentCapability]:
    query = select(capabilities).where(capabilities.c.id.in_(ids))
    return await fetch_all(conn, AgentCapability, query)


async def upsert_capability(
    conn: AsyncConnection, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> AgentCapability:
    """Register a capability version; registering the same (name, version) again updates it."""
    proposed = pg_insert(capabilities).values(agent_id=agent_id, **values)
    statement = proposed.on_conflict_do_update(
        index_elements=[capabilities.c.agent_id, capabilities.c.name, capabilities.c.version],
        set_={
            **{k: proposed.excluded[k] for k in values if k not in ("name", "version")},
            "updated_at": func.now(),
        },
    ).returning(capabilities)
    return await fetch_one(conn, AgentCapability, statement)


async def count_other_capabilities(
    conn: AsyncConnection, agent_id: uuid.UUID, name: str, version: str
) -> int:
    """How many capability versions the agent has besides ``name`` at ``version``."""
    other = (capabilities.c.name != name) | (capabilities.c.version != version)
    query = select(func.count()).where(capabilities.c.agent_id == agent_id, other)
    return int((await conn.execute(query)).scalar_one())


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
) -> AgentCapability:
    statement = (
        update(capabilities)
        .where(capabilities.c.id == capability_id)
        .values(enabled=enabled, updated_at=func.now())
        .returning(capabilities)
    )
    return await fetch_one(conn, AgentCapability, statement)
