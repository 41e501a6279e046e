"""Agents, and the one state each has."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.lifecycle import AgentStatus
from domain.safety import SafetyLevel


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent, with the owner of its project (who may manage it)."""

    id: uuid.UUID
    project_id: uuid.UUID
    agent_type_id: uuid.UUID
    name: str
    status: AgentStatus
    # Where a PAUSED agent resumes to (and, during its execution, the moves it follows).
    paused_from: AgentStatus | None
    safety_level: SafetyLevel
    version: str
    endpoint: str | None
    revision: int
    last_heartbeat_at: datetime | None
    tasks_completed: int
    tokens_used: int
    cost_incurred: Decimal
    created_at: datetime
    updated_at: datetime
    owner_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AgentState:
    """What the agent's runtime reports of its workflows and resources."""

    agent_id: uuid.UUID
    current_workflow: str | None
    workflow_data: dict[str, Any]
    active_workflows: list[Any]
    resource_locks: list[Any]
    resource_usage: dict[str, Any]
    metadata: dict[str, Any]
    error_count: int
    last_error: dict[str, Any] | None
    last_activity_at: datetime | None
    created_at: datetime
    updated_at: datetime
