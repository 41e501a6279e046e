"""Reads of executions, their steps, checkpoints and log, and approvals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from store.keyset import (
    Keyset,
    Page,
    apply_keyset,
    counts_per_parent,
    finish_page,
    pages_per_parent,
)
from store.rows import per_parent
from store.scopes import visible_agents
from store.tables import (
    agents,
    approvals,
    checkpoints,
    execution_events,
    executions,
    projects,
    steps,
)


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
) -> list[Row[Any]]:
    return list(await conn.execute(_visible_executions(viewer).where(executions.c.id.in_(ids))))


EXECUTION_KEYS = [executions.c.started_at, executions.c.id]


async def execution_pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None, keyset: Keyset
) -> dict[uuid.UUID, Page]:
    """Newest first."""
    return await pages_per_parent(
        conn, _executions(status), executions.c.agent_id, agent_ids, EXECUTION_KEYS, keyset,
        descending=True,
    )  # fmt: skip


async def execution_counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(conn, _executions(status), executions.c.agent_id, agent_ids)


async def steps_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    query = (
        select(steps)
        .where(steps.c.execution_id.in_(execution_ids))
        .order_by(steps.c.execution_id, steps.c.index)
    )
    return per_parent(await conn.execute(query), execution_ids, "execution_id")


async def steps_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(steps).where(steps.c.id.in_(ids))))


async def checkpoints_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    query = (
        select(checkpoints)
        .where(checkpoints.c.execution_id.in_(execution_ids))
        .order_by(checkpoints.c.execution_id, checkpoints.c.seq)
    )
    return per_parent(await conn.execute(query), execution_ids, "execution_id")


async def checkpoints_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(checkpoints).where(checkpoints.c.id.in_(ids))))


async def event_pages_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID], keyset: Keyset
) -> dict[uuid.UUID, Page]:
    """Oldest first: the log reads as the story of the execution."""
    return await pages_per_parent(
        conn, select(execution_events), execution_events.c.execution_id, execution_ids,
        [execution_events.c.id], keyset, descending=False,
    )  # fmt: skip


async def event_counts_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(
        conn, select(execution_events), execution_events.c.execution_id, execution_ids
    )


APPROVAL_KEYS = [approvals.c.requested_at, approvals.c.id]


def _approvals(status: str | None) -> Select[Any]:
    """Approvals, optionally by status, where a pending one past its expiry counts as expired."""
    query = select(approvals)
    overdue = and_(approvals.c.status == "pending", approvals.c.expires_at <= func.now())
    if status == "pending":
        return query.where(approvals.c.status == "pending", approvals.c.expires_at > func.now())
    if status == "expired":
        return query.where(or_(approvals.c.status == "expired", overdue))
    return query.where(approvals.c.status == status) if status else query


async def approvals_by_ids(
    conn: AsyncConnection, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    joined = approvals.join(agents, agents.c.id == approvals.c.agent_id).join(
        projects, projects.c.id == agents.c.project_id
    )
    query = (
        select(approvals).select_from(joined).where(approvals.c.id.in_(ids), visible_agents(viewer))
    )
    return list(await conn.execute(query))


async def approvals_for_steps(
    conn: AsyncConnection, step_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """The latest approval of each step (a resumed execution may ask again)."""
    query = (
        select(approvals)
        .where(approvals.c.step_id.in_(step_ids))
        .order_by(approvals.c.step_id, approvals.c.requested_at.desc(), approvals.c.id.desc())
        .ext(distinct_on(approvals.c.step_id))
    )
    return {row.step_id: row for row in await conn.execute(query)}


async def approval_pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None, keyset: Keyset
) -> dict[uuid.UUID, Page]:
    """Newest first."""
    return await pages_per_parent(
        conn, _approvals(status), approvals.c.agent_id, agent_ids, APPROVAL_KEYS, keyset,
        descending=True,
    )  # fmt: skip


async def approval_counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(conn, _approvals(status), approvals.c.agent_id, agent_ids)


def _visible_approvals(
    viewer: Viewer, project_id: uuid.UUID | None, status: str | None
) -> Select[Any]:
    joined = approvals.join(agents, agents.c.id == approvals.c.agent_id).join(
        projects, projects.c.id == agents.c.project_id
    )
    query = _approvals(status).select_from(joined).where(visible_agents(viewer))
    return query.where(agents.c.project_id == project_id) if project_id else query


async def page_approvals(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    project_id: uuid.UUID | None,
    status: str | None,
    keyset: Keyset,
) -> Page:
    query = apply_keyset(
        _visible_approvals(viewer, project_id, status), APPROVAL_KEYS, keyset, descending=True
    )
    return finish_page(list(await conn.execute(query)), keyset)


async def count_approvals(
    conn: AsyncConnection, viewer: Viewer, *, project_id: uuid.UUID | None, status: str | None
) -> int:
    query = _visible_approvals(viewer, project_id, status).with_only_columns(func.count())
    return int((await conn.execute(query)).scalar_one())
