"""Checkpoints of executions, numbered within each: reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.rows import per_parent
from store.tables import checkpoints


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
