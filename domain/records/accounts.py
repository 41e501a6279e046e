"""Accounts: users, their refresh tokens, and the tokens agent runtimes authenticate with.

Hashes are kept out of ``repr`` so a logged record never shows one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    email: str
    password_hash: str = field(repr=False)
    first_name: str | None
    last_name: str | None
    is_superuser: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """One refresh token of a sign-in's family (rotation chains them)."""

    id: uuid.UUID
    user_id: uuid.UUID
    family_id: uuid.UUID
    token_hash: str = field(repr=False)
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AgentToken:
    """A secret with which an agent runtime acts as one agent (only its hash is kept)."""

    id: uuid.UUID
    agent_id: uuid.UUID
    name: str | None
    token_hash: str = field(repr=False)
    created_by: uuid.UUID | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    updated_at: datetime
