"""Metric points of an agent, their series buckets and summaries."""

from __future__ import annotations

import uuid

import strawberry

from domain import records
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
    def from_record(cls, metric: records.AgentMetric) -> AgentMetric:
        return cls(
            id=strawberry.ID(metric_global_id(metric.id)),
            name=metric.name,
            value=metric.value,
            metric_type=metric.metric_type,
            unit=metric.unit,
            tags=metric.tags,
            recorded_at=metric.recorded_at,
        )


def metric_global_id(ident: int) -> str:
    # Metric points have bigint ids; the global id carries them as a zero-padded UUID.
    return to_global_id("AgentMetric", uuid.UUID(int=ident))


@strawberry.type(description="One bucket of a metric series.")
class MetricPoint:
    bucket: DateTime = strawberry.field(description="Start of the bucket.")
    value: float | None = strawberry.field(description="The aggregate of the bucket's points.")
    count: int = strawberry.field(description="Points in the bucket.")

    @classmethod
    def from_record(cls, bucket: records.MetricBucket) -> MetricPoint:
        return cls(bucket=bucket.bucket, value=bucket.value, count=bucket.count)


@strawberry.type(description="Statistics of a metric over a time range.")
class MetricSummary:
    count: int = strawberry.field(description="Number of points.")
    avg: float | None = strawberry.field(description="Mean value.")
    min: float | None = strawberry.field(description="Smallest value.")
    max: float | None = strawberry.field(description="Largest value.")
    sum: float | None = strawberry.field(description="Sum of values.")
    last: float | None = strawberry.field(description="Value of the newest point.")
    last_at: DateTime | None = strawberry.field(description="Time of the newest point.")

    @classmethod
    def from_record(cls, summary: records.MetricSummary | None) -> MetricSummary:
        """The summary; all empty (count 0) for a metric without points."""
        if summary is None:
            return cls(count=0, avg=None, min=None, max=None, sum=None, last=None, last_at=None)
        return cls(
            count=summary.count, avg=summary.avg, min=summary.min, max=summary.max,
            sum=summary.sum, last=summary.last, last_at=summary.last_at,
        )  # fmt: skip
