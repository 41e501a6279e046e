"""Loaders of users."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from gql.loaders.base import KeyLoader, by_attribute
from store import accounts
from store.database import Database, DatabaseConnection


class UserByIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await accounts.users_by_ids(conn, ids))

        super().__init__(database, fetch)
