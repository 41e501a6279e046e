"""The lifecycle history: one record per move of an agent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.lifecycle import AgentStatus


@dataclass(frozen=True, slots=True)
class StatusTransition:
    """One lifecycle move; ``seq`` is the cursor of the STATUS_CHANGED event written with it."""

    id: uuid.UUID
    seq: int
    agent_id: uuid.UUID
    from_status: AgentStatus | None
    to_status: AgentStatus
    reason: str | None
    actor: str
    at: datetime
