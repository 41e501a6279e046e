"""HTTP routes beside /graphql: liveness, readiness, metrics and the dashboard's static files."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from agentgraph.metrics import ServerMetrics
from agentgraph.migrate import current_revision, head_revision
from agentgraph.settings import Settings
from gql.app import AgentgraphGraphQL, http_endpoint
from gql.body_limit import RequestBodyLimit
from gql.deadline import RequestDeadline
from gql.http_requests import CheckedRequests
from gql.subscriptions.sse import EventStreams
from usecases.services import Services

logger = logging.getLogger("agentgraph.http")

# The dashboard (web/ at the top of the repository): static files, no build step.
WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def routes(
    services: Services, graphql: AgentgraphGraphQL, settings: Settings, metrics: ServerMetrics
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

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        # Every method: GET (queries) and POST are served, others refused with a GraphQL error body.
        Route(
            "/graphql",
            RequestDeadline(
                RequestBodyLimit(http_endpoint(graphql), settings.max_body_bytes),
                settings.request_timeout_s,
            ),
        ),
        # graphql-sse (distinct connections): subscriptions as event streams (no deadline: they
        # are meant to stay open).
        Route(
            "/graphql/stream",
            RequestBodyLimit(
                CheckedRequests(
                    EventStreams(graphql),
                    graphiql=False,
                    documents=graphql.schema.documents,
                    trusted=graphql.config.trusted_documents,
                ),
                settings.max_body_bytes,
            ),
        ),
        WebSocketRoute("/graphql", graphql),
        # Last, so every route above wins; a wheel installed without web/ serves no dashboard.
        *([Mount("/", StaticFiles(directory=WEB_DIR, html=True))] if WEB_DIR.is_dir() else []),
    ]
