"""Approvals of risky steps; each is decided at most once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.executions import ApprovalStatus
from store.models.base import Base, created_at, enum_values, one_of, updated_at, uuid_pk


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(one_of("status", enum_values(ApprovalStatus)), name="status"),
        CheckConstraint("expires_at > requested_at", name="expires_after_request"),
        # At most one open request per step: the exactly-one-decision rule starts here.
        Index(
            "uq_approvals_step_id_pending",
            "step_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_approvals_agent_id_requested_at", "agent_id", "requested_at", "id"),
        Index("ix_approvals_execution_id", "execution_id"),
        Index("ix_approvals_step_id", "step_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    step_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("execution_steps.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    requested_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
