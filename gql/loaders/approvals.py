"""Loaders of approvals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from domain.access import Viewer
from gql.loaders.base import KeyLoader, ParamLoader, by_attribute
from store import approvals
from store.database import Database, DatabaseConnection
from store.keyset import Keyset, Page


class ApprovalByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database, viewer: Viewer) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await approvals.approvals_by_ids(conn, viewer, ids))

        super().__init__(database, fetch)


class ApprovalByStepIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, approvals.approvals_for_steps)


class ApprovalPageByAgentIdLoader(ParamLoader[uuid.UUID, tuple[str | None, Keyset], Page]):
    def __init__(self, database: Database) -> None:
        async def fetch(
            conn: DatabaseConnection, ids: Sequence[uuid.UUID], params: tuple[str | None, Keyset]
        ) -> dict[uuid.UUID, Page]:
            return await approvals.pages_for_agents(conn, ids, *params)

        super().__init__(database, fetch)


class ApprovalCountByAgentIdLoader(ParamLoader[uuid.UUID, str | None, int]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, approvals.counts_for_agents)
