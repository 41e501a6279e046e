"""Loaders of agents' config entries and capabilities."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import AgentCapability, AgentConfig
from gql.loaders.base import KeyLoader, by_id
from store import capabilities, configs
from store.database import DatabaseConnection


class ConfigsByAgentIdLoader(KeyLoader[uuid.UUID, list[AgentConfig]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[AgentConfig]]:
        return await configs.configs_for_agents(conn, ids)


class ConfigByIdLoader(KeyLoader[uuid.UUID, AgentConfig]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, AgentConfig]:
        return by_id(await configs.configs_by_ids(conn, ids))


class CapabilitiesByAgentIdLoader(KeyLoader[uuid.UUID, list[AgentCapability]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[AgentCapability]]:
        return await capabilities.capabilities_for_agents(conn, ids)


class CapabilityByIdLoader(KeyLoader[uuid.UUID, AgentCapability]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, AgentCapability]:
        return by_id(await capabilities.capabilities_by_ids(conn, ids))
