"""Each caller's share of the connection pool for writes: at most ``per_caller`` of one
caller's mutations run at once in a process; the others wait their turn holding nothing.

Forty writers of one caller queued on a hot row would otherwise each hold a pooled connection
while they wait for its lock, and every other tenant would wait for a connection. With the
cap, they hold ``per_caller`` connections and the rest of the pool serves everyone else. The
wait counts against the request's deadline (gql/deadline.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class _Slots:
    semaphore: asyncio.Semaphore
    users: int = 0  # holding or waiting
    holding: int = 0


class WriteSlots:
    def __init__(self, per_caller: int) -> None:
        self.per_caller = per_caller
        self._callers: dict[str, _Slots] = {}

    @property
    def enabled(self) -> bool:
        return self.per_caller > 0

    @asynccontextmanager
    async def held(self, caller: str) -> AsyncIterator[None]:
        """Hold one of ``caller``'s slots (waiting for one) while the block runs."""
        if not self.enabled:
            yield
            return
        slots = self._callers.get(caller)
        if slots is None:
            slots = self._callers[caller] = _Slots(asyncio.Semaphore(self.per_caller))
        slots.users += 1
        try:
            async with slots.semaphore:
                slots.holding += 1
                try:
                    yield
                finally:
                    slots.holding -= 1
        finally:
            slots.users -= 1
            if slots.users == 0:
                del self._callers[caller]

    def waiting(self, caller: str) -> int:
        """How many of ``caller``'s writes wait for a slot (tests, /metrics)."""
        slots = self._callers.get(caller)
        return 0 if slots is None else slots.users - slots.holding
