"""The credentials channel: triggers (migration 0003) NOTIFY it when a credential may have ended."""

from __future__ import annotations

import json
import uuid

from domain.sessions import ANY_CREDENTIAL, CredentialChange

CREDENTIALS_CHANNEL = "agentgraph_credentials"

_FIELDS = {"user": "user_id", "agentToken": "agent_token_id", "agent": "agent_id"}


def parse_credential_change(payload: str) -> CredentialChange:
    """The change a notification names; one it cannot read puts every credential in doubt."""
    try:
        raw = json.loads(payload)
        ((kind, ident),) = raw.items()
        return CredentialChange(**{_FIELDS[kind]: uuid.UUID(str(ident))})
    except (ValueError, TypeError, KeyError, AttributeError):
        return ANY_CREDENTIAL
