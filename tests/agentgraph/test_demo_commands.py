"""`agentgraph seed-demo` and `agentgraph serve --demo` as a user runs them: real processes on a
database of their own, the fleet then read back through the API (SPEC §9: 12 configs, 4 states,
11 capabilities, 12 metrics)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from agentgraph.bootstrap import create_app
from agentgraph.demo import DEMO_ADMIN_EMAIL
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.api import GraphQLClient
from tests.support.factories import LOGIN
from tests.support.servers import http_url, serve_process

AGENTGRAPH = Path(sys.executable).with_name("agentgraph")
FLEET = """
query { projectBySlug(slug: "demo") { agents(first: 10) { totalCount edges { node {
  name status state { currentWorkflow } configs { key } capabilities { name version }
  metrics(first: 20) { totalCount }
} } } } }
"""


@pytest.fixture
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    """A database of its own on the test server (empty: the commands migrate it)."""
    name = f"agentgraph_demo_{uuid.uuid4().hex[:8]}"
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(*args: str, url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "AGENTGRAPH_DATA_DIR": str(data_dir)}
    env["AGENTGRAPH_SECRET_KEY"] = TEST_SECRET
    return await asyncio.to_thread(
        subprocess.run,
        [str(AGENTGRAPH), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _password(output: str) -> str:
    [line] = [line for line in output.splitlines() if "sign in as" in line]
    assert DEMO_ADMIN_EMAIL in line
    return line.rsplit(" ", 1)[1]


def _counts(fleet: dict[str, Any]) -> dict[str, int]:
    agents = [edge["node"] for edge in fleet["projectBySlug"]["agents"]["edges"]]
    return {
        "agents": len(agents),
        "configs": sum(len(a["configs"]) for a in agents),
        "states": sum(a["state"] is not None for a in agents),
        "capabilities": sum(len(a["capabilities"]) for a in agents),
        "metrics": sum(a["metrics"]["totalCount"] for a in agents),
    }


SEEDED = {"agents": 4, "configs": 12, "states": 4, "capabilities": 11, "metrics": 12}


async def _fleet_through(api: GraphQLClient, password: str) -> dict[str, Any]:
    login = await api.ok(LOGIN, {"input": {"email": DEMO_ADMIN_EMAIL, "password": password}})
    return await api.ok(FLEET, token=login["login"]["accessToken"])


async def test_seed_demo_loads_the_fleet_once(scratch_url: str, tmp_path: Path) -> None:
    first = await _run("seed-demo", url=scratch_url, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    password = _password(first.stderr)

    again = await _run("seed-demo", url=scratch_url, data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stderr and "sign in as" not in again.stderr

    app = create_app(Settings(data_dir=tmp_path, secret_key=TEST_SECRET), database_url=scratch_url)
    try:
        async with GraphQLClient.for_app(app) as api:
            fleet = await _fleet_through(api, password)
    finally:
        await app.state.services.database.dispose()
    assert _counts(fleet) == SEEDED  # once, not twice
    statuses = {
        e["node"]["name"]: e["node"]["status"] for e in fleet["projectBySlug"]["agents"]["edges"]
    }
    assert statuses == {
        "Cost Optimizer": "EXECUTING", "Performance Tuner": "IDLE",
        "Resource Allocator": "EXECUTING", "Application Monitor": "ERROR",
    }  # fmt: skip


@pytest.mark.slow
async def test_serve_demo_loads_the_fleet_into_an_empty_database_only(
    scratch_url: str, tmp_path: Path
) -> None:
    async with serve_process(scratch_url, TEST_SECRET, tmp_path, "--demo") as url:
        password = _password((tmp_path / "serve.log").read_text())
        async with httpx.AsyncClient(base_url=http_url(url).removesuffix("/graphql")) as http:
            fleet = await _fleet_through(GraphQLClient(http), password)
    assert _counts(fleet) == SEEDED

    # Served again on the same database: the fleet is there, nothing is loaded twice.
    (tmp_path / "serve.log").unlink()
    async with serve_process(scratch_url, TEST_SECRET, tmp_path, "--demo") as url:
        log = (tmp_path / "serve.log").read_text()
        assert "sign in as" not in log
        async with httpx.AsyncClient(base_url=http_url(url).removesuffix("/graphql")) as http:
            fleet = await _fleet_through(GraphQLClient(http), password)
    assert _counts(fleet) == SEEDED
