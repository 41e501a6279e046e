"""Executions, their planned steps, checkpoints and the execution log."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.executions import ExecutionEventType, ExecutionStatus, StepStatus
from domain.recovery import RecoveryStrategy
from domain.safety import RiskLevel
from store.models.base import Base, created_at, enum_values, jsonb, one_of, updated_at, uuid_pk


class Execution(Base):
    __tablename__ = "executions"
    __table_args__ = (
        CheckConstraint(one_of("status", enum_values(ExecutionStatus)), name="status"),
        CheckConstraint(
            one_of("recovery_strategy", enum_values(RecoveryStrategy), nullable=True),
            name="recovery_strategy",
        ),
        CheckConstraint("tokens_used >= 0 AND cost >= 0", name="non_negative_usage"),
        Index("ix_executions_agent_id_started_at", "agent_id", "started_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    description: Mapped[str] = mapped_column(Text, nullable=False)
    input: Mapped[dict[str, Any]] = jsonb("{}")
    status: Mapped[str] = mapped_column(String(32), nullable=False, server_default="planning")
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    started_at: Mapped[datetime] = created_at()
    completed_at: Mapped[datetime | None] = mapped_column()
    result: Mapped[Any | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    recovery_strategy: Mapped[str | None] = mapped_column(String(64))
    tokens_used: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 4), nullable=False, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ExecutionStep(Base):
    __tablename__ = "execution_steps"
    __table_args__ = (
        UniqueConstraint("execution_id", "index"),
        CheckConstraint('"index" >= 0', name="index_non_negative"),
        CheckConstraint(one_of("risk_level", enum_values(RiskLevel)), name="risk_level"),
        CheckConstraint(one_of("status", enum_values(StepStatus)), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    index: Mapped[int] = mapped_column(Integer, nullable=False)
    tool: Mapped[str] = mapped_column(String(200), nullable=False)
    params: Mapped[dict[str, Any]] = jsonb("{}")
    rationale: Mapped[str | None] = mapped_column(Text)
    risk_level: Mapped[str] = mapped_column(String(16), nullable=False)
    requires_approval: Mapped[bool] = mapped_column(Boolean, nullable=False)
    safe: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    risks: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    mitigations: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    status: Mapped[str] = mapped_column(String(32), nullable=False, server_default="pending")
    result: Mapped[Any | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Checkpoint(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("execution_id", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    data: Mapped[dict[str, Any]] = jsonb("{}")
    # Order of checkpoints within their execution (1, 2, …).
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ExecutionEvent(Base):
    """Append-only log of one execution's progress."""

    __tablename__ = "execution_events"
    __table_args__ = (
        CheckConstraint(one_of("event_type", enum_values(ExecutionEventType)), name="event_type"),
        Index("ix_execution_events_execution_id_id", "execution_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[dict[str, Any]] = jsonb("{}")
    at: Mapped[datetime] = created_at()
