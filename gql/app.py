"""The /graphql endpoint: Strawberry's ASGI view with our context, auth and protocols.

In front of it, for HTTP: ``CheckedRequests`` (gql/http_requests.py: only POSTed JSON objects
get in), then the compiled read path. Over WebSocket: frames within limits, both protocols'
handlers with live sessions (gql/subscriptions/).
"""

from __future__ import annotations

import logging
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from domain.access import ANONYMOUS, Viewer
from domain.errors import DomainError, Unauthenticated, Unavailable
from gql import request_json
from gql.compiled.endpoint import BUDGET_SPENT, CompiledReads
from gql.config import SurfaceConfig
from gql.context import Context
from gql.encoding import encode_json
from gql.graphql_over_http import is_request_error, wants_graphql_response
from gql.http_requests import CheckedRequests, request_error
from gql.ingest.endpoint import IngestPath
from gql.request_log import note_caller
from gql.schema import AgentgraphSchema, build_schema
from gql.subscriptions.cohorts import Cohorts
from gql.subscriptions.legacy_ws import GraphQLWSHandler
from gql.subscriptions.sockets import SocketFrames, refusal_of
from gql.subscriptions.transport_ws import TransportWSHandler
from usecases.live.sessions import TooManySockets
from usecases.services import Services

logger = logging.getLogger("agentgraph.http")


def _bearer(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


class AgentgraphGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = GraphQLWSHandler
    websocket_adapter_class = SocketFrames

    def __init__(self, services: Services, config: SurfaceConfig) -> None:
        super().__init__(
            build_schema(
                production=config.production,
                limits=config.limits,
                trusted=config.trusted_documents,
                traced=config.traced,
            ),
            graphql_ide=None if config.production else "graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=config.ws_init_timeout,
            keep_alive=True,
            keep_alive_interval=config.ws_keepalive_s,
            # The caps are per caller, over all of its sockets (usecases/live/sessions.py).
            max_subscriptions_per_connection=None,
        )
        self.services = services
        self.config = config
        # Subscribers who ask the same thing and may see the same things share one stream.
        self.cohorts = Cohorts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as refused:  # whatever Strawberry refuses: a GraphQL error body
            response = request_error(refused.status_code, refused.reason, "body")
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        # HTTP bodies and WebSocket frames: strict, nested within limits (gql/request_json.py).
        return request_json.decode(data)

    def encode_json(self, data: object) -> str:
        # Text, for WebSocket frames; HTTP responses are written as bytes (create_response).
        return encode_json(data).decode()

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_response = wants_graphql_response(request.scope)  # type: ignore[attr-defined]
        return sub_response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        status = None
        if getattr(sub_response, "graphql_response", False) and is_request_error(response_data):
            # application/graphql-response+json: a response that did not execute has no data,
            # and a 4xx status (400 unless one is set already, e.g. 429).
            response_data = {k: v for k, v in response_data.items() if k != "data"}
            status = 400
        response = Response(encode_json(response_data), media_type="application/json")
        if status is not None:
            response.status_code = status
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    def _context(self, viewer: Viewer, client: str, **extra: Any) -> Context:
        return Context(
            self.services, self.config, self.cohorts, viewer, client_address=client, **extra
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        client = request.client.host if request.client else "unknown"
        header = _bearer(request.headers.get("authorization"))
        if isinstance(request, WebSocket):
            # The viewer is settled at connection_init (on_ws_connect), from its payload or,
            # failing that, from the upgrade request's Authorization header.
            return self._context(ANONYMOUS, client, upgrade_token=header)
        http = {
            "http_response": response,
            # The compiled read path spent this request's cost before handing it here.
            "budget_spent": bool(request.scope.get(BUDGET_SPENT)),
        }
        try:
            viewer = await self.services.authenticator.viewer(header)
        except DomainError as error:
            # A bad token (or a database that is away) is not fatal by itself: public fields
            # (login) still work; every other field reports this error instead of a generic
            # UNAUTHENTICATED.
            if isinstance(error, Unavailable):
                logger.warning("could not authenticate: the database is unavailable")
            return self._context(ANONYMOUS, client, auth_error=error, **http)
        note_caller(viewer)
        return self._context(viewer, client, **http)

    async def on_ws_connect(self, context: Context) -> Any:
        """connection_init: authenticate, and open the socket's live session (refused past the
        per-caller cap on sockets)."""
        params = context.connection_params or {}
        token = _bearer(params.get("authorization") or params.get("Authorization"))
        token = token or context.upgrade_token
        try:
            viewer = await self.services.authenticator.viewer(token)
        except Unavailable as error:  # the database is away: no verdict on the credential
            raise ConnectionRejectionError({"message": error.message}) from error
        except DomainError as error:
            raise refusal_of(error) from error
        if token is None or not viewer.is_authenticated:
            raise refusal_of(Unauthenticated())
        assert context.end_socket is not None  # set by the protocol handler
        try:
            context.session = self.services.hub.sessions.open(
                token, viewer, context.end_socket, going_away=context.going_away
            )
        except TooManySockets as error:
            raise refusal_of(error) from error
        context.viewer = viewer
        note_caller(viewer)
        context.refresh_loaders()
        return None


def graphql_app(services: Services, config: SurfaceConfig) -> AgentgraphGraphQL:
    """The /graphql endpoint (HTTP and both WebSocket protocols) over ``services``."""
    return AgentgraphGraphQL(services, config)


def http_endpoint(view: AgentgraphGraphQL) -> ASGIApp:
    """HTTP /graphql: requests checked (gql/http_requests.py), then the ingest path and the
    compiled read path in front of the view (each unless turned off)."""
    graphiql = view.graphql_ide is not None
    trusted = view.config.trusted_documents
    schema = view.schema
    assert isinstance(schema, AgentgraphSchema)
    app: ASGIApp = view
    if view.config.compiled_reads:
        app = CompiledReads(app, view.services, view.config, schema.documents, schema._schema)
    if view.config.fast_ingest:
        app = IngestPath(app, view.services, view.config, schema.documents, schema._schema)
    return CheckedRequests(app, graphiql=graphiql, documents=schema.documents, trusted=trusted)
