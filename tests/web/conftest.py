"""Browser tests of the dashboard (web/): Debian's Chromium, headless, driven by Playwright.

Without /usr/bin/chromium the folder is skipped with one line (test_chromium.py's), except in
CI (CI=true), where a missing browser fails the run instead: .ci/run installs it, so it cannot
go missing silently. Every page's console is watched; an error there fails the test that caused it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from starlette.applications import Starlette
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from agentgraph.demo import DEMO_ADMIN_EMAIL, load_demo_fleet
from agentgraph.settings import Settings
from agentgraph.websocket_protocol import WS_PROTOCOL
from tests.support import factories
from tests.support.api import GraphQLClient

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    # Only test_chromium.py is collected then: it says why in one line (or, in CI, fails).
    collect_ignore_glob = [
        path.name
        for path in Path(__file__).parent.glob("test_*.py")
        if path.name != "test_chromium.py"
    ]

# The background-networking flags matter on a closed network: without them Chromium keeps
# trying to reach Google's services and the page competes with those attempts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A ceiling for waiting on the DOM, not a claim about speed: the machine is shared.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@dataclass
class WebServer:
    """The test app served by a real uvicorn: the dashboard at url, /graphql beside it."""

    url: str
    server: uvicorn.Server

    def drop_websockets(self) -> int:
        """Cut every open WebSocket from the server's side, without a closing handshake (as a
        crashed proxy or a killed process would). Returns how many were cut."""
        sockets = [
            c for c in self.server.server_state.connections
            if isinstance(c, WebSocketsSansIOProtocol)
        ]  # fmt: skip
        for connection in sockets:
            connection.transport.abort()
        return len(sockets)


@pytest.fixture(scope="session")
async def web(app: Starlette) -> AsyncIterator[WebServer]:
    import asyncio

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", ws=WS_PROTOCOL, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield WebServer(f"http://127.0.0.1:{port}/", server)
    finally:
        server.should_exit = True
        await task


@dataclass
class Pages:
    """The browser contexts of one test. Console errors and uncaught exceptions of every page
    are collected; the test fails at its end if there are any (allow() excuses expected ones)."""

    browser: Browser
    base_url: str
    errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    async def new(self, width: int = 1280, height: int = 800) -> Page:
        """A page in a fresh context (its own sessionStorage: a second operator, a second tab)."""
        context = await self.browser.new_context(
            base_url=self.base_url, viewport={"width": width, "height": height}
        )
        self.contexts.append(context)
        page = await context.new_page()
        page.on("console", lambda message: self._console(message.type, message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        # The console says "404" without the address; this says which.
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        return page

    def allow(self, pattern: str) -> None:
        """Excuse console errors matching ``pattern`` from now on (a deliberate outage makes
        the browser itself report the failed connection attempts)."""
        self.allowed.append(re.compile(pattern))

    def _console(self, kind: str, text: str) -> None:
        if kind == "error" and not any(p.search(text) for p in self.allowed):
            self.errors.append(text)


@pytest.fixture
async def pages(browser: Browser, web: WebServer) -> AsyncIterator[Pages]:
    collected = Pages(browser, web.url)
    yield collected
    for context in collected.contexts:
        await context.close()
    assert collected.errors == [], (
        f"console errors on the page (failed requests: {collected.failed})"
    )


@dataclass
class Demo:
    """The demo fleet, loaded as `agentgraph seed-demo` does, and its superuser signed in."""

    email: str
    password: str
    token: str
    refresh: str
    project_id: str
    agents: dict[str, str]  # name → global id


DEMO_PROJECT = """
query { projectBySlug(slug: "demo") { id agents(first: 10) { edges { node { id name } } } } }
"""


@pytest.fixture
async def demo(api: GraphQLClient, database_url: str, settings: Settings) -> Demo:
    lines: list[str] = []
    assert await load_demo_fleet(database_url, settings, report=lines.append)
    found = re.search(r"with password (\S+)", "\n".join(lines))
    assert found, lines
    session = await factories.login(api, DEMO_ADMIN_EMAIL, found.group(1))
    project = (await api.ok(DEMO_PROJECT, token=session["token"]))["projectBySlug"]
    return Demo(
        email=DEMO_ADMIN_EMAIL,
        password=found.group(1),
        token=session["token"],
        refresh=session["refresh"],
        project_id=project["id"],
        agents={e["node"]["name"]: e["node"]["id"] for e in project["agents"]["edges"]},
    )
