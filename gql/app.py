"""The /graphql endpoint: Strawberry's ASGI view with our context, auth and protocols."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from domain.access import ANONYMOUS
from domain.errors import DomainError, Unavailable
from domain.usecases.identity import authenticate
from gql.context import Context
from gql.limits import QueryLimits
from gql.schema import build_schema
from gql.subscriptions.legacy_ws import GraphQLWSHandler

if TYPE_CHECKING:
    from agentgraph.bootstrap import Services


logger = logging.getLogger("agentgraph.http")


def _bearer(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


class AgentgraphGraphQL(GraphQL[Context, None]):
    graphql_ws_handler_class = GraphQLWSHandler

    def __init__(self, services: Services) -> None:
        settings = services.settings
        super().__init__(
            build_schema(
                production=settings.is_production,
                limits=QueryLimits(
                    max_depth=settings.max_query_depth,
                    max_aliases=settings.max_aliases,
                    max_tokens=settings.max_tokens,
                    max_cost=settings.max_query_cost,
                    default_page_size=settings.default_page_size,
                ),
            ),
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_s),
            keep_alive=True,
            keep_alive_interval=settings.ws_keepalive_s,
        )
        self.services = services

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        client = request.client.host if request.client else "unknown"
        header = _bearer(request.headers.get("authorization"))
        if isinstance(request, WebSocket):
            # The viewer is settled at connection_init (on_ws_connect), from its payload or,
            # failing that, from the upgrade request's Authorization header.
            return Context(self.services, ANONYMOUS, client_address=client, upgrade_token=header)
        try:
            viewer = await authenticate(self.services.database, self.services.secret_key, header)
        except DomainError as error:
            # A bad token is not fatal by itself: public fields (login) still work; every other
            # field reports this error instead of a generic UNAUTHENTICATED.
            return Context(self.services, ANONYMOUS, client_address=client, auth_error=error)
        except (OSError, DBAPIError):
            logger.warning("could not authenticate: the database is unavailable")
            return Context(
                self.services, ANONYMOUS, client_address=client, auth_error=Unavailable()
            )
        return Context(self.services, viewer, client_address=client)

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        token = _bearer(params.get("authorization") or params.get("Authorization"))
        token = token or context.upgrade_token
        try:
            viewer = await authenticate(self.services.database, self.services.secret_key, token)
        except DomainError as error:
            raise ConnectionRejectionError({"message": error.message}) from error
        if not viewer.is_authenticated:
            raise ConnectionRejectionError({"message": "Authentication required."})
        context.viewer = viewer
        context.refresh_loaders()
        return None


def graphql_app(services: Services) -> AgentgraphGraphQL:
    return AgentgraphGraphQL(services)
