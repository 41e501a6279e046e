"""Reads of the lifecycle history (status transitions), newest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.keyset import Keyset, Page, counts_per_parent, pages_per_parent
from store.tables import transitions


async def pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], keyset: Keyset
) -> dict[uuid.UUID, Page]:
    return await pages_per_parent(
        conn, select(transitions), transitions.c.agent_id, agent_ids, [transitions.c.seq], keyset,
        descending=True,
    )  # fmt: skip


async def counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(conn, select(transitions), transitions.c.agent_id, agent_ids)


async def transitions_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(transitions).where(transitions.c.id.in_(ids))))


async def transitions_by_seqs(conn: AsyncConnection, seqs: Sequence[int]) -> list[Row[Any]]:
    return list(await conn.execute(select(transitions).where(transitions.c.seq.in_(seqs))))
