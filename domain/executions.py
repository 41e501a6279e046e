"""Statuses of executions, their steps and approvals, and the execution event vocabulary (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ExecutionStatus(StrEnum):
    PLANNING = "planning"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_EXECUTION_STATUSES = frozenset(
    {ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED}
)
# In the order an execution goes through them.
OPEN_EXECUTION_STATUSES = (
    ExecutionStatus.PLANNING,
    ExecutionStatus.RUNNING,
    ExecutionStatus.WAITING_APPROVAL,
)


class StepStatus(StrEnum):
    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


APPROVAL_TTL = timedelta(hours=24)


def approval_status_at(status: str, expires_at: datetime, now: datetime) -> ApprovalStatus:
    """What an approval is: a PENDING one past its expiry counts as EXPIRED (a rejection)."""
    current = ApprovalStatus(status)
    if current is ApprovalStatus.PENDING and expires_at <= now:
        return ApprovalStatus.EXPIRED
    return current


class ExecutionEventType(StrEnum):
    EXECUTION_STARTED = "execution_started"
    PLAN_SUBMITTED = "plan_submitted"
    STEP_STARTED = "step_started"
    STEP_COMPLETED = "step_completed"
    STEP_FAILED = "step_failed"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    CHECKPOINT_SAVED = "checkpoint_saved"
    EXECUTION_COMPLETED = "execution_completed"
    EXECUTION_FAILED = "execution_failed"
    EXECUTION_CANCELLED = "execution_cancelled"


def step_checkpoint_name(index: int) -> str:
    """The checkpoint saved when step ``index`` succeeds (``step_<i>_completed``)."""
    return f"step_{index}_completed"


PLAN_CHECKPOINT = "plan_created"
