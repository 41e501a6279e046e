"""Loaders of users."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import User
from gql.loaders.base import KeyLoader, by_id
from store import accounts
from store.database import DatabaseConnection


class UserByIdLoader(KeyLoader[uuid.UUID, User]):
    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, User]:
        return by_id(await accounts.users_by_ids(conn, ids))
