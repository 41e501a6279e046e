"""Loaders of projects (visibility-checked) and their statistics."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.records import Project, ProjectStats
from gql.loaders.base import KeyLoader, by_id
from store import projects
from store.database import DatabaseConnection


class ProjectByIdLoader(KeyLoader[uuid.UUID, Project]):
    """Projects the viewer may see; others resolve to None (NOT_FOUND, no existence leak)."""

    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Project]:
        return by_id(await projects.projects_by_ids(conn, self.scope.viewer, ids))


class StatsByProjectIdLoader(KeyLoader[uuid.UUID, ProjectStats]):
    """Over the agents the viewer may see; None for a project without any."""

    async def fetch(
        self, conn: DatabaseConnection, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, ProjectStats]:
        return await projects.stats_for_projects(conn, self.scope.viewer, ids)
