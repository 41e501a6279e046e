"""Use cases of an agent's life: spawn, lifecycle moves, errors, deletion. One transaction each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from domain.access import Viewer
from domain.bounds import MAX_CAPABILITIES_PER_AGENT, MAX_CONFIGS_PER_AGENT, require_room
from domain.clock import NOW
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.events import EventKind
from domain.lifecycle import AgentStatus, Trigger
from domain.records import Agent, StatusTransition
from domain.safety import SafetyLevel
from domain.values import validate_name, validate_text
from store import agent_types, agent_writes, capabilities, configs, eventlog, projects, states
from store.database import Database
from store.eventlog import NewEvent
from usecases.configuration import CapabilitySpec, ConfigSpec, capability_values, config_values
from usecases.executions import cancel_open_executions
from usecases.moves import check_revision, move_agent, spawned_event


@dataclass(frozen=True)
class SpawnRequest:
    project_id: uuid.UUID
    agent_type_id: uuid.UUID
    name: str
    safety_level: SafetyLevel = SafetyLevel.MODERATE
    version: str | None = None
    endpoint: str | None = None
    configs: Sequence[ConfigSpec] = field(default_factory=tuple)
    capabilities: Sequence[CapabilitySpec] = field(default_factory=tuple)


@dataclass(frozen=True)
class Transitioned:
    agent: Agent
    transition: StatusTransition


def _endpoint(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    parsed = urlparse(value.strip())
    if parsed.scheme not in {"http", "https", "ws", "wss", "grpc", "grpcs"} or not parsed.netloc:
        raise ValidationFailed(
            "input.endpoint", "must be an absolute http(s), ws(s) or grpc(s) URL"
        )
    return value.strip()


def _version(value: str | None) -> str:
    if value is None:
        return "1.0.0"
    return validate_text(value, "input.version", max_length=64) or "1.0.0"


async def spawn_agent(database: Database, viewer: Viewer, request: SpawnRequest) -> Agent:
    """Create an IDLE agent with its state, configs and capabilities, and its first transition."""
    name = validate_name(request.name, "input.name")
    values = {
        "project_id": request.project_id,
        "agent_type_id": request.agent_type_id,
        "name": name,
        "safety_level": request.safety_level.value,
        "version": _version(request.version),
        "endpoint": _endpoint(request.endpoint),
        "status": AgentStatus.IDLE.value,
    }
    require_room(
        len(request.configs), MAX_CONFIGS_PER_AGENT, "input.configs", "config entries per agent"
    )
    require_room(
        len(request.capabilities),
        MAX_CAPABILITIES_PER_AGENT,
        "input.capabilities",
        "capability versions per agent",
    )
    config_rows = [config_values(c, f"input.configs[{i}]") for i, c in enumerate(request.configs)]
    _no_duplicates([c["key"] for c in config_rows], "input.configs", "key")
    capability_rows = [
        capability_values(c, f"input.capabilities[{i}]") for i, c in enumerate(request.capabilities)
    ]
    _no_duplicates(
        [f"{c['name']}@{c['version']}" for c in capability_rows],
        "input.capabilities",
        "name and version",
    )
    async with database.transaction() as conn:
        found = await projects.projects_by_ids(conn, viewer, [request.project_id])
        project = found[0] if found else None
        if project is None:
            raise NotFound("Project", request.project_id)
        if not viewer.owns_project(project.owner_id):
            raise Forbidden("Only the project's owner may spawn agents in it.")
        types = await agent_types.agent_types_by_ids(conn, [request.agent_type_id])
        agent_type = types[0] if types else None
        if agent_type is None:
            raise ValidationFailed("input.agentTypeId", "no such agent type")
        if not agent_type.is_active:
            raise ValidationFailed(
                "input.agentTypeId", f"agent type '{agent_type.slug}' is inactive"
            )
        agent = await agent_writes.insert_agent(conn, values)
        if agent is None:
            raise ValidationFailed(
                "input.name", f"an agent named '{name}' already exists in this project"
            )
        await configs.insert_configs(conn, agent.id, config_rows)
        await capabilities.insert_capabilities(conn, agent.id, capability_rows)
        await eventlog.append(conn, [spawned_event(agent, viewer.actor)])
    return agent


def _no_duplicates(keys: list[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise ValidationFailed(f"{field}[{i}]", f"duplicate {what} '{key}'")
        seen.add(key)


async def change_status(
    database: Database,
    viewer: Viewer,
    agent_id: uuid.UUID,
    trigger: Trigger,
    *,
    reason: str | None = None,
    expected_revision: int | None = None,
) -> Transitioned:
    """pause / resume / terminate / recover: one locked, checked, recorded move."""
    async with database.transaction() as conn:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
        check_revision(agent, expected_revision)
        moved = await move_agent(conn, agent, trigger, actor=viewer.actor, reason=reason)
        assert moved.event is not None
        cancelled = []
        if trigger is Trigger.TERMINATE:
            cancelled = await cancel_open_executions(conn, agent.id, reason or "agent terminated")
        appended = await eventlog.append(conn, [moved.event, *cancelled])
    return Transitioned(moved.agent, appended.transitions[0])


async def report_error(
    database: Database,
    viewer: Viewer,
    agent_id: uuid.UUID,
    error: Any,
    *,
    expected_revision: int | None = None,
) -> Transitioned:
    """The agent runtime reports an error: ERROR status, error_count + 1, last_error set."""
    if not isinstance(error, dict | str) or not error:
        raise ValidationFailed("input.error", "must be a non-empty JSON object or string")
    last_error = error if isinstance(error, dict) else {"error": error}
    async with database.transaction() as conn:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
        check_revision(agent, expected_revision)
        reason = str(last_error.get("error") or last_error.get("message") or "error reported")[:500]
        moved = await move_agent(
            conn, agent, Trigger.REPORT_ERROR, actor=viewer.actor, reason=reason
        )
        state = await states.state_of(conn, agent.id)
        await states.update_state(
            conn,
            agent.id,
            {
                "error_count": state.error_count + 1,
                "last_error": last_error,
                "last_activity_at": NOW,
            },
        )
        assert moved.event is not None
        # The state changed too (error count, last error): dashboards watching state hear it.
        state_updated = NewEvent(
            EventKind.STATE_UPDATED,
            agent.id,
            agent.project_id,
            {"fields": ["error_count", "last_error"]},
        )
        appended = await eventlog.append(conn, [moved.event, state_updated])
    return Transitioned(moved.agent, appended.transitions[0])


async def delete_agent(database: Database, viewer: Viewer, agent_id: uuid.UUID) -> None:
    """Delete an agent and everything below it. Only the project owner or a superuser."""
    async with database.transaction() as conn:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
        if not viewer.owns_project(agent.owner_id):
            raise Forbidden("Only the project's owner may delete its agents.")
        await agent_writes.delete_agent(conn, agent.id)
