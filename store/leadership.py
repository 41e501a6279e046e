"""One leader per database for background duties (the sweeper, the Redis relay): whoever holds a
session-level advisory lock, on a connection of its own, leads; the others wait to take over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


class Leadership:
    """A held advisory lock. ``check()`` raises once the connection (and so the lock) is lost."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def check(self) -> None:
        await self._conn.fetchval("SELECT 1")


@asynccontextmanager
async def leadership(dsn: str, key: int, *, retry_s: float) -> AsyncIterator[Leadership]:
    """Wait until this process holds lock ``key``; it is released when the block ends."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "agentgraph-leader"})
    try:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            await asyncio.sleep(retry_s)
        yield Leadership(conn)
    finally:
        with contextlib.suppress(Exception):
            await conn.close()
