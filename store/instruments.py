"""What the store counts for /metrics: the LISTEN connection's reconnects, durable events
published (committed), and the connection pool's state (set by agentgraph/metrics.py before
each scrape, and kept per process in multi-process mode)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LISTEN_RECONNECTS = Counter(
    "agentgraph_listen_reconnects", "Times the LISTEN connection was re-established."
)
EVENTS_PUBLISHED = Counter(
    "agentgraph_events_published", "Durable events committed to the event log by this server."
)
# Set on a transaction's connection by eventlog.append: events to count once it commits.
EVENTS_APPENDED = "agentgraph.events_appended"

POOL_SIZE = Gauge(
    "agentgraph_db_pool_size", "Connections the pool keeps.", multiprocess_mode="livesum"
)
POOL_CHECKED_OUT = Gauge(
    "agentgraph_db_pool_checked_out", "Database connections in use.", multiprocess_mode="livesum"
)
POOL_OVERFLOW = Gauge(
    "agentgraph_db_pool_overflow",
    "Connections open beyond the pool's size (up to AGENTGRAPH_DB_MAX_OVERFLOW).",
    multiprocess_mode="livesum",
)
