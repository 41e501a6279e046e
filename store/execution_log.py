"""The execution log (append-only, oldest first): pages per execution and appends."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.executions import ExecutionEventType
from domain.records import ExecutionEvent
from store.keyset import Keyset, Page, counts_per_parent, pages_per_parent
from store.tables import execution_events


async def pages_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID], keyset: Keyset
) -> dict[uuid.UUID, Page[ExecutionEvent]]:
    """Oldest first: the log reads as the story of the execution."""
    return await pages_per_parent(
        conn, ExecutionEvent, select(execution_events), execution_events.c.execution_id,
        execution_ids, [execution_events.c.id], keyset, descending=False,
    )  # fmt: skip


async def counts_for_executions(
    conn: AsyncConnection, execution_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(
        conn, select(execution_events), execution_events.c.execution_id, execution_ids
    )


async def add_entries(
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
