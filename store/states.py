"""An agent's state (exactly one per agent, created with it): reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import AgentState
from store.rows import fetch_all, fetch_one, written
from store.tables import states


async def states_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AgentState]:
    query = select(states).where(states.c.agent_id.in_(agent_ids))
    return {state.agent_id: state for state in await fetch_all(conn, AgentState, query)}


async def state_of(conn: AsyncConnection, agent_id: uuid.UUID) -> AgentState:
    return await fetch_one(conn, AgentState, select(states).where(states.c.agent_id == agent_id))


async def update_state(
    conn: AsyncConnection, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> AgentState:
    """Set ``values`` (``NOW``: the database's clock) on the agent's state; the state as it is now."""
    statement = (
        update(states)
        .where(states.c.agent_id == agent_id)
        .values(**written(values), updated_at=func.now())
        .returning(states)
    )
    return await fetch_one(conn, AgentState, statement)
