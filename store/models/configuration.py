"""How an agent is set up: its config entries and versioned capabilities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Computed, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.values import CONFIG_KEY_PATTERN, ConfigValueType
from store.models.base import Base, agent_fk, created_at, jsonb, one_of, updated_at, uuid_pk


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
    agent_id: Mapped[uuid.UUID] = agent_fk()
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    value_type: Mapped[str] = mapped_column(String(16), nullable=False, server_default="string")
    description: Mapped[str | None] = mapped_column(Text)
    is_sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AgentCapability(Base):
    __tablename__ = "agent_capabilities"
    __table_args__ = (UniqueConstraint("agent_id", "name", "version"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = agent_fk()
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
