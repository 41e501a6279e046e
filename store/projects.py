"""Projects: reads (visibility-checked), writes, owners, and the statistics of their agents."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.lifecycle import ACTIVE_STATUSES, AgentStatus
from domain.records import Project, ProjectStats
from store.keyset import Keyset, Page, apply_keyset, finish_page
from store.rows import fetch_all, fetch_first, to_record
from store.scopes import visible_projects
from store.tables import agents, projects


async def projects_by_ids(
    conn: AsyncConnection, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[Project]:
    query = select(projects).where(projects.c.id.in_(ids), visible_projects(viewer))
    return await fetch_all(conn, Project, query)


async def project_by_slug(conn: AsyncConnection, viewer: Viewer, slug: str) -> Project | None:
    query = select(projects).where(projects.c.slug == slug, visible_projects(viewer))
    return await fetch_first(conn, Project, query)


async def page_projects(conn: AsyncConnection, viewer: Viewer, *, keyset: Keyset) -> Page[Project]:
    query = select(projects).where(visible_projects(viewer))
    query = apply_keyset(query, [projects.c.created_at, projects.c.id], keyset, descending=False)
    return finish_page(await fetch_all(conn, Project, query), keyset)


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


async def insert_project(conn: AsyncConnection, values: Mapping[str, Any]) -> Project | None:
    """The new project; None when its slug is taken."""
    statement = (
        pg_insert(projects)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[projects.c.slug])
        .returning(projects)
    )
    return await fetch_first(conn, Project, statement)


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count().filter(condition)


async def stats_for_projects(
    conn: AsyncConnection, viewer: Viewer, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProjectStats]:
    """The statistics of each project over the agents the viewer may see (an agent token: its
    own agent only), computed in SQL, one statement for all projects."""
    status = agents.c.status
    active = tuple(s.value for s in ACTIVE_STATUSES)
    query = (
        select(
            agents.c.project_id,
            func.count().label("total"),
            _count_where(status.in_(active)).label("active"),
            _count_where(status == AgentStatus.IDLE.value).label("idle"),
            _count_where(status == AgentStatus.PAUSED.value).label("paused"),
            _count_where(status == AgentStatus.ERROR.value).label("error"),
            _count_where(status == AgentStatus.TERMINATED.value).label("terminated"),
            func.coalesce(func.sum(agents.c.tasks_completed), 0).label("tasks_completed"),
            func.coalesce(func.sum(agents.c.tokens_used), 0).label("tokens_used"),
            func.coalesce(func.sum(agents.c.cost_incurred), 0).label("cost_incurred"),
        )
        .where(agents.c.project_id.in_(project_ids))
        .group_by(agents.c.project_id)
    )
    if viewer.agent_id is not None and not viewer.is_superuser:
        query = query.where(agents.c.id == viewer.agent_id)
    return {row.project_id: to_record(ProjectStats, row) for row in await conn.execute(query)}
