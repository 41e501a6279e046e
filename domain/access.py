"""Who is asking, and what they may see and do (pure rules; SPEC §5).

Users see the projects they own and everything inside them; superusers see everything; an agent
token acts as exactly one agent and may read that agent and call a few runtime mutations for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Capability(StrEnum):
    """What a request may do, checked before any work (the coarse half of authorization)."""

    PUBLIC = "public"  # register, login, refreshToken
    SIGNED_IN = "signed_in"  # any user, not an agent token
    SUPERUSER = "superuser"  # admin-only mutations (FORBIDDEN for others)
    AGENT_RUNTIME = "agent_runtime"  # users (owner/superuser) and the agent's own token


@dataclass(frozen=True, slots=True)
class Viewer:
    """The caller of one request: anonymous, a user, or an agent runtime holding an agent token."""

    user_id: uuid.UUID | None = None
    is_superuser: bool = False
    agent_id: uuid.UUID | None = None
    agent_token_id: uuid.UUID | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.agent_id is not None

    @property
    def is_agent(self) -> bool:
        return self.agent_id is not None

    @property
    def is_user(self) -> bool:
        return self.user_id is not None

    @property
    def actor(self) -> str:
        """How the lifecycle history names who made a change."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.agent_token_id is not None:
            return f"agent-token:{self.agent_token_id}"
        return "system"

    @property
    def caller_key(self) -> str | None:
        """Whom per-caller limits count against: the user, or the agent token (one runtime);
        None for anonymous callers."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.agent_token_id is not None:
            return f"agent-token:{self.agent_token_id}"
        return None

    def may(self, capability: Capability) -> bool:
        if capability is Capability.PUBLIC:
            return True
        if capability is Capability.SIGNED_IN:
            return self.is_user
        if capability is Capability.SUPERUSER:
            return self.is_user and self.is_superuser
        return self.is_authenticated

    def owns_project(self, owner_id: uuid.UUID) -> bool:
        """Full rights over a project: its owner or a superuser."""
        return self.is_superuser or (self.user_id is not None and self.user_id == owner_id)

    def can_see_agent(self, agent_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        return self.owns_project(owner_id) or self.agent_id == agent_id

    def can_see_user(self, user_id: uuid.UUID, *, within_own_project: bool = False) -> bool:
        """People's accounts: your own; any for superusers; the people acting in a project you
        own (its owner, who decided an approval) — and never to an agent runtime."""
        if self.is_agent:
            return False
        return self.is_superuser or self.user_id == user_id or within_own_project

    def can_read_secrets_of(self, agent_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        """Sensitive config values: the project owner, a superuser, or the agent's own token."""
        return self.can_see_agent(agent_id, owner_id)


ANONYMOUS = Viewer()
SYSTEM_ACTOR = "system"
