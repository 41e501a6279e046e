"""What the use cases count for /metrics: telemetry ingested (heartbeats, metric points) and the
event hub's deliveries. Counted here, below the GraphQL layer, so every way in counts."""

from __future__ import annotations

from prometheus_client import Counter

HEARTBEATS = Counter("agentgraph_heartbeats_ingested", "Heartbeats applied.")
METRIC_POINTS = Counter("agentgraph_metric_points_ingested", "Metric points stored.")
EVENTS_DELIVERED = Counter(
    "agentgraph_events_delivered",
    "Durable events handed to listeners' queues (a solo subscription's, or a cohort's shared by"
    " its members).",
)
EVENTS_DROPPED = Counter(
    "agentgraph_events_dropped",
    "Durable events dropped from subscribers' queues, by reason (overflow: the subscriber fell"
    " behind and resumes from its cursor).",
    ("reason",),
)
