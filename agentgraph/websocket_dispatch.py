"""WebSocket connections to /graphql go straight to the subscription endpoint.

A socket lives for hours, and every ASGI layer it passes through keeps a coroutine frame (and
some a closure) alive for as long: Starlette's error and exception middleware, its router, the
route. ``DirectWebSockets`` is the app (``AgentgraphApp``, agentgraph/http.py, which does the
same for HTTP requests to /graphql) with a shortcut for WebSockets in front: a ``websocket``
scope for /graphql runs the app's own middleware (forwarded headers when trusted proxies are
set, the request log and its trace span) around the endpoint, and nothing else. Those skipped
layers do nothing for a WebSocket there — the error middleware passes WebSockets through, the
exception middleware handles only exceptions the endpoint never raises, the router would pick
this very endpoint — so authentication, limits and close codes are the endpoint's as before.
Everything else (HTTP, lifespan, WebSockets to other paths) goes on to ``AgentgraphApp``, and
with ``direct`` None /graphql's WebSockets do too (the reference path, tests/agentgraph/
test_websocket_dispatch.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from agentgraph.http import AgentgraphApp

PATH = "/graphql"


class DirectWebSockets(AgentgraphApp):
    def __init__(
        self, *, websocket_endpoint: ASGIApp, middleware: Sequence[Middleware], **options: Any
    ) -> None:
        super().__init__(middleware=middleware, **options)
        app = websocket_endpoint
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        self.direct: ASGIApp | None = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = self.direct
        if direct is not None and scope["type"] == "websocket" and get_route_path(scope) == PATH:
            scope["app"] = self
            await direct(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
