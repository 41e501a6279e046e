"""Reads of users, agent types and projects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from store.keyset import Keyset, Page, apply_keyset, finish_page
from store.scopes import visible_projects
from store.tables import agent_types, projects, users


async def users_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await conn.execute(select(users).where(users.c.id.in_(ids))))


def _types_query(viewer: Viewer, active_only: bool) -> Any:
    query = select(agent_types)
    # Inactive templates are the superusers' business; everyone else sees active ones only.
    if active_only or not viewer.is_superuser:
        query = query.where(agent_types.c.is_active)
    return query


async def agent_types_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """Agent types by id, active or not (a visible agent may reference an inactive type)."""
    return list(await conn.execute(select(agent_types).where(agent_types.c.id.in_(ids))))


async def agent_type_by_slug(conn: AsyncConnection, viewer: Viewer, slug: str) -> Row[Any] | None:
    query = _types_query(viewer, active_only=False).where(agent_types.c.slug == slug)
    return (await conn.execute(query)).first()


async def agent_type_visible(
    conn: AsyncConnection, viewer: Viewer, ident: uuid.UUID
) -> Row[Any] | None:
    query = _types_query(viewer, active_only=False).where(agent_types.c.id == ident)
    return (await conn.execute(query)).first()


async def page_agent_types(
    conn: AsyncConnection, viewer: Viewer, *, active_only: bool, keyset: Keyset
) -> Page:
    query = apply_keyset(
        _types_query(viewer, active_only),
        [agent_types.c.name, agent_types.c.id],
        keyset,
        descending=False,
    )
    return finish_page(list(await conn.execute(query)), keyset)


async def count_agent_types(conn: AsyncConnection, viewer: Viewer, *, active_only: bool) -> int:
    query = _types_query(viewer, active_only).with_only_columns(func.count())
    return int((await conn.execute(query)).scalar_one())


async def projects_by_ids(
    conn: AsyncConnection, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    query = select(projects).where(projects.c.id.in_(ids), visible_projects(viewer))
    return list(await conn.execute(query))


async def project_by_slug(conn: AsyncConnection, viewer: Viewer, slug: str) -> Row[Any] | None:
    query = select(projects).where(projects.c.slug == slug, visible_projects(viewer))
    return (await conn.execute(query)).first()


async def page_projects(conn: AsyncConnection, viewer: Viewer, *, keyset: Keyset) -> Page:
    query = select(projects).where(visible_projects(viewer))
    query = apply_keyset(query, [projects.c.created_at, projects.c.id], keyset, descending=False)
    return finish_page(list(await conn.execute(query)), keyset)


async def count_projects(conn: AsyncConnection, viewer: Viewer) -> int:
    query = select(func.count()).select_from(projects).where(visible_projects(viewer))
    return int((await conn.execute(query)).scalar_one())


async def project_owners(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    query = select(projects.c.id, projects.c.owner_id).where(projects.c.id.in_(ids))
    return {row.id: row.owner_id for row in await conn.execute(query)}


async def owned_project_ids(conn: AsyncConnection, viewer: Viewer) -> list[uuid.UUID]:
    """Ids of the projects the viewer may see (an agent token: its agent's project)."""
    query = select(projects.c.id).where(visible_projects(viewer))
    return list((await conn.execute(query)).scalars())
