"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
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
        "agentgraph_listen_reconnects_total",
        "agentgraph_events_replayed_after_reconnect",
        "agentgraph_live_sessions",
        "agentgraph_subscriptions",
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


async def test_not_ready_without_a_database_and_naming_no_internals(
    tmp_path: Path, free_port_url: str
) -> None:
    app = create_app(
        Settings(data_dir=tmp_path, secret_key=TEST_SECRET), database_url=free_port_url
    )
    async with GraphQLClient.for_app(app) as client:
        ready = await client.http.get("/readyz")
    await app.state.services.database.dispose()
    assert ready.status_code == 503
    # Why goes to the log; an unauthenticated route says only what a probe needs.
    assert ready.json() == {"status": "unavailable", "database": "unreachable"}
    assert "Error" not in ready.text and "Exception" not in ready.text


@pytest.fixture
def free_port_url() -> str:
    """A PostgreSQL URL where nothing listens."""
    from tests.support.servers import free_port

    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/agentgraph"
