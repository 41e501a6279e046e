"""The fleet table follows the API live: status changes, heartbeats, and a ticking age that
never moves the layout."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, expect

from tests.support.api import GraphQLClient
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import fleet_row, open_fleet


async def test_a_status_change_made_through_the_api_appears_without_reloading(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    await page.evaluate("window.notReloaded = true")
    tuner = fleet_row(page, "Performance Tuner")
    await expect(tuner.locator(".badge.status")).to_have_text("Idle")

    started = time.monotonic()
    await fleet_api.move(api, demo, "pauseAgent", "Performance Tuner", reason="maintenance")
    await expect(tuner.locator(".badge.status")).to_have_text("Paused")
    # Reported, not asserted: speed is the benchmark's business, the test waits on the DOM.
    print(f"\nstatus change → DOM: {(time.monotonic() - started) * 1000:.0f} ms", file=sys.stderr)

    newest = (await fleet_api.status_cursors(api, demo, "Performance Tuner"))[0]
    entry = page.locator(f'.activity-list li[data-cursor="{newest["cursor"]}"]')
    await expect(entry).to_contain_text("Performance Tuner Idle → Paused (maintenance)")
    await expect(page.locator("#fleet-summary")).to_contain_text("1 paused")
    assert await page.evaluate("window.notReloaded") is True


@contextlib.asynccontextmanager
async def beating(
    api: GraphQLClient,
    demo: Demo,
    agent: str,
    usage: dict[str, Any],
    at: Callable[[], str] | None = None,
) -> AsyncIterator[None]:
    """Heartbeats every half second, as a runtime sends them (they are live-only, so the first
    may come before the page's subscription is registered). ``at``: the runtime's clock."""

    async def beat() -> None:
        while True:
            await fleet_api.heartbeat(api, demo, agent, usage, at=at() if at else None)
            await asyncio.sleep(0.5)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_heartbeats_bring_a_stale_agent_back_with_its_resource_usage(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    monitor = fleet_row(page, "Application Monitor")
    await expect(monitor).to_have_class(re.compile(r"\bis-stale\b"))

    async with beating(api, demo, "Application Monitor", {"cpu_percent": 42, "memory_mb": 512}):
        await expect(monitor.locator(".resources")).to_have_text("CPU 42% · Mem 512 MB")
        await expect(monitor.locator(".badge.health")).to_have_text("Healthy")
        await expect(monitor).not_to_have_class(re.compile(r"\bis-stale\b"))
        await expect(monitor.locator("time.ago")).to_have_text(re.compile(r"^[0-2] s ago$"))
    # Still in ERROR: a heartbeat is telemetry, not a lifecycle move.
    await expect(monitor).to_have_class(re.compile(r"\bis-error\b"))


async def _layout(page: Page) -> list[list[float]]:
    """The box of every cell of the fleet table, of the ages in it, and of the panels beside."""
    boxes = await page.locator("table.fleet tr > *, time.ago, .side, #fleet-summary").evaluate_all(
        "cells => cells.map(c => { const r = c.getBoundingClientRect();"
        " return [r.x, r.y, r.width, r.height]; })"
    )
    return [[round(value, 2) for value in box] for box in boxes]


async def test_the_heartbeat_age_ticks_without_moving_the_layout(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    age = fleet_row(page, "Application Monitor").locator("time.ago")
    # A runtime beating with a clock five seconds behind: the age shows one digit, and soon two.
    async with beating(api, demo, "Application Monitor", {"cpu_percent": 7}, at=_five_s_ago):
        await expect(age).to_have_text(re.compile(r"^\d s ago$"))
    shown = await age.text_content() or ""
    for _ in range(20):
        before = await _layout(page)
        await expect(age).not_to_have_text(shown)
        assert await _layout(page) == before, f"the table moved when {shown!r} ticked"
        shown = await age.text_content() or ""
        if re.match(r"^\d\d s ago$", shown):
            break
    assert re.match(r"^\d\d s ago$", shown), f"the age never reached two digits: {shown!r}"


def _five_s_ago() -> str:
    return (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
