"""SQL of agent tokens: the secrets agent runtimes authenticate with (hashes only)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.lifecycle import AgentStatus
from domain.records import AgentToken
from store.rows import fetch_one, to_record
from store.tables import agent_tokens, agents, projects, users

# A token's last_used_at is bookkeeping for its owner, not an audit log: one write per minute.
TOUCH_INTERVAL = timedelta(minutes=1)

_OF_AGENT = agent_tokens.join(agents, agents.c.id == agent_tokens.c.agent_id)


async def agent_owner_id(conn: AsyncConnection, agent_id: uuid.UUID) -> uuid.UUID | None:
    """The owner of the agent's project (who may manage its tokens); None without such agent."""
    query = (
        select(projects.c.owner_id)
        .select_from(agents.join(projects, projects.c.id == agents.c.project_id))
        .where(agents.c.id == agent_id)
    )
    owner_id: uuid.UUID | None = (await conn.execute(query)).scalar_one_or_none()
    return owner_id


async def insert_agent_token(
    conn: AsyncConnection,
    *,
    agent_id: uuid.UUID,
    name: str | None,
    token_hash: str,
    created_by: uuid.UUID | None,
) -> AgentToken:
    statement = (
        agent_tokens.insert()
        .values(agent_id=agent_id, name=name, token_hash=token_hash, created_by=created_by)
        .returning(agent_tokens)
    )
    return await fetch_one(conn, AgentToken, statement)


async def live_agent_token(
    conn: AsyncConnection, token_hash: str
) -> tuple[AgentToken, AgentStatus, bool] | None:
    """The unrevoked token with this hash whose agent exists, with that agent's status and
    whether the owner of its project is active (one statement: it runs on every request)."""
    query = (
        select(
            agent_tokens,
            agents.c.status.label("agent_status"),
            users.c.is_active.label("owner_active"),
        )
        .select_from(
            _OF_AGENT.join(projects, projects.c.id == agents.c.project_id).join(
                users, users.c.id == projects.c.owner_id
            )
        )
        .where(agent_tokens.c.token_hash == token_hash, agent_tokens.c.revoked_at.is_(None))
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return to_record(AgentToken, row), AgentStatus(row.agent_status), bool(row.owner_active)


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


async def agent_token_with_owner(
    conn: AsyncConnection, token_id: uuid.UUID
) -> tuple[AgentToken, uuid.UUID] | None:
    """A token (revoked or not) and its agent's project owner, locked for revocation."""
    query = (
        select(agent_tokens, projects.c.owner_id)
        .select_from(_OF_AGENT.join(projects, projects.c.id == agents.c.project_id))
        .where(agent_tokens.c.id == token_id)
        .with_for_update(of=agent_tokens)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else (to_record(AgentToken, row), row.owner_id)


async def revoke_agent_token(conn: AsyncConnection, token_id: uuid.UUID) -> None:
    await conn.execute(
        update(agent_tokens)
        .where(agent_tokens.c.id == token_id, agent_tokens.c.revoked_at.is_(None))
        .values(revoked_at=func.now(), updated_at=func.now())
    )
