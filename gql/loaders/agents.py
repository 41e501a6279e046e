"""Loaders of agents: by id (visibility-checked) and pages of a project's agents."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.access import Viewer
from gql.loaders.base import KeyLoader, ParamLoader, by_attribute
from store import agents as store
from store import states
from store.database import Database, DatabaseConnection
from store.keyset import Keyset, Page


@dataclass(frozen=True)
class AgentPageParams:
    flt: store.AgentFilter
    order: str
    descending: bool
    keyset: Keyset


class AgentByIdLoader(KeyLoader[uuid.UUID, Any]):
    """Agents the viewer may see (with their project's owner); others resolve to None."""

    def __init__(self, database: Database, viewer: Viewer) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await store.agents_by_ids(conn, viewer, ids))

        super().__init__(database, fetch)


class AgentPageByProjectIdLoader(ParamLoader[uuid.UUID, AgentPageParams, Page]):
    def __init__(self, database: Database, viewer: Viewer, heartbeat_timeout: timedelta) -> None:
        async def fetch(
            conn: DatabaseConnection, ids: Sequence[uuid.UUID], p: AgentPageParams
        ) -> dict[uuid.UUID, Page]:
            return await store.pages_for_projects(
                conn, viewer, ids, flt=p.flt, order=p.order, descending=p.descending,
                keyset=p.keyset, heartbeat_timeout=heartbeat_timeout,
            )  # fmt: skip

        super().__init__(database, fetch)


class AgentCountByProjectIdLoader(ParamLoader[uuid.UUID, store.AgentFilter, int]):
    def __init__(self, database: Database, viewer: Viewer, heartbeat_timeout: timedelta) -> None:
        async def fetch(
            conn: DatabaseConnection, ids: Sequence[uuid.UUID], flt: store.AgentFilter
        ) -> dict[uuid.UUID, int]:
            return await store.counts_for_projects(
                conn, viewer, ids, flt=flt, heartbeat_timeout=heartbeat_timeout
            )

        super().__init__(database, fetch)


class StateByAgentIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, states.states_for_agents)
