"""The one place that wires Agentgraph together: settings → database → event hub → schema → app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from broadcaster import Broadcast
from starlette.applications import Starlette
from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from agentgraph import tracing
from agentgraph.embedded_db import start_embedded_postgres
from agentgraph.http import routes
from agentgraph.metrics import REFRESH_TASK, ServerMetrics
from agentgraph.relay import Relay, database_name, redis_broadcast, uses_redis
from agentgraph.request_logs import RequestLogging
from agentgraph.settings import Settings
from agentgraph.websocket_dispatch import DirectWebSockets
from gql.app import graphql_app
from gql.config import SurfaceConfig
from gql.limits import QueryLimits
from gql.trusted_documents import TrustedDocuments
from store.database import Database
from store.listener import PostgresListenBackend
from usecases.accounts import TokenConfig
from usecases.authentication import Authenticator
from usecases.budgets import BUDGET_TASK, Budgets
from usecases.live.hub import EventHub
from usecases.live.sessions import LiveSessions
from usecases.services import Services
from usecases.sweeps import SWEEPER_TASK, run_sweeper
from usecases.throttle import SignInThrottle, ThrottleSettings
from usecases.write_slots import WriteSlots


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL in the data directory (started)."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.data_dir / "postgres")


def resolve_secret_key(settings: Settings) -> str:
    """AGENTGRAPH_SECRET_KEY, or a random key generated once and kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def create_broadcast(settings: Settings, database: Database) -> Broadcast:
    """Fan-out transport: PostgreSQL LISTEN by default, or AGENTGRAPH_BROADCAST_URL (Redis)."""
    if uses_redis(settings):
        assert settings.broadcast_url is not None
        return redis_broadcast(settings.broadcast_url, database_name(database))
    return Broadcast(backend=PostgresListenBackend(database.asyncpg_dsn()))


def create_services(settings: Settings, database_url: str | None = None) -> Services:
    url = database_url or resolve_database_url(settings)
    database = Database(
        url,
        statement_timeout_ms=settings.statement_timeout_ms,
        lock_timeout_ms=settings.lock_timeout_ms,
        idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        read_patience_s=settings.db_read_patience_s,
    )
    secret_key = resolve_secret_key(settings)
    authenticator = Authenticator(database, secret_key)
    sessions = LiveSessions(
        authenticator,
        max_sockets=settings.ws_max_sockets_per_caller,
        max_subscriptions=settings.ws_max_subscriptions_per_caller,
        recheck_interval_s=settings.ws_recheck_interval_s,
    )
    hub = EventHub(
        create_broadcast(settings, database),
        database,
        queue_capacity=settings.subscriber_queue_size,
        tail_check_s=settings.tail_check_s,
        sessions=sessions,
    )
    return Services(
        database=database,
        hub=hub,
        sign_in_throttle=SignInThrottle(
            database,
            ThrottleSettings(
                login_free=settings.login_max_failures,
                register_free=settings.register_max_per_address,
                base_delay_s=settings.login_delay_s,
                max_delay_s=settings.login_max_delay_s,
                forget_after_s=settings.login_window_s,
            ),
        ),
        tokens=TokenConfig(
            secret_key=secret_key,
            access_ttl_s=settings.access_token_ttl_s,
            refresh_ttl_s=settings.refresh_token_ttl_s,
        ),
        heartbeat_timeout=timedelta(seconds=settings.heartbeat_timeout_s),
        authenticator=authenticator,
        write_slots=WriteSlots(settings.db_write_slots_per_caller),
        budgets=Budgets(
            database, points=settings.rate_limit_points, window_s=settings.rate_limit_window_s
        ),
    )


def trusted_documents(settings: Settings) -> TrustedDocuments | None:
    """The manifest of AGENTGRAPH_TRUSTED_DOCUMENTS, when set (BadManifest when unusable)."""
    if settings.trusted_documents is None:
        return None
    return TrustedDocuments.load(settings.trusted_documents)


def surface_config(settings: Settings, *, traced: bool = False) -> SurfaceConfig:
    """What the GraphQL surface needs to know of the settings."""
    return SurfaceConfig(
        production=settings.is_production,
        limits=QueryLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_query_cost,
            default_page_size=settings.default_page_size,
            max_length=settings.max_query_length,
        ),
        default_page_size=settings.default_page_size,
        max_page_size=settings.max_page_size,
        heartbeat_timeout=timedelta(seconds=settings.heartbeat_timeout_s),
        ws_init_timeout=timedelta(seconds=settings.ws_init_timeout_s),
        ws_keepalive_s=settings.ws_keepalive_s,
        subscriber_queue_size=settings.subscriber_queue_size,
        compiled_reads=settings.compiled_reads,
        fast_ingest=settings.fast_ingest,
        max_frame_bytes=settings.max_body_bytes,
        trusted_documents=trusted_documents(settings),
        traced=traced,
    )


def _forwarded_headers(settings: Settings) -> list[Middleware]:
    """X-Forwarded-For/-Proto are believed only from AGENTGRAPH_TRUSTED_PROXIES (none by
    default): anyone else could name any address, and walk past the sign-in throttle."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if not proxies:
        return []
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)]


def tune_garbage_collection() -> None:
    """For a long-running server: the objects alive after start-up (schema, modules) are never
    garbage, so move them out of the collector's way, and collect young objects less often —
    a request allocates tens of thousands of short-lived ones."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> Starlette:
    """The ASGI application: /graphql (HTTP and WebSocket), /healthz, /readyz, /metrics."""
    settings = settings or Settings()
    services = create_services(settings, database_url)
    traced = tracing.active()
    if traced:
        tracing.instrument_engine(services.database.engine)
    graphql = graphql_app(services, surface_config(settings, traced=traced))
    relay = Relay(settings, services.database)
    metrics = ServerMetrics(
        services,
        graphql,
        relay,
        token=settings.metrics_token,
        multiprocess_dir=settings.prometheus_multiproc_dir,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.hub.start()
        relaying = relay.start()
        sweeper = asyncio.create_task(
            run_sweeper(
                services.database,
                timedelta(seconds=settings.heartbeat_timeout_s),
                settings.health_sweep_interval_s,
                settings.leader_lease_s,
            ),
            name=SWEEPER_TASK,
        )
        budgets = asyncio.create_task(services.budgets.run(), name=BUDGET_TASK)
        refreshing = asyncio.create_task(metrics.keep_refreshed(), name=REFRESH_TASK)
        try:
            yield
        finally:
            for task in (sweeper, relaying, budgets, refreshing):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            await services.hub.stop()
            await services.database.dispose()
            metrics.process_ended()

    # AgentgraphApp (agentgraph/http.py), with WebSockets to /graphql sent straight on too.
    app = DirectWebSockets(
        routes=routes(services, graphql, settings, metrics),
        # Forwarded headers first, so the request log sees the client's address.
        middleware=[*_forwarded_headers(settings), Middleware(RequestLogging, traced=traced)],
        lifespan=lifespan,
        # WebSockets to /graphql: that middleware, then the endpoint (websocket_dispatch.py).
        websocket_endpoint=graphql,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.graphql = graphql
    return app
