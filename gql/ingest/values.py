"""The fast path's input coercion: JSON variables straight into the use case's heartbeats and
metric points, as Strawberry would build HeartbeatInput and MetricInput and the resolvers would
convert them, for values the schema's coercion would accept unchanged. Any value it would
convert, refuse or explain (an integer ID, a single object for a list, an unknown field, a bad
date-time) is ``Unusual``: the view then answers, with its own words."""

from __future__ import annotations

import math
from typing import Any

import strawberry

from domain.errors import ValidationFailed
from domain.metrics import MetricType
from gql.ids import from_global_id
from gql.scalars import DateTime, parse_datetime
from usecases import telemetry

_HEARTBEAT_FIELDS = frozenset(
    {"agentId", "resourceUsage", "activeWorkflows", "currentWorkflow", "at"}
)
_METRIC_FIELDS = frozenset({"name", "value", "metricType", "unit", "tags", "recordedAt"})
_PLAIN_METRIC_FIELDS = frozenset({"name", "value", "unit", "tags"})


class Unusual(Exception):
    """A value the fast path leaves to the view."""


def _object(value: Any, fields: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or not fields.issuperset(value):
        raise Unusual
    return value


def _string(value: Any, *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise Unusual
    return value


def _datetime(value: Any) -> DateTime | None:
    if value is None:
        return None
    try:
        parsed: DateTime = parse_datetime(value)
    except ValidationFailed:
        raise Unusual from None
    return parsed


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unusual
    try:
        number = float(value)
    except OverflowError:
        raise Unusual from None
    if not math.isfinite(number):
        raise Unusual
    return number


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unusual
    return value


def heartbeat(value: Any, field: str) -> telemetry.Heartbeat:
    """The use case's heartbeat, as Strawberry would build a HeartbeatInput from ``value`` and
    ``heartbeat_of`` would turn it into a heartbeat (``field`` names the input in errors)."""
    given = _object(value, _HEARTBEAT_FIELDS)
    if "agentId" not in given:
        raise Unusual
    agent = _string(given["agentId"], nullable=False) or ""
    has_workflow = "currentWorkflow" in given
    workflow = _string(given["currentWorkflow"]) if has_workflow else None
    at = _datetime(given.get("at"))
    return telemetry.Heartbeat(
        agent_id=from_global_id(agent, "Agent", f"{field}.agentId"),
        resource_usage=given.get("resourceUsage"),
        active_workflows=given.get("activeWorkflows"),
        current_workflow=workflow,
        has_workflow=has_workflow,
        at=at,
    )


def heartbeats(value: Any) -> list[telemetry.Heartbeat]:
    return [heartbeat(item, f"inputs[{i}]") for i, item in enumerate(_list(value))]


def _metric_type(value: Any) -> MetricType | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in MetricType.__members__:
        raise Unusual
    return MetricType[value]


def metric_points(value: Any) -> list[telemetry.MetricPoint]:
    """The use case's points, as Strawberry would build MetricInputs from ``value`` and
    ``points_of`` would turn them into points (built directly: a thousand input objects a batch
    cost as much as the points themselves)."""
    points = []
    gauge = MetricType.GAUGE
    for item in _list(value):
        # What runtimes send most, taken in one test: a name, a finite float, a unit or none,
        # tags or none, no type and no time. Anything else is read field by field.
        if type(item) is dict and _PLAIN_METRIC_FIELDS.issuperset(item):
            name, number, unit = item.get("name"), item.get("value"), item.get("unit")
            if (
                type(name) is str
                and type(number) is float
                and -math.inf < number < math.inf
                and (unit is None or type(unit) is str)
            ):
                points.append(telemetry.MetricPoint(name, number, gauge, unit, item.get("tags")))
                continue
        points.append(_metric_point(item))
    return points


def _metric_point(item: Any) -> telemetry.MetricPoint:
    given = _object(item, _METRIC_FIELDS)
    if "name" not in given or "value" not in given:
        raise Unusual
    metric_type = _metric_type(given["metricType"]) if "metricType" in given else None
    return telemetry.MetricPoint(
        _string(given["name"], nullable=False) or "",
        _float(given["value"]),
        metric_type or MetricType.GAUGE,
        _string(given.get("unit")),
        given.get("tags"),
        _datetime(given.get("recordedAt")),
    )


def agent_id(value: Any) -> strawberry.ID:
    return strawberry.ID(_string(value, nullable=False) or "")
