"""What agent runtimes report as they run: metric points (and their series and summaries) and
heartbeats."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.events import AgentHealth
from domain.metrics import MetricType


@dataclass(frozen=True, slots=True)
class AgentMetric:
    """One time-series point (append-only; a bigint id)."""

    id: int
    agent_id: uuid.UUID
    name: str
    value: float
    metric_type: MetricType
    unit: str | None
    tags: dict[str, Any]
    recorded_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MetricBucket:
    """One bucket of a metric series: its start, the aggregate of its points, how many."""

    bucket: datetime
    value: float | None
    count: int


@dataclass(frozen=True, slots=True)
class MetricSummary:
    count: int
    avg: float | None
    min: float | None
    max: float | None
    sum: float | None
    last: float | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class AppliedHeartbeat:
    """An agent whose heartbeat was applied, with the health the sweeper last reported of it."""

    agent_id: uuid.UUID
    project_id: uuid.UUID
    last_heartbeat_at: datetime
    reported_health: AgentHealth | None
