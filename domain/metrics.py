"""Metric vocabulary and the limits of metric queries (pure)."""

from __future__ import annotations

from enum import StrEnum


class MetricType(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class MetricAggregate(StrEnum):
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "count"
    LAST = "last"


MAX_POINTS_PER_BATCH = 1000
MAX_SERIES_BUCKETS = 1000
