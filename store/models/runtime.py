"""What hangs below an agent: configs, its one state row, capabilities and metric points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.metrics import MetricType
from domain.values import CONFIG_KEY_PATTERN, ConfigValueType
from store.models.base import Base, created_at, jsonb, one_of, updated_at, uuid_pk


def _agent_fk(*, primary_key: bool = False) -> Mapped[uuid.UUID]:
    return mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key
    )


class AgentConfig(Base):
    __tablename__ = "agent_configs"
    __table_args__ = (
        UniqueConstraint("agent_id", "key"),
        CheckConstraint(f"key ~ '{CONFIG_KEY_PATTERN}'", name="key_format"),
        CheckConstraint(
            one_of("value_type", tuple(t.value for t in ConfigValueType)), name="value_type"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = _agent_fk()
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    value_type: Mapped[str] = mapped_column(String(16), nullable=False, server_default="string")
    description: Mapped[str | None] = mapped_column(Text)
    is_sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AgentState(Base):
    """Exactly one per agent, created with it; keyed by the agent."""

    __tablename__ = "agent_states"

    agent_id: Mapped[uuid.UUID] = _agent_fk(primary_key=True)
    current_workflow: Mapped[str | None] = mapped_column(String(200))
    workflow_data: Mapped[dict[str, Any]] = jsonb("{}")
    active_workflows: Mapped[list[Any]] = jsonb("[]")
    resource_locks: Mapped[list[Any]] = jsonb("[]")
    resource_usage: Mapped[dict[str, Any]] = jsonb("{}")
    # "metadata" is reserved on declarative classes; the column keeps the product's name.
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, server_default="{}"
    )
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_activity_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AgentCapability(Base):
    __tablename__ = "agent_capabilities"
    __table_args__ = (UniqueConstraint("agent_id", "name", "version"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = _agent_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    # SemVer precedence as a byte-ordered text (migration 0002), for ordering in SQL.
    version_order: Mapped[str] = mapped_column(
        Text(collation="C"), Computed("semver_sort_key(version)", persisted=True), nullable=False
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    parameters: Mapped[dict[str, Any]] = jsonb("{}")
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AgentMetric(Base):
    """One time-series point. Append-only, so no updated_at; a bigint identity instead of a UUID."""

    __tablename__ = "agent_metrics"
    __table_args__ = (
        CheckConstraint(
            one_of("metric_type", tuple(t.value for t in MetricType)), name="metric_type"
        ),
        CheckConstraint("value NOT IN ('NaN', 'Infinity', '-Infinity')", name="finite"),
        Index("ix_agent_metrics_agent_id_name_recorded_at", "agent_id", "name", "recorded_at"),
        Index("ix_agent_metrics_agent_id_recorded_at", "agent_id", "recorded_at", "id"),
        Index(
            "ix_agent_metrics_tags",
            "tags",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    agent_id: Mapped[uuid.UUID] = _agent_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    value: Mapped[float] = mapped_column(Double, nullable=False)
    metric_type: Mapped[str] = mapped_column(String(16), nullable=False, server_default="gauge")
    unit: Mapped[str | None] = mapped_column(String(50))
    tags: Mapped[dict[str, Any]] = jsonb("{}")
    recorded_at: Mapped[datetime] = created_at()
    created_at: Mapped[datetime] = created_at()
