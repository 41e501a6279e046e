"""Use cases of an agent's configuration: its config entries and capabilities (owner or superuser)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.access import Viewer
from domain.bounds import MAX_CAPABILITIES_PER_AGENT, MAX_CONFIGS_PER_AGENT, require_room
from domain.errors import Forbidden, NotFound
from domain.records import Agent, AgentCapability, AgentConfig
from domain.values import (
    ConfigValueType,
    parse_config_value,
    validate_config_key,
    validate_json_object,
    validate_name,
    validate_semver,
    validate_text,
)
from store import agent_writes, capabilities, configs
from store.database import Database, DatabaseConnection


@dataclass(frozen=True)
class ConfigSpec:
    key: str
    value: str
    value_type: ConfigValueType = ConfigValueType.STRING
    description: str | None = None
    is_sensitive: bool = False


@dataclass(frozen=True)
class CapabilitySpec:
    name: str
    version: str
    enabled: bool = True
    parameters: Any = None
    description: str | None = None


def config_values(spec: ConfigSpec, field_prefix: str) -> dict[str, Any]:
    """The row values of a config entry, after checking its key and that its value parses."""
    key = validate_config_key(spec.key, f"{field_prefix}.key")
    parse_config_value(
        spec.value, spec.value_type, f"{field_prefix}.value", sensitive=spec.is_sensitive
    )
    return {
        "key": key,
        "value": spec.value,
        "value_type": spec.value_type.value,
        "description": validate_text(
            spec.description, f"{field_prefix}.description", required=False
        ),
        "is_sensitive": spec.is_sensitive,
    }


def capability_values(spec: CapabilitySpec, field_prefix: str) -> dict[str, Any]:
    name = validate_name(spec.name, f"{field_prefix}.name")
    version = validate_semver(spec.version, f"{field_prefix}.version")
    parameters = (
        {}
        if spec.parameters is None
        else validate_json_object(spec.parameters, f"{field_prefix}.parameters")
    )
    return {
        "name": name,
        "version": version,
        "enabled": spec.enabled,
        "parameters": parameters,
        "description": validate_text(
            spec.description, f"{field_prefix}.description", required=False
        ),
    }


async def _owned_agent(conn: DatabaseConnection, viewer: Viewer, agent_id: uuid.UUID) -> Agent:
    agent = await agent_writes.lock_agent(conn, viewer, agent_id)
    if not viewer.owns_project(agent.owner_id):
        raise Forbidden("Only the project's owner may change an agent's configuration.")
    return agent


async def set_config(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, spec: ConfigSpec
) -> AgentConfig:
    """Create or replace one config entry; the value must parse as its type."""
    values = config_values(spec, "input")
    async with database.transaction() as conn:
        agent = await _owned_agent(conn, viewer, agent_id)
        others = await configs.count_other_configs(conn, agent.id, values["key"])
        require_room(others + 1, MAX_CONFIGS_PER_AGENT, "input.key", "config entries per agent")
        return await configs.upsert_config(conn, agent.id, values)


async def delete_config(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, key: str
) -> uuid.UUID:
    validate_config_key(key, "key")
    async with database.transaction() as conn:
        agent = await _owned_agent(conn, viewer, agent_id)
        deleted = await configs.delete_config(conn, agent.id, key)
    if deleted is None:
        raise NotFound("Config", key)
    return deleted


async def register_capability(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, spec: CapabilitySpec
) -> AgentCapability:
    values = capability_values(spec, "input")
    async with database.transaction() as conn:
        agent = await _owned_agent(conn, viewer, agent_id)
        others = await capabilities.count_other_capabilities(
            conn, agent.id, values["name"], values["version"]
        )
        require_room(
            others + 1, MAX_CAPABILITIES_PER_AGENT, "input.name", "capability versions per agent"
        )
        return await capabilities.upsert_capability(conn, agent.id, values)


async def set_capability_enabled(
    database: Database, viewer: Viewer, capability_id: uuid.UUID, enabled: bool
) -> AgentCapability:
    async with database.transaction() as conn:
        agent_id = await capabilities.capability_agent(conn, capability_id)
        if agent_id is None:
            raise NotFound("AgentCapability", capability_id)
        try:
            await _owned_agent(conn, viewer, agent_id)
        except NotFound:
            raise NotFound("AgentCapability", capability_id) from None
        return await capabilities.set_capability_enabled(conn, capability_id, enabled)
