"""Redis fan-out (AGENTGRAPH_BROADCAST_URL=redis://…): one relay moves NOTIFY into Redis.

Writes still NOTIFY inside their transactions (delivered only on commit) and the durable log
stays in PostgreSQL. One process per database — the holder of an advisory lock — LISTENs and
republishes every notification to Redis; every process's hub subscribes to Redis. If the relay
dies, another process takes the lock, and hubs fill any gap from the log by seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlparse

import asyncpg
from broadcaster import Broadcast

from agentgraph.settings import Settings
from domain.store.database import Database
from domain.store.eventlog import EVENTS_CHANNEL, HEARTBEATS_CHANNEL
from domain.store.listener import PostgresListenBackend

logger = logging.getLogger("agentgraph.relay")

RELAY_LOCK = 7_301_845_115


def uses_redis(settings: Settings) -> bool:
    url = settings.broadcast_url
    return bool(url) and urlparse(url or "").scheme in ("redis", "rediss")


async def start_relay(settings: Settings, database: Database) -> asyncio.Task[None] | None:
    if not uses_redis(settings):
        return None
    assert settings.broadcast_url is not None
    return asyncio.create_task(
        run_relay(database.asyncpg_dsn(), settings.broadcast_url), name="agentgraph-relay"
    )


async def run_relay(dsn: str, redis_url: str, retry_s: float = 1.0) -> None:
    while True:
        lock_conn = None
        try:
            lock_conn = await asyncpg.connect(dsn)
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                await asyncio.sleep(retry_s)
            await _relay(dsn, redis_url, lock_conn)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("relay paused: %s", type(error).__name__)
            await asyncio.sleep(retry_s)
        finally:
            if lock_conn is not None:
                with contextlib.suppress(Exception):
                    await lock_conn.close()


async def _relay(dsn: str, redis_url: str, lock_conn: asyncpg.Connection) -> None:
    source = Broadcast(backend=PostgresListenBackend(dsn))
    sink = Broadcast(redis_url)
    async with source, sink:

        async def forward(channel: str) -> None:
            async with source.subscribe(channel) as subscriber:
                async for message in subscriber:  # type: ignore[union-attr]
                    if message is not None:
                        await sink.publish(channel, message.message)

        tasks = [asyncio.create_task(forward(c)) for c in (EVENTS_CHANNEL, HEARTBEATS_CHANNEL)]
        try:
            while True:
                await asyncio.sleep(2.0)
                await lock_conn.fetchval("SELECT 1")  # still the leader?
                for task in tasks:
                    if task.done():
                        task.result()
        finally:
            for task in tasks:
                task.cancel()
