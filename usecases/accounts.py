"""Use cases of accounts: who a token belongs to, signing up and in, sessions.

A session is one sign-in: a short-lived access token plus a refresh token. Each refresh
rotates the refresh token within the sign-in's *family*; presenting a token that was already
rotated means two parties hold it (one of them a thief), so the whole family is revoked.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.access import ANONYMOUS, Viewer
from domain.errors import AgentTerminated, Forbidden, Unauthenticated, ValidationFailed
from domain.lifecycle import AgentStatus
from domain.records import User
from domain.values import (
    MAX_EMAIL_LENGTH,
    MAX_PASSWORD_LENGTH,
    validate_email,
    validate_name,
    validate_password,
)
from store import accounts as store
from store import agent_tokens
from store.database import Database, DatabaseConnection
from usecases.credentials.passwords import (
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from usecases.credentials.tokens import (
    decode_access_token,
    is_agent_secret,
    is_refresh_secret,
    issue_access_token,
    new_refresh_secret,
    secret_hash,
)
from usecases.throttle import SignInThrottle

# The same words for an unknown email and a wrong password: no hint which one it was.
BAD_CREDENTIALS = "Invalid email or password."
_REFRESH_FAILED = "Refresh token is invalid, expired or revoked; sign in again."
_REFRESH_REUSED = (
    "Refresh token was already used; every session of that sign-in is now revoked. Sign in again."
)


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """How tokens are signed and how long they live."""

    secret_key: str
    access_ttl_s: int
    refresh_ttl_s: int


@dataclass(frozen=True, slots=True)
class Session:
    """What a successful register, login or refresh hands the client."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int


async def authenticate(database: Database, secret_key: str, token: str | None) -> Viewer:
    """The viewer a bearer token stands for: ANONYMOUS without one, ``Unauthenticated`` if bad.

    Access tokens (JWT) are users, re-read on every request so a disabled user or a revoked
    superuser flag takes effect at once; ``aga_`` tokens are agent runtimes, valid while
    unrevoked and their agent exists and is not TERMINATED. (The one rule for every transport:
    open WebSockets are checked against it again when a credential changes.)
    """
    if token is None:
        return ANONYMOUS
    if is_agent_secret(token):
        return await _agent_viewer(database, token)
    if is_refresh_secret(token):
        raise Unauthenticated(
            "A refresh token cannot authenticate requests: send the access token "
            "(exchange the refresh token with refreshToken)."
        )
    claims = decode_access_token(secret_key, token)
    # Retried while the database restarts, as every read of a request is.
    user = await database.read_retrying(lambda conn: store.user_by_id(conn, claims.user_id))
    if user is None or not user.is_active:
        raise Unauthenticated("The account of this access token is disabled or no longer exists.")
    return Viewer(user_id=user.id, is_superuser=user.is_superuser)


async def _agent_viewer(database: Database, token: str) -> Viewer:
    hashed = secret_hash(token)
    live = await database.read_retrying(lambda conn: agent_tokens.live_agent_token(conn, hashed))
    if live is None:
        raise Unauthenticated("Invalid or revoked agent token.")
    found, agent_status = live
    if agent_status is AgentStatus.TERMINATED:
        raise AgentTerminated()
    if agent_tokens.is_touch_due(found.last_used_at, datetime.now(UTC)):
        async with database.transaction() as conn:
            await agent_tokens.touch_agent_token(conn, found.id)
    return Viewer(agent_id=found.agent_id, agent_token_id=found.id)


