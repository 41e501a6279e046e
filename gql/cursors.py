"""The cursors of every list with a fixed ordering: what a cursor holds, and its keyset key."""

from __future__ import annotations

import uuid
from typing import Any

from gql.pagination import Cursors
from store.keyset import cursor_instant


def _bigint(value: Any) -> int:
    """A cursor's integer key, within PostgreSQL's bigint (else the cursor is not ours)."""
    number = int(value)
    if not 0 <= number < 2**63:
        raise ValueError("out of range")
    return number


def _time_and_uuid(values: list[Any]) -> tuple[Any, ...]:
    return (cursor_instant(values[0]), uuid.UUID(values[1]))


def _integer(values: list[Any]) -> tuple[Any, ...]:
    return (_bigint(values[0]),)


METRICS = Cursors(
    "metric",
    lambda metric: [metric.recorded_at.isoformat(), metric.id],
    lambda values: (cursor_instant(values[0]), _bigint(values[1])),
)
TRANSITIONS = Cursors("transition", lambda transition: [transition.seq], _integer)
EXECUTIONS = Cursors(
    "execution",
    lambda execution: [execution.started_at.isoformat(), str(execution.id)],
    _time_and_uuid,
)
EXECUTION_EVENTS = Cursors("execution-event", lambda event: [event.id], _integer)
APPROVALS = Cursors(
    "approval",
    lambda approval: [approval.requested_at.isoformat(), str(approval.id)],
    _time_and_uuid,
)
AGENT_TYPES = Cursors(
    "agent-type",
    lambda agent_type: [agent_type.name, str(agent_type.id)],
    lambda values: (str(values[0]), uuid.UUID(values[1])),
)
PROJECTS = Cursors(
    "project", lambda project: [project.created_at.isoformat(), str(project.id)], _time_and_uuid
)
