"""Approvals: a human decision on one risky step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.executions import ApprovalStatus


@dataclass(frozen=True, slots=True)
class Approval:
    """As stored: a PENDING one past ``expires_at`` still says PENDING here (see
    ``domain.executions.approval_status_at`` for what it is)."""

    id: uuid.UUID
    agent_id: uuid.UUID
    execution_id: uuid.UUID
    step_id: uuid.UUID
    status: ApprovalStatus
    requested_at: datetime
    expires_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
