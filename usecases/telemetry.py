"""Telemetry from agent runtimes: heartbeats and metric points.

Telemetry does not bump the agent's revision: a runtime beating every few seconds would otherwise
make expectedRevision useless for people. (State updates do: usecases/states.py.)
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.access import Viewer
from domain.errors import NotFound, ValidationFailed
from domain.events import AgentHealth
from domain.metrics import MAX_POINTS_PER_BATCH, MetricType
from domain.records import AppliedHeartbeat
from domain.values import validate_json_array, validate_json_object, validate_name
from store import eventlog, heartbeats, metrics, sweeps
from store.database import Database
from usecases.instruments import HEARTBEATS, METRIC_POINTS

# Clocks drift; a beat from the future is accepted up to this much ahead.
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_HEARTBEATS_PER_BATCH = 1000


@dataclass(frozen=True)
class Heartbeat:
    agent_id: uuid.UUID
    resource_usage: Any = None
    active_workflows: Any = None
    current_workflow: str | None = None
    has_workflow: bool = False
    at: datetime | None = None


# Neither frozen nor slotted: a batch builds a thousand, and a frozen dataclass's __init__
# (object.__setattr__ a field) costs three times a plain one; orjson writes a dataclass with a
# __dict__ ten times faster than one with slots (store/metrics.py sends the points as they are).
# Nothing keeps or hashes a point.
@dataclass
class MetricPoint:
    name: str
    value: float
    metric_type: MetricType = MetricType.GAUGE
    unit: str | None = None
    tags: Any = None
    recorded_at: datetime | None = None


def _beat_values(beat: Heartbeat, field: str, now: datetime, checked: bool) -> dict[str, Any]:
    at = beat.at or now
    if at - now > MAX_CLOCK_SKEW:
        raise ValidationFailed(f"{field}.at", "is in the future")
    return {
        "agent_id": beat.agent_id,
        "at": at,
        "resource_usage": None
        if beat.resource_usage is None
        else validate_json_object(beat.resource_usage, f"{field}.resourceUsage", checked=checked),
        "active_workflows": None
        if beat.active_workflows is None
        else validate_json_array(
            beat.active_workflows, f"{field}.activeWorkflows", checked=checked
        ),
        "current_workflow": beat.current_workflow,
        "has_workflow": beat.has_workflow,
    }


async def record_heartbeats(
    database: Database, viewer: Viewer, beats: Sequence[Heartbeat], field: str,
    *, json_checked: bool = False,
) -> list[AppliedHeartbeat]:  # fmt: skip
    """Apply a batch of heartbeats in one statement; NOT_FOUND (nothing applied) if any agent is not visible.

    ``json_checked``: the caller has already held every string and number of the beats' JSON
    values to rules that include validate_json's (the ingest path: gql/input_limits.py's, no
    control character nor a float past ±1e100), so only their kinds are checked here.

    An agent that was STALE becomes HEALTHY again with a durable HEALTH_CHANGED event, in the
    same transaction. Beats of agents that are not STALE — nearly all — need no event: their
    statement is its own transaction (one round trip, no BEGIN or COMMIT); when it finds a STALE
    agent it applies nothing, and the batch is applied again in a transaction with the recovery.
    """
    if len(beats) > MAX_HEARTBEATS_PER_BATCH:
        raise ValidationFailed(field, f"at most {MAX_HEARTBEATS_PER_BATCH} heartbeats per call")
    now = datetime.now(UTC)
    # A batch names each item (inputs[3].at); a single heartbeat names its input (input.at).
    batch = field == "inputs"
    values = [
        _beat_values(b, f"{field}[{i}]" if batch else field, now, json_checked)
        for i, b in enumerate(beats)
    ]
    wanted = {b.agent_id for b in beats}
    outcome = await heartbeats.apply_heartbeats_alone(database, viewer, values)
    missing = wanted - outcome.visible
    if missing:
        raise NotFound("Agent", next(iter(missing)))
    if not outcome.stale:
        HEARTBEATS.inc(len(outcome.applied))
        return outcome.applied
    async with database.transaction() as conn:
        outcome = await heartbeats.apply_heartbeats(database, conn, viewer, values, with_stale=True)
        missing = wanted - outcome.visible
        if missing:  # deleted meanwhile
            raise NotFound("Agent", next(iter(missing)))
        recovered = [
            (beat.agent_id, beat.project_id)
            for beat in outcome.applied
            if beat.reported_health is AgentHealth.STALE
        ]
        if recovered:
            await sweeps.mark_healthy(conn, [agent_id for agent_id, _ in recovered])
            await eventlog.append(conn, eventlog.health_changes(recovered, AgentHealth.HEALTHY))
    HEARTBEATS.inc(len(outcome.applied))
    return outcome.applied


def _checked_point(point: MetricPoint) -> MetricPoint:
    """``point`` as it is stored: name stripped, value a float, recorded_at in UTC (the same
    object when it already is). A refusal names the field below the point (``name``)."""
    value = point.value
    if not math.isfinite(value):
        raise ValidationFailed("value", "must be a finite number (not NaN or Infinity)")
    name = validate_name(point.name, "name")
    if point.tags is not None:
        validate_json_object(point.tags, "tags")
    at = point.recorded_at
    if name is point.name and type(value) is float and (at is None or at.tzinfo is UTC):
        return point
    return MetricPoint(
        name, float(value), point.metric_type, point.unit, point.tags, at and _in_utc(at)
    )


def _in_utc(at: datetime) -> datetime:
    """The same instant in UTC (a naive one taken as UTC, as the driver takes it): the batch
    travels as JSON text, and an offset of seconds would not survive it."""
    if at.tzinfo is UTC:
        return at
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def _checked_points(points: Sequence[MetricPoint]) -> list[MetricPoint]:
    checked = []
    index = 0
    try:
        for index, point in enumerate(points):  # noqa: B007 (named on refusal)
            checked.append(_checked_point(point))
    except ValidationFailed as failed:  # the path is built for a refusal only
        raise ValidationFailed(f"metrics[{index}].{failed.field}", failed.reason) from None
    return checked


async def record_metrics(
    database: Database, viewer: Viewer, agent_id: uuid.UUID, points: Sequence[MetricPoint]
) -> int:
    """Append up to MAX_POINTS_PER_BATCH points in one statement (its own transaction);
    NOT_FOUND (nothing written) unless the viewer may see the agent."""
    if len(points) > MAX_POINTS_PER_BATCH:
        raise ValidationFailed(
            "metrics", f"at most {MAX_POINTS_PER_BATCH} points per call (got {len(points)})"
        )
    checked = _checked_points(points)
    # Points without recorded_at get the server's clock: one instant for the whole batch.
    now = datetime.now(UTC)
    async with database.statement() as conn:
        written = await metrics.insert_points(database, conn, viewer, agent_id, checked, now)
    if written is None:
        raise NotFound("Agent", agent_id)
    METRIC_POINTS.inc(written)
    return written
