"""Approvals of risky steps: reads (a pending one past its expiry reads as expired) and writes.

Callers hold the agent's and the execution's locks before locking an approval here (the lock
order of every writer: agent, execution, approval).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.executions import APPROVAL_TTL, ApprovalStatus
from store.keyset import (
    Keyset,
    Page,
    apply_keyset,
    counts_per_parent,
    finish_page,
    pages_per_parent,
)
from store.scopes import visible_agents
from store.tables import agents, approvals, projects

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


async def pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None, keyset: Keyset
) -> dict[uuid.UUID, Page]:
    """Newest first."""
    return await pages_per_parent(
        conn, _approvals(status), approvals.c.agent_id, agent_ids, APPROVAL_KEYS, keyset,
        descending=True,
    )  # fmt: skip


async def counts_for_agents(
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


async def insert_approval(
    conn: AsyncConnection, agent_id: uuid.UUID, execution_id: uuid.UUID, step_id: uuid.UUID
) -> Row[Any]:
    """A PENDING approval of one step, expiring APPROVAL_TTL after the request."""
    statement = (
        insert(approvals)
        .values(
            agent_id=agent_id,
            execution_id=execution_id,
            step_id=step_id,
            status=ApprovalStatus.PENDING.value,
            requested_at=func.now(),
            expires_at=func.now() + literal(APPROVAL_TTL),
        )
        .returning(approvals)
    )
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


async def approval_parents(conn: AsyncConnection, approval_id: uuid.UUID) -> Row[Any] | None:
    """The approval, read without a lock: its agent and execution are to be locked first."""
    query = select(approvals).where(approvals.c.id == approval_id)
    row: Row[Any] | None = (await conn.execute(query)).first()
    return row


async def lock_approval(conn: AsyncConnection, approval_id: uuid.UUID) -> Row[Any] | None:
    """The approval, locked, with ``overdue``: pending and past expires_at by the database clock."""
    overdue = (approvals.c.status == ApprovalStatus.PENDING.value) & (
        approvals.c.expires_at <= func.now()
    )
    query = (
        select(approvals, overdue.label("overdue"))
        .where(approvals.c.id == approval_id)
        .with_for_update(of=approvals)
    )
    row: Row[Any] | None = (await conn.execute(query)).first()
    return row


async def decide_approval(
    conn: AsyncConnection, approval_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any] | None:
    """Close a PENDING approval with ``values``; None when it was not pending any more.

    The ``status = 'pending'`` condition makes "decided at most once" hold in the statement
    itself, whatever lock the caller took.
    """
    statement = (
        update(approvals)
        .where(approvals.c.id == approval_id, approvals.c.status == ApprovalStatus.PENDING.value)
        .values(**values, decided_at=func.now(), updated_at=func.now())
        .returning(approvals)
    )
    row: Row[Any] | None = (await conn.execute(statement)).first()
    return row


async def cancel_pending_approvals(
    conn: AsyncConnection, execution_id: uuid.UUID, reason: str | None
) -> list[Row[Any]]:
    """Cancel the execution's pending approvals; returns them."""
    statement = (
        update(approvals)
        .where(
            approvals.c.execution_id == execution_id,
            approvals.c.status == ApprovalStatus.PENDING.value,
        )
        .values(
            status=ApprovalStatus.CANCELLED.value,
            reason=reason,
            decided_at=func.now(),
            updated_at=func.now(),
        )
        .returning(approvals)
    )
    return list(await conn.execute(statement))
