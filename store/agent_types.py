"""Agent types (the templates agents are spawned from): reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.records import AgentType
from store.keyset import Keyset, Page, apply_keyset, finish_page
from store.rows import fetch_all, fetch_first
from store.tables import agent_types


def _types_query(viewer: Viewer, active_only: bool) -> Select[Any]:
    query = select(agent_types)
    # Inactive templates are the superusers' business; everyone else sees active ones only.
    if active_only or not viewer.is_superuser:
        query = query.where(agent_types.c.is_active)
    return query


async def agent_types_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[AgentType]:
    """Agent types by id, active or not (a visible agent may reference an inactive type)."""
    query = select(agent_types).where(agent_types.c.id.in_(ids))
    return await fetch_all(conn, AgentType, query)


async def agent_type_by_slug(conn: AsyncConnection, viewer: Viewer, slug: str) -> AgentType | None:
    query = _types_query(viewer, active_only=False).where(agent_types.c.slug == slug)
    return await fetch_first(conn, AgentType, query)


async def agent_type_visible(
    conn: AsyncConnection, viewer: Viewer, ident: uuid.UUID
) -> AgentType | None:
    query = _types_query(viewer, active_only=False).where(agent_types.c.id == ident)
    return await fetch_first(conn, AgentType, query)


async def page_agent_types(
    conn: AsyncConnection, viewer: Viewer, *, active_only: bool, keyset: Keyset
) -> Page[AgentType]:
    query = apply_keyset(
        _types_query(viewer, active_only),
        [agent_types.c.name, agent_types.c.id],
        keyset,
        descending=False,
    )
    return finish_page(await fetch_all(conn, AgentType, query), keyset)


async def count_agent_types(conn: AsyncConnection, viewer: Viewer, *, active_only: bool) -> int:
    # Keep FROM agent_types even when no condition names it (a superuser's every type):
    # without it the count would be of one row of nothing.
    query = _types_query(viewer, active_only).with_only_columns(
        func.count(), maintain_column_froms=True
    )
    return int((await conn.execute(query)).scalar_one())


async def insert_agent_type(conn: AsyncConnection, values: Mapping[str, Any]) -> AgentType | None:
    """The new agent type; None when its slug is taken."""
    statement = (
        pg_insert(agent_types)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[agent_types.c.slug])
        .returning(agent_types)
    )
    return await fetch_first(conn, AgentType, statement)


async def update_agent_type(
    conn: AsyncConnection, agent_type_id: uuid.UUID, values: Mapping[str, Any]
) -> AgentType | None:
    """The agent type after setting ``values``; None when it does not exist."""
    statement = (
        update(agent_types)
        .where(agent_types.c.id == agent_type_id)
        .values(**values, updated_at=func.now())
        .returning(agent_types)
    )
    return await fetch_first(conn, AgentType, statement)
