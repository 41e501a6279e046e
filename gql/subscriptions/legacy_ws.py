"""The legacy `graphql-ws` protocol with the deadline the newer protocol has: a client must send
connection_init within AGENTGRAPH_WS_INIT_TIMEOUT_S, or the socket is closed (4408), so idle
unauthenticated sockets cannot pile up."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler


class GraphQLWSHandler(BaseGraphQLWSHandler[Any, Any]):
    async def handle(self) -> None:
        timeout = self.view.connection_init_wait_timeout.total_seconds()
        deadline = asyncio.create_task(self._close_unless_initialised(timeout))
        try:
            await super().handle()
        finally:
            deadline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deadline

    async def _close_unless_initialised(self, timeout: float) -> None:
        await asyncio.sleep(timeout)
        if not self.connection_acknowledged:
            await self.websocket.close(code=4408, reason="Connection initialisation timeout")
