"""SQL of accounts: users and their refresh-token families (hashes only, never secrets)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.records import RefreshToken, User
from store.rows import fetch_all, fetch_first, to_record
from store.tables import refresh_tokens, users

# --- users -----------------------------------------------------------------------------------


async def user_by_id(conn: AsyncConnection, user_id: uuid.UUID) -> User | None:
    return await fetch_first(conn, User, select(users).where(users.c.id == user_id))


async def users_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[User]:
    return await fetch_all(conn, User, select(users).where(users.c.id.in_(ids)))


async def user_by_email(conn: AsyncConnection, email: str) -> User | None:
    """The user with this email, compared case-insensitively (the unique index's expression)."""
    query = select(users).where(func.lower(users.c.email) == email.strip().lower())
    return await fetch_first(conn, User, query)


async def insert_user(
    conn: AsyncConnection,
    *,
    email: str,
    password_hash: str,
    first_name: str | None = None,
    last_name: str | None = None,
) -> User | None:
    """The new user; None when the email is taken (in any letter case)."""
    statement = (
        pg_insert(users)
        .values(
            email=email,
            password_hash=password_hash,
            first_name=first_name,
            last_name=last_name,
        )
        .on_conflict_do_nothing(index_elements=[func.lower(users.c.email)])
        .returning(users)
    )
    return await fetch_first(conn, User, statement)


async def upsert_superuser(
    conn: AsyncConnection, *, email: str, password_hash: str
) -> tuple[User, bool]:
    """Create the superuser, or promote/reactivate the existing user and set the password.

    Returns (user, created). One statement, so two concurrent runs cannot both insert.
    """
    values = pg_insert(users).values(
        email=email, password_hash=password_hash, is_superuser=True, is_active=True
    )
    statement = values.on_conflict_do_update(
        index_elements=[func.lower(users.c.email)],
        set_={
            "password_hash": values.excluded.password_hash,
            "is_superuser": True,
            "is_active": True,
            "updated_at": func.now(),
        },
    ).returning(users, literal_column("(xmax = 0)").label("created"))
    row = (await conn.execute(statement)).one()  # an upsert always returns its row
    return to_record(User, row), bool(row.created)


async def set_password_hash(conn: AsyncConnection, user_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=password_hash, updated_at=func.now())
    )


# --- refresh tokens --------------------------------------------------------------------------


async def insert_refresh_token(
    conn: AsyncConnection,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        refresh_tokens.insert().values(
            user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
        )
    )


async def claim_refresh_token(conn: AsyncConnection, token_hash: str) -> RefreshToken | None:
    """Mark a live refresh token used and return it; None if unknown, used, revoked or expired.

    A single conditional UPDATE: of two requests presenting the same token, exactly one claims it.
    """
    statement = (
        update(refresh_tokens)
        .where(
            refresh_tokens.c.token_hash == token_hash,
            refresh_tokens.c.used_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
            refresh_tokens.c.expires_at > func.now(),
        )
        .values(used_at=func.now(), updated_at=func.now())
        .returning(refresh_tokens)
    )
    return await fetch_first(conn, RefreshToken, statement)


async def refresh_token_by_hash(conn: AsyncConnection, token_hash: str) -> RefreshToken | None:
    query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
    return await fetch_first(conn, RefreshToken, query)


async def revoke_refresh_family(conn: AsyncConnection, family_id: uuid.UUID) -> None:
    """Revoke every token of one login's family (rotation chain)."""
    await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=func.now(), updated_at=func.now())
    )


async def revoke_family_of(conn: AsyncConnection, token_hash: str, user_id: uuid.UUID) -> None:
    """Revoke the family of the user's token with this hash (nothing if it is not theirs)."""
    family = (
        select(refresh_tokens.c.family_id)
        .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.user_id == user_id)
        .scalar_subquery()
    )
    await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=func.now(), updated_at=func.now())
    )
