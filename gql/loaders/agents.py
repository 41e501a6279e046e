"""Loaders of agents (by id, visibility-checked; pages of a project's agents) and their state."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from domain.records import Agent, AgentState
from gql.loaders.base import KeyLoader, ParamLoader, by_id
from store import agents, states
from store.database import DatabaseConnection
from store.keyset import Keyset, Page


@dataclass(frozen=True)
class AgentPageParams:
    flt: agents.AgentFilter
    order: str
    descending: bool
    keyset: Keyset


class AgentByIdLoader(KeyLoader[uuid.UUID, Agent]):
    """Agents the viewer may see (with their project's owner); others resolve to None."""

    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Agent]:
        return by_id(await agents.agents_by_ids(conn, self.scope.viewer, ids))


class AgentPageByProjectIdLoader(ParamLoader[uuid.UUID, AgentPageParams, Page[Agent]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], params: AgentPageParams
    ) -> dict[uuid.UUID, Page[Agent]]:
        return await agents.pages_for_projects(
            conn, self.scope.viewer, ids, flt=params.flt, order=params.order,
            descending=params.descending, keyset=params.keyset,
            heartbeat_timeout=self.scope.heartbeat_timeout,
        )  # fmt: skip


class AgentCountByProjectIdLoader(ParamLoader[uuid.UUID, agents.AgentFilter, int]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], flt: agents.AgentFilter
    ) -> dict[uuid.UUID, int]:
        return await agents.counts_for_projects(
            conn, self.scope.viewer, ids, flt=flt, heartbeat_timeout=self.scope.heartbeat_timeout
        )


class StateByAgentIdLoader(KeyLoader[uuid.UUID, AgentState]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, AgentState]:
        return await states.states_for_agents(conn, ids)
