"""Approvals of risky steps: reads (a pending one past its expiry reads as expired) and writes.

Callers hold the agent's and the execution's locks before locking an approval here (the lock
order of every writer: agent, execution, approval).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, and_, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.executions import APPROVAL_TTL, ApprovalStatus
from domain.records import Approval
from store.keyset import (
    Keyset,
    Page,
    apply_keyset,
    counts_per_parent,
    finish_page,
    pages_per_parent,
)
from store.rows import fetch_all, fetch_first, fetch_one, to_record
from store.scopes import visible_agents
from store.tables import agents, approvals, projects

APPROVAL_KEYS = [approvals.c.requested_at, approvals.c.id]
# Visibility is decided on the approval's agent and its project.
_WITH_AGENT = approvals.join(agents, agents.c.id == approvals.c.agent_id).join(
    projects, projects.c.id == agents.c.project_id
)


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
) -> list[Approval]:
    query = (
        select(approvals)
        .select_from(_WITH_AGENT)
        .where(approvals.c.id.in_(ids), visible_agents(viewer))
    )
    return await fetch_all(conn, Approval, query)


async def approvals_for_steps(
    conn: AsyncConnection, step_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Approval]:
    """The latest approval of each step (a resumed execution may ask again)."""
    query = (
        select(approvals)
        .where(approvals.c.step_id.in_(step_ids))
        .order_by(approvals.c.step_id, approvals.c.requested_at.desc(), approvals.c.id.desc())
        .ext(distinct_on(approvals.c.step_id))
    )
    return {approval.step_id: approval for approval in await fetch_all(conn, Approval, query)}


async def pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None, keyset: Keyset
) -> dict[uuid.UUID, Page[Approval]]:
    """Newest first."""
    return await pages_per_parent(
        conn, Approval, _approvals(status), approvals.c.agent_id, agent_ids, APPROVAL_KEYS, keyset,
        descending=True,
    )  # fmt: skip


async def counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], status: str | None
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(conn, _approvals(status), approvals.c.agent_id, agent_ids)


def _visible_approvals(
    viewer: Viewer, project_id: uuid.UUID | None, status: str | None
) -> Select[Any]:
    query = _approvals(status).select_from(_WITH_AGENT).where(visible_agents(viewer))
    return query.where(agents.c.project_id == project_id) if project_id else query


async def page_approvals(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    project_id: uuid.UUID | None,
    status: str | None,
    keyset: Keyset,
) -> Page[Approval]:
    query = apply_keyset(
        _visible_approvals(viewer, project_id, status), APPROVAL_KEYS, keyset, descending=True
    )
    return finish_page(await fetch_all(conn, Approval, query), keyset)


async def count_approvals(
    conn: AsyncConnection, viewer: Viewer, *, project_id: uuid.UUID | None, status: str | None
) -> int:
    query = _visible_approvals(viewer, project_id, status).with_only_columns(func.count())
    return int((await conn.execute(query)).scalar_one())


async def insert_approval(
    conn: AsyncConnection, agent_id: uuid.UUID, execution_id: uuid.UUID, step_id: uuid.UUID
) -> Approval:
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
    return await fetch_one(conn, Approval, statement)


async def approval_parents(conn: AsyncConnection, approval_id: uuid.UUID) -> Approval | None:
    """The approval, read without a lock: its agent and execution are to be locked first."""
    query = select(approvals).where(approvals.c.id == approval_id)
    return await fetch_first(conn, Approval, query)


async def lock_approval(
    conn: AsyncConnection, approval_id: uuid.UUID
) -> tuple[Approval, bool] | None:
    """The approval, locked, and whether it is overdue: pending and past expires_at by the
    database clock."""
    overdue = (approvals.c.status == ApprovalStatus.PENDING.value) & (
        approvals.c.expires_at <= func.now()
    )
    query = (
        select(approvals, overdue.label("overdue"))
        .where(approvals.c.id == approval_id)
        .with_for_update(of=approvals)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else (to_record(Approval, row), bool(row.overdue))


async def decide_approval(
    conn: AsyncConnection, approval_id: uuid.UUID, values: Mapping[str, Any]
) -> Approval | None:
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
    return await fetch_first(conn, Approval, statement)


async def cancel_pending_approvals(
    conn: AsyncConnection, execution_id: uuid.UUID, reason: str | None
) -> list[Approval]:
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
    return await fetch_all(conn, Approval, statement)
