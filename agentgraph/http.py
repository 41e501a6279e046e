"""HTTP routes beside /graphql: liveness, readiness, metrics and the dashboard's static files;
and the application that serves them (``AgentgraphApp``: HTTP /graphql straight to its
endpoint, everything else through Starlette's routing)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

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

GRAPHQL_PATH = "/graphql"

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


class AgentgraphApp(Starlette):
    """The application: every HTTP request to /graphql goes from the outermost layer straight
    to that route's endpoint, past Starlette's router and ExceptionMiddleware (which have
    nothing to do for it: the route takes every method and the endpoint raises no
    HTTPException), through the same layers it would meet on the way there — the server-error
    layer (a plain 500 for a bug) and the user middleware (forwarded headers, the request log).
    Everything else (other paths, WebSocket, lifespan, a root path) is routed as usual."""

    _graphql_stack: ASGIApp | None = None
    _graphql_endpoint: object = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == GRAPHQL_PATH and not scope.get("root_path"):
            stack = self._graphql_stack or self._build_graphql_stack()
            # What the router would have set for the route.
            scope["app"] = self
            scope["router"] = self.router
            scope["endpoint"] = self._graphql_endpoint
            scope["path_params"] = {}
            await stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _build_graphql_stack(self) -> ASGIApp:
        route = next(
            r for r in self.router.routes if isinstance(r, Route) and r.path == GRAPHQL_PATH
        )
        handler = next(
            (v for k, v in self.exception_handlers.items() if k in (500, Exception)), None
        )
        middleware = [
            Middleware(ServerErrorMiddleware, handler=handler, debug=self.debug),
            *self.user_middleware,
        ]
        app = route.app
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        self._graphql_endpoint = route.endpoint
        self._graphql_stack = app
        return app
