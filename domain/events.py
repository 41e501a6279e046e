"""Agent events: their kinds, the event record every layer passes along, heartbeat health."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from domain.records import StatusTransition


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


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event as it travels from the log (or a NOTIFY) to subscribers."""

    kind: EventKind
    agent_id: uuid.UUID
    project_id: uuid.UUID
    at: datetime
    seq: int | None = None  # None for heartbeats: they are not kept
    data: dict[str, Any] = field(default_factory=dict)
    complete: bool = True  # False when NOTIFY left the data out (read the row by seq)
    # STATUS_CHANGED: its transition, when the NOTIFY carried it (else read by seq).
    transition: StatusTransition | None = None

    @property
    def durable(self) -> bool:
        return self.seq is not None
