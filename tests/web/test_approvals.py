"""Pending approvals: decided from the page with a reason, gone from every open dashboard at
once, the execution continuing everywhere; a lost race says who decided first."""

from __future__ import annotations

import re

from playwright.async_api import Request, Route, expect
from starlette.applications import Starlette

from tests.support import factories
from tests.support.api import GraphQLClient
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import approval_card, fleet_row, open_agent, open_fleet


async def test_an_approval_leaves_both_dashboards_and_the_execution_continues_in_both(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    pending = await fleet_api.request_approval(api, demo, "Performance Tuner")
    fleet = await pages.new()
    await open_fleet(fleet, demo)
    detail = await pages.new()  # a second operator, on the agent's own page
    await open_agent(detail, demo, "Performance Tuner")

    card = approval_card(fleet, pending["approval"])
    await expect(card.locator("h3")).to_have_text("restart_database on Performance Tuner")
    await expect(card.locator(".badge.risk")).to_have_text("High risk")
    assert pending["risks"] and pending["mitigations"]
    await expect(card.locator(".assessment > div:first-child li")).to_have_text(pending["risks"])
    await expect(card.locator(".assessment > div:last-child li")).to_have_text(
        pending["mitigations"]
    )
    await expect(card).to_contain_text("Apply the new connection limits")
    await expect(approval_card(detail, pending["approval"])).to_be_visible()
    execution = detail.locator(f'details.execution[data-execution-id="{pending["execution"]}"]')
    await expect(execution).to_have_attribute("data-status", "WAITING_APPROVAL")
    await expect(fleet_row(fleet, "Performance Tuner").locator(".badge.status")).to_have_text(
        "Waiting approval"
    )

    await card.get_by_label("Reason (required)").fill("Checked with the on-call DBA")
    await card.get_by_role("button", name="Approve").click()

    await expect(approval_card(fleet, pending["approval"])).to_have_count(0)
    await expect(approval_card(detail, pending["approval"])).to_have_count(0)
    await expect(execution).to_have_attribute("data-status", "RUNNING")
    await expect(execution.locator('tr[data-index="0"] .step-status')).to_have_text("Running")
    await expect(detail.locator(".identity .badge.status")).to_have_text("Executing")
    await expect(fleet_row(fleet, "Performance Tuner").locator(".badge.status")).to_have_text(
        "Executing"
    )
    await expect(fleet.locator(".decided-list li").first).to_contain_text(
        f"Approved: restart_database on Performance Tuner by {demo.email}"
    )
    assert await fleet_api.approval_status(api, demo, pending["approval"]) == "APPROVED"


async def test_rejecting_needs_a_reason_and_fails_the_execution(
    pages: Pages, demo: Demo, api: GraphQLClient
) -> None:
    pending = await fleet_api.request_approval(api, demo, "Performance Tuner", tool="drop_table")
    page = await pages.new()
    await open_agent(page, demo, "Performance Tuner")
    card = approval_card(page, pending["approval"])
    await expect(card.locator(".badge.risk")).to_have_text("Critical risk")

    for verb in ("Reject", "Approve"):
        await card.get_by_role("button", name=verb).click()
        await expect(card.get_by_role("alert")).to_have_text(f"Give a reason to {verb.lower()}.")
        await expect(card.get_by_label("Reason (required)")).to_be_focused()
        await expect(card.get_by_label("Reason (required)")).to_have_attribute(
            "aria-invalid", "true"
        )
    assert await fleet_api.approval_status(api, demo, pending["approval"]) == "PENDING"

    await card.get_by_label("Reason (required)").fill("Never drop tables in production")
    await card.get_by_role("button", name="Reject").click()
    await expect(card).to_have_count(0)
    execution = page.locator(f'details.execution[data-execution-id="{pending["execution"]}"]')
    await expect(execution).to_have_attribute("data-status", "FAILED")
    await expect(execution.locator('tr[data-index="0"] .step-status')).to_have_text("Rejected")
    await expect(execution.locator('tr[data-index="1"] .step-status')).to_have_text("Skipped")
    await expect(page.locator(".identity .badge.status")).to_have_text("Idle")
    state = await fleet_api.execution(api, demo, pending["execution"])
    assert state["status"] == "FAILED" and "Never drop tables" in (state["error"] or "")


async def test_a_lost_race_says_who_decided_first(
    pages: Pages, demo: Demo, api: GraphQLClient, app: Starlette
) -> None:
    other = await factories.superuser(api, app, email="grace@example.com")
    pending = await fleet_api.request_approval(api, demo, "Performance Tuner")
    page = await pages.new()
    await open_fleet(page, demo)
    card = approval_card(page, pending["approval"])
    await card.get_by_label("Reason (required)").fill("Looks fine to me")

    async def the_other_operator_clicks_first(route: Route, request: Request) -> None:
        if "mutation Approve" in (request.post_data or ""):
            await fleet_api.decide(
                api, other["token"], pending["approval"], "reject", "Not during the sale"
            )
        await route.continue_()

    await page.route("**/graphql", the_other_operator_clicks_first)
    await card.get_by_role("button", name="Approve").click()

    notice = page.locator(".notice.lost-race")
    await expect(notice).to_have_count(1)
    await expect(notice).to_contain_text(
        re.compile(
            r"Too late: restart_database on Performance Tuner was already rejected by "
            r"grace@example\.com at .+ \(“Not during the sale”\)\."
        )
    )
    await expect(card).to_have_count(0)
    assert await fleet_api.approval_status(api, demo, pending["approval"]) == "REJECTED"
    await notice.get_by_role("button", name="Dismiss").click()
    await expect(notice).to_have_count(0)


async def test_a_decision_made_elsewhere_while_typing_a_reason_is_announced(
    pages: Pages, demo: Demo, api: GraphQLClient, app: Starlette
) -> None:
    other = await factories.superuser(api, app, email="ada@example.com")
    pending = await fleet_api.request_approval(api, demo, "Performance Tuner")
    page = await pages.new()
    await open_fleet(page, demo)
    card = approval_card(page, pending["approval"])
    await card.get_by_label("Reason (required)").fill("I was about to")

    await fleet_api.decide(api, other["token"], pending["approval"], "approve", "Done it")
    await expect(card).to_have_count(0)
    await expect(page.locator(".notice.lost-race")).to_contain_text(
        "restart_database on Performance Tuner was already approved by ada@example.com"
    )
