"""Driving the dashboard as an operator does: by labels, roles and visible text."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.web.conftest import Demo


async def sign_in(page: Page, demo: Demo, path: str = "/") -> None:
    """Opens ``path`` and signs in as the demo superuser."""
    await page.goto(path)
    await page.get_by_label("Email").fill(demo.email)
    await page.get_by_label("Password").fill(demo.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#sign-out")).to_be_visible()


async def open_fleet(page: Page, demo: Demo) -> None:
    """Signs in, picks the demo project and waits until the page is live."""
    await sign_in(page, demo)
    await page.get_by_role("link", name=re.compile(r"^Demo\b")).click()
    await expect(page.locator("table.fleet tbody tr")).to_have_count(4)
    await expect_live(page)


async def open_agent(page: Page, demo: Demo, name: str) -> None:
    """Signs in straight into one demo agent's page."""
    await sign_in(page, demo, f"/#/projects/{demo.project_id}/agents/{demo.agents[name]}")
    await expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    await expect_live(page)


async def expect_live(page: Page) -> None:
    await expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def fleet_row(page: Page, name: str) -> Locator:
    return page.locator("table.fleet tbody tr").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def approval_card(page: Page, approval_id: str) -> Locator:
    return page.locator(f'li.approval[data-approval-id="{approval_id}"]')


async def stored_session(page: Page) -> dict[str, Any] | None:
    """The session the page keeps in sessionStorage (None when signed out)."""
    raw = await page.evaluate("sessionStorage.getItem('agentgraph.session')")
    return json.loads(raw) if raw else None
