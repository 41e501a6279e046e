"""The sweeper: what the clock decides. Agents whose heartbeat is overdue become STALE (a durable
HEALTH_CHANGED event); pending approvals past their expiry count as rejected (the step stops,
the execution fails, the agent goes back to IDLE), as if someone had decided them.

One sweeper per database: each process tries a session-level advisory lock on a connection of
its own; the holder sweeps, the others wait to take over if it goes away, or once its lease
runs out if it freezes (store/leadership.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from domain.errors import DomainError, Unavailable
from domain.events import AgentHealth
from store import eventlog, sweeps
from store.database import Database
from store.leadership import LEASE_S, leadership
from usecases.approvals import expire_approval

logger = logging.getLogger("agentgraph.health")

SWEEPER_LOCK = 7_301_845_114
SWEEPER_TASK = "agentgraph-sweeper"


async def sweep_once(database: Database, timeout: timedelta) -> int:
    """Mark overdue agents STALE and record HEALTH_CHANGED for each; returns how many."""
    async with database.transaction() as conn:
        stale = await sweeps.mark_stale(conn, timeout)
        await eventlog.append(conn, eventlog.health_changes(stale, AgentHealth.STALE))
    return len(stale)


async def expire_overdue_approvals(database: Database) -> int:
    """Record the expiry of every overdue pending approval; returns how many."""
    async with database.read() as conn:
        overdue = await sweeps.overdue_approvals(conn)
    expired = 0
    for approval_id in overdue:
        try:
            await expire_approval(database, approval_id)
        except Unavailable:
            raise  # the database went away: the sweeper leads again once it is back
        except DomainError:
            continue  # decided or deleted meanwhile
        expired += 1
    return expired


async def run_sweeper(
    database: Database, timeout: timedelta, interval_s: float, lease_s: float = LEASE_S
) -> None:
    """Forever: hold the sweeper lock (or wait for it), sweep every ``interval_s``."""
    while True:
        try:
            async with leadership(
                database.asyncpg_dsn(), SWEEPER_LOCK, retry_s=interval_s, lease_s=lease_s
            ) as lead:
                while True:
                    await lead.check()  # still the leader (the lease not run out)?
                    await sweep_once(database, timeout)
                    await expire_overdue_approvals(database)
                    await asyncio.sleep(interval_s)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a database restart: lead again once it is back
            logger.warning("sweeper paused: %s", type(error).__name__)
            await asyncio.sleep(interval_s)
