"""Redis fan-out (AGENTGRAPH_BROADCAST_URL=redis://…): one relay moves NOTIFY into Redis.

Writes still NOTIFY inside their transactions (delivered only on commit) and the durable log
stays in PostgreSQL. One process per database — the holder of an advisory lock — LISTENs and
republishes every notification to Redis; every process's hub subscribes to Redis. If the relay
dies, another process takes the lock; if it freezes, its lease (AGENTGRAPH_LEADER_LEASE_S, see
store/leadership.py) runs out and another process takes the lock then. Notifications sent while
no relay leads (at start-up, during a hand-over) reach nobody, so the new leader, once its LISTEN
is up, publishes a RESYNC: every hub then reads the log after the last cursor it delivered, at
once rather than at the next event or its tail check, and goes on from there by seq (each event
once, in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlparse

from broadcaster import Broadcast, Event
from broadcaster._backends.redis import RedisBackend
from redis.exceptions import RedisError

from agentgraph.settings import Settings
from store.credentials import CREDENTIALS_CHANNEL
from store.database import Database
from store.eventlog import EVENTS_CHANNEL, HEARTBEATS_CHANNEL
from store.leadership import Leadership, leadership
from store.listener import RESYNC, PostgresListenBackend

logger = logging.getLogger("agentgraph.relay")

RELAY_LOCK = 7_301_845_115
CHANNELS = (EVENTS_CHANNEL, HEARTBEATS_CHANNEL, CREDENTIALS_CHANNEL)


def uses_redis(settings: Settings) -> bool:
    url = settings.broadcast_url
    return bool(url) and urlparse(url or "").scheme in ("redis", "rediss")


def database_name(database: Database) -> str:
    """The PostgreSQL database's name, which Redis channel names carry."""
    return database.engine.url.database or ""


class RedisChannels(RedisBackend):
    """broadcaster's Redis backend (0.3.1), with three fixes.

    - Its listener is woken only once a subscription is in place. broadcaster wakes it before
      SUBSCRIBE is sent, and a listener that finds no subscription stops until the next one:
      a hub subscribing to both channels at once could then hear nothing but its tail check.
    - Channel names carry the PostgreSQL database's name and the URL's database number
      (``agentgraph_events@<database>@<n>``). Redis pub/sub ignores database numbers, so
      deployments sharing a Redis server would hear each other's events, and a cursor of
      another database would throw a hub's sequence off. Two databases behind one Redis URL
      (a staging and a production database, say) keep apart by the name.
    - A lost connection is survived, and said. redis-py reconnects and subscribes again, but
      what was published meanwhile is never heard: once Redis confirms a channel subscribed
      again, a RESYNC is queued on it (the hub then reads the log after its last cursor, as
      after a LISTEN reconnect). broadcaster's listener ended for good once reconnecting failed
      (Redis down for longer than redis-py's retries); this one tries again every second.
    """

    def __init__(self, url: str, database_name: str) -> None:
        super().__init__(url)
        number = self._conn.connection_pool.connection_kwargs.get("db", 0)
        self._suffix = f"@{database_name}@{number}"

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel + self._suffix)
        self._ready.set()

    async def unsubscribe(self, channel: str) -> None:
        await super().unsubscribe(channel + self._suffix)

    async def publish(self, channel: str, message: Any) -> None:
        await super().publish(channel + self._suffix, message)

    async def next_published(self) -> Event:
        event = await super().next_published()
        return Event(channel=event.channel.removesuffix(self._suffix), message=event.message)

    async def _pubsub_listener(self) -> None:
        confirmed: set[str] = set()  # channels Redis has confirmed subscribed at least once
        while True:
            await self._ready.wait()
            try:
                async for message in self._pubsub.listen():
                    kind = message["type"]
                    if kind == "message":
                        channel, data = message["channel"].decode(), message["data"].decode()
                        await self._queue.put(Event(channel=channel, message=data))
                    elif kind == "subscribe":
                        channel = message["channel"].decode()
                        if channel in confirmed:  # again, after a lost connection
                            logger.info("Redis subscription back: catching up from the log")
                            await self._queue.put(Event(channel=channel, message=RESYNC))
                        confirmed.add(channel)
            except (RedisError, OSError) as error:
                logger.warning("Redis subscription lost: %s", type(error).__name__)
                await asyncio.sleep(1.0)
                continue
            self._ready.clear()  # no channel subscribed: wait for the next one


def redis_broadcast(url: str, database_name: str) -> Broadcast:
    """Fan-out through Redis at ``url`` for the PostgreSQL database ``database_name`` (see
    RedisChannels)."""
    return Broadcast(backend=RedisChannels(url, database_name))


class Relay:
    """This process's part in the relay: it leads while it holds the lock and forwards."""

    def __init__(self, settings: Settings, database: Database, *, retry_s: float = 1.0) -> None:
        self.redis_url = settings.broadcast_url if uses_redis(settings) else None
        self.lease_s = settings.leader_lease_s
        self.dsn = database.asyncpg_dsn()
        self.database_name = database_name(database)
        self.retry_s = retry_s
        self.leading = False  # LISTEN is up and the hubs were told to catch up

    def start(self) -> asyncio.Task[None] | None:
        """The relay's task, or None without Redis (every hub LISTENs for itself then)."""
        if self.redis_url is None:
            return None
        return asyncio.create_task(self.run(), name="agentgraph-relay")

    async def run(self) -> None:
        while True:
            try:
                async with leadership(
                    self.dsn, RELAY_LOCK, retry_s=self.retry_s, lease_s=self.lease_s
                ) as lead:
                    await self._relay(lead)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a database or Redis restart: relay again once back
                logger.warning("relay paused: %s", type(error).__name__)
                await asyncio.sleep(self.retry_s)

    async def _relay(self, lead: Leadership) -> None:
        assert self.redis_url is not None
        source = Broadcast(backend=PostgresListenBackend(self.dsn))
        sink = redis_broadcast(self.redis_url, self.database_name)
        async with source, sink:
            listening = {channel: asyncio.Event() for channel in CHANNELS}

            async def forward(channel: str) -> None:
                async with source.subscribe(channel) as subscriber:
                    listening[channel].set()
                    async for message in subscriber:  # type: ignore[union-attr]
                        if message is not None:
                            await sink.publish(channel, message.message)

            tasks = [asyncio.create_task(forward(channel)) for channel in CHANNELS]

            async def all_listening() -> None:
                for event in listening.values():
                    await event.wait()

            ready = asyncio.create_task(all_listening())
            try:
                await asyncio.wait([ready, *tasks], return_when=asyncio.FIRST_COMPLETED)
                if not ready.done():
                    for task in tasks:
                        if task.done():
                            task.result()
                    raise RuntimeError("a relayed channel ended before it listened")
                # From here on every commit is relayed; what was committed before (while no relay
                # led) is in the log, and every hub reads it now.
                await sink.publish(EVENTS_CHANNEL, RESYNC)
                self.leading = True
                logger.info("relaying NOTIFY to Redis")
                while True:
                    await asyncio.sleep(min(2.0, self.lease_s / 4))
                    await lead.check()  # still the leader (the lease not run out)?
                    for task in tasks:
                        if task.done():
                            task.result()
            finally:
                self.leading = False
                for task in (ready, *tasks):
                    task.cancel()
                for task in (ready, *tasks):
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
