"""A broadcaster backend on one dedicated PostgreSQL LISTEN connection that survives restarts.

Broadcaster's own Postgres backend LISTENs on a connection that, once dropped, stays dropped:
subscribers then silently miss everything (PostGraphile v4's failure mode). This backend:
- owns one asyncpg connection outside the pool (a pool's reset would drop LISTEN);
- notices a lost connection fast: asyncpg's termination callback, plus a periodic ``SELECT 1``;
- reconnects with exponential backoff and LISTENs again on every channel;
- after each reconnect emits a RESYNC message on every channel, so the consumer replays the
  durable log from the last cursor it delivered (notifications sent while we were away are gone).
It only receives: events are published by the writing transactions themselves (pg_notify), never
through this connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import asyncpg
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend

from store.instruments import LISTEN_RECONNECTS

logger = logging.getLogger("agentgraph.listener")

RESYNC = '{"resync":true}'


class PostgresListenBackend(BroadcastBackend):
    def __init__(
        self,
        dsn: str,
        *,
        check_interval_s: float = 2.0,
        min_backoff_s: float = 0.05,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._check_interval_s = check_interval_s
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        # asyncpg runs one operation at a time per connection; LISTEN changes take turns.
        self._conn_lock = asyncio.Lock()
        self.reconnects = 0

    async def connect(self) -> None:
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="agentgraph-listen")

    async def disconnect(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._close()

    async def subscribe(self, channel: str) -> None:
        async with self._conn_lock:
            self._channels.add(channel)
            if self._conn is not None and not self._conn.is_closed():
                try:
                    await self._conn.add_listener(channel, self._on_notify)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    self._lost.set()

    async def unsubscribe(self, channel: str) -> None:
        async with self._conn_lock:
            self._channels.discard(channel)
            if self._conn is not None and not self._conn.is_closed():
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await self._conn.remove_listener(channel, self._on_notify)

    async def publish(self, channel: str, message: Any) -> None:
        # Never through the LISTEN connection: a short-lived one of its own.
        conn = await asyncpg.connect(self._dsn)
        try:
            await conn.execute("SELECT pg_notify($1, $2)", channel, str(message))
        finally:
            await conn.close()

    async def next_published(self) -> Event:
        return await self._queue.get()

    def _on_notify(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self._queue.put_nowait(Event(channel=channel, message=payload))

    def _on_terminate(self, connection: Any) -> None:
        self._lost.set()

    async def _open(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "agentgraph-listen"}
        )
        conn.add_termination_listener(self._on_terminate)
        for channel in self._channels:
            await conn.add_listener(channel, self._on_notify)
        self._conn = conn
        self._lost.clear()
        self._connected.set()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        self._connected.clear()
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=1.0)
            if not conn.is_closed():
                conn.terminate()

    async def _supervise(self) -> None:
        while True:
            await self._wait_until_lost()
            logger.warning("LISTEN connection lost; reconnecting")
            await self._close()
            await self._reconnect()
            self.reconnects += 1
            LISTEN_RECONNECTS.inc()
            logger.warning("LISTEN connection restored; asking subscribers to resync")
            for channel in list(self._channels):
                self._queue.put_nowait(Event(channel=channel, message=RESYNC))

    async def _wait_until_lost(self) -> None:
        while not self._lost.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self._check_interval_s)
                return
            try:
                async with self._conn_lock:
                    conn = self._conn
                    assert conn is not None
                    await asyncio.wait_for(
                        conn.fetchval("SELECT 1"), timeout=self._check_interval_s
                    )
            except Exception:
                # Whatever the check ran into (a timeout, a closed socket, or asyncpg's
                # InternalClientError for a connection a cancelled check left mid-operation),
                # this connection can no longer be trusted to deliver: replace it. Letting the
                # error escape would end the supervisor, and LISTEN would never come back.
                self._lost.set()

    async def _reconnect(self) -> None:
        delay = self._min_backoff_s
        while True:
            try:
                await self._open()
                return
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                logger.info("reconnect failed (%s); retrying in %.2fs", type(error).__name__, delay)
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self._max_backoff_s)
