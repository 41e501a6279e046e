"""Metric points of an agent, their series buckets and summaries."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from domain.metrics import MetricType
from gql.ids import to_global_id
from gql.scalars import JSON, DateTime
from gql.types import enums as _enums  # noqa: F401  (registers the GraphQL enums)
from gql.types.node import Node


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
