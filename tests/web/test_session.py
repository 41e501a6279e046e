"""Sessions: the access token is refreshed before it expires; a session the server refuses
(revoked, expired) sends the operator back to sign in."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support import factories
from tests.support.api import GraphQLClient
from tests.support.servers import http_url, serving
from tests.web import fleet_api
from tests.web.conftest import Demo, Pages
from tests.web.dashboard import fleet_row, open_fleet, sign_in, stored_session

LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) }"
ME = "{ me { email } }"
SIGN_IN = "Sign in to Agentgraph"
EXPIRED = "Your session has expired. Sign in again."
ACCESS_TTL_S = 3


@pytest.fixture
async def short_lived(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second server on the same database whose access tokens live three seconds."""
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        access_token_ttl_s=ACCESS_TTL_S,
    )
    async with serving(create_app(settings, database_url=database_url)) as ws_url:
        yield http_url(ws_url).removesuffix("graphql")


async def _accepted(base_url: str, token: str) -> bool:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base_url}graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
        )
    return "errors" not in response.json()


async def test_the_access_token_is_refreshed_before_it_expires_and_a_revoked_session_ends(
    pages: Pages, demo: Demo, api: GraphQLClient, short_lived: str
) -> None:
    page = await pages.new()
    await sign_in(page, demo, short_lived)
    await page.get_by_role("link", name="Demo").click()
    first = await stored_session(page)
    assert first and first["lifetimeMs"] == ACCESS_TTL_S * 1000

    # The page takes a new token before the first one expires…
    await page.wait_for_function(
        "first => JSON.parse(sessionStorage.getItem('agentgraph.session')).accessToken !== first",
        arg=first["accessToken"],
    )
    # …which then really does expire on the server…
    deadline = time.monotonic() + 30
    while await _accepted(short_lived, first["accessToken"]):
        assert time.monotonic() < deadline, "the first access token never expired"
        await asyncio.sleep(0.2)
    # …while the page goes on working: reads over HTTP, events over its WebSocket.
    await page.get_by_role("link", name="Cost Optimizer").click()
    await expect(page.get_by_role("heading", level=1, name="Cost Optimizer")).to_be_visible()
    await page.go_back()
    await fleet_api.move(api, demo, "pauseAgent", "Performance Tuner")
    await expect(fleet_row(page, "Performance Tuner").locator(".badge.status")).to_have_text(
        "Paused"
    )

    # Signed out elsewhere (the refresh token's family revoked): the next refresh is refused.
    current = await stored_session(page)
    assert current
    assert (await api.ok(LOGOUT, {"t": current["refreshToken"]}, token=demo.token))["logout"]
    await expect(page.get_by_role("heading", name=SIGN_IN)).to_be_visible()
    await expect(page.locator("#session-notice")).to_have_text(EXPIRED)
    assert await stored_session(page) is None
    await expect(page.locator("#connection")).to_be_hidden()


@pytest.mark.parametrize(
    "case", ["the access token has expired", "the server refuses the access token"]
)
async def test_a_refused_session_sends_the_operator_to_sign_in(
    pages: Pages, demo: Demo, api: GraphQLClient, case: str
) -> None:
    # A session from earlier in this tab, whose sign-in has since been revoked.
    session = await factories.login(api, demo.email, demo.password)
    assert (await api.ok(LOGOUT, {"t": session["refresh"]}, token=session["token"]))["logout"]
    now_ms = int(time.time() * 1000)
    stored = {
        "accessToken": session["token"] if "expired" in case else "not-a-valid-token",
        "refreshToken": session["refresh"],
        "expiresAt": now_ms - 1000 if "expired" in case else now_ms + 600_000,
        "lifetimeMs": 900_000,
        "user": {"email": demo.email},
    }
    page = await pages.new()
    # In the tab's storage before the dashboard's scripts run (once: not again after sign-in).
    await page.add_init_script(
        "if (!sessionStorage.getItem('seeded')) {"
        " sessionStorage.setItem('seeded', '1');"
        f" sessionStorage.setItem('agentgraph.session', {json.dumps(json.dumps(stored))}); }}"
    )
    await page.goto(f"/#/projects/{demo.project_id}")
    await expect(page.get_by_role("heading", name=SIGN_IN)).to_be_visible()
    await expect(page.locator("#session-notice")).to_have_text(EXPIRED)
    await expect(page.locator("table.fleet")).to_have_count(0)
    assert await stored_session(page) is None

    # Signing in again lands where the operator was going.
    await page.get_by_label("Email").fill(demo.email)
    await page.get_by_label("Password").fill(demo.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("table.fleet tbody tr")).to_have_count(4)


async def test_the_fleet_page_stays_signed_in_across_a_reload(pages: Pages, demo: Demo) -> None:
    page = await pages.new()
    await open_fleet(page, demo)
    await page.reload()
    await expect(page.locator("table.fleet tbody tr")).to_have_count(4)
