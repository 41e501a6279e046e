"""Reads of the lifecycle history (status transitions), newest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import StatusTransition
from store.keyset import Keyset, Page, counts_per_parent, pages_per_parent
from store.rows import fetch_all
from store.tables import transitions


async def pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], keyset: Keyset
) -> dict[uuid.UUID, Page[StatusTransition]]:
    return await pages_per_parent(
        conn, StatusTransition, select(transitions), transitions.c.agent_id, agent_ids, [transitions.c.seq], keyset,
        descending=True,
    )  # fmt: skip


async def counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(conn, select(transitions), transitions.c.agent_id, agent_ids)


async def transitions_by_ids(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> list[StatusTransition]:
    query = select(transitions).where(transitions.c.id.in_(ids))
    return await fetch_all(conn, StatusTransition, query)


async def transitions_by_seqs(conn: AsyncConnection, seqs: Sequence[int]) -> list[StatusTransition]:
    query = select(transitions).where(transitions.c.seq.in_(seqs))
    return await fetch_all(conn, StatusTransition, query)
