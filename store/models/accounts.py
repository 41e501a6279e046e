"""Users, their refresh tokens, and the tokens agent runtimes authenticate with."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, created_at, updated_at, uuid_pk


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_lower_email", func.lower(text("email")), unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    is_superuser: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class RefreshToken(Base):
    """One opaque refresh token (only its hash). Rotation chains tokens of one login in a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AgentToken(Base):
    """A secret with which an agent runtime acts as exactly one agent (only its hash is kept)."""

    __tablename__ = "agent_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class CallerBudget(Base):
    """Points a caller (``user:<id>``, ``agent-token:<id>``) spent in one rate-limit window,
    summed over every server process (usecases/budgets.py). UNLOGGED, no timestamps: a counter."""

    __tablename__ = "caller_budgets"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    caller: Mapped[str] = mapped_column(Text, primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    spent: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SignInThrottle(Base):
    """Attempts counted against one throttle key (``login:<email>|<address>``,
    ``login-address:<address>``, ``register:<address>``), shared by every server process
    (usecases/throttle.py). UNLOGGED: a crash forgets the counts, as a restart of one process
    used to."""

    __tablename__ = "sign_in_throttle"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    attempts: Mapped[int] = mapped_column(nullable=False, server_default=text("0"))
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    blocked_until: Mapped[datetime | None] = mapped_column()
