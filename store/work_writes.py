"""Writes of executions, their steps, approvals, checkpoints and execution log.

Callers hold the agent's row lock (``agent_writes.lock_agent``) before locking an execution or an
approval here, so every writer takes the locks in one order: agent, execution, approval.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.executions import (
    APPROVAL_TTL,
    FINISHED_EXECUTION_STATUSES,
    ApprovalStatus,
    ExecutionEventType,
)
from store.tables import agents, approvals, checkpoints, execution_events, executions, steps

_FINISHED = [status.value for status in FINISHED_EXECUTION_STATUSES]


# --- executions -------------------------------------------------------------------------------


async def execution_agent_id(conn: AsyncConnection, execution_id: uuid.UUID) -> uuid.UUID | None:
    """The agent of an execution, read without a lock (to lock the agent first)."""
    query = select(executions.c.agent_id).where(executions.c.id == execution_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def lock_execution(conn: AsyncConnection, execution_id: uuid.UUID) -> Row[Any] | None:
    query = select(executions).where(executions.c.id == execution_id).with_for_update()
    return (await conn.execute(query)).first()


async def open_execution_id(conn: AsyncConnection, agent_id: uuid.UUID) -> uuid.UUID | None:
    """An execution of the agent that has not finished, if any."""
    query = (
        select(executions.c.id)
        .where(executions.c.agent_id == agent_id, executions.c.status.not_in(_FINISHED))
        .limit(1)
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def lock_open_executions(conn: AsyncConnection, agent_id: uuid.UUID) -> list[Row[Any]]:
    query = (
        select(executions)
        .where(executions.c.agent_id == agent_id, executions.c.status.not_in(_FINISHED))
        .order_by(executions.c.started_at, executions.c.id)
        .with_for_update()
    )
    return list(await conn.execute(query))


async def insert_execution(conn: AsyncConnection, values: Mapping[str, Any]) -> Row[Any]:
    statement = insert(executions).values(**values).returning(executions)
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


async def update_execution(
    conn: AsyncConnection, execution_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any]:
    statement = (
        update(executions)
        .where(executions.c.id == execution_id)
        .values(**values, updated_at=func.now())
        .returning(executions)
    )
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


# --- steps ------------------------------------------------------------------------------------


async def insert_steps(
    conn: AsyncConnection, execution_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> list[Row[Any]]:
    """Insert a plan's steps; returns them in index order."""
    statement = insert(steps).returning(steps, sort_by_parameter_order=True)
    result = await conn.execute(statement, [{"execution_id": execution_id, **row} for row in rows])
    return list(result)


async def steps_of(conn: AsyncConnection, execution_id: uuid.UUID) -> list[Row[Any]]:
    """The plan in index order. Steps change only under their execution's lock."""
    query = select(steps).where(steps.c.execution_id == execution_id).order_by(steps.c.index)
    return list(await conn.execute(query))


async def update_step(
    conn: AsyncConnection, step_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any]:
    statement = (
        update(steps)
        .where(steps.c.id == step_id)
        .values(**values, updated_at=func.now())
        .returning(steps)
    )
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


async def update_steps_where(
    conn: AsyncConnection,
    execution_id: uuid.UUID,
    statuses: Iterable[str],
    values: Mapping[str, Any],
    *,
    from_index: int = 0,
) -> None:
    """Set ``values`` on the execution's steps in ``statuses`` at or after ``from_index``."""
    statement = (
        update(steps)
        .where(
            steps.c.execution_id == execution_id,
            steps.c.index >= from_index,
            steps.c.status.in_(list(statuses)),
        )
        .values(**values, updated_at=func.now())
    )
    await conn.execute(statement)


# --- approvals --------------------------------------------------------------------------------


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


# --- checkpoints and the execution log --------------------------------------------------------


async def insert_checkpoint(
    conn: AsyncConnection, execution_id: uuid.UUID, name: str, data: Mapping[str, Any]
) -> Row[Any]:
    """A checkpoint numbered after the execution's last one (callers hold the execution lock)."""
    next_seq = (
        select(func.coalesce(func.max(checkpoints.c.seq), 0) + 1)
        .where(checkpoints.c.execution_id == execution_id)
        .scalar_subquery()
    )
    statement = (
        insert(checkpoints)
        .values(execution_id=execution_id, name=name, data=dict(data), seq=next_seq)
        .returning(checkpoints)
    )
    row: Row[Any] = (await conn.execute(statement)).one()
    return row


async def checkpoint_names(conn: AsyncConnection, execution_id: uuid.UUID) -> list[str]:
    """Names of the execution's checkpoints, oldest first."""
    query = (
        select(checkpoints.c.name)
        .where(checkpoints.c.execution_id == execution_id)
        .order_by(checkpoints.c.seq)
    )
    return list((await conn.execute(query)).scalars())


async def add_execution_events(
    conn: AsyncConnection,
    execution_id: uuid.UUID,
    entries: Sequence[tuple[ExecutionEventType, Mapping[str, Any]]],
) -> None:
    """Append entries to the execution's log, in order."""
    if entries:
        await conn.execute(
            insert(execution_events),
            [
                {"execution_id": execution_id, "event_type": kind.value, "data": dict(data)}
                for kind, data in entries
            ],
        )


async def agent_project_id(conn: AsyncConnection, agent_id: uuid.UUID) -> uuid.UUID:
    """The project of an agent (for events about its executions)."""
    query = select(agents.c.project_id).where(agents.c.id == agent_id)
    project_id: uuid.UUID = (await conn.execute(query)).scalar_one()
    return project_id
