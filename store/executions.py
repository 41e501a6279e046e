"""Executions: reads (visibility-checked, pages per agent) and writes.

Callers hold the agent's row lock (``agent_writes.lock_agent``) before locking an execution here,
so every writer takes the locks in one order: agent, execution, approval.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.executions import FINISHED_EXECUTION_STATUSES
from domain.records import Execution
from store.keyset import Keyset, Page, counts_per_parent, pages_per_parent
from store.rows import fetch_all, fetch_first, fetch_one, written
from store.scopes import visible_agents
from store.tables import agents, executions, projects


def _executions(status: str | None) -> Select[Any]:
    query = select(executions)
    return query.where(executions.c.status == status) if status else query


def _visible_executions(viewer: Viewer) -> Select[Any]:
    joined = executions.join(agents, agents.c.id == executions.c.agent_id).join(
        projects, projects.c.id == agents.c.project_id
    )
    return select(executions).select_from(joined).where(visible_agents(viewer))


async def executions_by_ids(
    conn: AsyncConnection, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[Execution]:
    return await fetch_all(
        conn, Execution, _visible_executions(viewer).where(executions.c.id.in_(ids))
    )


EXECUTION_KEYS = [executions.c.started_at, executions.c.id]


async def pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None, keyset: Keyset
) -> dict[uuid.UUID, Page[Execution]]:
    """Newest first."""
    return await pages_per_parent(
        conn, Execution, _executions(status), executions.c.agent_id, agent_ids, EXECUTION_KEYS, keyset,
        descending=True,
    )  # fmt: skip


async def counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(conn, _executions(status), executions.c.agent_id, agent_ids)


_FINISHED = [status.value for status in FINISHED_EXECUTION_STATUSES]


async def execution_agent_id(conn: AsyncConnection, execution_id: uuid.UUID) -> uuid.UUID | None:
    """The agent of an execution, read without a lock (to lock the agent first)."""
    query = select(executions.c.agent_id).where(executions.c.id == execution_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def lock_execution(conn: AsyncConnection, execution_id: uuid.UUID) -> Execution | None:
    query = select(executions).where(executions.c.id == execution_id).with_for_update()
    return await fetch_first(conn, Execution, query)


async def open_execution_id(conn: AsyncConnection, agent_id: uuid.UUID) -> uuid.UUID | None:
    """An execution of the agent that has not finished, if any."""
    query = (
        select(executions.c.id)
        .where(executions.c.agent_id == agent_id, executions.c.status.not_in(_FINISHED))
        .limit(1)
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def lock_open_executions(conn: AsyncConnection, agent_id: uuid.UUID) -> list[Execution]:
    query = (
        select(executions)
        .where(executions.c.agent_id == agent_id, executions.c.status.not_in(_FINISHED))
        .order_by(executions.c.started_at, executions.c.id)
        .with_for_update()
    )
    return await fetch_all(conn, Execution, query)


async def insert_execution(conn: AsyncConnection, values: Mapping[str, Any]) -> Execution:
    statement = insert(executions).values(**values).returning(executions)
    return await fetch_one(conn, Execution, statement)


async def update_execution(
    conn: AsyncConnection, execution_id: uuid.UUID, values: Mapping[str, Any]
) -> Execution:
    """Set ``values`` (``NOW``: the database's clock); the execution as it is now."""
    statement = (
        update(executions)
        .where(executions.c.id == execution_id)
        .values(**written(values), updated_at=func.now())
        .returning(executions)
    )
    return await fetch_one(conn, Execution, statement)
