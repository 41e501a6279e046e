"""Loaders of the lifecycle history (status transitions)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from gql.loaders.base import KeyLoader, ParamLoader, by_attribute
from store import history
from store.database import Database, DatabaseConnection
from store.keyset import Keyset, Page


class TransitionPageByAgentIdLoader(ParamLoader[uuid.UUID, Keyset, Page]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, history.pages_for_agents)


class TransitionCountByAgentIdLoader(KeyLoader[uuid.UUID, int]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, history.counts_for_agents)


class TransitionByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await history.transitions_by_ids(conn, ids))

        super().__init__(database, fetch)


class TransitionBySeqLoader(KeyLoader[int, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, seqs: Sequence[int]) -> dict[Any, Any]:
            return by_attribute(await history.transitions_by_seqs(conn, seqs), "seq")

        super().__init__(database, fetch)
