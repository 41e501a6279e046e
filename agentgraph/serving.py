"""uvicorn with Agentgraph's graceful shutdown.

On SIGTERM (or Ctrl-C): stop accepting connections; say goodbye to every live session —
WebSockets close with 1001 and event streams end without `complete`, so clients resume by
cursor on another process; let in-flight HTTP requests finish within AGENTGRAPH_SHUTDOWN_GRACE_S
(uvicorn's graceful timeout; past it they are cancelled); then the application's lifespan
ends (background tasks, the event hub, the pool). The embedded PostgreSQL, if any, stops last:
when the process exits, after all of this.
"""

from __future__ import annotations

import resource
import socket

import uvicorn

from usecases.live.sessions import LiveSessions


def raise_open_files_limit() -> None:
    """The soft limit on open files up to the hard one: every WebSocket is a file, and the
    common default soft limit (1,024) would refuse sockets long before memory runs out. Worker
    processes inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, sessions: LiveSessions) -> None:
        super().__init__(config)
        self.sessions = sessions

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections (uvicorn closes them again: harmless)
        # Before uvicorn's own connection shutdown, which would close sockets with 1012.
        await self.sessions.say_goodbye()
        await super().shutdown(sockets)
