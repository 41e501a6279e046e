"""SQL of rate-limit budgets: points each caller spent in a window, summed over every process."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# One statement for every caller a process flushes: a row from an older window starts over.
_ADD_SPENDING = text(
    """
    INSERT INTO caller_budgets AS b (caller, window_start, spent)
    SELECT caller, :window_start, points
    FROM unnest(CAST(:callers AS text[]), CAST(:points AS bigint[])) AS t(caller, points)
    ON CONFLICT (caller) DO UPDATE SET
        spent = CASE WHEN b.window_start = EXCLUDED.window_start
                     THEN b.spent + EXCLUDED.spent ELSE EXCLUDED.spent END,
        window_start = EXCLUDED.window_start
    RETURNING caller, spent
    """
)


async def add_spending(
    conn: AsyncConnection, window_start: int, callers: Sequence[str], points: Sequence[int]
) -> dict[str, int]:
    """Add ``points`` to each caller's spending in the window starting at ``window_start``
    (epoch seconds); returns each caller's total spent in it, by every process."""
    result = await conn.execute(
        _ADD_SPENDING,
        {"window_start": window_start, "callers": list(callers), "points": list(points)},
    )
    return {row.caller: int(row.spent) for row in result}
