"""Signing in and out, picking a project, and the demo fleet as the table shows it."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.support.api import GraphQLClient
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import fleet_row, open_fleet, stored_session

REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"


async def test_sign_in_pick_the_demo_project_and_see_its_four_agents(
    pages: Pages, demo: Demo
) -> None:
    page = await pages.new()
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Sign in to Agentgraph")).to_be_visible()
    await page.get_by_label("Email").fill(demo.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    assert await stored_session(page) is None

    await page.get_by_label("Password").fill(demo.password)
    await page.get_by_label("Password").press("Enter")
    await expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    picker = page.get_by_role("link", name=re.compile(r"^Demo\b"))
    await expect(picker).to_contain_text("4 agents · 3 active · 1 in error")
    await picker.click()

    rows = page.locator("table.fleet tbody tr")
    await expect(rows.locator("th")).to_have_text(
        ["Application Monitor", "Cost Optimizer", "Performance Tuner", "Resource Allocator"]
    )
    await expect(rows.locator("td:nth-child(2)")).to_have_text(
        [
            "Application Monitoring Agent",
            "Cost Optimization Agent",
            "Performance Tuning Agent",
            "Resource Allocation Agent",
        ]
    )
    await expect(rows.locator(".badge.status")).to_have_text(
        ["Error", "Executing", "Idle", "Executing"]
    )
    # The monitor errored and its last heartbeat is five minutes old: its row stands out.
    monitor = fleet_row(page, "Application Monitor")
    await expect(monitor).to_have_class(re.compile(r"\bis-error\b"))
    await expect(monitor).to_have_class(re.compile(r"\bis-stale\b"))
    await expect(monitor.locator(".badge.health")).to_have_text("Stale")
    await expect(monitor.locator("time.ago")).to_have_text(re.compile(r"^\d+ min ago$"))
    await expect(fleet_row(page, "Performance Tuner")).not_to_have_class(re.compile(r"is-"))
    await expect(page.locator("#fleet-summary")).to_contain_text("4 agents")

    session = await stored_session(page)
    assert session and session["user"]["email"] == demo.email
    assert session["accessToken"] and session["refreshToken"]


async def test_sign_out_forgets_the_tokens_and_revokes_them(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    session = await stored_session(page)
    assert session

    # The page forgets the tokens at once and tells the server in the background.
    async with page.expect_response(lambda r: "Logout" in (r.request.post_data or "")) as logout:
        await page.get_by_role("button", name="Sign out").click()
    assert (await (await logout.value).json())["data"] == {"logout": True}
    await expect(page.get_by_role("heading", name="Sign in to Agentgraph")).to_be_visible()
    assert await stored_session(page) is None
    await expect(page.locator("#connection")).to_be_hidden()
    # The sign-out reached the server: the refresh token no longer buys a session.
    refused = await api.execute(REFRESH, {"t": session["refreshToken"]})
    assert refused.code == "UNAUTHENTICATED"

    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in to Agentgraph")).to_be_visible()
