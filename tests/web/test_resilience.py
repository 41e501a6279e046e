"""A connection the server drops: the page says it is reconnecting, and once back it shows
every event committed meanwhile (resumed after its last cursor), none twice."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.api import GraphQLClient
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages, WebServer
from tests.web.dashboard import approval_card, expect_live, fleet_row, open_fleet


async def _transitions(api: GraphQLClient, demo: Demo) -> dict[int, str]:
    """Every committed status change of the demo fleet: cursor → "Agent From → To"."""
    lines = {}
    for name in demo.agents:
        for t in await fleet_api.status_cursors(api, demo, name):
            before = _label(t["fromStatus"]) if t["fromStatus"] else "Spawned"
            lines[int(t["cursor"])] = f"{name} {before} → {_label(t['toStatus'])}"
    return lines


def _label(status: str) -> str:
    return status.replace("_", " ").capitalize()


async def test_a_dropped_connection_resumes_from_the_last_cursor_with_nothing_missed(
    pages: Pages, demo: Demo, api: GraphQLClient, web: WebServer
) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    before = max(await _transitions(api, demo))

    # Offline, so the page's reconnection attempts fail until the events below are committed;
    # the browser itself reports each failed attempt on the console, as expected here.
    pages.allow(r"WebSocket connection to '.*' failed")
    await page.context.set_offline(True)
    assert web.drop_websockets() >= 1
    connection = page.locator("#connection")
    await expect(connection).to_have_attribute("data-state", "reconnecting")
    await expect(connection).to_contain_text("Reconnecting")
    await expect(connection.get_by_role("button", name="Retry now")).to_be_visible()

    for verb in ("pauseAgent", "resumeAgent", "pauseAgent"):
        await fleet_api.move(api, demo, verb, "Performance Tuner")
    await fleet_api.move(api, demo, "recoverAgent", "Application Monitor")
    pending = await fleet_api.request_approval(api, demo, "Application Monitor")
    missed = {c: line for c, line in (await _transitions(api, demo)).items() if c > before}
    assert len(missed) == 6  # 3 moves, recover, start, plan waiting for approval
    # Not delivered live: the page is still cut off.
    await expect(connection).to_have_attribute("data-state", "reconnecting")
    await expect(fleet_row(page, "Performance Tuner").locator(".badge.status")).to_have_text("Idle")

    await page.context.set_offline(False)
    await expect_live(page)
    activity = page.locator(".activity-list li")
    for cursor, line in missed.items():
        entry = page.locator(f'.activity-list li[data-cursor="{cursor}"]')
        await expect(entry).to_have_count(1)
        await expect(entry).to_contain_text(line)
    await expect(fleet_row(page, "Performance Tuner").locator(".badge.status")).to_have_text(
        "Paused"
    )
    await expect(fleet_row(page, "Application Monitor").locator(".badge.status")).to_have_text(
        "Waiting approval"
    )
    await expect(approval_card(page, pending["approval"])).to_be_visible()
    shown = [
        int(c)
        for c in await activity.evaluate_all("items => items.map(i => i.dataset.cursor)")
        if c
    ]
    assert shown == sorted(shown, reverse=True), "the activity log is in cursor order"
    assert len(shown) == len(set(shown)), "no event shown twice"
