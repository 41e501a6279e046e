"""The event stream behind every subscription: optional replay from a cursor, then live.

The seam between replay and live has no gap and no duplicate: the listener is registered
first (it buffers live events), then the log is read after the cursor, then live events at or
below the last replayed cursor are dropped. Without a cursor the same seam starts at "now": the
log's newest cursor, read once the listener is registered.

A stream is ended between two events, never in the middle of resolving one (``end_task``):
the operation stopped, the socket closed or the cohort's last member gone, a stream that is
resolving returns at its next step; one waiting for events is cancelled at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from functools import partial
from typing import Any

from domain.errors import RateLimited, ValidationFailed
from domain.events import DURABLE_KINDS, EventKind, LiveEvent
from gql.context import Context
from gql.subscriptions.scope import Scope, replay_projects
from gql.types.event import AgentEvent
from store import eventlog
from usecases.live.hub import Listener, Overflow

REPLAY_PAGE = 500
# The most live events one subscription resolves as one burst (one set of loaders).
BURST = 500
# How long an overflowed subscriber may stay stuck in a send before its operation is ended.
STUCK_GRACE_S = 30.0
# How long a stream asked to end may take to reach its next step before it is cancelled anyway.
END_GRACE_S = 10.0

# The tasks resolving a stream's events right now (from taking a burst or replay page until
# waiting for the next), and those of them asked to end. A task is cancelled only while it
# waits, never in the middle of a GraphQL execution: graphql-core leaves the coroutines of the
# fields it had not started yet unawaited when cancelled there.
_resolving: set[asyncio.Task[Any]] = set()
_ending: set[asyncio.Task[Any]] = set()


def resolving_tasks() -> frozenset[asyncio.Task[Any]]:
    """The tasks resolving a stream's events right now (what ``end_task`` does not cancel)."""
    return frozenset(_resolving)


def end_task(task: asyncio.Task[Any] | None) -> None:
    """End a task that runs a subscription's stream (an operation, a cohort): cancelled at once
    when it waits for events, else its stream returns at its next step (the send of the result
    being resolved comes first: to a closed socket it is dropped, so that is soon), and it is
    cancelled anyway after ``END_GRACE_S``."""
    if task is None or task.done() or task in _ending:
        return
    if task not in _resolving:
        task.cancel()
        return
    _ending.add(task)
    task.add_done_callback(_ending.discard)
    asyncio.get_running_loop().call_later(END_GRACE_S, _cancel_if_running, task)


def _cancel_if_running(task: asyncio.Task[Any]) -> None:
    if not task.done():
        task.cancel()


class SubscriberTooSlow(RateLimited):
    """The subscriber fell more than its queue behind; it resumes from ``cursor``."""

    def __init__(self, cursor: int | None) -> None:
        super().__init__(
            "Too many events were waiting for this subscriber; the subscription ended. "
            "Subscribe again with after: extensions.cursor to resume without losing any.",
            cursor=str(cursor) if cursor is not None else None,
        )


async def _replayed(
    context: Context, scope: Scope, after: int
) -> AsyncGenerator[list[LiveEvent], None]:
    """The log after ``after``, a page at a time (the page's events the scope matches)."""
    kinds = [k.value for k in scope.kinds if k in DURABLE_KINDS]
    if not kinds:
        return  # heartbeats are not kept: there is nothing to replay
    projects = await replay_projects(context, scope)
    while True:
        page = partial(
            eventlog.replay,
            after=after,
            project_ids=projects,
            agent_id=scope.agent_id,
            kinds=kinds,
            limit=REPLAY_PAGE,
        )
        found = await context.database.read_retrying(page)
        yield [event for event in found if scope.matches(event)]
        if found:
            after = found[-1].seq or after
        if len(found) < REPLAY_PAGE:
            return


async def _deliverable(
    context: Context, scope: Scope, burst: list[LiveEvent]
) -> list[tuple[LiveEvent, AgentEvent]]:
    """The events of a burst as the subscriber will see them, in order, without those it may
    not see (or no longer can). The burst is resolved against current data with one fresh set
    of loaders: its agents are read at once here (which primes the loader each payload's
    `agent` field uses), the transitions of its STATUS_CHANGED events that their NOTIFY did not
    carry at once by the first payload that asks for one. (Loaders retry reads while the database restarts, so a
    subscription open for days rides restarts out.)"""
    owners = context.services.hub.owners
    visible = [event for event in burst if await owners.may_see(scope.viewer, event)]
    if not visible:
        return []
    context.refresh_loaders()
    agents = await context.loaders.agent_by_id.load_many(
        list(dict.fromkeys(event.agent_id for event in visible))
    )
    present = {agent.id for agent in agents if agent is not None}
    visible = [event for event in visible if event.agent_id in present]
    context.burst_transitions = [
        event.seq
        for event in visible
        if event.kind is EventKind.STATUS_CHANGED
        and event.seq is not None
        and event.transition is None
    ]
    return [(event, AgentEvent.from_live(event)) for event in visible]


def _end_if_stuck(listener: Listener, task: asyncio.Task[Any] | None) -> None:
    """After an overflow, a subscriber that is merely slow soon reads on and gets the error with
    its cursor. One that never reads leaves its operation stuck in a socket send; end it after a
    grace period, so nothing of it stays on the server but the closed socket."""

    def cancel() -> None:
        if task is not None and not task.done() and not listener.overflow_seen:
            task.cancel()

    asyncio.get_running_loop().call_later(STUCK_GRACE_S, cancel)


async def agent_event_stream(
    context: Context, scope: Scope, after: int | None
) -> AsyncGenerator[AgentEvent, None]:
    hub = context.services.hub
    if context.last_event_id is not None:
        after = context.last_event_id  # an event stream's reconnect resumes where it stopped
    if after is not None and after > await context.database.read_retrying(eventlog.last_seq):
        # A cursor from the future (another database, a typo) would silently mute the stream.
        raise ValidationFailed("after", "is ahead of the newest event")
    if after is None:
        after = context.resume_after  # a cohort's stream, from where the cohort began
    listener = hub.listen(scope.matches)
    listener.on_overflow = partial(_end_if_stuck, listener, asyncio.current_task())
    task = asyncio.current_task()
    assert task is not None
    _resolving.add(task)
    try:
        # Without a cursor the stream starts now, after the log's newest event: whatever the hub
        # fills in later from before that was committed before this subscriber came.
        last: int | None = after if after is not None else await hub.starting_cursor()
        if after is not None:
            async for page in _replayed(context, scope, after):
                for event, delivered in await _deliverable(context, scope, page):
                    if task in _ending:
                        return
                    last = event.seq
                    context.current_event = event
                    yield delivered
                if page:
                    last = page[-1].seq
        while True:
            _resolving.discard(task)
            if task in _ending:
                return
            try:
                burst = await listener.next_batch(BURST)
            except Overflow:
                listener.overflow_seen = True
                raise SubscriberTooSlow(last) from None
            _resolving.add(task)
            fresh = []
            for event in burst:
                if event.durable:
                    if last is not None and event.seq is not None and event.seq <= last:
                        continue
                    last = event.seq
                fresh.append(event)
            for event, delivered in await _deliverable(context, scope, fresh):
                if task in _ending:
                    return
                context.current_event = event
                yield delivered
            listener.done(sum(event.durable for event in burst))
    finally:
        _resolving.discard(task)
        hub.forget(listener)
