"""Use cases of agent tokens: created and revoked by the project's owner or a superuser."""

from __future__ import annotations

import uuid

from domain.access import Viewer
from domain.errors import NotFound
from domain.records import AgentToken
from store import agent_tokens
from store.database import Database
from usecases.accounts import optional_name, require_user
from usecases.credentials.tokens import new_agent_secret, secret_hash


async def create_agent_token(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, name: str | None = None
) -> tuple[AgentToken, str]:
    """A new token for the agent, and its secret (shown once; only the hash is stored).

    Only the project's owner or a superuser; the agent is NOT_FOUND to other users.
    """
    require_user(viewer, "Agent tokens may not create agent tokens.")
    label = optional_name(name, "name")
    secret = new_agent_secret()
    async with database.transaction() as conn:
        owner_id = await agent_tokens.agent_owner_id(conn, agent_id)
        if owner_id is None or not viewer.owns_project(owner_id):
            raise NotFound("Agent")
        token = await agent_tokens.insert_agent_token(
            conn,
            agent_id=agent_id,
            name=label,
            token_hash=secret_hash(secret),
            created_by=viewer.user_id,
        )
    return token, secret


async def revoke_agent_token(database: Database, viewer: Viewer, token_id: uuid.UUID) -> None:
    """Revoke an agent token (idempotent). Only the project's owner or a superuser."""
    require_user(viewer, "Agent tokens may not revoke agent tokens.")
    async with database.transaction() as conn:
        found = await agent_tokens.agent_token_with_owner(conn, token_id)
        if found is None or not viewer.owns_project(found[1]):
            raise NotFound("Agent token")
        await agent_tokens.revoke_agent_token(conn, found[0].id)
