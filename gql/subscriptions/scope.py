"""What a subscription may see: settled at subscribe time, checked again for every event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from domain.access import Viewer
from domain.errors import NotFound, ValidationFailed
from domain.events import EventKind, LiveEvent
from gql.context import Context
from gql.ids import from_global_id
from store import projects


@dataclass(frozen=True)
class Scope:
    """Events of one agent, of one project, or (None, None) of everything the viewer may see."""

    viewer: Viewer
    project_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    kinds: frozenset[EventKind]

    def matches(self, event: LiveEvent) -> bool:
        """Cheap, synchronous pre-filter run by the hub for every event."""
        if event.kind not in self.kinds:
            return False
        if self.agent_id is not None and event.agent_id != self.agent_id:
            return False
        if self.project_id is not None and event.project_id != self.project_id:
            return False
        # An agent token sees its own agent only.
        return self.viewer.agent_id is None or event.agent_id == self.viewer.agent_id


MAX_CURSOR = 2**63  # event cursors are bigint sequence numbers


def parse_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not (after.isascii() and after.isdigit()) or int(after) >= MAX_CURSOR:
        raise ValidationFailed("after", "must be a cursor returned by an earlier event")
    return int(after)


async def resolve_scope(
    context: Context,
    *,
    agent_id: str | None,
    project_id: str | None,
    kinds: Sequence[EventKind],
) -> Scope:
    """Check the subscription's arguments against what the viewer may see (NOT_FOUND if not)."""
    agent_pk = from_global_id(agent_id, "Agent", "agentId") if agent_id else None
    project_pk = from_global_id(project_id, "Project", "projectId") if project_id else None
    if agent_pk is not None:
        agent = await context.loaders.agent_by_id.load(agent_pk)
        if agent is None or (project_pk is not None and agent.project_id != project_pk):
            raise NotFound("Agent", agent_id)
        project_pk = agent.project_id
    elif project_pk is not None and await context.loaders.project_by_id.load(project_pk) is None:
        raise NotFound("Project", project_id)
    return Scope(context.viewer, project_pk, agent_pk, frozenset(kinds))


async def replay_projects(context: Context, scope: Scope) -> list[uuid.UUID] | None:
    """The projects a replay reads: the scope's, or all the viewer owns (None: everything)."""
    if scope.project_id is not None:
        return [scope.project_id]
    viewer = scope.viewer
    if viewer.is_superuser:
        return None
    async with context.database.read() as conn:
        return await projects.owned_project_ids(conn, viewer)
