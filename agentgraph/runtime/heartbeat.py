"""The heartbeat loop: tells the server every ``interval`` seconds that the agent is alive.

It runs beside the agent's own work and must never take the agent down: any failure is logged
and retried. While the server is away it backs off (exponentially, with jitter) instead of
hammering it, and beats again at the normal interval as soon as one gets through. Only a refused
token (or a deleted agent) stops it, and the client then stops the agent with that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentgraph.runtime.backoff import Backoff, jittered
from agentgraph.runtime.errors import AgentgraphError, NotFound, Unauthenticated
from agentgraph.runtime.http import GraphQLHttp
from agentgraph.runtime.signals import Changes

logger = logging.getLogger("agentgraph.runtime")

HEARTBEAT = """
mutation Heartbeat($input: HeartbeatInput!) { heartbeat(input: $input) { id health } }
"""

UsageProbe = Callable[[], dict[str, Any] | None]


@dataclass
class HeartbeatStats:
    sent: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    last_error: str | None = None
    next_delay: float = 0.0
    stopped_by: AgentgraphError | None = None


class HeartbeatLoop:
    """Beats for ``agent_id`` until stopped. ``usage`` (optional) returns the resource usage sent
    with each beat (e.g. ``{"cpu_percent": 12}``); if it raises, the beat goes without it."""

    def __init__(
        self,
        http: GraphQLHttp,
        agent_id: str,
        *,
        interval: float = 10.0,
        jitter: float = 0.1,
        backoff: Backoff | None = None,
        usage: UsageProbe | None = None,
        on_fatal: Callable[[AgentgraphError], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("heartbeat interval must be positive")
        self.http = http
        self.agent_id = agent_id
        self.interval = interval
        self.jitter = jitter
        self.backoff = backoff or Backoff(initial=min(1.0, interval), maximum=max(60.0, interval))
        self.usage = usage
        self.on_fatal = on_fatal
        self.rng = rng or random.Random()
        self.stats = HeartbeatStats()
        self.changes = Changes()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="agentgraph-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def beat(self) -> None:
        """Send one heartbeat now (raises what the server answered)."""
        beat: dict[str, Any] = {"agentId": self.agent_id}
        usage = self._usage()
        if usage is not None:
            beat["resourceUsage"] = usage
        # One attempt: the loop decides when to try again.
        await self.http.mutate(HEARTBEAT, {"input": beat}, patience=0)

    async def _run(self) -> None:
        while True:
            try:
                await self.beat()
            except (Unauthenticated, NotFound) as error:
                # No beat will ever get through: the token is refused or the agent is gone.
                self.stats.stopped_by = error
                self.changes.notify()
                logger.error("heartbeats stopped: %s", error.message)
                if self.on_fatal is not None:
                    self.on_fatal(error)
                return
            except Exception as error:  # never let a beat take the agent down
                self.stats.failed += 1
                self.stats.consecutive_failures += 1
                self.stats.last_error = str(error) or type(error).__name__
                self.stats.next_delay = self.backoff.delay(self.stats.consecutive_failures - 1)
                logger.warning(
                    "heartbeat failed (%s); next try in %.1fs",
                    self.stats.last_error,
                    self.stats.next_delay,
                )
            else:
                self.stats.sent += 1
                self.stats.consecutive_failures = 0
                self.stats.next_delay = jittered(self.interval, self.jitter, self.rng)
            self.changes.notify()
            await asyncio.sleep(self.stats.next_delay)

    def _usage(self) -> dict[str, Any] | None:
        if self.usage is None:
            return None
        try:
            return self.usage()
        except Exception:
            logger.exception("the resource usage probe failed; beating without it")
            return None