async def register(
    database: Database,
    tokens: TokenConfig,
    throttle: SignInThrottle,
    *,
    email: str,
    password: str,
    client_address: str,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Session:
    """Create an account (email unique in any letter case) and sign it in; every attempt
    counts against the address's registrations."""
    await throttle.begin_register(client_address)
    address = validate_email(email, "input.email")
    validate_password(password, "input.password")
    first = optional_name(first_name, "input.firstName")
    last = optional_name(last_name, "input.lastName")
    password_hash = await asyncio.to_thread(hash_password, password)
    async with database.transaction() as conn:
        user = await store.insert_user(
            conn, email=address, password_hash=password_hash, first_name=first, last_name=last
        )
        if user is None:
            raise ValidationFailed("input.email", "an account with this email already exists")
        refresh_token = await _issue_refresh_token(conn, user.id, uuid.uuid4(), tokens)
    return _session(user, refresh_token, tokens)


async def login(
    database: Database,
    tokens: TokenConfig,
    throttle: SignInThrottle,
    *,
    email: str,
    password: str,
    client_address: str,
) -> Session:
    """Sign in with email and password; every attempt counts against the throttle."""
    attempt = await throttle.begin_login(email[: MAX_EMAIL_LENGTH + 1], client_address)
    if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise Unauthenticated(BAD_CREDENTIALS)
    async with database.read() as conn:
        user = await store.user_by_email(conn, email)
    if user is None:
        await asyncio.to_thread(verify_dummy, password)
        raise Unauthenticated(BAD_CREDENTIALS)
    if not await asyncio.to_thread(verify_password, user.password_hash, password):
        raise Unauthenticated(BAD_CREDENTIALS)
    if not user.is_active:
        # Said only to someone who knows the password.
        raise Unauthenticated("This account is disabled.")
    await throttle.succeeded(attempt)
    new_hash = (
        await asyncio.to_thread(hash_password, password)
        if needs_rehash(user.password_hash)
        else None
    )
    async with database.transaction() as conn:
        if new_hash is not None:
            await store.set_password_hash(conn, user.id, new_hash)
        refresh_token = await _issue_refresh_token(conn, user.id, uuid.uuid4(), tokens)
    return _session(user, refresh_token, tokens)


async def refresh(database: Database, tokens: TokenConfig, refresh_token: str) -> Session:
    """Exchange a refresh token for a new session, rotating it within its family.

    A token presented after it was used (or revoked) revokes the whole family. The revocation
    is committed before the error is raised.
    """
    if not is_refresh_secret(refresh_token):
        raise Unauthenticated("Not a refresh token: pass the refreshToken from login or register.")
    digest = secret_hash(refresh_token)
    failure = _REFRESH_FAILED
    session: tuple[User, str] | None = None
    async with database.transaction() as conn:
        claimed = await store.claim_refresh_token(conn, digest)
        if claimed is None:
            known = await store.refresh_token_by_hash(conn, digest)
            if known is not None and (known.used_at or known.revoked_at):
                await store.revoke_refresh_family(conn, known.family_id)
                failure = _REFRESH_REUSED if known.used_at else _REFRESH_FAILED
        else:
            user = await store.user_by_id(conn, claimed.user_id)
            if user is not None and user.is_active:
                new_token = await _issue_refresh_token(conn, user.id, claimed.family_id, tokens)
                session = (user, new_token)
    if session is None:
        raise Unauthenticated(failure)
    return _session(session[0], session[1], tokens)


async def logout(database: Database, viewer: Viewer, refresh_token: str) -> bool:
    """Revoke the family of one of the caller's refresh tokens. Always True: a token that is
    unknown, or someone else's, changes nothing and reveals nothing."""
    require_user(viewer, "Agent tokens have no sessions to sign out of.")
    assert viewer.user_id is not None
    if is_refresh_secret(refresh_token):
        async with database.transaction() as conn:
            await store.revoke_family_of(conn, secret_hash(refresh_token), viewer.user_id)
    return True


async def create_superuser(database: Database, email: str, password: str) -> bool:
    """Create a superuser, or make the existing user one with this password. True if created.

    An existing user is also reactivated: whoever runs this holds the server's keys anyway.
    """
    address = validate_email(email, "email")
    validate_password(password, "password")
    password_hash = await asyncio.to_thread(hash_password, password)
    async with database.transaction() as conn:
        _, created = await store.upsert_superuser(conn, email=address, password_hash=password_hash)
    return created


def require_user(viewer: Viewer, agent_message: str) -> None:
    if viewer.is_agent:
        raise Forbidden(agent_message)
    if not viewer.is_user:
        raise Unauthenticated()


def optional_name(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    return validate_name(value, field, max_length=100)


async def _issue_refresh_token(
    conn: DatabaseConnection, user_id: uuid.UUID, family_id: uuid.UUID, tokens: TokenConfig
) -> str:
    secret = new_refresh_secret()
    await store.insert_refresh_token(
        conn,
        user_id=user_id,
        family_id=family_id,
        token_hash=secret_hash(secret),
        expires_at=datetime.now(UTC) + timedelta(seconds=tokens.refresh_ttl_s),
    )
    return secret


def _session(user: User, refresh_token: str, tokens: TokenConfig) -> Session:
    access_token = issue_access_token(tokens.secret_key, user.id, tokens.access_ttl_s)
    return Session(user, access_token, refresh_token, tokens.access_ttl_s)
