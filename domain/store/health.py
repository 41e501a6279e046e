"""SQL of the health sweeper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import AgentHealth
from domain.lifecycle import AgentStatus
from domain.store.tables import agents


async def mark_stale(conn: AsyncConnection, timeout: timedelta) -> list[Row[Any]]:
    """Agents whose last heartbeat is older than ``timeout`` and not yet reported STALE."""
    statement = (
        update(agents)
        .where(
            agents.c.last_heartbeat_at < func.now() - timeout,
            agents.c.reported_health.is_distinct_from(AgentHealth.STALE.value),
            agents.c.status != AgentStatus.TERMINATED.value,
        )
        .values(reported_health=AgentHealth.STALE.value)
        .returning(agents.c.id, agents.c.project_id)
    )
    return list(await conn.execute(statement))
