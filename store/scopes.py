"""Visibility as SQL: the rows of agents and projects a viewer may see (SPEC §5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from domain.access import Viewer
from store.tables import agents, projects


def visible_projects(viewer: Viewer) -> ColumnElement[bool]:
    """Projects the viewer may read: owned ones (all for superusers; their agent's for tokens)."""
    if viewer.is_superuser:
        return true()
    conditions: list[ColumnElement[Any]] = []
    if viewer.user_id is not None:
        conditions.append(projects.c.owner_id == viewer.user_id)
    if viewer.agent_id is not None:
        conditions.append(
            projects.c.id.in_(
                agents.select()
                .with_only_columns(agents.c.project_id)
                .where(agents.c.id == viewer.agent_id)
                .scalar_subquery()
            )
        )
    return or_(*conditions) if conditions else false()


def visible_agents(viewer: Viewer) -> ColumnElement[bool]:
    """Agents the viewer may read; the query must join ``projects`` on the agent's project."""
    if viewer.is_superuser:
        return true()
    conditions: list[ColumnElement[Any]] = []
    if viewer.user_id is not None:
        conditions.append(projects.c.owner_id == viewer.user_id)
    if viewer.agent_id is not None:
        conditions.append(agents.c.id == viewer.agent_id)
    return or_(*conditions) if conditions else false()
