"""Test harness: one real PostgreSQL database per run, built by `alembic upgrade head`.

By default the embedded PostgreSQL (a server of our own in .agentgraph/test-postgres);
AGENTGRAPH_TEST_DATABASE_URL points at another server instead. Either way the run creates a
scratch database on that server and drops it at the end. Tests that touch the database are
isolated by emptying every table after each of them (see tests/support/isolation.py): the
code under test commits for real, as it must for NOTIFY, row locks and concurrent requests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from agentgraph.bootstrap import create_app
from agentgraph.settings import Settings
from agentgraph.websocket_protocol import WS_PROTOCOL
from tests.support.api import GraphQLClient
from tests.support.sql_counter import StatementCounter
from usecases.budgets import BUDGET_TASK
from usecases.live.hub import TAIL_CHECK_TASK
from usecases.live.sessions import RECHECK_TASK
from usecases.sweeps import SWEEPER_TASK

REPO = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-not-for-production-0123456789"


def _server_url() -> str:
    """A URL to the maintenance database of the server tests run on."""
    override = os.environ.get("AGENTGRAPH_TEST_DATABASE_URL")
    if override:
        from agentgraph.settings import normalize_database_url

        return normalize_database_url(override)
    from agentgraph.embedded_db import start_embedded_postgres

    return start_embedded_postgres(REPO / ".agentgraph" / "test-postgres", "postgres")


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    from agentgraph.migrate import upgrade_async

    server = _server_url()
    name = f"agentgraph_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url)
        yield url
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(server))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key=TEST_SECRET,
        # The sessions' safety-net re-check would hide a socket that its credential's
        # announcement failed to end (tests/gql/subscriptions/test_sessions.py sets its own).
        ws_recheck_interval_s=3600.0,
        # Every test client registers from 127.0.0.1 (tests/gql/test_abuse_controls.py keeps
        # the default).
        register_max_per_address=10_000,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[Starlette]:
    application = create_app(settings, database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[GraphQLClient]:
    async with GraphQLClient.for_app(app) as client:
        yield client


@pytest.fixture(scope="session")
def reference_app(app: Starlette) -> Starlette:
    """/graphql of the same server with the compiled read path off: every field by its resolver."""
    from dataclasses import replace

    from starlette.routing import Route

    from gql.app import AgentgraphGraphQL

    graphql = app.state.graphql
    view = AgentgraphGraphQL(graphql.services, replace(graphql.config, compiled_reads=False))
    return Starlette(routes=[Route("/graphql", view, methods=["GET", "POST"])])


@pytest.fixture
async def reference_api(reference_app: Starlette) -> AsyncIterator[GraphQLClient]:
    async with GraphQLClient.for_app(reference_app) as client:
        yield client


# Background work runs on its own clock; it is not part of any request being counted (the
# rate-limit budget's bookkeeping and the sessions' re-checks included).
BACKGROUND_TASKS = frozenset({SWEEPER_TASK, TAIL_CHECK_TASK, BUDGET_TASK, RECHECK_TASK})


@pytest.fixture
def sql_counter(app: Starlette) -> Iterator[StatementCounter]:
    with StatementCounter(app.state.services.database, BACKGROUND_TASKS) as counter:
        yield counter


@pytest.fixture(autouse=True)
async def _isolated(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After every test that used the database, empty it again (the sign-in throttle's counts
    too: every test client signs in from 127.0.0.1 against the one session-wide app)."""
    yield
    if "app" in request.fixturenames:
        request.getfixturevalue("app").state.services.authenticator.forget()
    if "database_url" in request.fixturenames:
        from tests.support.isolation import empty_all_tables

        await empty_all_tables(_asyncpg_dsn(request.getfixturevalue("database_url")))


@pytest.fixture(scope="session")
async def live_url(app: Starlette) -> AsyncIterator[str]:
    """The app served by a real uvicorn on a free port (WebSocket tests): ws://…/graphql."""
    import asyncio

    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", ws=WS_PROTOCOL, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why the server could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task
