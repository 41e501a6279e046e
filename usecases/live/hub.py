"""One event hub per server process: hears every event once and hands it to its listeners.

Durable events are sequenced here: delivered in seq order, each exactly once. A seq jump (a
notification we did not hear) is filled from the log before going on; after the LISTEN
connection comes back (RESYNC), everything after the last delivered seq is read from the log.
Heartbeats pass straight through. Listeners have bounded queues (see Listener).

The hub also hears the credentials channel: a credential that may have ended is handed to the
live sessions (usecases/live/sessions.py), which forget cached viewers and check the sockets it
concerns; after a RESYNC every credential is in doubt.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from broadcaster import Broadcast

from domain.events import LiveEvent
from store import eventlog
from store.credentials import CREDENTIALS_CHANNEL, parse_credential_change
from store.database import Database
from store.eventlog import EVENTS_CHANNEL, HEARTBEATS_CHANNEL, parse_heartbeats, parse_notification
from usecases.instruments import EVENTS_DELIVERED, EVENTS_DROPPED
from usecases.live.owners import ProjectOwners
from usecases.live.sessions import RECHECK_TASK, LiveSessions

logger = logging.getLogger("agentgraph.hub")

# How often an idle hub asks the log whether it missed something (covers a lost notification
# that no later one reveals, e.g. a relay that died between commit and publish).
TAIL_CHECK_S = 5.0
TAIL_CHECK_TASK = "agentgraph-hub-tail-check"
# The most notifications of one channel handled as one burst.
MAX_BURST = 1000


class Overflow(Exception):
    """The listener fell too far behind; its durable queue was dropped."""


class Listener:
    """A bounded mailbox: durable events in order (at most ``capacity``), heartbeats coalesced
    per agent (latest wins). Overflowing durable events marks it overflowed instead of growing."""

    def __init__(self, matches: Callable[[LiveEvent], bool], capacity: int) -> None:
        self.matches = matches
        self.capacity = capacity
        self.durable: deque[LiveEvent] = deque()
        self.beats: dict[Any, LiveEvent] = {}
        self.overflowed = False
        self.overflow_seen = False  # the subscriber's stream noticed, and ends with its cursor
        self.high_water = 0  # the most durable events ever waiting at once
        self.on_overflow: Callable[[], None] | None = None
        self._ready = asyncio.Event()

    def offer(self, event: LiveEvent) -> None:
        if self.overflowed:
            return
        if not event.durable:
            self.beats[event.agent_id] = event
        elif len(self.durable) >= self.capacity:
            # Drop everything: the subscriber resumes from its cursor, and memory stays flat.
            EVENTS_DROPPED.labels("overflow").inc(len(self.durable) + 1)
            self.overflowed = True
            self.durable.clear()
            self.beats.clear()
            if self.on_overflow is not None:
                self.on_overflow()
        else:
            self.durable.append(event)
            EVENTS_DELIVERED.inc()
            self.high_water = max(self.high_water, len(self.durable))
        self._ready.set()

    async def next(self) -> LiveEvent:
        [event] = await self.next_batch(1)
        self.done(1)
        return event

    async def next_batch(self, limit: int) -> list[LiveEvent]:
        """What is waiting, oldest first, at most ``limit``: durable events in order (a burst
        the hub heard at once), or else the coalesced heartbeats; waits while there is none.
        Durable events stay queued (and count against the capacity) until ``done``: a burst
        being resolved and sent is still waiting for the subscriber."""
        while True:
            if self.overflowed:
                raise Overflow()
            if self.durable:
                return list(itertools.islice(self.durable, limit))
            if self.beats:
                beats = []
                while self.beats and len(beats) < limit:
                    beats.append(self.beats.pop(next(iter(self.beats))))
                return beats
            self._ready.clear()
            await self._ready.wait()

    def done(self, count: int) -> None:
        """The first ``count`` durable events (of the last ``next_batch``) were sent."""
        for _ in range(min(count, len(self.durable))):
            self.durable.popleft()


class NewestCursor:
    """Reads of the log's newest cursor, shared by the callers who asked while none had begun:
    a caller waits for the next read that starts after it asked (never one already under way,
    which may have read before the caller registered), so a thousand subscribers joining at
    once cost a couple of reads, not a thousand."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._next: asyncio.Future[int] | None = None  # the read not yet begun
        self._reading: asyncio.Task[None] | None = None
        self.reads = 0

    async def read(self) -> int:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        future = self._next
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._run(), name="agentgraph-newest-cursor")
        # One caller cancelled does not cancel the read the others wait for.
        return await asyncio.shield(future)

    async def _run(self) -> None:
        while self._next is not None:
            future, self._next = self._next, None
            self.reads += 1
            try:
                future.set_result(await self._read())
            except Exception as error:
                future.set_exception(error)
                future.exception()  # retrieved: a caller that left does not leave a warning


