"""Access tokens (short-lived JWTs) and opaque secrets (refresh and agent tokens).

Access tokens are HS256 JWTs whose algorithm is pinned when decoding, so ``alg: none`` and
HS/RS confusion are refused by construction. They carry ``exp``, ``iat``, ``sub`` (the user's
uuid), ``typ`` (``access``) and ``jti``; all are required.

Refresh and agent tokens are random secrets with a recognisable prefix; only their SHA-256 is
stored, so a database leak reveals no usable token. (A fast hash suffices: the secrets carry
256 bits of entropy, unlike passwords.)
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from domain.errors import Unauthenticated

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
REFRESH_PREFIX = "agr_"
AGENT_PREFIX = "aga_"
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ", "jti"]
# Far above any token we issue; refuses oversized input before any parsing work.
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: uuid.UUID
    token_id: str
    expires_at: datetime


def issue_access_token(
    secret_key: str, user_id: uuid.UUID, ttl_s: int, *, now: datetime | None = None
) -> str:
    """A signed access token for ``user_id`` expiring after ``ttl_s`` seconds."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "typ": ACCESS_TYPE,
        "jti": uuid.uuid4().hex,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl_s)).timestamp()),
    }
    return jwt.encode(claims, signing_key(secret_key), algorithm=ALGORITHM)


def decode_access_token(secret_key: str, token: str) -> AccessClaims:
    """The claims of a valid access token; ``Unauthenticated`` for anything else."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("Invalid access token.")
    try:
        claims = jwt.decode(
            token,
            signing_key(secret_key),
            algorithms=[ALGORITHM],
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("Access token expired; get a new one with refreshToken.") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("Invalid access token.") from None
    if claims.get("typ") != ACCESS_TYPE:
        raise Unauthenticated("Invalid access token: wrong token type.")
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise Unauthenticated("Invalid access token.") from None
    return AccessClaims(
        user_id=user_id,
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


def new_refresh_secret() -> str:
    """A fresh refresh token (shown to the client once; store only ``secret_hash`` of it)."""
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def new_agent_secret() -> str:
    """A fresh agent token (shown to its creator once; store only ``secret_hash`` of it)."""
    return AGENT_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """The SHA-256 hex digest under which an opaque secret is stored and looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


def is_refresh_secret(token: str) -> bool:
    return token.startswith(REFRESH_PREFIX) and len(token) <= MAX_TOKEN_LENGTH


def is_agent_secret(token: str) -> bool:
    return token.startswith(AGENT_PREFIX) and len(token) <= MAX_TOKEN_LENGTH


def signing_key(secret_key: str) -> bytes:
    """The HMAC key access tokens are signed with, derived from the server secret."""
    # A key derived for this one purpose: always 32 bytes (HS256's recommended minimum, however
    # short the configured secret), and distinct from any other use of the server secret.
    return hashlib.sha256(b"agentgraph access token\x00" + secret_key.encode()).digest()
