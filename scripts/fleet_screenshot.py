"""Takes docs/fleet.png: the dashboard's fleet view of the demo fleet at 1280x800.

Starts `agentgraph serve --demo` on an embedded PostgreSQL of its own (in a temporary
directory), makes the fleet look alive through the API as runtimes would (heartbeats with
resource usage, one step waiting for approval), then photographs the page in Debian's Chromium.

    .venv/bin/python scripts/fleet_screenshot.py [docs/fleet.png]     (or: make screenshot)
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright, expect

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOGIN = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }"
AGENTS = 'query { projectBySlug(slug: "demo") { agents { edges { node { id name } } } } }'
HEARTBEAT = "mutation($i: HeartbeatInput!) { heartbeat(input: $i) { id } }"
START = "mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }"
PLAN = "mutation($id: ID!, $s: [StepInput!]!) { submitPlan(executionId: $id, steps: $s) { id } }"
USAGE = {
    "Cost Optimizer": {"cpu_percent": 37, "memory_mb": 812},
    "Performance Tuner": {"cpu_percent": 12, "memory_mb": 304},
    "Resource Allocator": {"cpu_percent": 64, "memory_mb": 1536},
}


def _log(message: str) -> None:
    print(f"fleet_screenshot: {message}", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """`agentgraph serve --demo`; returns the process and the demo superuser's password."""
    env = {**os.environ, "AGENTGRAPH_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [str(REPO / ".venv/bin/agentgraph"), "serve", "--demo", "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    password = None
    for line in process.stdout:
        _log(line.rstrip())
        found = re.search(r"with password (\S+)", line)
        password = found.group(1) if found else password
        if "serving" in line:
            break
    if password is None:
        process.terminate()
        raise SystemExit("agentgraph serve --demo did not load the demo fleet")
    # Keep reading what the server says, or it blocks once the pipe is full.
    threading.Thread(target=lambda: [None for _ in process.stdout or ()], daemon=True).start()
    return process, password


def _graphql(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(
        f"{base}graphql", json={"query": query, "variables": variables}, headers=headers
    ).json()
    if body.get("errors"):
        raise SystemExit(f"the API refused {query.split('(')[0]}: {body['errors']}")
    return body["data"]


def _liven_up(base: str, password: str) -> None:
    """What runtimes would have sent: heartbeats, and a risky step waiting for approval."""
    login = {"i": {"email": "admin@agentgraph.demo", "password": password}}
    token = _graphql(base, LOGIN, login)["login"]["accessToken"]
    edges = _graphql(base, AGENTS, {}, token)["projectBySlug"]["agents"]["edges"]
    agents = {e["node"]["name"]: e["node"]["id"] for e in edges}
    for name, usage in USAGE.items():
        _graphql(base, HEARTBEAT, {"i": {"agentId": agents[name], "resourceUsage": usage}}, token)
    start = {
        "i": {"agentId": agents["Performance Tuner"], "description": "Tune the orders database"}
    }
    execution = _graphql(base, START, start, token)["startExecution"]["id"]
    steps = [
        {"tool": "apply_db_parameters", "riskLevel": "HIGH", "params": {"database": "orders_prod"},
         "rationale": "Raise work_mem and max_connections for the evening peak"},
        {"tool": "verify_latency", "riskLevel": "SAFE", "params": {}},
    ]  # fmt: skip
    _graphql(base, PLAN, {"id": execution, "s": steps}, token)


async def _photograph(base: str, password: str, target: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(base)
        await page.get_by_label("Email").fill("admin@agentgraph.demo")
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name=re.compile(r"^Demo\b")).click()
        await expect(page.locator("table.fleet tbody tr")).to_have_count(4)
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        await expect(page.locator("li.approval")).to_have_count(1)
        await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        target.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(target))
        await browser.close()


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "fleet.png")
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="agentgraph-screenshot-") as data_dir:
        process, password = _serve(Path(data_dir), port)
        try:
            deadline = time.monotonic() + 60
            while httpx.get(f"{base}readyz").status_code != 200:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not become ready")
                time.sleep(0.2)
            _liven_up(base, password)
            asyncio.run(_photograph(base, password, target))
        finally:
            process.terminate()
            process.wait(20)
    _log(f"wrote {target}")


if __name__ == "__main__":
    main()
