"""Loaders of approvals: by id (visibility-checked), the latest per step, pages per agent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import Approval
from gql.loaders.base import KeyLoader, ParamLoader, by_id
from store import approvals
from store.database import DatabaseConnection
from store.keyset import Keyset, Page


class ApprovalByIdLoader(KeyLoader[uuid.UUID, Approval]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Approval]:
        return by_id(await approvals.approvals_by_ids(conn, self.scope.viewer, ids))


class ApprovalByStepIdLoader(KeyLoader[uuid.UUID, Approval]):
    """The latest approval of each step (a resumed execution may ask again)."""

    async def fetch(
        self, conn: DatabaseConnection, step_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Approval]:
        return await approvals.approvals_for_steps(conn, step_ids)


class ApprovalPageByAgentIdLoader(
    ParamLoader[uuid.UUID, tuple[str | None, Keyset], Page[Approval]]
):
    """Params: (status or None, keyset)."""

    async def fetch(
        self,
        conn: DatabaseConnection,
        ids: Sequence[uuid.UUID],
        params: tuple[str | None, Keyset],
    ) -> dict[uuid.UUID, Page[Approval]]:
        return await approvals.pages_for_agents(conn, ids, *params)


class ApprovalCountByAgentIdLoader(ParamLoader[uuid.UUID, str | None, int]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], status: str | None
    ) -> dict[uuid.UUID, int]:
        return await approvals.counts_for_agents(conn, ids, status)
