"""Inputs of what agent runtimes report: heartbeats, metric points, state updates."""

from __future__ import annotations

import strawberry

from domain.metrics import MetricType
from gql.scalars import JSON, DateTime


@strawberry.input(description="A heartbeat from an agent runtime.")
class HeartbeatInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    resource_usage: JSON | None = strawberry.field(
        default=None, description="Current resource usage (object)."
    )
    active_workflows: JSON | None = strawberry.field(
        default=None, description="Workflows in progress (array)."
    )
    current_workflow: str | None = strawberry.field(
        default=strawberry.UNSET, description="Workflow being run (null clears it)."
    )
    at: DateTime | None = strawberry.field(default=None, description="When (default: now).")


@strawberry.input(description="One metric point.")
class MetricInput:
    name: str = strawberry.field(description="Metric name.")
    value: float = strawberry.field(description="Value (finite).")
    metric_type: MetricType | None = strawberry.field(
        default=MetricType.GAUGE, description="Kind (default GAUGE)."
    )
    unit: str | None = strawberry.field(default=None, description="Unit, e.g. 'ms'.")
    tags: JSON | None = strawberry.field(default=None, description="Tags (object).")
    recorded_at: DateTime | None = strawberry.field(
        default=None, description="When observed (default: now)."
    )


@strawberry.input(description="Replace parts of an agent's state; omitted parts stay.")
class UpdateAgentStateInput:
    agent_id: strawberry.ID = strawberry.field(description="The agent.")
    current_workflow: str | None = strawberry.field(
        default=strawberry.UNSET, description="Workflow being run (null clears it)."
    )
    workflow_data: JSON | None = strawberry.field(default=None, description="Object.")
    active_workflows: JSON | None = strawberry.field(default=None, description="Array.")
    resource_locks: JSON | None = strawberry.field(default=None, description="Array.")
    resource_usage: JSON | None = strawberry.field(default=None, description="Object.")
    metadata: JSON | None = strawberry.field(default=None, description="Object.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT unless the agent is at this revision."
    )
