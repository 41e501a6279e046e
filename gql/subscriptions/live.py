"""Live events as the hub delivers them, parsed from NOTIFY payloads or read back from the log."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.events import EventKind


@dataclass(frozen=True, slots=True)
class LiveEvent:
    kind: EventKind
    agent_id: uuid.UUID
    project_id: uuid.UUID
    at: datetime
    seq: int | None = None  # None for heartbeats: they are not kept
    data: dict[str, Any] = field(default_factory=dict)
    complete: bool = True  # False when NOTIFY left the data out (read the row by seq)

    @property
    def durable(self) -> bool:
        return self.seq is not None


def from_notify(payload: str) -> LiveEvent:
    raw = json.loads(payload)
    if "seq" not in raw:
        return LiveEvent(
            kind=EventKind.HEARTBEAT,
            agent_id=uuid.UUID(raw["agent"]),
            project_id=uuid.UUID(raw["project"]),
            at=datetime.fromisoformat(raw["at"]),
        )
    return LiveEvent(
        kind=EventKind(raw["kind"]),
        agent_id=uuid.UUID(raw["agent"]),
        project_id=uuid.UUID(raw["project"]),
        at=datetime.fromisoformat(raw["at"]),
        seq=int(raw["seq"]),
        data=raw.get("data") or {},
        complete="data" in raw,
    )


def from_row(row: Any) -> LiveEvent:
    """A durable event read from the ``events`` table."""
    return LiveEvent(
        kind=EventKind(row.kind),
        agent_id=row.agent_id,
        project_id=row.project_id,
        at=row.at,
        seq=row.seq,
        data=row.data or {},
    )
