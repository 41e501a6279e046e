"""Agent reads: by id, pages of a project's (or all visible) agents, counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.events import AgentHealth
from domain.records import Agent
from store.keyset import (
    Keyset,
    Page,
    apply_keyset,
    counts_per_parent,
    cursor_instant,
    finish_page,
    pages_per_parent,
)
from store.rows import fetch_all
from store.scopes import visible_agents
from store.tables import agents, projects

# An agent record: the agent's columns (but the sweeper's bookkeeping) and its project's owner.
AGENT_COLUMNS = (
    *(column for column in agents.c if column.name != "reported_health"),
    projects.c.owner_id,
)


def _visible(viewer: Viewer) -> Select[Any]:
    joined = agents.join(projects, projects.c.id == agents.c.project_id)
    return select(*AGENT_COLUMNS).select_from(joined).where(visible_agents(viewer))


@dataclass(frozen=True)
class AgentFilter:
    statuses: tuple[str, ...] | None = None
    agent_type_id: uuid.UUID | None = None
    health: AgentHealth | None = None
    name_contains: str | None = None


@dataclass(frozen=True)
class SortKey:
    """One orderable field: its SQL expression and how its values travel inside a cursor."""

    expression: ColumnElement[Any]
    of_agent: Callable[[Agent], Any]
    from_cursor: Callable[[Any], Any]


# Agents never heard from sort before every heartbeat (ascending): NULL reads as year 1.
_NEVER_HEARD = datetime(1, 1, 1, tzinfo=UTC)

AGENT_SORT_KEYS: dict[str, SortKey] = {
    "name": SortKey(agents.c.name, lambda a: a.name, str),
    "created_at": SortKey(agents.c.created_at, lambda a: a.created_at.isoformat(), cursor_instant),
    "status": SortKey(agents.c.status, lambda a: a.status.value, str),
    "last_heartbeat_at": SortKey(
        func.coalesce(agents.c.last_heartbeat_at, literal(_NEVER_HEARD)),
        lambda a: (a.last_heartbeat_at or _NEVER_HEARD).isoformat(),
        cursor_instant,
    ),
}


def _filtered(query: Select[Any], flt: AgentFilter, heartbeat_timeout: timedelta) -> Select[Any]:
    if flt.statuses:
        query = query.where(agents.c.status.in_(flt.statuses))
    if flt.agent_type_id is not None:
        query = query.where(agents.c.agent_type_id == flt.agent_type_id)
    if flt.name_contains:
        query = query.where(agents.c.name.icontains(flt.name_contains, autoescape=True))
    if flt.health is AgentHealth.UNKNOWN:
        query = query.where(agents.c.last_heartbeat_at.is_(None))
    elif flt.health is AgentHealth.HEALTHY:
        query = query.where(agents.c.last_heartbeat_at >= func.now() - heartbeat_timeout)
    elif flt.health is AgentHealth.STALE:
        query = query.where(agents.c.last_heartbeat_at < func.now() - heartbeat_timeout)
    return query


async def agents_by_ids(
    conn: AsyncConnection, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[Agent]:
    """The visible agents among ``ids`` (missing and invisible ones are simply absent)."""
    return await fetch_all(conn, Agent, _visible(viewer).where(agents.c.id.in_(ids)))


def _keys(order: str) -> list[ColumnElement[Any]]:
    return [AGENT_SORT_KEYS[order].expression, agents.c.id]


async def page_agents(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    project_id: uuid.UUID | None,
    flt: AgentFilter,
    order: str,
    descending: bool,
    keyset: Keyset,
    heartbeat_timeout: timedelta,
) -> Page[Agent]:
    """One page of visible agents, optionally of one project, filtered and ordered."""
    query = _filtered(_visible(viewer), flt, heartbeat_timeout)
    if project_id is not None:
        query = query.where(agents.c.project_id == project_id)
    query = apply_keyset(query, _keys(order), keyset, descending=descending)
    return finish_page(await fetch_all(conn, Agent, query), keyset)


async def count_agents(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    project_id: uuid.UUID | None,
    flt: AgentFilter,
    heartbeat_timeout: timedelta,
) -> int:
    joined = agents.join(projects, projects.c.id == agents.c.project_id)
    query = select(func.count()).select_from(joined).where(visible_agents(viewer))
    if project_id is not None:
        query = query.where(agents.c.project_id == project_id)
    query = _filtered(query, flt, heartbeat_timeout)
    return int((await conn.execute(query)).scalar_one())


async def pages_for_projects(
    conn: AsyncConnection,
    viewer: Viewer,
    project_ids: Sequence[uuid.UUID],
    *,
    flt: AgentFilter,
    order: str,
    descending: bool,
    keyset: Keyset,
    heartbeat_timeout: timedelta,
) -> dict[uuid.UUID, Page[Agent]]:
    """One page per project in a single statement (LATERAL over the project ids)."""
    query = _filtered(_visible(viewer), flt, heartbeat_timeout)
    return await pages_per_parent(
        conn, Agent, query, agents.c.project_id, project_ids, _keys(order), keyset,
        descending=descending,
    )  # fmt: skip


async def counts_for_projects(
    conn: AsyncConnection,
    viewer: Viewer,
    project_ids: Sequence[uuid.UUID],
    *,
    flt: AgentFilter,
    heartbeat_timeout: timedelta,
) -> dict[uuid.UUID, int]:
    query = _filtered(_visible(viewer), flt, heartbeat_timeout)
    return await counts_per_parent(conn, query, agents.c.project_id, project_ids)


async def project_id_of(conn: AsyncConnection, agent_id: uuid.UUID) -> uuid.UUID:
    """The project of an agent (for events about its executions)."""
    query = select(agents.c.project_id).where(agents.c.id == agent_id)
    project_id: uuid.UUID = (await conn.execute(query)).scalar_one()
    return project_id
