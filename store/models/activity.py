"""The durable event log and the lifecycle history that shares its cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.events import DURABLE_KINDS
from domain.lifecycle import AgentStatus
from store.models.base import Base, created_at, jsonb, one_of, uuid_pk

_STATUSES = tuple(s.value for s in AgentStatus)


class Event(Base):
    """One durable event. ``seq`` is global, monotonic, and in commit order: the subscription cursor."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(one_of("kind", tuple(sorted(k.value for k in DURABLE_KINDS))), name="kind"),
        Index("ix_events_agent_id_seq", "agent_id", "seq"),
        Index("ix_events_project_id_seq", "project_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    data: Mapped[dict[str, Any]] = jsonb("{}")
    at: Mapped[datetime] = created_at()


class StatusTransition(Base):
    """One lifecycle move; ``seq`` is the cursor of the STATUS_CHANGED event written with it."""

    __tablename__ = "status_transitions"
    __table_args__ = (
        CheckConstraint(one_of("from_status", _STATUSES, nullable=True), name="from_status"),
        CheckConstraint(one_of("to_status", _STATUSES), name="to_status"),
        Index("ix_status_transitions_agent_id_seq", "agent_id", "seq"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(
        ForeignKey("events.seq", ondelete="CASCADE"), nullable=False, unique=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[datetime] = created_at()
