"""The fleet the bench reads: one project per fleet size, written straight to the tables (COPY),
each agent with one state, 12 configs, 3 capability versions and 200 metric points."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

CONFIGS_PER_AGENT = 12
CAPABILITY_VERSIONS = 3
METRIC_POINTS = 200


def project_slug(agents: int) -> str:
    """The slug of the project holding the fleet of ``agents`` agents."""
    return f"bench-fleet-{agents}"


async def load_fleet(
    conn: asyncpg.Connection, owner: uuid.UUID, agents: int, slug: str | None = None
) -> uuid.UUID:
    """A project owned by ``owner`` with ``agents`` agents (slug: ``project_slug(agents)``
    unless named); returns the project's id."""
    slug = slug or project_slug(agents)
    agent_type = await conn.fetchval(
        "INSERT INTO agent_types (name, slug, personality_prompt, primary_model) "
        "VALUES ($1, $2, 'p', 'm') RETURNING id",
        f"Bench {slug}", slug,
    )  # fmt: skip
    project: uuid.UUID = await conn.fetchval(
        "INSERT INTO projects (name, slug, owner_id) VALUES ($1, $2, $3) RETURNING id",
        f"Bench {slug}", slug, owner,
    )  # fmt: skip
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(agents)]
    await conn.copy_records_to_table(
        "agents",
        records=[
            (a, project, agent_type, f"agent-{i:05d}", "idle", now) for i, a in enumerate(ids)
        ],
        columns=["id", "project_id", "agent_type_id", "name", "status", "last_heartbeat_at"],
    )
    await conn.copy_records_to_table(
        "agent_states",
        records=[(a, "analysis", json.dumps({"step": 3}), json.dumps({"cpu": 0.5})) for a in ids],
        columns=["agent_id", "current_workflow", "workflow_data", "resource_usage"],
    )
    await conn.copy_records_to_table(
        "agent_configs",
        records=[
            (a, f"key_{k:02d}", str(k * 10), "integer")
            for a in ids
            for k in range(CONFIGS_PER_AGENT)
        ],
        columns=["agent_id", "key", "value", "value_type"],
    )
    await conn.copy_records_to_table(
        "agent_capabilities",
        records=[
            (a, "analysis", f"1.{v}.0", json.dumps({"depth": v}))
            for a in ids
            for v in range(CAPABILITY_VERSIONS)
        ],
        columns=["agent_id", "name", "version", "parameters"],
    )
    await conn.copy_records_to_table(
        "agent_metrics",
        records=[
            (
                a,
                f"metric_{p % 4}",
                float(p),
                "ms",
                json.dumps({"region": "eu"}),
                now - timedelta(seconds=p),
            )
            for a in ids
            for p in range(METRIC_POINTS)
        ],
        columns=["agent_id", "name", "value", "unit", "tags", "recorded_at"],
    )
    return project


async def load_fleets(dsn: str, owner_email: str, sizes: list[int]) -> dict[int, uuid.UUID]:
    """One fleet per size, owned by the (already registered) user ``owner_email``; then ANALYZE.
    Returns each size's project id."""
    conn = await asyncpg.connect(dsn)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", owner_email)
        if owner is None:
            raise RuntimeError(f"the bench user {owner_email} was not registered")
        projects = {size: await load_fleet(conn, owner, size) for size in sizes}
        await conn.execute("ANALYZE")
        return projects
    finally:
        await conn.close()
