"""Buffered metric recording: ``record()`` never waits for the network.

Points queue up in memory and go to the server in batches (``recordMetrics``, at most 1000 per
call) when ``batch_size`` of them are waiting or every ``flush_interval`` seconds, whichever
comes first. While the server is away they stay queued and flushing backs off; the queue is
bounded by ``capacity``, and when it is full the oldest points are dropped (and counted), so a
long outage costs a fixed amount of memory. Each point keeps the time it was recorded at.

Delivery is at least once: a batch whose answer was lost is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agentgraph.runtime.backoff import Backoff
from agentgraph.runtime.errors import (
    AgentgraphError,
    NotFound,
    Unauthenticated,
    ValidationError,
)
from agentgraph.runtime.http import GraphQLHttp
from agentgraph.runtime.signals import Changes

logger = logging.getLogger("agentgraph.runtime")

RECORD_METRICS = """
mutation RecordMetrics($agentId: ID!, $metrics: [MetricInput!]!) {
  recordMetrics(agentId: $agentId, metrics: $metrics) { accepted }
}
"""
MAX_BATCH = 1000  # the server's limit per recordMetrics call
METRIC_TYPES = ("COUNTER", "GAUGE", "HISTOGRAM")
# "metrics[12].name": the point the server refused.
_REFUSED_POINT = re.compile(r"^metrics\[(\d+)\]")


@dataclass
class MetricStats:
    recorded: int = 0
    sent: int = 0
    dropped: int = 0  # the buffer was full: oldest points thrown away
    rejected: int = 0  # the server refused them (VALIDATION_ERROR), so they were not retried
    pending: int = 0
    failed_flushes: int = 0
    last_error: str | None = None


class MetricsBuffer:
    def __init__(
        self,
        http: GraphQLHttp,
        agent_id: str,
        *,
        batch_size: int = 100,
        flush_interval: float = 5.0,
        capacity: int = 10_000,
        backoff: Backoff | None = None,
        on_fatal: Callable[[AgentgraphError], None] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        if capacity < batch_size or flush_interval <= 0:
            raise ValueError("capacity must hold a batch and flush_interval be positive")
        self.http = http
        self.agent_id = agent_id
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.capacity = capacity
        self.backoff = backoff or Backoff(initial=1.0, maximum=60.0)
        self.on_fatal = on_fatal
        self.stats = MetricStats()
        self.changes = Changes()
        self._points: deque[dict[str, Any]] = deque()
        self._full = asyncio.Event()  # a batch is waiting
        self._lock = asyncio.Lock()  # one flush at a time
        self._task: asyncio.Task[None] | None = None
        self._stopped_by: AgentgraphError | None = None

    def record(
        self,
        name: str,
        value: float,
        *,
        metric_type: str = "GAUGE",
        unit: str | None = None,
        tags: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Queue one point (returns at once). ``metric_type``: COUNTER, GAUGE or HISTOGRAM."""
        kind = metric_type.upper()
        if kind not in METRIC_TYPES:
            raise ValueError(f"metric_type must be one of {', '.join(METRIC_TYPES)}")
        if not name or not math.isfinite(value):
            raise ValueError("a metric needs a name and a finite value")
        if self._stopped_by is not None:
            raise self._stopped_by
        point: dict[str, Any] = {
            "name": name,
            "value": float(value),
            "metricType": kind,
            "recordedAt": (at or datetime.now(UTC)).isoformat(),
        }
        if unit is not None:
            point["unit"] = unit
        if tags:
            point["tags"] = dict(tags)
        self._points.append(point)
        self.stats.recorded += 1
        self._trim()
        self._update()
        if len(self._points) >= self.batch_size:
            self._full.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="agentgraph-metrics")

    async def stop(
        self, *, flush: bool = True, patience: float = 5.0, cause: AgentgraphError | None = None
    ) -> None:
        """Stop the background flushing; with ``flush``, try to send what is left first.
        With ``cause`` (why the agent stops), later ``record()`` calls raise it."""
        if cause is not None and self._stopped_by is None:
            self._stopped_by = cause
            self._update()
        if self._task is not None:
            # A batch in flight is let through: cancelled, it could reach the server and still
            # be queued again (sent twice).
            acquired = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(patience):
                    acquired = await self._lock.acquire()
            try:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            finally:
                self._task = None
                if acquired:
                    self._lock.release()
        if flush and self._points and self._stopped_by is None:
            with contextlib.suppress(AgentgraphError, TimeoutError):
                await asyncio.wait_for(self.flush(), patience)

    async def flush(self) -> None:
        """Send everything queued now, batch by batch; raises if the server is away or refuses
        the token (the points stay queued). A point the server refuses as invalid is dropped."""
        async with self._lock:
            while self._points:
                await self._send_batch()

    async def drained(self) -> None:
        """Wait until the background flushing has sent everything queued (without forcing)."""
        await self.changes.wait_until(lambda: not self._points or self._stopped_by is not None)
        if self._stopped_by is not None:
            raise self._stopped_by

    async def _run(self) -> None:
        failures = 0
        while True:
            if failures == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.flush_interval)
            else:
                # While the server is away a full buffer does not make us try sooner.
                await asyncio.sleep(self.backoff.delay(failures - 1))
            try:
                await self.flush()
            except (Unauthenticated, NotFound) as error:
                self._stopped_by = error
                self._update()
                logger.error("metrics stopped: %s", error.message)
                if self.on_fatal is not None:
                    self.on_fatal(error)
                return
            except Exception as error:  # never let metrics take the agent down
                failures += 1
                self.stats.failed_flushes += 1
                self.stats.last_error = str(error) or type(error).__name__
                logger.warning(
                    "metrics flush failed (%s); %d points kept", error, len(self._points)
                )
                self._update()
            else:
                failures = 0

    async def _send_batch(self) -> None:
        batch = [self._points.popleft() for _ in range(min(MAX_BATCH, len(self._points)))]
        try:
            await self.http.mutate(
                RECORD_METRICS, {"agentId": self.agent_id, "metrics": batch}, patience=0
            )
        except ValidationError as error:
            # One bad point must not block the rest forever: drop it, keep the others queued.
            refused = _refused_index(error, len(batch))
            self.stats.rejected += 1
            logger.error("the server refused metric point %s: %s", batch[refused], error.message)
            del batch[refused]
            self._requeue(batch)
            return
        except BaseException:
            self._requeue(batch)
            raise
        self.stats.sent += len(batch)
        if len(self._points) < self.batch_size:
            self._full.clear()
        self._update()

    def _requeue(self, batch: list[dict[str, Any]]) -> None:
        self._points.extendleft(reversed(batch))
        self._trim()
        self._update()

    def _trim(self) -> None:
        while len(self._points) > self.capacity:
            self._points.popleft()  # the oldest: recent points say more about now
            self.stats.dropped += 1

    def _update(self) -> None:
        self.stats.pending = len(self._points)
        self.changes.notify()


def _refused_index(error: ValidationError, size: int) -> int:
    match = _REFUSED_POINT.match(error.field or "")
    index = int(match.group(1)) if match else 0
    return index if index < size else 0
