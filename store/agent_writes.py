"""Writes of agents: spawn (with the agent's state row), lock, update with revision, delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.errors import NotFound
from domain.records import Agent
from store.agents import AGENT_COLUMNS
from store.rows import fetch_first, fetch_one, written
from store.scopes import visible_agents
from store.tables import agents, projects, states

_JOINED = agents.join(projects, projects.c.id == agents.c.project_id)


async def lock_agent(conn: AsyncConnection, viewer: Viewer, agent_id: uuid.UUID) -> Agent:
    """The agent, its row locked until commit; NOT_FOUND when missing or not visible.

    FOR NO KEY UPDATE (not FOR UPDATE): it serializes writers of the agent but does not block
    inserts of rows referencing it (events, metrics), which only take KEY SHARE locks.
    """
    query = (
        select(*AGENT_COLUMNS)
        .select_from(_JOINED)
        .where(agents.c.id == agent_id, visible_agents(viewer))
        .with_for_update(key_share=True, of=agents)  # renders FOR NO KEY UPDATE
    )
    agent = await fetch_first(conn, Agent, query)
    if agent is None:
        raise NotFound("Agent", agent_id)
    return agent


async def insert_agent(conn: AsyncConnection, values: Mapping[str, Any]) -> Agent | None:
    """Insert an agent and its state row; None when the name is taken in the project."""
    statement = (
        pg_insert(agents)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[agents.c.project_id, agents.c.name])
        .returning(agents.c.id)
    )
    agent_id = (await conn.execute(statement)).scalar_one_or_none()
    if agent_id is None:
        return None
    await conn.execute(insert(states).values(agent_id=agent_id))
    query = select(*AGENT_COLUMNS).select_from(_JOINED).where(agents.c.id == agent_id)
    return await fetch_one(conn, Agent, query)


async def update_agent(
    conn: AsyncConnection,
    agent_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    bump_revision: bool = True,
) -> Agent:
    """Apply ``values`` (``NOW``: the database's clock) and revision + 1; the agent as it is now."""
    changes = dict(values)
    if bump_revision:
        changes["revision"] = agents.c.revision + 1
    statement = (
        update(agents)
        .where(agents.c.id == agent_id, projects.c.id == agents.c.project_id)
        .values(**written(changes))
        .returning(*AGENT_COLUMNS)
    )
    return await fetch_one(conn, Agent, statement)


async def delete_agent(conn: AsyncConnection, agent_id: uuid.UUID) -> None:
    """Delete an agent; everything below it goes with it (ON DELETE CASCADE)."""
    await conn.execute(delete(agents).where(agents.c.id == agent_id))
