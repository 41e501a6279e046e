"""Loaders of projects (visibility-checked) and their statistics."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from domain.access import Viewer
from gql.loaders.base import KeyLoader, by_attribute
from store import projects
from store.database import Database, DatabaseConnection


class ProjectByIdLoader(KeyLoader[uuid.UUID, Any]):
    """Projects the viewer may see; others resolve to None (NOT_FOUND, no existence leak)."""

    def __init__(self, database: Database, viewer: Viewer) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return by_attribute(await projects.projects_by_ids(conn, viewer, ids))

        super().__init__(database, fetch)


class StatsByProjectIdLoader(KeyLoader[uuid.UUID, Any]):
    def __init__(self, database: Database, viewer: Viewer) -> None:
        async def fetch(conn: DatabaseConnection, ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
            return await projects.stats_for_projects(conn, viewer, ids)

        super().__init__(database, fetch)
