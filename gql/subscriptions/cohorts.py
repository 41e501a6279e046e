"""Cohorts: subscribers who ask the same thing and may see the same things share one stream.

A monitoring wall of 1,000 screens on one project's state changes is one subscription to the
database and one resolution per event, not a thousand (Hasura multiplexes its live queries the
same way). Subscribers join a cohort when their document, variables and visibility (the same
user, or any superuser) match one that is running; each member keeps a bounded mailbox of
resolved results, so a slow screen cannot slow the others or grow memory.

Subscriptions with an `after` cursor replay history that a running cohort has already passed,
so they run on their own. Without one, a member starts "now" like any subscription: the cohort's
stream resumes from the log's newest cursor when the cohort began, and each member skips what
was committed before it joined (the log's newest cursor as it joins).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
)
from strawberry.types.execution import ExecutionResult

from domain.access import Viewer
from domain.events import LiveEvent
from gql.context import Context
from gql.encoding import encode_json
from gql.subscriptions.streams import STUCK_GRACE_S, SubscriberTooSlow, end_task
from store import eventlog

StreamFactory = Callable[[Context], Any]


def sharing_key(
    document: DocumentNode,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    viewer: Viewer,
) -> Hashable | None:
    """The cohort a subscription may join, or None when it must run alone. ``document`` is
    ``query`` as admitted (gql/admission.py): parsed once, within the limits."""
    if not viewer.is_authenticated:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations if o.name and o.name.value == operation_name), None)
    if operation is None and len(operations) == 1:
        operation = operations[0]
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return None
    defaults = {
        d.variable.name.value
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None
        for argument in selection.arguments or ():
            if argument.name.value != "after":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                name = value.name.value
                if (variables or {}).get(name) is not None or name in defaults:
                    return None
            elif value.to_dict().get("kind") != "null_value":
                return None
    if viewer.is_superuser:
        who: tuple[Any, ...] = ("superuser",)
    elif viewer.agent_id is not None:
        who = ("agent", viewer.agent_id)
    else:
        who = ("user", viewer.user_id)
    return (query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str), who)


_END = object()


class SharedResult(ExecutionResult):
    """A cohort's result, handed to every member as it is: the payload of its ``next``
    message (as graphql-transport-ws sends it) is encoded once, for all of them."""

    _payload: str | None = None

    @classmethod
    def of(cls, result: ExecutionResult) -> SharedResult:
        return cls(data=result.data, errors=result.errors, extensions=result.extensions)

    def next_payload(self) -> str:
        if self._payload is None:
            payload: dict[str, Any] = {"data": self.data}
            if self.errors:
                payload["errors"] = [error.formatted for error in self.errors]
            if self.extensions:
                payload["extensions"] = self.extensions
            self._payload = encode_json(payload).decode()
        return self._payload


@dataclass(eq=False, slots=True)
class Member:
    """One subscriber of a cohort: durable results in order (bounded), heartbeats coalesced.

    An idle member is small (thousands of them wait on one server): its queue of durable
    results exists only while it holds some, and it waits on a future made only while it
    waits, not an asyncio.Event of its own."""

    capacity: int
    start: int = 0  # the log's newest cursor when it joined: older events are not for it
    durable: deque[Any] | None = None
    beats: dict[Any, Any] = field(default_factory=dict)
    cursor: int | None = None
    overflowed: bool = False
    overflow_seen: bool = False
    ended: bool = False
    waiter: asyncio.Future[None] | None = None
    task: asyncio.Task[Any] | None = None

    def offer(self, result: ExecutionResult, event: LiveEvent | None) -> None:
        if self.overflowed:
            return
        if event is not None and not event.durable:
            self.beats[event.agent_id] = result
        elif len(self.durable or ()) >= self.capacity:
            self.overflowed = True
            self.durable = None
            self.beats.clear()
            asyncio.get_running_loop().call_later(STUCK_GRACE_S, self._cancel_if_stuck)
        elif self.durable is None:
            self.durable = deque([(result, event)])
        else:
            self.durable.append((result, event))
        self._wake()

    def end(self) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _cancel_if_stuck(self) -> None:
        # A member that never reads is stuck in a socket send: end its operation.
        if self.task is not None and not self.task.done() and not self.overflow_seen:
            self.task.cancel()

    async def results(self) -> AsyncIterator[tuple[ExecutionResult, LiveEvent | None]]:
        self.task = asyncio.current_task()
        while True:
            if self.overflowed:
                self.overflow_seen = True
                error = SubscriberTooSlow(self.cursor)
                yield (
                    ExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                error.message, extensions={"code": error.code, **error.extensions()}
                            )
                        ],
                    ),
                    None,
                )
                return
            if self.durable:
                result, event = self.durable.popleft()
                if not self.durable:
                    self.durable = None  # drained: an idle member keeps no queue
                if event is not None and event.seq is not None:
                    if event.seq <= self.start:
                        continue  # committed before this member joined
                    self.cursor = event.seq
                yield result, event
            elif self.beats:
                yield self.beats.pop(next(iter(self.beats))), None
            elif self.ended:
                return
            else:
                self.waiter = asyncio.get_running_loop().create_future()
                try:
                    await self.waiter
                finally:
                    self.waiter = None


class Cohort:
    def __init__(
        self, registry: Cohorts, key: Hashable, context: Context, factory: StreamFactory
    ) -> None:
        self.registry = registry
        self.key = key
        self.context = context
        self.members: set[Member] = set()
        self.results_resolved = 0
        self.began = asyncio.Event()  # the cohort's own starting cursor is fixed
        self._task = asyncio.create_task(self._run(factory), name="agentgraph-cohort")

    async def _run(self, factory: StreamFactory) -> None:
        try:
            # Read before any member reads its own start, so the stream carries every event a
            # member may be owed, whoever joined first.
            database = self.context.database
            self.context.resume_after = await database.read_retrying(eventlog.last_seq)
            self.began.set()
            source = await factory(self.context)
            async with contextlib.aclosing(source):
                async for resolved in source:
                    self.results_resolved += 1
                    event = self.context.current_event
                    result = (
                        SharedResult.of(resolved) if type(resolved) is ExecutionResult else resolved
                    )
                    for member in list(self.members):
                        member.offer(result, event)
        finally:
            self.registry.forget(self)
            self.began.set()  # members waiting to start find the cohort ended
            for member in list(self.members):
                member.end()

    def join(self, capacity: int) -> Member:
        member = Member(capacity=capacity)
        self.members.add(member)
        return member

    async def start(self, member: Member) -> None:
        """Fix where a member that joined starts: after the log's newest cursor, read now."""
        await self.began.wait()
        member.start = member.cursor = await self.context.services.hub.starting_cursor()

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.registry.forget(self)
            end_task(self._task)  # not in the middle of resolving an event


class Cohorts:
    """The cohorts running in this process, by sharing key."""

    def __init__(self) -> None:
        self.running: dict[Hashable, Cohort] = {}

    def forget(self, cohort: Cohort) -> None:
        if self.running.get(cohort.key) is cohort:
            del self.running[cohort.key]

    async def stream(
        self, key: Hashable, context: Context, factory: StreamFactory
    ) -> AsyncGenerator[ExecutionResult, None]:
        """A member's stream of the cohort for ``key`` (started on first use)."""
        cohort = self.running.get(key)
        if cohort is None:
            shared = context.for_viewer(context.viewer, client_address="cohort")
            cohort = self.running[key] = Cohort(self, key, shared, factory)
        member = cohort.join(context.config.subscriber_queue_size)
        try:
            await cohort.start(member)
            async for result, event in member.results():
                # The member's own context names the event behind each result (graphql-sse
                # sends its cursor as the event's id).
                context.current_event = event
                yield result
        finally:
            cohort.leave(member)
