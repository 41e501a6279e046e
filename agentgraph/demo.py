"""Loads the demo fleet (SPEC §9) through the product's own use cases, in one transaction.

Statuses are reached the way a real fleet reaches them, so every one is a recorded chain from
IDLE: EXECUTING agents started an execution whose plan was accepted; the Application Monitor
reported errors (and was recovered in between, as the seed's error count says).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from agentgraph.demo_fleet import FLEET, PROJECT_NAME, PROJECT_SLUG, DemoAgent
from agentgraph.settings import Settings
from domain.access import Viewer
from domain.lifecycle import Trigger
from domain.metrics import MetricType
from domain.values import ConfigValueType
from store import accounts as account_store
from store import projects as project_store
from store.database import Database
from usecases import (
    accounts,
    agent_types,
    agents,
    configuration,
    executions,
    projects,
    states,
    telemetry,
)

DEMO_ADMIN_EMAIL = "admin@agentgraph.demo"
# The loader looks at every project, as a superuser would.
SYSTEM = Viewer(is_superuser=True)


class _OneTransaction:
    """The Database interface over one connection: each use case becomes a savepoint of a
    single outer transaction, so the demo loads completely or not at all."""

    def __init__(self, conn: AsyncConnection, database: Database) -> None:
        self._conn = conn
        self._database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._conn.begin_nested():
            yield self._conn

    # A write of one statement (telemetry) is a savepoint here too.
    statement = transaction

    async def fetch_raw(
        self, conn: AsyncConnection, sql: str, params: Sequence[Any]
    ) -> list[Sequence[Any]]:
        return await self._database.fetch_raw(conn, sql, params)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        yield self._conn


async def demo_state(database: Database) -> str:
    """ "loaded", "empty" (no projects at all) or "other" (data, but no demo project)."""
    async with database.read() as conn:
        if await project_store.project_by_slug(conn, SYSTEM, PROJECT_SLUG) is not None:
            return "loaded"
        return "empty" if await project_store.count_projects(conn, SYSTEM) == 0 else "other"


async def load_demo_fleet(
    url: str, settings: Settings, *, report: Callable[[str], None], only_if_empty: bool = False
) -> bool:
    """Load the demo fleet unless it is there (``only_if_empty``: unless there is any project).

    Returns True when it was loaded now.
    """
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        state = await demo_state(database)
        if state == "loaded":
            report(f"the demo fleet is already loaded (project '{PROJECT_SLUG}'); nothing changed")
            report(
                f"demo superuser: {DEMO_ADMIN_EMAIL} (reset its password with agentgraph create-superuser)"
            )
            return False
        if state == "other" and only_if_empty:
            report(
                "the database already holds projects; the demo fleet was not loaded (agentgraph seed-demo adds it)"
            )
            return False
        password = secrets.token_urlsafe(12)
        report(
            f"loading the demo fleet: {len(FLEET)} agent types, project '{PROJECT_SLUG}', {len(FLEET)} agents"
        )
        async with database.engine.begin() as conn:
            await _load(_OneTransaction(conn, database), password, report)  # type: ignore[arg-type]
        report(f"demo fleet loaded; sign in as {DEMO_ADMIN_EMAIL} with password {password}")
        return True
    finally:
        await database.dispose()


async def _load(database: Database, password: str, report: Callable[[str], None]) -> None:
    await accounts.create_superuser(database, DEMO_ADMIN_EMAIL, password)
    async with database.read() as conn:
        admin = await account_store.user_by_email(conn, DEMO_ADMIN_EMAIL)
    assert admin is not None
    viewer = Viewer(user_id=admin.id, is_superuser=True)
    project = await projects.create_project(database, viewer, name=PROJECT_NAME, slug=PROJECT_SLUG)
    now = datetime.now(UTC)
    for demo in FLEET:
        agent_type = await agent_types.create_agent_type(
            database,
            viewer,
            agent_types.AgentTypeSpec(
                name=demo.type_name,
                slug=demo.type_slug,
                description=demo.type_description,
                expertise=list(demo.expertise),
                personality_prompt=f"You are the {demo.name}: {demo.type_description}",
                primary_model="claude-3-sonnet",
                fallback_models=["claude-3-haiku"],
                model_params={"temperature": 0.2},
            ),
        )
        agent = await agents.spawn_agent(
            database, viewer, _spawn_request(demo, project.id, agent_type.id)
        )
        await _runtime(database, viewer, demo, agent.id, now)
        await _status(database, viewer, demo, agent.id, now)
        report(f"  {demo.name}: {len(demo.configs)} configs, {len(demo.capabilities)} capabilities, "
               f"{len(demo.metrics)} metrics, {demo.final_status.upper()}")  # fmt: skip


def _spawn_request(demo: DemoAgent, project_id: Any, agent_type_id: Any) -> agents.SpawnRequest:
    return agents.SpawnRequest(
        project_id=project_id,
        agent_type_id=agent_type_id,
        name=demo.name,
        configs=[
            # The seeds' config_type "number" is the FLOAT alias.
            configuration.ConfigSpec(key, value, ConfigValueType.FLOAT, description)
            for key, value, description in demo.configs
        ],
        capabilities=[
            configuration.CapabilitySpec(name, version, enabled, parameters, description)
            for name, version, description, parameters, enabled in demo.capabilities
        ],
    )


async def _runtime(
    database: Database, viewer: Viewer, demo: DemoAgent, agent_id: Any, now: datetime
) -> None:
    state = demo.state
    workflow_data = dict(state["workflow_data"])
    if workflow_data:
        workflow_data["started_at"] = now.isoformat()
    await states.update_state(
        database,
        viewer,
        agent_id,
        states.StateUpdate(
            current_workflow=state["current_workflow"],
            has_current_workflow=True,
            workflow_data=workflow_data,
            resource_locks=list(state["resource_locks"]),
        ),
    )
    await telemetry.record_metrics(
        database,
        viewer,
        agent_id,
        [
            telemetry.MetricPoint(name, float(value), MetricType.GAUGE, unit, tags, now)
            for name, value, unit, tags in demo.metrics
        ],
    )
    beat = telemetry.Heartbeat(agent_id=agent_id, at=now - timedelta(seconds=demo.heartbeat_age_s))
    await telemetry.record_heartbeats(database, viewer, [beat], "input")


async def _status(
    database: Database, viewer: Viewer, demo: DemoAgent, agent_id: Any, now: datetime
) -> None:
    errors = demo.state["error_count"]
    last_error = demo.state["last_error"]
    # Earlier errors, each recovered from, as the seed's error count says.
    for index in range(errors - (1 if demo.final_status == "error" else 0)):
        await agents.report_error(
            database, viewer, agent_id, {**(last_error or {}), "occurrence": index + 1}
        )
        await agents.change_status(database, viewer, agent_id, Trigger.RECOVER, reason="recovered")
    if demo.final_status == "error":
        await agents.report_error(
            database, viewer, agent_id, {**last_error, "timestamp": now.isoformat()}
        )
    elif demo.final_status == "executing":
        execution = await executions.start_execution(
            database, viewer, agent_id, f"{demo.workflow} for customer {demo.state['workflow_data'].get('customer_id')}",
            {"workflow": demo.workflow},
        )  # fmt: skip
        await executions.submit_plan(
            database,
            viewer,
            execution.id,
            [
                executions.StepSpec(
                    tool=demo.workflow, risk_level="safe", params={}, rationale="seeded demo work"
                )
            ],
        )
