"""One leader per database for background duties (the sweeper, the Redis relay): whoever holds a
session-level advisory lock, on a connection of its own, leads; the others wait to take over.

The lock is a lease. Once it holds the lock, the leader's session gets PostgreSQL's
``idle_session_timeout`` of ``lease_s``, and the leader renews it (a round trip) every quarter of
the lease. A leader that dies frees the lock when its connection closes; one that freezes
(SIGSTOP, a stalled VM, an event loop blocked for good) keeps its TCP connection open, but
renews nothing: PostgreSQL ends its session once the lease has run out, which frees the lock,
and a waiting process takes over within the lease and its own retry interval. A frozen leader
that wakes finds its connection gone at its next ``check()`` and stops leading.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

LEASE_S = 10.0


class LeadershipLost(Exception):
    """The lease ran out or the connection holding the lock was lost."""


class Leadership:
    """A held advisory lock. ``check()`` raises once the connection (and so the lock) is lost."""

    def __init__(self, conn: asyncpg.Connection, lease_s: float) -> None:
        self._conn = conn
        self._lease_s = lease_s
        self._use = asyncio.Lock()  # one operation at a time on the connection

    async def check(self) -> None:
        """A round trip on the lock's connection: raises if it (and so the lock) is gone."""
        async with self._use:
            try:
                await self._conn.fetchval("SELECT 1")
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                raise LeadershipLost() from error

    async def renew(self) -> None:
        """Forever: a round trip every quarter of the lease, so the session never sits idle
        for as long as ``idle_session_timeout``; raises once the lock is lost."""
        while True:
            await asyncio.sleep(self._lease_s / 4)
            await self.check()


@asynccontextmanager
async def leadership(
    dsn: str, key: int, *, retry_s: float, lease_s: float = LEASE_S
) -> AsyncIterator[Leadership]:
    """Wait until this process holds lock ``key``; it is released when the block ends (or by
    PostgreSQL, once this process has renewed nothing for ``lease_s``)."""
    conn = await asyncpg.connect(
        dsn, server_settings={"application_name": f"agentgraph-leader {os.getpid()}"}
    )
    try:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            await asyncio.sleep(retry_s)
        await conn.execute(f"SET idle_session_timeout = {max(1, round(lease_s * 1000))}")
        lead = Leadership(conn, lease_s)
        renewing = asyncio.create_task(lead.renew(), name="agentgraph-leader-lease")
        try:
            yield lead
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renewing
    finally:
        with contextlib.suppress(Exception):
            await conn.close()
