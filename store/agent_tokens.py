"""SQL of agent tokens: the secrets agent runtimes authenticate with (hashes only)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Row, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import agent_tokens, agents, projects

# A token's last_used_at is bookkeeping for its owner, not an audit log: one write per minute.
TOUCH_INTERVAL = timedelta(minutes=1)


async def agent_owner(conn: AsyncConnection, agent_id: uuid.UUID) -> Row[Any] | None:
    """(id, project_id, owner_id) of an agent, to decide who may manage its tokens."""
    query = (
        select(agents.c.id, agents.c.project_id, projects.c.owner_id)
        .select_from(agents.join(projects, projects.c.id == agents.c.project_id))
        .where(agents.c.id == agent_id)
    )
    return _first(await conn.execute(query))


async def insert_agent_token(
    conn: AsyncConnection,
    *,
    agent_id: uuid.UUID,
    name: str | None,
    token_hash: str,
    created_by: uuid.UUID | None,
) -> Row[Any]:
    statement = (
        agent_tokens.insert()
        .values(agent_id=agent_id, name=name, token_hash=token_hash, created_by=created_by)
        .returning(agent_tokens)
    )
    row = _first(await conn.execute(statement))
    assert row is not None  # INSERT … RETURNING always returns the row
    return row


async def live_agent_token(conn: AsyncConnection, token_hash: str) -> Row[Any] | None:
    """The unrevoked token with this hash (with its agent still existing), or None."""
    query = (
        select(agent_tokens.c.id, agent_tokens.c.agent_id, agent_tokens.c.last_used_at)
        .select_from(agent_tokens.join(agents, agents.c.id == agent_tokens.c.agent_id))
        .where(agent_tokens.c.token_hash == token_hash, agent_tokens.c.revoked_at.is_(None))
    )
    return _first(await conn.execute(query))


def is_touch_due(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= TOUCH_INTERVAL


async def touch_agent_token(conn: AsyncConnection, token_id: uuid.UUID) -> None:
    """Record that the token was used (skipped if another request just did)."""
    await conn.execute(
        update(agent_tokens)
        .where(
            agent_tokens.c.id == token_id,
            or_(
                agent_tokens.c.last_used_at.is_(None),
                agent_tokens.c.last_used_at < func.now() - TOUCH_INTERVAL,
            ),
        )
        .values(last_used_at=func.now())
    )


async def agent_token_with_owner(conn: AsyncConnection, token_id: uuid.UUID) -> Row[Any] | None:
    """A token (revoked or not) with its agent's project owner, locked for revocation."""
    query = (
        select(agent_tokens, projects.c.owner_id)
        .select_from(
            agent_tokens.join(agents, agents.c.id == agent_tokens.c.agent_id).join(
                projects, projects.c.id == agents.c.project_id
            )
        )
        .where(agent_tokens.c.id == token_id)
        .with_for_update(of=agent_tokens)
    )
    return _first(await conn.execute(query))


async def revoke_agent_token(conn: AsyncConnection, token_id: uuid.UUID) -> None:
    await conn.execute(
        update(agent_tokens)
        .where(agent_tokens.c.id == token_id, agent_tokens.c.revoked_at.is_(None))
        .values(revoked_at=func.now(), updated_at=func.now())
    )


def _first(result: CursorResult[Any]) -> Row[Any] | None:
    return result.first()