class EventHub:
    def __init__(
        self,
        broadcast: Broadcast,
        database: Database,
        *,
        queue_capacity: int,
        tail_check_s: float = TAIL_CHECK_S,
        sessions: LiveSessions,
    ) -> None:
        self.broadcast = broadcast
        self.sessions = sessions
        self.database = database
        self.queue_capacity = queue_capacity
        self.tail_check_s = tail_check_s
        self.last_seq = 0
        # Durable events read from the log after the LISTEN connection came back: what the
        # notifications lost while it was away would have carried (/metrics shows it).
        self.replayed_after_reconnect = 0
        self.subscriptions_started = 0
        self.listeners: set[Listener] = set()
        self.owners = ProjectOwners(database)
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self._newest = NewestCursor(partial(database.read_retrying, eventlog.last_seq))

    async def start(self) -> None:
        await self.broadcast.connect()
        # One channel after the other: broadcaster's Redis backend parks its reader for good
        # when two subscriptions are both in flight before it first looks (it then sees no
        # channel yet, and nothing wakes it again), and Redis fan-out delivers nothing.
        for channel, handle in (
            (EVENTS_CHANNEL, self._on_durable),
            (HEARTBEATS_CHANNEL, self._on_heartbeat),
            (CREDENTIALS_CHANNEL, self._on_credentials),
        ):
            ready = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._consume(channel, handle, ready)))
            await ready.wait()
        self._tasks.append(asyncio.create_task(self._tail_check(), name=TAIL_CHECK_TASK))
        self._tasks.append(asyncio.create_task(self.sessions.run_rechecks(), name=RECHECK_TASK))
        # Only after LISTEN is up: anything committed later is heard; anything earlier is not
        # "missed" by anyone (subscribers that need it replay with a cursor).
        async with self.database.read() as conn:
            self.last_seq = await eventlog.last_seq(conn)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.sessions.stop()
        await self.broadcast.disconnect()

    def listen(self, matches: Callable[[LiveEvent], bool]) -> Listener:
        listener = Listener(matches, self.queue_capacity)
        self.listeners.add(listener)
        return listener

    def forget(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def starting_cursor(self) -> int:
        """Where a subscription without `after` starts: the log's newest cursor, read now.

        Call it once registered for live events (a listener, or a running cohort), so nothing
        committed later is missed. Not ``last_seq``: that lags behind the log while no relay
        leads, and what the hub fills in later was committed before the subscriber came.
        """
        cursor = await self._newest.read()
        self.subscriptions_started += 1
        return cursor

    async def _consume(
        self, channel: str, handle: Callable[[list[str]], Any], ready: asyncio.Event
    ) -> None:
        """Hand ``channel``'s messages to ``handle`` in bursts: the first one heard with every
        other already waiting behind it (a LISTEN connection delivers a commit's NOTIFYs, and
        those of transactions committed meanwhile, at once)."""
        async with self.broadcast.subscribe(channel) as subscriber:
            ready.set()
            async for message in subscriber:  # type: ignore[union-attr]
                if message is None:
                    continue
                burst = [message.message, *_waiting(subscriber, MAX_BURST - 1)]
                try:
                    await handle(burst)
                except Exception:
                    logger.exception("could not handle a %s message", channel)

    async def _on_credentials(self, payloads: list[str]) -> None:
        for payload in payloads:
            # A RESYNC reads as "any credential": announcements made while away are lost.
            self.sessions.credentials_changed(parse_credential_change(payload))

    async def _on_heartbeat(self, payloads: list[str]) -> None:
        if not self.listeners:
            return  # nobody to tell: a fleet's beats are not parsed for nothing
        for payload in payloads:
            if not _is_resync(payload):
                for beat in parse_heartbeats(payload):  # a statement's beats, up to 50 a payload
                    self._dispatch(beat)

    async def _on_durable(self, payloads: list[str]) -> None:
        """A burst of durable events, in seq order; gaps are filled from the log, and the
        events whose NOTIFY left the data out are completed with one read for the burst."""
        async with self._lock:
            pending: list[LiveEvent] = []  # parsed, in order, not delivered yet
            for payload in payloads:
                if _is_resync(payload):
                    await self._deliver_all(pending)
                    pending = []
                    self.replayed_after_reconnect += await self._catch_up()
                    continue
                event = parse_notification(payload)
                assert event.seq is not None
                newest = pending[-1].seq if pending else self.last_seq
                assert newest is not None
                if event.seq <= newest:
                    continue  # already delivered (read from the log while catching up)
                if event.seq > newest + 1:
                    await self._deliver_all(pending)
                    pending = []
                    await self._fill(event.seq)
                pending.append(event)
            await self._deliver_all(pending)

    async def _deliver_all(self, burst: list[LiveEvent]) -> None:
        """Deliver ``burst`` (in order, no gap after ``last_seq``), completing what it lacks."""
        incomplete = [e.seq for e in burst if not e.complete and e.seq is not None]
        if incomplete:
            found = {
                e.seq: e
                for e in await self._read(partial(eventlog.events_by_seqs, seqs=incomplete))
            }
            burst = [found.get(e.seq, e) if not e.complete else e for e in burst]
        for event in burst:
            self._deliver(event)

    async def _read(self, query: Callable[[Any], Awaitable[list[Any]]]) -> list[Any]:
        # Retried for as long as it takes: the hub must not skip past what it could not read.
        return await self.database.read_retrying(query, patience_s=float("inf"))

    async def _catch_up(self) -> int:
        """Deliver every durable event after the last one delivered; returns how many."""
        delivered = 0
        while True:
            found = await self._read(
                partial(eventlog.events_after, after=self.last_seq, limit=1000)
            )
            for event in found:
                self._deliver(event)
            delivered += len(found)
            if len(found) < 1000:
                return delivered

    async def _fill(self, upto: int) -> None:
        for event in await self._read(
            partial(eventlog.events_between, after=self.last_seq, upto=upto)
        ):
            self._deliver(event)

    async def _tail_check(self) -> None:
        while True:
            await asyncio.sleep(self.tail_check_s)
            with contextlib.suppress(Exception):
                async with self._lock:
                    await self._catch_up()

    def _deliver(self, event: LiveEvent) -> None:
        assert event.seq is not None
        self.last_seq = max(self.last_seq, event.seq)
        self._dispatch(event)

    def _dispatch(self, event: LiveEvent) -> None:
        for listener in list(self.listeners):
            if listener.matches(event):
                listener.offer(event)


def _waiting(subscriber: Any, limit: int) -> list[str]:
    """The messages already queued behind the one just taken, without waiting (at most
    ``limit``; an unsubscribe marker stays queued, for the iteration to end on)."""
    queue: asyncio.Queue[Any] = subscriber._queue
    messages: list[str] = []
    while len(messages) < limit and not queue.empty():
        head = queue._queue[0]  # type: ignore[attr-defined]
        if head is None:
            break
        messages.append(queue.get_nowait().message)
    return messages


def _is_resync(payload: str) -> bool:
    return payload.startswith("{") and json.loads(payload).get("resync") is True
