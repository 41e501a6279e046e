"""SQL statements per request as PostgreSQL counts them: pg_stat_statements' calls (utility
statements such as BEGIN and COMMIT included), read before and after single requests.

Servers run statements of their own now and then (our LISTEN connection's health check every
2 s, the health sweeper every 5 s). Each request is sent alone and the count is read after it;
such strays only ever add to a request's count, so the fewest any request ran is its count. What
each request saw is kept beside it, and the breakdown (what ran, per request, over all of them)
shows what the strays were.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

# Our own snapshots are left out by their text; everything else on the bench database counts.
_SNAPSHOT = """
SELECT s.queryid, s.query, s.calls FROM pg_stat_statements s
JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database() AND s.toplevel AND s.query NOT LIKE '%pg_stat_statements%'
"""
# First words of transaction control: counted in per_request, not in queries_per_request.
_TRANSACTION_CONTROL = {
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT",
    "RELEASE",
}
# Statements a server may still send after its response has left (returning a connection).
_SETTLE_S = 0.05


@dataclass(frozen=True)
class StatementCount:
    """Statements per request: the fewest a single request ran, and what they were."""

    per_request: int
    queries_per_request: int  # the same without BEGIN, COMMIT, ROLLBACK, SAVEPOINT …
    seen: list[int]  # each request's count, strays included
    breakdown: list[dict[str, object]] = field(default_factory=list)


async def _snapshot(conn: asyncpg.Connection) -> dict[int, tuple[str, int]]:
    return {row["queryid"]: (row["query"], row["calls"]) for row in await conn.fetch(_SNAPSHOT)}


def _delta(before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]) -> dict[str, int]:
    calls: dict[str, int] = {}
    for queryid, (query, count) in after.items():
        ran = count - before.get(queryid, (query, 0))[1]
        if ran:
            text = " ".join(query.split())
            calls[text] = calls.get(text, 0) + ran
    return calls


async def count_statements(
    dsn: str, send: Callable[[], Awaitable[None]], requests: int
) -> StatementCount:
    """Send ``requests`` single requests (after one unmeasured) and count what each ran."""
    conn = await asyncpg.connect(dsn)
    try:
        await send()
        await asyncio.sleep(_SETTLE_S)
        counts: list[int] = []
        queries: list[int] = []
        total: dict[str, int] = {}
        for _ in range(requests):
            before = await _snapshot(conn)
            await send()
            await asyncio.sleep(_SETTLE_S)
            ran = _delta(before, await _snapshot(conn))
            counts.append(sum(ran.values()))
            queries.append(sum(n for text, n in ran.items() if not _is_transaction_control(text)))
            for text, calls in ran.items():
                total[text] = total.get(text, 0) + calls
    finally:
        await conn.close()
    breakdown = [
        {"statement": text[:160], "per_request": round(calls / requests, 2)}
        for text, calls in sorted(total.items(), key=lambda item: -item[1])
    ]
    return StatementCount(min(counts), min(queries), counts, breakdown)


def _is_transaction_control(statement: str) -> bool:
    return statement.split(" ", 1)[0].upper() in _TRANSACTION_CONTROL
