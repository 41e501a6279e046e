"""Waiting on real signals instead of sleeping: a condition polled until it holds, and a
subscription's registration on the server (its listener on the event hub)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` if it never does (a hang guard,
    not a timing claim)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def registered(app: Starlette, listeners: int = 1) -> AsyncIterator[None]:
    """Subscribe inside the block; leaving it waits until the server has registered
    ``listeners`` new hub listeners, from which point no event can pass them by.

    (A cohort's listener is the last thing its first member sets up: its arguments are checked
    and the cohort joined before the stream starts listening.)"""
    hub = app.state.services.hub
    known = set(hub.listeners)
    yield
    await until(lambda: len(hub.listeners - known) >= listeners, f"{listeners} new listener(s)")


@asynccontextmanager
async def started(app: Starlette, subscriptions: int = 1) -> AsyncIterator[None]:
    """Subscribe without `after` inside the block; leaving it waits until the server has fixed
    where ``subscriptions`` new subscriptions start (listener registered, then the log's newest
    cursor read), from which point every event committed reaches them.

    (``registered`` is not enough for these: an event committed between the registration and
    that read is before their start, so it never reaches them — a test that committed right
    after ``registered`` lost its event whenever the server was slow to read the cursor.)"""
    hub = app.state.services.hub
    known = hub.subscriptions_started
    yield
    await until(
        lambda: hub.subscriptions_started >= known + subscriptions,
        f"{subscriptions} new subscription(s) started",
    )
