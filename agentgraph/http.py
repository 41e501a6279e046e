"""HTTP routes beside /graphql: liveness, readiness, metrics and the dashboard's static files."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from agentgraph.migrate import current_revision, head_revision
from agentgraph.relay import Relay
from agentgraph.settings import Settings
from gql.app import AgentgraphGraphQL, http_endpoint
from gql.body_limit import RequestBodyLimit
from gql.http_requests import CheckedRequests
from gql.subscriptions.sse import EventStreams
from usecases.services import Services

logger = logging.getLogger("agentgraph.http")

# The dashboard (web/ at the top of the repository): static files, no build step.
WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def _checked_out(services: Services) -> int:
    pool = services.database.engine.pool
    return int(getattr(pool, "checkedout", lambda: 0)())


def routes(
    services: Services, graphql: AgentgraphGraphQL, settings: Settings, relay: Relay
) -> list[BaseRoute]:
    """/graphql (HTTP and WebSocket) and the operational routes beside it."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            async with services.database.read() as conn:
                await conn.execute(text("SELECT 1"))
                revision = await current_revision(conn)
        except Exception:
            # Why goes to the log: an unauthenticated route names no internals.
            logger.warning("readiness check: the database is unreachable", exc_info=True)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        head = head_revision()
        if revision != head:
            return JSONResponse(
                {"status": "migrating", "revision": revision, "head": head}, status_code=503
            )
        return JSONResponse({"status": "ready", "revision": revision})

    async def metrics(request: Request) -> Response:
        hub = services.hub
        backend = hub.broadcast._backend
        gauges = {
            "agentgraph_db_pool_checked_out": (
                "Database connections in use.",
                _checked_out(services),
            ),
            "agentgraph_subscription_listeners": (
                "Event listeners (cohorts and solo subscriptions).",
                len(hub.listeners),
            ),
            "agentgraph_subscription_cohorts": (
                "Cohorts of shared subscriptions.",
                len(graphql.cohorts.running),
            ),
            "agentgraph_subscription_cohort_members": (
                "Subscribers in cohorts.",
                sum(len(c.members) for c in graphql.cohorts.running.values()),
            ),
            "agentgraph_events_last_delivered_seq": (
                "Cursor of the last durable event delivered.",
                hub.last_seq,
            ),
            "agentgraph_subscriptions_started": (
                "Subscriptions started (solo or in a cohort); each gets every event committed later.",
                hub.subscriptions_started,
            ),
            "agentgraph_relay_leading": (
                "1 while this process relays NOTIFY to Redis (AGENTGRAPH_BROADCAST_URL), else 0.",
                int(relay.leading),
            ),
            "agentgraph_ws_sessions": (
                "WebSockets open on a credential (live sessions).",
                len(hub.sessions.sessions),
            ),
            "agentgraph_ws_subscriptions": (
                "Subscriptions running on live sessions.",
                hub.sessions.subscriptions,
            ),
            "agentgraph_listen_reconnects": (
                "Times the LISTEN connection was re-established.",
                getattr(backend, "reconnects", 0),
            ),
            "agentgraph_events_replayed_after_reconnect": (
                "Durable events read from the log after the LISTEN connection came back.",
                hub.replayed_after_reconnect,
            ),
        }
        lines = []
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        # Every method: what is not a POST is refused with a GraphQL error body (405).
        Route("/graphql", RequestBodyLimit(http_endpoint(graphql), settings.max_body_bytes)),
        # graphql-sse (distinct connections): subscriptions as event streams.
        Route(
            "/graphql/stream",
            RequestBodyLimit(
                CheckedRequests(EventStreams(graphql), graphiql=False), settings.max_body_bytes
            ),
        ),
        WebSocketRoute("/graphql", graphql),
        # Last, so every route above wins; a wheel installed without web/ serves no dashboard.
        *([Mount("/", StaticFiles(directory=WEB_DIR, html=True))] if WEB_DIR.is_dir() else []),
    ]
