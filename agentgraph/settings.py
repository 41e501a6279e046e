"""Configuration from environment variables (all optional). See the README's settings table."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def normalize_database_url(url: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` and ``postgresql+asyncpg://``; return the asyncpg form."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(
        "DATABASE_URL must start with postgres://, postgresql:// or postgresql+asyncpg://"
    )


class Settings(BaseSettings):
    """Every knob of the server. Names are the environment variables, documented in the README."""

    model_config = SettingsConfigDict(env_prefix="AGENTGRAPH_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AGENTGRAPH_DATABASE_URL")
    )
    data_dir: Path = Path(".agentgraph")
    secret_key: str | None = None
    env: Literal["development", "production"] = "development"
    broadcast_url: str | None = None
    heartbeat_timeout_s: float = 30.0
    health_sweep_interval_s: float = 5.0
    # The sweeper's and the relay's lease (store/leadership.py): a leader that renews nothing
    # for this long (frozen) loses its lock to another process.
    leader_lease_s: float = Field(default=10.0, gt=0)
    tail_check_s: float = 5.0

    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600

    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_query_cost: int = 20000
    max_body_bytes: int = 1024 * 1024
    max_query_length: int = 65536
    statement_timeout_ms: int = 10_000
    lock_timeout_ms: int = 3_000
    idle_in_transaction_timeout_ms: int = 60_000
    request_timeout_s: float = 30.0
    max_page_size: int = 100
    default_page_size: int = 20

    login_max_failures: int = 5
    login_window_s: float = 900.0
    login_delay_s: float = 5.0
    login_max_delay_s: float = 900.0
    register_max_per_address: int = 10
    # Comma-separated addresses or networks whose X-Forwarded-For is believed; none by default.
    trusted_proxies: str = ""

    ws_init_timeout_s: float = 10.0
    ws_keepalive_s: float = 15.0
    # permessage-deflate costs each socket a zlib state (~40 KB) and a compression per frame;
    # live events are a few hundred bytes, so it is off unless asked for.
    ws_compression: bool = False
    subscriber_queue_size: int = 1000
    ws_max_sockets_per_caller: int = 64
    ws_max_subscriptions_per_caller: int = 256
    ws_recheck_interval_s: float = 30.0

    rate_limit_points: int = 360_000
    rate_limit_window_s: int = 60

    compiled_reads: bool = True
    fast_ingest: bool = True

    # On SIGTERM, how long in-flight HTTP requests may take to finish before they are cancelled.
    shutdown_grace_s: float = 30.0

    db_pool_size: int = 10
    db_max_overflow: int = 20
    # How long reads keep retrying while the database is away (a restart) before UNAVAILABLE.
    db_read_patience_s: float = 15.0

    # json (one object a line) or text; unset: json in production, text in development.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # A manifest (sha256 → document): when set, only its documents run.
    trusted_documents: Path | None = None

    # /metrics answers only with "Authorization: Bearer <token>" when set.
    metrics_token: str | None = None
    # prometheus-client's multi-process mode (several workers, one /metrics): read by the
    # library itself from the environment; named here to be documented and checked.
    prometheus_multiproc_dir: Path | None = Field(
        default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR"
    )

    db_write_slots_per_caller: int = 4

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, value: str | None) -> str | None:
        return normalize_database_url(value) if value else None

    @property
    def is_production(self) -> bool:
        return self.env == "production"
