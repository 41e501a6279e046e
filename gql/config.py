"""How the GraphQL surface is configured: plain values the wiring builds from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from gql.limits import SPEC_LIMITS, QueryLimits
from gql.trusted_documents import TrustedDocuments


@dataclass(frozen=True)
class SurfaceConfig:
    """Everything ``gql/`` reads from the configuration (defaults: SPEC's)."""

    production: bool = False
    limits: QueryLimits = field(default=SPEC_LIMITS)
    default_page_size: int = 20
    max_page_size: int = 100
    heartbeat_timeout: timedelta = timedelta(seconds=30)
    ws_init_timeout: timedelta = timedelta(seconds=10)
    ws_keepalive_s: float = 15.0
    subscriber_queue_size: int = 1000
    # Queries in the compilable part of the graph are built by PostgreSQL in one statement;
    # off, every request takes the resolvers (the reference the compiled path is tested against).
    compiled_reads: bool = True
    # heartbeat, heartbeats and recordMetrics in their plain shapes skip Strawberry's execution
    # (gql/ingest/); off, the resolvers answer them (the reference the fast path is tested against).
    fast_ingest: bool = True
    # WebSocket frames longer than this are refused (close 1009) before they are decoded.
    max_frame_bytes: int = 1024 * 1024
    # When set, only the documents of this manifest run (gql/trusted_documents.py).
    trusted_documents: TrustedDocuments | None = None
    # An OpenTelemetry tracer provider is installed: operations get spans (gql/tracing.py).
    traced: bool = False
