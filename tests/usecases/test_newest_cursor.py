"""The hub's shared reads of the newest cursor (usecases/live/hub.py's NewestCursor)."""

from __future__ import annotations

import asyncio

import pytest

from usecases.live.hub import NewestCursor


class _Log:
    """A log whose newest cursor the test moves; each read blocks until released."""

    def __init__(self) -> None:
        self.newest = 0
        self.began = 0
        self.release = asyncio.Event()

    async def read(self) -> int:
        self.began += 1
        seen = self.newest  # what a read sees is the log as it begins
        await self.release.wait()
        self.release.clear()
        return seen


async def test_callers_who_ask_together_share_one_read() -> None:
    log = _Log()
    cursors = NewestCursor(log.read)
    callers = [asyncio.create_task(cursors.read()) for _ in range(100)]
    await asyncio.sleep(0)
    log.release.set()
    assert await asyncio.gather(*callers) == [0] * 100
    assert cursors.reads == 1


async def test_a_read_already_under_way_is_not_shared_with_a_later_caller() -> None:
    log = _Log()
    cursors = NewestCursor(log.read)
    first = asyncio.create_task(cursors.read())
    while log.began == 0:
        await asyncio.sleep(0)
    log.newest = 7  # committed after the first read began, before the second caller asked
    second = asyncio.create_task(cursors.read())
    await asyncio.sleep(0)
    log.release.set()
    assert await first == 0
    while log.began < 2:
        await asyncio.sleep(0)
    log.release.set()
    assert await second == 7  # a read of its own, begun after it asked
    assert cursors.reads == 2


async def test_a_failed_read_fails_its_callers_and_the_next_read_is_fresh() -> None:
    calls = 0

    async def read() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database restarting")
        return 5

    cursors = NewestCursor(read)
    with pytest.raises(ConnectionError):
        await cursors.read()
    assert await cursors.read() == 5


async def test_a_caller_that_leaves_does_not_cancel_the_read_of_the_others() -> None:
    log = _Log()
    cursors = NewestCursor(log.read)
    leaving = asyncio.create_task(cursors.read())
    staying = asyncio.create_task(cursors.read())
    await asyncio.sleep(0)
    leaving.cancel()
    log.release.set()
    assert await staying == 0
    assert leaving.cancelled()
