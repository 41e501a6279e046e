"""Redis fan-out (AGENTGRAPH_BROADCAST_URL=redis://…): one relay moves NOTIFY into Redis.

Writes still NOTIFY inside their transactions (delivered only on commit) and the durable log
stays in PostgreSQL. One process per database — the holder of an advisory lock — LISTENs and
republishes every notification to Redis; every process's hub subscribes to Redis. If the relay
dies, another process takes the lock, and hubs fill any gap from the log by seq.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

from broadcaster import Broadcast

from agentgraph.settings import Settings
from store.database import Database
from store.eventlog import EVENTS_CHANNEL, HEARTBEATS_CHANNEL
from store.leadership import Leadership, leadership
from store.listener import PostgresListenBackend

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
        try:
            async with leadership(dsn, RELAY_LOCK, retry_s=retry_s) as lead:
                await _relay(dsn, redis_url, lead)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a database or Redis restart: relay again once back
            logger.warning("relay paused: %s", type(error).__name__)
            await asyncio.sleep(retry_s)


async def _relay(dsn: str, redis_url: str, lead: Leadership) -> None:
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
                await lead.check()  # still the leader?
                for task in tasks:
                    if task.done():
                        task.result()
        finally:
            for task in tasks:
                task.cancel()
