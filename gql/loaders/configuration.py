"""Loaders of agents' config entries and capabilities."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from gql.loaders.base import KeyLoader, by_attribute
from store import capabilities, configs
from store.database import Database, DatabaseConnection


class ConfigsByAgentIdLoader(KeyLoader[uuid.UUID, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, configs.configs_for_agents)


class ConfigByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await configs.configs_by_ids(conn, ids))

        super().__init__(database, fetch)


class CapabilitiesByAgentIdLoader(KeyLoader[uuid.UUID, list[Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, capabilities.capabilities_for_agents)


class CapabilityByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await capabilities.capabilities_by_ids(conn, ids))

        super().__init__(database, fetch)
