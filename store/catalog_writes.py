"""Writes of agent types and projects (their reads are in store/catalog.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import CursorResult, Row, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import agent_types, projects


async def insert_agent_type(conn: AsyncConnection, values: Mapping[str, Any]) -> Row[Any] | None:
    """The new agent type; None when its slug is taken."""
    statement = (
        pg_insert(agent_types)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[agent_types.c.slug])
        .returning(agent_types)
    )
    return _first(await conn.execute(statement))


async def update_agent_type(
    conn: AsyncConnection, agent_type_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any] | None:
    """The agent type after setting ``values``; None when it does not exist."""
    statement = (
        update(agent_types)
        .where(agent_types.c.id == agent_type_id)
        .values(**values, updated_at=func.now())
        .returning(agent_types)
    )
    return _first(await conn.execute(statement))


async def insert_project(conn: AsyncConnection, values: Mapping[str, Any]) -> Row[Any] | None:
    """The new project; None when its slug is taken."""
    statement = (
        pg_insert(projects)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[projects.c.slug])
        .returning(projects)
    )
    return _first(await conn.execute(statement))


def _first(result: CursorResult[Any]) -> Row[Any] | None:
    return result.first()
