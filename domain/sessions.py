"""What ends a live session: a credential that changed (pure rules).

A WebSocket stays open for hours on the credential it presented at connection_init. When that
credential may have ended — a user disabled, deleted or given or refused the superuser flag, an
agent token revoked or deleted, an agent terminated or deleted — the sessions it concerns are
checked again (and ended if it did end).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.access import Viewer


@dataclass(frozen=True, slots=True)
class CredentialChange:
    """One credential that may have ended; all fields None: any of them (changes were missed)."""

    user_id: uuid.UUID | None = None
    agent_token_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None

    def concerns(self, viewer: Viewer) -> bool:
        """Whether a session of ``viewer`` must be checked again."""
        if self.user_id is not None:
            # Agent runtimes too: whether an owner's account still vouches for the tokens of
            # their agents is for the authentication rule to say, and it is asked again.
            return viewer.user_id == self.user_id or viewer.is_agent
        if self.agent_token_id is not None:
            return viewer.agent_token_id == self.agent_token_id
        if self.agent_id is not None:
            return viewer.agent_id == self.agent_id
        return True


ANY_CREDENTIAL = CredentialChange()
