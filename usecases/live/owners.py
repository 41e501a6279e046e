"""Who owns a project, as the live path asks it for every event it delivers."""

from __future__ import annotations

import uuid

from domain.access import Viewer
from domain.events import LiveEvent
from store import projects
from store.database import Database


class ProjectOwners:
    """project id → owner id, cached per process (projects never change owner)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._owners: dict[uuid.UUID, uuid.UUID] = {}

    async def owner(self, project_id: uuid.UUID) -> uuid.UUID | None:
        if project_id not in self._owners:
            owners = await self._database.read_retrying(
                lambda conn: projects.project_owners(conn, [project_id])
            )
            self._owners.update(owners)
        return self._owners.get(project_id)

    async def may_see(self, viewer: Viewer, event: LiveEvent) -> bool:
        """The per-event check: never deliver what the subscriber may not see."""
        if viewer.is_superuser or viewer.agent_id == event.agent_id:
            return True  # no lookup needed
        owner = await self.owner(event.project_id)
        return owner is not None and viewer.can_see_agent(event.agent_id, owner)
