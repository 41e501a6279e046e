"""SQL of sign-in throttling: attempts per throttle key, shared by every server process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.throttle import KeyCount

# A key seen for the first time gets its row; every key's row is locked (in key order, so two
# attempts never wait on each other crosswise) until the transaction ends, and read.
_LOCK_COUNTS = text(
    """
    INSERT INTO sign_in_throttle AS t (key)
    SELECT key FROM unnest(CAST(:keys AS text[])) AS u(key) ORDER BY key
    ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
    RETURNING t.key, t.attempts, t.last_attempt_at, t.blocked_until, now() AS now
    """
)

_SAVE_COUNTS = text(
    """
    UPDATE sign_in_throttle AS t
    SET attempts = u.attempts, last_attempt_at = u.last_attempt_at, blocked_until = u.blocked_until
    FROM unnest(
        CAST(:keys AS text[]), CAST(:attempts AS integer[]),
        CAST(:lasts AS timestamptz[]), CAST(:blocks AS timestamptz[])
    ) AS u(key, attempts, last_attempt_at, blocked_until)
    WHERE t.key = u.key
    """
)


async def lock_counts(
    conn: AsyncConnection, keys: Sequence[str]
) -> tuple[datetime, dict[str, KeyCount]]:
    """The database's time and each key's count, locked until the transaction ends."""
    rows = (await conn.execute(_LOCK_COUNTS, {"keys": sorted(set(keys))})).all()
    counts = {
        row.key: KeyCount(row.attempts, row.last_attempt_at, row.blocked_until) for row in rows
    }
    return rows[0].now, counts


async def save_counts(conn: AsyncConnection, counts: Mapping[str, KeyCount]) -> None:
    """Write the keys' counts (rows ``lock_counts`` locked)."""
    keys = list(counts)
    await conn.execute(
        _SAVE_COUNTS,
        {
            "keys": keys,
            "attempts": [counts[k].attempts for k in keys],
            "lasts": [counts[k].last_attempt_at for k in keys],
            "blocks": [counts[k].blocked_until for k in keys],
        },
    )
