"""Reads of what hangs below an agent: configs, state, capabilities (metrics: store/metrics.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.values import semver_order
from store.tables import capabilities, configs, states


def group_by_agent(
    rows: Sequence[Row[Any]], agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    grouped: dict[uuid.UUID, list[Row[Any]]] = {agent_id: [] for agent_id in agent_ids}
    for row in rows:
        grouped[row.agent_id].append(row)
    return grouped


async def configs_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    query = select(configs).where(configs.c.agent_id.in_(agent_ids)).order_by(configs.c.key)
    return group_by_agent(list(await conn.execute(query)), agent_ids)


async def states_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    query = select(states).where(states.c.agent_id.in_(agent_ids))
    return {row.agent_id: row for row in await conn.execute(query)}


async def capabilities_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Each agent's capabilities by name, then by semantic version (1.9.0 before 1.10.0); versions
    of equal precedence (differing only in build metadata) by their text."""
    query = select(capabilities).where(capabilities.c.agent_id.in_(agent_ids))
    rows = sorted(
        await conn.execute(query), key=lambda r: (r.name, semver_order(r.version), r.version)
    )
    return group_by_agent(rows, agent_ids)


async def configs_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(configs).where(configs.c.id.in_(ids))))


async def capabilities_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(capabilities).where(capabilities.c.id.in_(ids))))
