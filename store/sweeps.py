"""SQL of the sweeper: overdue heartbeats and overdue approvals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import AgentHealth
from domain.lifecycle import AgentStatus
from store.tables import agents, approvals


async def mark_stale(
    conn: AsyncConnection, timeout: timedelta
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Mark STALE the agents whose last heartbeat is older than ``timeout`` and that are not yet
    reported STALE; returns their (agent id, project id).

    Rows are locked in id order, skipping any a writer holds right now (the next sweep gets
    them): the sweeper never waits on, or deadlocks with, heartbeats and lifecycle moves.
    """
    overdue = (
        select(agents.c.id)
        .where(
            agents.c.last_heartbeat_at < func.now() - timeout,
            agents.c.reported_health.is_distinct_from(AgentHealth.STALE.value),
            agents.c.status != AgentStatus.TERMINATED.value,
        )
        .order_by(agents.c.id)
        .with_for_update(key_share=True, skip_locked=True)  # FOR NO KEY UPDATE SKIP LOCKED
    )
    ids = list((await conn.execute(overdue)).scalars())
    if not ids:
        return []
    statement = (
        update(agents)
        .where(agents.c.id.in_(ids))
        .values(reported_health=AgentHealth.STALE.value)
        .returning(agents.c.id, agents.c.project_id)
    )
    return [(row.id, row.project_id) for row in await conn.execute(statement)]


async def mark_healthy(conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]) -> None:
    """Agents reported STALE that sent a heartbeat again."""
    statement = (
        update(agents)
        .where(agents.c.id.in_(agent_ids))
        .values(reported_health=AgentHealth.HEALTHY.value)
    )
    await conn.execute(statement)


async def overdue_approvals(conn: AsyncConnection, limit: int = 100) -> list[uuid.UUID]:
    """Ids of pending approvals past their expiry (oldest first)."""
    query = (
        select(approvals.c.id)
        .where(approvals.c.status == "pending", approvals.c.expires_at <= func.now())
        .order_by(approvals.c.expires_at)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())
