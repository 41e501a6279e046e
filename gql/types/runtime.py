"""Below an agent: its state, configs, capabilities and metric points."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from domain.metrics import MetricType
from domain.values import ConfigValueType, parse_config_value
from gql.ids import to_global_id
from gql.scalars import JSON, DateTime
from gql.types import enums as _enums  # noqa: F401  (registers the GraphQL enums)
from gql.types.node import Node


@strawberry.type(description="Runtime state of an agent (one per agent).")
class AgentState:
    current_workflow: str | None = strawberry.field(description="Workflow being run, if any.")
    workflow_data: JSON = strawberry.field(description="Data of the current workflow (object).")
    active_workflows: JSON = strawberry.field(description="Workflows in progress (array).")
    resource_locks: JSON = strawberry.field(description="Resources the agent holds (array).")
    resource_usage: JSON = strawberry.field(description="Latest resource usage (object).")
    metadata: JSON = strawberry.field(description="Free-form metadata (object).")
    error_count: int = strawberry.field(description="Errors reported so far.")
    last_error: JSON | None = strawberry.field(description="The latest reported error.")
    last_activity_at: DateTime | None = strawberry.field(description="Latest state change.")
    updated_at: DateTime = strawberry.field(description="When the state row last changed.")

    @classmethod
    def from_row(cls, row: Any) -> AgentState:
        return cls(
            current_workflow=row.current_workflow,
            workflow_data=row.workflow_data,
            active_workflows=row.active_workflows,
            resource_locks=row.resource_locks,
            resource_usage=row.resource_usage,
            metadata=row._mapping["metadata"],
            error_count=row.error_count,
            last_error=row.last_error,
            last_activity_at=row.last_activity_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One configuration entry of an agent.")
class AgentConfig(Node):
    pk: strawberry.Private[uuid.UUID]
    key: str = strawberry.field(description="Key (lowercase, digits, '_' and '.').")
    value: str | None = strawberry.field(
        description="Null when the value is sensitive and the caller may not read it."
    )
    value_type: ConfigValueType = strawberry.field(description="Type the value parses as.")
    typed_value: JSON | None = strawberry.field(
        description="The value parsed as its type; null when masked."
    )
    description: str | None = strawberry.field(description="What the entry controls.")
    is_sensitive: bool = strawberry.field(description="Sensitive values are masked for others.")
    masked: bool = strawberry.field(description="True when value and typedValue are withheld.")
    created_at: DateTime = strawberry.field(description="When the entry was created.")
    updated_at: DateTime = strawberry.field(description="When the entry last changed.")

    @classmethod
    def from_row(cls, row: Any, *, may_read_secrets: bool) -> AgentConfig:
        masked = row.is_sensitive and not may_read_secrets
        value_type = ConfigValueType(row.value_type)
        return cls(
            id=strawberry.ID(to_global_id("AgentConfig", row.id)),
            pk=row.id,
            key=row.key,
            value=None if masked else row.value,
            value_type=value_type,
            typed_value=None if masked else parse_config_value(row.value, value_type),
            description=row.description,
            is_sensitive=row.is_sensitive,
            masked=masked,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A versioned capability of an agent.")
class AgentCapability(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str = strawberry.field(description="Capability name; several versions may coexist.")
    version: str = strawberry.field(description="Semantic version.")
    enabled: bool = strawberry.field(description="Disabled capabilities are not used.")
    parameters: JSON = strawberry.field(description="Parameters (a JSON object).")
    description: str | None = strawberry.field(description="What the capability does.")
    created_at: DateTime = strawberry.field(description="When it was registered.")
    updated_at: DateTime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_row(cls, row: Any) -> AgentCapability:
        return cls(
            id=strawberry.ID(to_global_id("AgentCapability", row.id)),
            pk=row.id,
            name=row.name,
            version=row.version,
            enabled=row.enabled,
            parameters=row.parameters,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One time-series point recorded by an agent.")
class AgentMetric(Node):
    name: str = strawberry.field(description="Metric name.")
    value: float = strawberry.field(description="Value (finite).")
    metric_type: MetricType = strawberry.field(description="Kind of point.")
    unit: str | None = strawberry.field(description="Unit, e.g. 'percent'.")
    tags: JSON = strawberry.field(description="Tags (a JSON object).")
    recorded_at: DateTime = strawberry.field(description="When the value was observed.")

    @classmethod
    def from_row(cls, row: Any) -> AgentMetric:
        return cls(
            id=strawberry.ID(metric_global_id(row.id)),
            name=row.name,
            value=row.value,
            metric_type=row.metric_type,
            unit=row.unit,
            tags=row.tags,
            recorded_at=row.recorded_at,
        )


def metric_global_id(ident: int) -> str:
    # Metric points have bigint ids; the global id carries them as a zero-padded UUID.
    return to_global_id("AgentMetric", uuid.UUID(int=ident))


@strawberry.type(description="One bucket of a metric series.")
class MetricPoint:
    bucket: DateTime = strawberry.field(description="Start of the bucket.")
    value: float | None = strawberry.field(description="The aggregate of the bucket's points.")
    count: int = strawberry.field(description="Points in the bucket.")


@strawberry.type(description="Statistics of a metric over a time range.")
class MetricSummary:
    count: int = strawberry.field(description="Number of points.")
    avg: float | None = strawberry.field(description="Mean value.")
    min: float | None = strawberry.field(description="Smallest value.")
    max: float | None = strawberry.field(description="Largest value.")
    sum: float | None = strawberry.field(description="Sum of values.")
    last: float | None = strawberry.field(description="Value of the newest point.")
    last_at: DateTime | None = strawberry.field(description="Time of the newest point.")
