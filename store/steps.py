"""The planned steps of executions: reads and writes (under their execution's lock)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import ExecutionStep
from store.rows import fetch_all, fetch_one, fetch_per_parent, written
from store.tables import steps


async def steps_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ExecutionStep]]:
    query = (
        select(steps)
        .where(steps.c.execution_id.in_(execution_ids))
        .order_by(steps.c.execution_id, steps.c.index)
    )
    return await fetch_per_parent(conn, ExecutionStep, query, execution_ids, "execution_id")


async def steps_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[ExecutionStep]:
    return await fetch_all(conn, ExecutionStep, select(steps).where(steps.c.id.in_(ids)))


async def insert_steps(
    conn: AsyncConnection, execution_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> list[ExecutionStep]:
    """Insert a plan's steps; returns them in index order."""
    statement = insert(steps).returning(steps, sort_by_parameter_order=True)
    result = await conn.execute(statement, [{"execution_id": execution_id, **row} for row in rows])
    return list(result)


async def steps_of(conn: AsyncConnection, execution_id: uuid.UUID) -> list[ExecutionStep]:
    """The plan in index order. Steps change only under their execution's lock."""
    query = select(steps).where(steps.c.execution_id == execution_id).order_by(steps.c.index)
    return await fetch_all(conn, ExecutionStep, query)


async def update_step(
    conn: AsyncConnection, step_id: uuid.UUID, values: Mapping[str, Any]
) -> ExecutionStep:
    """Set ``values`` (``NOW``: the database's clock); the step as it is now."""
    statement = (
        update(steps)
        .where(steps.c.id == step_id)
        .values(**written(values), updated_at=func.now())
        .returning(steps)
    )
    return await fetch_one(conn, ExecutionStep, statement)


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
        .values(**written(values), updated_at=func.now())
    )
    await conn.execute(statement)
