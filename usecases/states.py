"""Use cases of an agent's state: the runtime replaces parts of it (revision + 1, STATE_UPDATED)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.access import Viewer
from domain.clock import NOW
from domain.errors import ValidationFailed
from domain.events import EventKind
from domain.records import Agent
from domain.values import validate_json_array, validate_json_object
from store import agent_writes, eventlog, states
from store.database import Database
from store.eventlog import NewEvent
from usecases.moves import check_revision


@dataclass(frozen=True)
class StateUpdate:
    current_workflow: str | None = None
    has_current_workflow: bool = False
    workflow_data: Any = None
    active_workflows: Any = None
    resource_locks: Any = None
    resource_usage: Any = None
    metadata: Any = None


def _state_values(update: StateUpdate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if update.has_current_workflow:
        values["current_workflow"] = update.current_workflow
    checks = {
        "workflow_data": (update.workflow_data, validate_json_object, "input.workflowData"),
        "active_workflows": (update.active_workflows, validate_json_array, "input.activeWorkflows"),
        "resource_locks": (update.resource_locks, validate_json_array, "input.resourceLocks"),
        "resource_usage": (update.resource_usage, validate_json_object, "input.resourceUsage"),
        "metadata": (update.metadata, validate_json_object, "input.metadata"),
    }
    for column, (value, check, field) in checks.items():
        if value is not None:
            values[column] = check(value, field)
    return values


async def update_state(
    database: Database,
    viewer: Viewer,
    agent_id: uuid.UUID,
    update: StateUpdate,
    *,
    expected_revision: int | None = None,
) -> Agent:
    """Replace the given parts of the agent's state; revision + 1; a STATE_UPDATED event."""
    values = _state_values(update)
    if not values:
        raise ValidationFailed("input", "give at least one state field to update")
    async with database.transaction() as conn:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
        check_revision(agent, expected_revision)
        await states.update_state(conn, agent.id, {**values, "last_activity_at": NOW})
        updated = await agent_writes.update_agent(conn, agent.id, {})
        await eventlog.append(
            conn,
            [
                NewEvent(
                    EventKind.STATE_UPDATED, agent.id, agent.project_id, {"fields": sorted(values)}
                )
            ],
        )
    return updated
