"""/metrics: prometheus-client's exposition of every layer's metrics, behind a bearer token
when AGENTGRAPH_METRICS_TOKEN is set.

Counters and histograms are counted where things happen (gql/server_metrics.py,
usecases/instruments.py, store/instruments.py). The gauges below describe this process's
state (listeners, cohorts, sessions, the pool …): they are read from the live objects before
each scrape, and — with PROMETHEUS_MULTIPROC_DIR set, where /metrics adds up the files every
worker writes — also every ``REFRESH_S`` seconds, so a scrape answered by one worker sees the
others' state as of at most that long ago.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from agentgraph.relay import Relay
from gql.app import AgentgraphGraphQL
from store.instruments import POOL_CHECKED_OUT, POOL_OVERFLOW, POOL_SIZE
from usecases.services import Services

REFRESH_S = 1.0
REFRESH_TASK = "agentgraph-metrics-refresh"

# Counters' *_created samples double the series for a timestamp nobody graphs.
disable_created_metrics()


def _gauge(name: str, documentation: str, mode: str = "livesum") -> Gauge:
    return Gauge(name, documentation, multiprocess_mode=mode)  # type: ignore[arg-type]


LISTENERS = _gauge(
    "agentgraph_subscription_listeners", "Event listeners (cohorts and solo subscriptions)."
)
COHORTS = _gauge("agentgraph_subscription_cohorts", "Cohorts of shared subscriptions.")
COHORT_MEMBERS = _gauge("agentgraph_subscription_cohort_members", "Subscribers in cohorts.")
SUBSCRIPTIONS = _gauge("agentgraph_subscriptions", "Subscriptions running on live sessions.")
SESSIONS = _gauge("agentgraph_live_sessions", "Connections open on a credential (live sessions).")
STARTED = _gauge(
    "agentgraph_subscriptions_started",
    "Subscriptions started (solo or in a cohort) since the process started.",
)
LAST_SEQ = _gauge(
    "agentgraph_events_last_delivered_seq", "Cursor of the last durable event delivered.", "livemax"
)
REPLAYED = _gauge(
    "agentgraph_events_replayed_after_reconnect",
    "Durable events read from the log after the LISTEN connection came back.",
)
LEADING = _gauge(
    "agentgraph_relay_leading",
    "Processes relaying NOTIFY to Redis (AGENTGRAPH_BROADCAST_URL): 1 or 0 each.",
)


class ServerMetrics:
    """The /metrics endpoint of one app, and the refreshing of its process's gauges."""

    def __init__(
        self,
        services: Services,
        graphql: AgentgraphGraphQL,
        relay: Relay,
        *,
        token: str | None,
        multiprocess_dir: Path | None,
    ) -> None:
        self.services = services
        self.graphql = graphql
        self.relay = relay
        self.token = token or None
        self.multiprocess_dir = multiprocess_dir

    def refresh(self) -> None:
        """Set this process's gauges from the live objects."""
        hub = self.services.hub
        cohorts = self.graphql.cohorts.running.values()
        LISTENERS.set(len(hub.listeners))
        COHORTS.set(len(cohorts))
        COHORT_MEMBERS.set(sum(len(c.members) for c in cohorts))
        SUBSCRIPTIONS.set(hub.sessions.subscriptions)
        SESSIONS.set(len(hub.sessions.sessions))
        STARTED.set(hub.subscriptions_started)
        LAST_SEQ.set(hub.last_seq)
        REPLAYED.set(hub.replayed_after_reconnect)
        LEADING.set(int(self.relay.leading))
        pool = self.services.database.engine.pool
        POOL_SIZE.set(getattr(pool, "size", lambda: 0)())
        POOL_CHECKED_OUT.set(getattr(pool, "checkedout", lambda: 0)())
        POOL_OVERFLOW.set(max(0, getattr(pool, "overflow", lambda: 0)()))

    async def keep_refreshed(self) -> None:
        """In multi-process mode: refresh every REFRESH_S, for the scrapes other workers answer."""
        if self.multiprocess_dir is None:
            return
        while True:
            self.refresh()
            await asyncio.sleep(REFRESH_S)

    def process_ended(self) -> None:
        """At shutdown in multi-process mode: this process's gauges no longer count."""
        if self.multiprocess_dir is not None and self.multiprocess_dir.is_dir():
            multiprocess.mark_process_dead(os.getpid())

    async def endpoint(self, request: Request) -> Response:
        if self.token is not None and not _bearer_matches(request, self.token):
            return PlainTextResponse(
                "A bearer token is required (AGENTGRAPH_METRICS_TOKEN).\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        self.refresh()
        if self.multiprocess_dir is None:
            output = generate_latest(REGISTRY)
        else:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess_dir))
            output = generate_latest(registry)
        return Response(output, media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), token.encode()
    )
