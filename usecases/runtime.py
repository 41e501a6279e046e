"""Use cases of an agent's configuration and capabilities (owner or superuser)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from domain.access import Viewer
from domain.errors import Forbidden, NotFound
from domain.values import validate_config_key
from store import agent_writes, runtime_writes
from store.database import Database
from usecases.agents import CapabilitySpec, ConfigSpec, capability_values, config_values


async def _owned_agent(conn: Any, viewer: Viewer, agent_id: uuid.UUID) -> Row[Any]:
    agent = await agent_writes.lock_agent(conn, viewer, agent_id)
    if not viewer.owns_project(agent.owner_id):
        raise Forbidden("Only the project's owner may change an agent's configuration.")
    return agent


async def set_config(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, spec: ConfigSpec
) -> Row[Any]:
    """Create or replace one config entry; the value must parse as its type."""
    values = config_values(spec, "input")
    async with database.transaction() as conn:
        agent = await _owned_agent(conn, viewer, agent_id)
        return await runtime_writes.upsert_config(conn, agent.id, values)


async def delete_config(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, key: str
) -> uuid.UUID:
    validate_config_key(key, "key")
    async with database.transaction() as conn:
        agent = await _owned_agent(conn, viewer, agent_id)
        deleted = await runtime_writes.delete_config(conn, agent.id, key)
    if deleted is None:
        raise NotFound("Config", key)
    return deleted


async def register_capability(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, spec: CapabilitySpec
) -> Row[Any]:
    values = capability_values(spec, "input")
    async with database.transaction() as conn:
        agent = await _owned_agent(conn, viewer, agent_id)
        return await runtime_writes.upsert_capability(conn, agent.id, values)


async def set_capability_enabled(
    database: Database, viewer: Viewer, capability_id: uuid.UUID, enabled: bool
) -> Row[Any]:
    async with database.transaction() as conn:
        agent_id = await runtime_writes.capability_agent(conn, capability_id)
        if agent_id is None:
            raise NotFound("AgentCapability", capability_id)
        try:
            await _owned_agent(conn, viewer, agent_id)
        except NotFound:
            raise NotFound("AgentCapability", capability_id) from None
        return await runtime_writes.set_capability_enabled(conn, capability_id, enabled)
