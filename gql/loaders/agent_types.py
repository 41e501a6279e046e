"""Loaders of agent types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import AgentType
from gql.loaders.base import KeyLoader, by_id
from store import agent_types
from store.database import DatabaseConnection


class AgentTypeByIdLoader(KeyLoader[uuid.UUID, AgentType]):
    """Active or not: a visible agent may reference an inactive type."""

    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, AgentType]:
        return by_id(await agent_types.agent_types_by_ids(conn, ids))
