"""The Redis channels behind AGENTGRAPH_BROADCAST_URL=redis://…, against a real Redis: one
deployment hears only its own Redis database number and its own PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from broadcaster import Broadcast

from agentgraph.relay import redis_broadcast
from store.eventlog import EVENTS_CHANNEL, HEARTBEATS_CHANNEL
from tests.support.redis import redis_url, require_redis

OWN_DB, OTHER_DB = 11, 12
OWN_DATABASE, OTHER_DATABASE = "agentgraph_relay_own", "agentgraph_relay_other"


@pytest.fixture(autouse=True)
def _redis() -> None:
    require_redis()


@contextlib.asynccontextmanager
async def _connected(db: int, database: str = OWN_DATABASE) -> AsyncIterator[Broadcast]:
    broadcast = redis_broadcast(redis_url(db), database)
    async with broadcast:
        yield broadcast


async def test_subscribing_to_both_channels_at_once_hears_both() -> None:
    # As a hub does: one task per channel, subscribing at the same moment.
    async with _connected(OWN_DB) as hub, _connected(OWN_DB) as relay:
        subscribed = {c: asyncio.Event() for c in (EVENTS_CHANNEL, HEARTBEATS_CHANNEL)}

        async def first_message(channel: str) -> str:
            async with hub.subscribe(channel) as subscriber:
                subscribed[channel].set()
                return (await subscriber.get()).message

        heard = [asyncio.create_task(first_message(c)) for c in subscribed]
        for event in subscribed.values():
            await event.wait()
        # SUBSCRIBE is sent when subscribe() returns; Redis may take a moment to act on it, so
        # publish until heard (a hub whose listener stopped never hears anything).
        for _ in range(100):
            for channel in subscribed:
                await relay.publish(channel, f"to {channel}")
            await asyncio.wait(heard, timeout=0.1)
            if all(task.done() for task in heard):
                break
        assert [t.result() if t.done() else None for t in heard] == [f"to {c}" for c in subscribed]


async def test_another_redis_database_is_not_heard() -> None:
    # Redis pub/sub ignores database numbers; the channel names do not.
    async with (
        _connected(OWN_DB) as hub,
        _connected(OTHER_DB) as other,
        _connected(OWN_DB) as own,
        hub.subscribe(EVENTS_CHANNEL) as subscriber,
        hub.subscribe(HEARTBEATS_CHANNEL),
    ):
        received: list[str] = []
        while "own" not in received:
            await other.publish(EVENTS_CHANNEL, "other")
            await own.publish(EVENTS_CHANNEL, "own")
            with contextlib.suppress(TimeoutError):
                received.append((await asyncio.wait_for(subscriber.get(), 0.1)).message)
        assert set(received) == {"own"}


async def test_another_postgresql_database_is_not_heard() -> None:
    # Two PostgreSQL databases behind one Redis URL: their cursors are unrelated, so one hub
    # hearing the other's events would deliver or skip the wrong ones.
    async with (
        _connected(OWN_DB) as hub,
        _connected(OWN_DB, OTHER_DATABASE) as other,
        _connected(OWN_DB) as own,
        hub.subscribe(EVENTS_CHANNEL) as subscriber,
        hub.subscribe(HEARTBEATS_CHANNEL),
    ):
        received: list[str] = []
        while "own" not in received:
            await other.publish(EVENTS_CHANNEL, "other")
            await own.publish(EVENTS_CHANNEL, "own")
            with contextlib.suppress(TimeoutError):
                received.append((await asyncio.wait_for(subscriber.get(), 0.1)).message)
        assert set(received) == {"own"}
