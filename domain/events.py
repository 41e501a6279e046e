"""Agent event kinds and heartbeat health (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class EventKind(StrEnum):
    STATUS_CHANGED = "status_changed"
    STATE_UPDATED = "state_updated"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    EXECUTION_UPDATED = "execution_updated"
    HEARTBEAT = "heartbeat"
    HEALTH_CHANGED = "health_changed"


# Heartbeats are published but never kept in the durable log (latest value wins).
DURABLE_KINDS = frozenset(EventKind) - {EventKind.HEARTBEAT}


class AgentHealth(StrEnum):
    HEALTHY = "healthy"
    STALE = "stale"
    UNKNOWN = "unknown"


def health_of(last_heartbeat_at: datetime | None, now: datetime, timeout: timedelta) -> AgentHealth:
    """HEALTHY when the last heartbeat is within ``timeout`` of ``now``; UNKNOWN when never seen."""
    if last_heartbeat_at is None:
        return AgentHealth.UNKNOWN
    return AgentHealth.HEALTHY if now - last_heartbeat_at <= timeout else AgentHealth.STALE
