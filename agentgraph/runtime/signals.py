"""A way to wait for background work to get somewhere, without polling or sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Changes:
    """Notified by a background loop whenever its state moved; callers wait for a condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake every waiter (each checks its condition again)."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition()`` holds (checked now and after every change)."""
        while not condition():
            await self._event.wait()
