"""Usable without a mouse, with a focus you can see, legible at 1280 x 800 and at 390 px wide."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from tests.support.api import GraphQLClient
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import approval_card, open_fleet


async def _tab_to(page: Page, target: Locator, limit: int = 80, key: str = "Tab") -> None:
    """Presses Tab (or ``key``) until ``target`` has the focus."""
    for _ in range(limit):
        await page.keyboard.press(key)
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with Tab")


async def _focus_ring(target: Locator) -> list[str]:
    return list(
        await target.evaluate(
            "element => { const s = getComputedStyle(element); return [s.outlineStyle, s.outlineWidth]; }"
        )
    )


async def test_sign_in_open_an_agent_and_act_with_the_keyboard_alone(
    pages: Pages, demo: Demo
) -> None:
    page = await pages.new()
    await page.goto("/")
    await expect(page.get_by_label("Email")).to_be_focused()
    await page.keyboard.type(demo.email)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(demo.password)
    await page.keyboard.press("Enter")

    project = page.get_by_role("link", name=re.compile(r"^Demo\b"))
    await expect(project).to_be_visible()
    await _tab_to(page, project)
    assert await _focus_ring(project) == ["solid", "3px"]
    await page.keyboard.press("Enter")

    agent = page.get_by_role("link", name="Performance Tuner", exact=True)
    await _tab_to(page, agent)
    assert await _focus_ring(agent) == ["solid", "3px"]
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1, name="Performance Tuner")).to_be_focused()

    pause = page.get_by_role("button", name="Pause")
    await _tab_to(page, pause)
    assert await _focus_ring(pause) == ["solid", "3px"]
    await page.keyboard.press("Enter")
    await expect(page.locator(".identity .badge.status")).to_have_text("Paused")

    terminate = page.get_by_role("button", name="Terminate…")
    await _tab_to(page, terminate)
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(terminate).to_be_focused()

    metric = page.get_by_label("Metric", exact=True)
    await _tab_to(page, metric)
    assert await _focus_ring(metric) == ["solid", "3px"]


async def test_the_skip_link_shows_when_focused_and_keeps_the_route(
    pages: Pages, demo: Demo
) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).not_to_be_in_viewport()
    await _tab_to(page, skip, key="Shift+Tab")
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await expect(page.locator("table.fleet tbody tr")).to_have_count(4)  # the route stayed


async def _no_sideways_scroll(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_legible_at_390_px_wide(pages: Pages, demo: Demo, api: GraphQLClient) -> None:
    pending = await fleet_api.request_approval(api, demo, "Performance Tuner")
    page = await pages.new(390, 844)
    await open_fleet(page, demo)
    await _no_sideways_scroll(page, 390)
    for row in await page.locator("table.fleet tbody tr").all():
        box = await row.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert await row.evaluate("r => parseFloat(getComputedStyle(r).fontSize)") >= 14
    # As cards: each value is labelled, the table's header row being hidden.
    labels = (
        await page.locator("table.fleet tbody tr")
        .first.locator("td")
        .evaluate_all("cells => cells.map(c => getComputedStyle(c, '::before').content)")
    )
    assert labels == ['"Type"', '"Status"', '"Health"', '"Last heartbeat"', '"Resources"']
    card = approval_card(page, pending["approval"])
    await card.scroll_into_view_if_needed()
    box = await card.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    await page.get_by_role("link", name="Performance Tuner", exact=True).click()
    await expect(page.locator(".agent-grid")).to_be_visible()
    await _no_sideways_scroll(page, 390)


async def test_at_1280_by_800_the_fleet_and_its_approvals_share_the_first_screen(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    pending = await fleet_api.request_approval(api, demo, "Performance Tuner")
    page = await pages.new(1280, 800)
    await open_fleet(page, demo)
    await _no_sideways_scroll(page, 1280)
    fleet = await page.locator(".fleet-panel").bounding_box()
    side = await page.locator(".side").bounding_box()
    assert fleet and side and side["x"] >= fleet["x"] + fleet["width"]
    for row in await page.locator("table.fleet tbody tr").all():
        await expect(row).to_be_in_viewport()
    await expect(approval_card(page, pending["approval"]).locator("h3")).to_be_in_viewport()
