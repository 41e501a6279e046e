"""Lifecycle buttons on the agent page: pause, resume, terminate after a confirmation, and
refusals (INVALID_TRANSITION, CONFLICT) read as sentences."""

from __future__ import annotations

from playwright.async_api import Request, Route, expect

from tests.support.api import GraphQLClient
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import open_agent


async def test_pause_and_resume(pages: Pages, demo: Demo, api: GraphQLClient) -> None:
    page = await pages.new()
    await open_agent(page, demo, "Performance Tuner")
    status = page.locator(".identity .badge.status")
    await page.get_by_role("button", name="Pause").click()
    await expect(status).to_have_text("Paused")
    await expect(page.locator(".move-status")).to_have_text("Performance Tuner is now Paused.")
    await expect(page.locator("ol.history li").first).to_contain_text("Idle → Paused")
    assert (await fleet_api.agent(api, demo, "Performance Tuner"))["status"] == "PAUSED"

    await page.get_by_role("button", name="Resume").click()
    await expect(status).to_have_text("Idle")
    await expect(page.locator("ol.history li").first).to_contain_text("Paused → Idle")


async def test_terminate_asks_first_and_is_final(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    page = await pages.new()
    await open_agent(page, demo, "Performance Tuner")
    dialog = page.get_by_role("dialog", name="Terminate Performance Tuner?")

    await page.get_by_role("button", name="Terminate…").click()
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await page.get_by_role("button", name="Terminate…").click()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    assert (await fleet_api.agent(api, demo, "Performance Tuner"))["status"] == "IDLE"

    await page.get_by_role("button", name="Terminate…").click()
    await dialog.get_by_label("Reason (optional)").fill("replaced by v2")
    await dialog.get_by_role("button", name="Terminate", exact=True).click()
    await expect(page.locator(".identity .badge.status")).to_have_text("Terminated")
    await expect(page.locator("ol.history li").first).to_contain_text(
        "Idle → Terminated replaced by v2"
    )
    for name in ("Pause", "Resume", "Recover", "Terminate…"):
        await expect(page.get_by_role("button", name=name)).to_be_disabled()
    assert (await fleet_api.agent(api, demo, "Performance Tuner"))["status"] == "TERMINATED"


async def test_a_move_the_lifecycle_does_not_allow_is_explained(pages: Pages, demo: Demo) -> None:
    page = await pages.new()
    await open_agent(page, demo, "Application Monitor")
    await page.get_by_role("button", name="Pause").click()
    await expect(page.locator(".move-error")).to_have_text(
        "Cannot pause: Application Monitor is Error. From Error it can: recover, terminate."
    )
    await page.get_by_role("button", name="Recover").click()
    await expect(page.locator(".identity .badge.status")).to_have_text("Idle")
    await expect(page.locator(".move-error")).to_be_hidden()


async def test_acting_on_a_stale_view_is_a_conflict_not_a_surprise(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    page = await pages.new()
    await open_agent(page, demo, "Performance Tuner")
    seen = await fleet_api.agent(api, demo, "Performance Tuner")

    async def someone_else_moves_it_first(route: Route, request: Request) -> None:
        if "pauseAgent" in (request.post_data or ""):
            await fleet_api.move(api, demo, "pauseAgent", "Performance Tuner")
            await fleet_api.move(api, demo, "resumeAgent", "Performance Tuner")
        await route.continue_()

    await page.route("**/graphql", someone_else_moves_it_first)
    await page.get_by_role("button", name="Pause").click()
    now = seen["revision"] + 2
    await expect(page.locator(".move-error")).to_have_text(
        f"Performance Tuner changed while you were looking (now revision {now}). "
        "The page shows its current state; check it and try again."
    )
    await page.unroute("**/graphql")
    # The live view caught up: the next click acts on the revision it shows, and succeeds.
    await expect(page.locator(".identity dd .num")).to_have_text(str(now))
    await page.get_by_role("button", name="Pause").click()
    await expect(page.locator(".identity .badge.status")).to_have_text("Paused")
