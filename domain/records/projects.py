"""Projects, and the statistics of their agents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Project:
    id: uuid.UUID
    name: str
    slug: str
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectStats:
    """Counts and totals over a project's agents (those a viewer may see)."""

    total: int
    active: int
    idle: int
    paused: int
    error: int
    terminated: int
    tasks_completed: int
    tokens_used: Decimal  # a sum of bigints is a numeric
    cost_incurred: Decimal


NO_AGENTS = ProjectStats(
    total=0, active=0, idle=0, paused=0, error=0, terminated=0,
    tasks_completed=0, tokens_used=Decimal(0), cost_incurred=Decimal(0),
)  # fmt: skip
"""The statistics of a project without (visible) agents."""
