"""Checkpoints of executions, numbered within each: reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import Checkpoint
from store.rows import fetch_all, fetch_one, fetch_per_parent
from store.tables import checkpoints


async def checkpoints_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Checkpoint]]:
    query = (
        select(checkpoints)
        .where(checkpoints.c.execution_id.in_(execution_ids))
        .order_by(checkpoints.c.execution_id, checkpoints.c.seq)
    )
    return await fetch_per_parent(conn, Checkpoint, query, execution_ids, "execution_id")


async def checkpoints_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Checkpoint]:
    return await fetch_all(conn, Checkpoint, select(checkpoints).where(checkpoints.c.id.in_(ids)))


async def insert_checkpoint(
    conn: AsyncConnection, execution_id: uuid.UUID, name: str, data: Mapping[str, Any]
) -> Checkpoint:
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
    return await fetch_one(conn, Checkpoint, statement)


async def checkpoint_names(conn: AsyncConnection, execution_id: uuid.UUID) -> list[str]:
    """Names of the execution's checkpoints, oldest first."""
    query = (
        select(checkpoints.c.name)
        .where(checkpoints.c.execution_id == execution_id)
        .order_by(checkpoints.c.seq)
    )
    return list((await conn.execute(query)).scalars())


async def count_checkpoints(conn: AsyncConnection, execution_id: uuid.UUID) -> int:
    query = select(func.count()).where(checkpoints.c.execution_id == execution_id)
    return int((await conn.execute(query)).scalar_one())
