"""`agentgraph serve --workers N`: N server processes sharing one listening socket (uvicorn's
supervisor binds it, then starts the workers, and starts a worker again if one dies).

Each worker is the whole app of its own: its pool, its own LISTEN connection (so every worker
hears every commit and delivers to its own subscribers), its own caches, which credential
notifications clear in each. Background duties — the health sweeper, the Redis relay — stay
single per database: whichever process holds their advisory lock leads (store/leadership.py),
and another takes over when it goes. The supervisor migrated the database and made the secret
key (kept in the data directory unless AGENTGRAPH_SECRET_KEY is set) before any worker starts,
so tokens one worker signs every worker accepts.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from agentgraph.settings import Settings

# The database every worker serves, resolved once by the supervisor (an embedded PostgreSQL it
# started included): workers inherit it through their environment.
WORKER_DATABASE_URL = "AGENTGRAPH_WORKER_DATABASE_URL"


def worker_app() -> Starlette:
    """The app of one worker (uvicorn calls it in each worker process)."""
    from agentgraph.bootstrap import create_app, tune_garbage_collection
    from agentgraph.logs import configure_logging, url_password

    settings = Settings()
    url = os.environ[WORKER_DATABASE_URL]
    redactor = configure_logging(settings)
    redactor.add(url_password(url))
    app = create_app(settings, database_url=url)
    redactor.add(app.state.services.tokens.secret_key)
    tune_garbage_collection()
    return app


def serve_workers(settings: Settings, url: str, host: str, port: int, workers: int) -> None:
    """Run ``workers`` processes of ``worker_app`` on ``host:port`` until stopped (SIGTERM or
    SIGINT: the supervisor stops every worker)."""
    import uvicorn

    from agentgraph.bootstrap import resolve_secret_key
    from agentgraph.websocket_protocol import WS_PROTOCOL

    resolve_secret_key(settings)  # made once, here, before the workers read it
    os.environ[WORKER_DATABASE_URL] = url
    uvicorn.run(
        "agentgraph.workers:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        # As one process serves (agentgraph/cli.py's cmd_serve, which says why each is so).
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        http="httptools",
        ws=WS_PROTOCOL,
        ws_ping_interval=settings.ws_keepalive_s,
        ws_ping_timeout=settings.ws_keepalive_s,
        ws_max_size=settings.max_body_bytes,
        ws_per_message_deflate=settings.ws_compression,
    )
