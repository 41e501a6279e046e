"""Metric points: the time series agents record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Double, Identity, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.metrics import MetricType
from store.models.base import Base, created_at, jsonb, one_of


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
    # The agent's, without a foreign key: triggers check the agents once per statement, lock
    # them as a foreign key would, and delete the points with their agent (migration 0006).
    agent_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    value: Mapped[float] = mapped_column(Double, nullable=False)
    metric_type: Mapped[str] = mapped_column(String(16), nullable=False, server_default="gauge")
    unit: Mapped[str | None] = mapped_column(String(50))
    tags: Mapped[dict[str, Any]] = jsonb("{}")
    recorded_at: Mapped[datetime] = created_at()
    created_at: Mapped[datetime] = created_at()
