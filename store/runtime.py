"""Reads of what hangs below an agent: configs, state, capabilities (metrics: store/metrics.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.values import semver_order
from store.rows import per_parent
from store.tables import capabilities, configs, states


async def configs_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    query = select(configs).where(configs.c.agent_id.in_(agent_ids)).order_by(configs.c.key)
    return per_parent(await conn.execute(query), agent_ids, "agent_id")


async def states_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    query = select(states).where(states.c.agent_id.in_(agent_ids))
    return {row.agent_id: row for row in await conn.execute(query)}


async def capabilities_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Each agent's capabilities by name, then by semantic version (1.9.0 before 1.10.0)."""
    query = select(capabilities).where(capabilities.c.agent_id.in_(agent_ids))
    rows = sorted(await conn.execute(query), key=lambda r: (r.name, semver_order(r.version)))
    return per_parent(rows, agent_ids, "agent_id")


async def configs_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(configs).where(configs.c.id.in_(ids))))


async def capabilities_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(capabilities).where(capabilities.c.id.in_(ids))))
