"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from tests.conftest import TEST_SECRET, _asyncpg_dsn
from tests.support.api import GraphQLClient


async def test_health_readiness_and_metrics(api: GraphQLClient) -> None:
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    lines = (await api.http.get("/metrics")).text.splitlines()
    for name in (
        "agentgraph_db_pool_checked_out",
        "agentgraph_subscription_listeners",
        "agentgraph_subscription_cohorts",
        "agentgraph_events_last_delivered_seq",
        "agentgraph_listen_reconnects",
        "agentgraph_events_replayed_after_reconnect",
    ):
        assert any(line.startswith(f"{name} ") for line in lines), name


async def test_not_ready_until_migrated(database_url: str, tmp_path: Path) -> None:
    name = f"agentgraph_unmigrated_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_dsn(database_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app(Settings(data_dir=tmp_path, secret_key=TEST_SECRET), database_url=url)
        async with GraphQLClient.for_app(app) as client:
            ready = await client.http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "migrating"
        await app.state.services.database.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
