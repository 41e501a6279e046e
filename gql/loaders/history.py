"""Loaders of the lifecycle history (status transitions)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import StatusTransition
from gql.loaders.base import KeyLoader, ParamLoader, by_id
from store import history
from store.database import DatabaseConnection
from store.keyset import Keyset, Page


class TransitionPageByAgentIdLoader(ParamLoader[uuid.UUID, Keyset, Page[StatusTransition]]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID], keyset: Keyset
    ) -> dict[uuid.UUID, Page[StatusTransition]]:
        return await history.pages_for_agents(conn, ids, keyset)


class TransitionCountByAgentIdLoader(KeyLoader[uuid.UUID, int]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        return await history.counts_for_agents(conn, ids)


class TransitionByIdLoader(KeyLoader[uuid.UUID, StatusTransition]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, StatusTransition]:
        return by_id(await history.transitions_by_ids(conn, ids))


class TransitionBySeqLoader(KeyLoader[int, StatusTransition]):
    """By the cursor of the STATUS_CHANGED event written with the transition."""

    async def fetch(
        self, conn: DatabaseConnection, seqs: Sequence[int]
    ) -> dict[int, StatusTransition]:
        return by_id(await history.transitions_by_seqs(conn, seqs), "seq")
