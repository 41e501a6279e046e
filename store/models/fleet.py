"""Agent types (templates), projects, and the agents spawned from one into the other."""

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

from domain.events import AgentHealth
from domain.lifecycle import AgentStatus
from domain.safety import SafetyLevel
from domain.values import SLUG_PATTERN
from store.models.base import Base, agent_fk, created_at, jsonb, one_of, updated_at, uuid_pk

_STATUSES = tuple(s.value for s in AgentStatus)


def _text_array() -> Mapped[list[str]]:
    return mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'::text[]"))


class AgentType(Base):
    __tablename__ = "agent_types"
    __table_args__ = (CheckConstraint(f"slug ~ '{SLUG_PATTERN}'", name="slug_format"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(63), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    expertise: Mapped[list[str]] = _text_array()
    personality_prompt: Mapped[str] = mapped_column(Text, nullable=False)
    primary_model: Mapped[str] = mapped_column(String(200), nullable=False)
    fallback_models: Mapped[list[str]] = _text_array()
    model_params: Mapped[dict[str, Any]] = jsonb("{}")
    mcp_servers: Mapped[list[str]] = _text_array()
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (CheckConstraint(f"slug ~ '{SLUG_PATTERN}'", name="slug_format"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(63), nullable=False, unique=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint(one_of("status", _STATUSES), name="status"),
        CheckConstraint(one_of("paused_from", _STATUSES, nullable=True), name="paused_from"),
        CheckConstraint(
            one_of("safety_level", tuple(s.value for s in SafetyLevel)), name="safety_level"
        ),
        CheckConstraint(
            one_of("reported_health", tuple(h.value for h in AgentHealth), nullable=True),
            name="reported_health",
        ),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_agents_project_id_created_at", "project_id", "created_at", "id"),
        # No index on last_heartbeat_at: heartbeats stay HOT updates (migration 0007).
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    agent_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agent_types.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False, server_default="idle")
    paused_from: Mapped[str | None] = mapped_column(String(32))
    safety_level: Mapped[str] = mapped_column(String(16), nullable=False, server_default="moderate")
    version: Mapped[str] = mapped_column(String(64), nullable=False, server_default="1.0.0")
    endpoint: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    last_heartbeat_at: Mapped[datetime | None] = mapped_column()
    # The health the sweeper last published, so HEALTH_CHANGED fires once per change.
    reported_health: Mapped[str | None] = mapped_column(String(16))
    tasks_completed: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    tokens_used: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    cost_incurred: Mapped[Decimal] = mapped_column(
        Numeric(12, 4), nullable=False, server_default=text("0")
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AgentState(Base):
    """Exactly one per agent, created with it; keyed by the agent."""

    __tablename__ = "agent_states"

    agent_id: Mapped[uuid.UUID] = agent_fk(primary_key=True)
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
