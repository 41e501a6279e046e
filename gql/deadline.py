"""Each HTTP request's total time is bounded: past AGENTGRAPH_REQUEST_TIMEOUT_S it is stopped
and answered ``TIMEOUT`` (``extensions.retryable``), with a GraphQL error body.

Stopping cancels the request's task: a transaction it had open is rolled back, so nothing
half-written remains (a mutation document's earlier fields, each its own transaction, stay
committed, as they would after any error). The waits a request may meet — for a write slot,
a pooled connection, a row lock (bounded by ``lock_timeout`` on its own) — all count.

The deadlines of an event loop's requests share one timer (``Deadlines``): a request joins the
bucket of the ``TICK`` its deadline falls in (rounded up: a request is stopped at most one tick
after its deadline, never before) and leaves it when it ends; the timer fires once per bucket
that has come due, instead of a timer handle made and cancelled per request.
"""

from __future__ import annotations

import asyncio
import heapq

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DeadlinePassed

TICK = 0.05  # seconds: the buckets' width


class _Deadline:
    __slots__ = ("bucket", "expired", "task")

    def __init__(self, task: asyncio.Task[object], bucket: set[_Deadline]) -> None:
        self.task = task
        self.bucket = bucket
        self.expired = False


class Deadlines:
    """The deadlines of one event loop's requests, on one timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._buckets: dict[int, set[_Deadline]] = {}
        self._due: list[int] = []  # the buckets' ticks, a heap
        self._timer: asyncio.TimerHandle | None = None
        self._timer_tick = 0

    def add(self, task: asyncio.Task[object], deadline: float) -> _Deadline:
        """``task`` is cancelled once the loop's clock passes ``deadline`` (unless removed)."""
        tick = int(deadline // TICK) + 1
        bucket = self._buckets.get(tick)
        if bucket is None:
            bucket = self._buckets[tick] = set()
            heapq.heappush(self._due, tick)
            if self._timer is None or tick < self._timer_tick:
                self._arm(tick)
        entry = _Deadline(task, bucket)
        bucket.add(entry)
        return entry

    @staticmethod
    def remove(entry: _Deadline) -> None:
        entry.bucket.discard(entry)

    def pending(self) -> int:
        """Requests waiting on a deadline (for tests)."""
        return sum(len(bucket) for bucket in self._buckets.values())

    def _arm(self, tick: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_tick = tick
        self._timer = self.loop.call_at(tick * TICK, self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self.loop.time() + 0.001  # the loop runs timers within its clock's resolution
        while self._due and self._due[0] * TICK <= now:
            for entry in self._buckets.pop(heapq.heappop(self._due)):
                entry.expired = True
                entry.task.cancel()
        if self._due:
            self._arm(self._due[0])


class RequestDeadline:
    """ASGI: run ``app`` for at most ``seconds`` per HTTP request (0: no deadline)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self._deadlines: Deadlines | None = None

    def deadlines(self, loop: asyncio.AbstractEventLoop) -> Deadlines:
        """The running loop's deadlines (one loop at a time: a new loop starts afresh)."""
        if self._deadlines is None or self._deadlines.loop is not loop:
            self._deadlines = Deadlines(loop)
        return self._deadlines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        deadlines = self.deadlines(loop)
        entry = deadlines.add(task, loop.time() + self.seconds)
        # What asyncio.timeout does, with the deadline on the shared timer.
        try:
            await self.app(scope, receive, send_tracked)
        except asyncio.CancelledError:
            if not entry.expired or task.uncancel() > cancelling:
                raise  # not ours
            if started:
                raise TimeoutError from None  # too late to answer
            error = DeadlinePassed(self.seconds)
            body = {"errors": [{"message": error.message, "extensions": {
                "code": error.code, **error.extensions()}}]}  # fmt: skip
            await JSONResponse(body)(scope, receive, send)
        else:
            if entry.expired:
                task.uncancel()  # it finished before the cancellation reached it
        finally:
            deadlines.remove(entry)
