"""An agent's state (exactly one per agent, created with it): reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import states


async def states_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    query = select(states).where(states.c.agent_id.in_(agent_ids))
    return {row.agent_id: row for row in await conn.execute(query)}


async def state_of(conn: AsyncConnection, agent_id: uuid.UUID) -> Row[Any]:
    return (await conn.execute(select(states).where(states.c.agent_id == agent_id))).one()


async def update_state(
    conn: AsyncConnection, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any]:
    statement = (
        update(states).where(states.c.agent_id == agent_id).values(**values).returning(states)
    )
    row: Row[Any] = (await conn.execute(statement)).one()
    return row
