"""Executions, their planned steps, checkpoints and log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.executions import ExecutionEventType, ExecutionStatus, StepStatus
from domain.recovery import RecoveryStrategy
from domain.safety import RiskLevel


@dataclass(frozen=True, slots=True)
class Execution:
    id: uuid.UUID
    agent_id: uuid.UUID
    description: str
    input: dict[str, Any]
    status: ExecutionStatus
    dry_run: bool
    started_at: datetime
    completed_at: datetime | None
    result: Any
    error: str | None
    recovery_strategy: RecoveryStrategy | None
    tokens_used: int
    cost: Decimal
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExecutionStep:
    """One planned step, with its safety assessment."""

    id: uuid.UUID
    execution_id: uuid.UUID
    index: int
    tool: str
    params: dict[str, Any]
    rationale: str | None
    risk_level: RiskLevel
    requires_approval: bool
    safe: bool
    risks: list[str]
    mitigations: list[str]
    status: StepStatus
    result: Any
    error: str | None
    attempts: int
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A named snapshot; ``seq`` orders the checkpoints of one execution (1, 2, …)."""

    id: uuid.UUID
    execution_id: uuid.UUID
    name: str
    data: dict[str, Any]
    seq: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    """One entry of an execution's log (a bigint id, in append order)."""

    id: int
    execution_id: uuid.UUID
    event_type: ExecutionEventType
    data: dict[str, Any]
    at: datetime
