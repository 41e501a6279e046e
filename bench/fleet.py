"""The nested fleet query (SPEC §10): a dashboard's page of 100 agents with their state, configs,
capabilities and last 10 metrics — latency, requests/s and SQL statements per request at
N = 10, 100 and 1,000 agents, against the floor: the same data from one hand-written query.

Runs on a database of its own (an embedded PostgreSQL in a temporary directory) and prints a
table; the JSON goes to bench/results/fleet.json. The machine is shared: read medians, not means.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from agentgraph.bootstrap import create_app, tune_garbage_collection
from agentgraph.embedded_db import embedded_server, start_embedded_postgres
from agentgraph.migrate import upgrade_async
from agentgraph.settings import Settings
from tests.support.sql_counter import StatementCounter
from usecases.credentials.tokens import issue_access_token

FLEET = """
query Fleet($project: ID!) {
  project(id: $project) {
    agents(first: 100) {
      totalCount
      edges { node {
        id name status health revision lastHeartbeatAt
        state { currentWorkflow workflowData resourceUsage errorCount }
        configs { key value valueType typedValue }
        capabilities { name version enabled parameters }
        metrics(first: 10) { edges { node { name value unit tags recordedAt } } }
      } }
    }
  }
}
"""

# The floor: the same data in one statement, JSON built by PostgreSQL (what PostGraphile does).
FLOOR = """
SELECT json_build_object('totalCount', (SELECT count(*) FROM agents WHERE project_id = $1),
  'agents', coalesce(json_agg(page ORDER BY page.created_at, page.id), '[]'))
FROM (
  SELECT a.id, a.name, a.status, a.revision, a.last_heartbeat_at, a.created_at,
    (SELECT json_build_object('currentWorkflow', s.current_workflow, 'workflowData', s.workflow_data,
       'resourceUsage', s.resource_usage, 'errorCount', s.error_count)
       FROM agent_states s WHERE s.agent_id = a.id) AS state,
    (SELECT coalesce(json_agg(json_build_object('key', c.key, 'value', c.value, 'valueType', c.value_type)
       ORDER BY c.key), '[]') FROM agent_configs c WHERE c.agent_id = a.id) AS configs,
    (SELECT coalesce(json_agg(json_build_object('name', x.name, 'version', x.version, 'enabled', x.enabled,
       'parameters', x.parameters)), '[]') FROM agent_capabilities x WHERE x.agent_id = a.id) AS capabilities,
    (SELECT coalesce(json_agg(json_build_object('name', m.name, 'value', m.value, 'unit', m.unit,
       'tags', m.tags, 'recordedAt', m.recorded_at)), '[]')
       FROM (SELECT * FROM agent_metrics m WHERE m.agent_id = a.id
             ORDER BY m.recorded_at DESC, m.id DESC LIMIT 10) m) AS metrics
  FROM agents a WHERE a.project_id = $1 ORDER BY a.created_at, a.id LIMIT 100
) page
"""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


async def load_fleet(conn: asyncpg.Connection, agents: int) -> tuple[uuid.UUID, uuid.UUID]:
    """N agents, each with 12 configs, 3 capability versions and 200 metric points (COPY)."""
    owner = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, password_hash, is_superuser) VALUES ($1, $2, 'x', false)",
        owner, f"{owner.hex[:8]}@bench.example",
    )  # fmt: skip
    agent_type = await conn.fetchval(
        "INSERT INTO agent_types (name, slug, personality_prompt, primary_model) "
        "VALUES ('Bench', $1, 'p', 'm') RETURNING id",
        f"bench-{owner.hex[:8]}",
    )
    project = await conn.fetchval(
        "INSERT INTO projects (name, slug, owner_id) VALUES ('Bench', $1, $2) RETURNING id",
        f"bench-{owner.hex[:8]}", owner,
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
        records=[(a, f"key_{k:02d}", str(k * 10), "integer") for a in ids for k in range(12)],
        columns=["agent_id", "key", "value", "value_type"],
    )
    await conn.copy_records_to_table(
        "agent_capabilities",
        records=[
            (a, "analysis", f"1.{v}.0", json.dumps({"depth": v})) for a in ids for v in range(3)
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
            for p in range(200)
        ],
        columns=["agent_id", "name", "value", "unit", "tags", "recorded_at"],
    )
    await conn.execute("ANALYZE")
    return owner, project


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(call: Any, seconds: float) -> list[float]:
    """Sequential calls for ``seconds`` (after a warm-up); latencies in ms."""
    for _ in range(3):
        await call()
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 10:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run(sizes: list[int], seconds: float) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="agentgraph-bench-"))
    log(f"starting a PostgreSQL of its own in {workdir}")
    url = start_embedded_postgres(workdir / "pg", "bench")
    await upgrade_async(url)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    settings = Settings(database_url=url, data_dir=workdir, secret_key="bench-secret-" + "x" * 40)
    app = create_app(settings, database_url=url)
    tune_garbage_collection()  # as `agentgraph serve` does
    rows = []
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                conn = await asyncpg.connect(dsn)
                try:
                    for size in sizes:
                        log(f"loading {size} agents (12 configs, 3 capabilities, 200 points each)")
                        owner, project = await load_fleet(conn, size)
                        token = issue_access_token(settings.secret_key or "", owner, ttl_s=3600)
                        rows.append(
                            await _measure_size(
                                app, http, conn, size, owner, project, token, seconds
                            )
                        )
                finally:
                    await conn.close()
    finally:
        await app.state.services.database.dispose()
        embedded_server(workdir / "pg").cleanup()
    return rows


async def _measure_size(
    app: Any, http: httpx.AsyncClient, conn: asyncpg.Connection, size: int,
    owner: uuid.UUID, project: uuid.UUID, token: str, seconds: float,
) -> dict[str, Any]:  # fmt: skip
    from gql.ids import to_global_id

    variables = {"project": to_global_id("Project", project)}
    headers = {"Authorization": f"Bearer {token}"}

    async def graphql() -> None:
        response = await http.post(
            "/graphql", json={"query": FLEET, "variables": variables}, headers=headers
        )
        body = response.json()
        assert "errors" not in body, body["errors"]

    async def floor() -> None:
        await conn.fetchval(FLOOR, project)

    with StatementCounter(app.state.services.database.engine) as counter:
        await graphql()
        statements = counter.count
    log(f"N={size}: GraphQL for {seconds:.0f}s")
    ours = await measure(graphql, seconds)
    log(f"N={size}: hand-written SQL for {seconds:.0f}s")
    base = await measure(floor, seconds)
    p50, base_p50 = statistics.median(ours), statistics.median(base)
    return {
        "agents": size,
        "requests_per_s": round(1000 / p50, 1),
        "p50_ms": round(p50, 2),
        "p99_ms": round(percentile(ours, 0.99), 2),
        "statements": statements,
        "floor_p50_ms": round(base_p50, 2),
        "ratio_to_floor": round(p50 / base_p50, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    args = parser.parse_args()
    rows = asyncio.run(run([int(s) for s in args.sizes.split(",")], args.seconds))
    header = f"{'agents':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL/req':>8} {'floor p50':>10} {'x floor':>8}"
    print("nested fleet query (100 agents with state, 12 configs, 3 capabilities, last 10 metrics)")
    print(header)
    for r in rows:
        print(
            f"{r['agents']:>7} {r['requests_per_s']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['statements']:>8} {r['floor_p50_ms']:>10} {r['ratio_to_floor']:>8}"
        )
    out = Path(__file__).parent / "results" / "fleet.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"fleet": rows, "at": datetime.now(UTC).isoformat()}, indent=2))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
