"""The floor: the fleet query's rows in one hand-written statement whose JSON PostgreSQL builds
(what PostGraphile does, without any GraphQL). It has no HTTP: it is measured from this process
through asyncpg, with as many connections as the servers get clients."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import asyncpg

from bench.load import LoadResult

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


async def floor_answer(dsn: str, project: uuid.UUID) -> dict[str, Any]:
    """The floor's JSON for ``project``, parsed (for the row check)."""
    conn = await asyncpg.connect(dsn)
    try:
        answer: dict[str, Any] = json.loads(await conn.fetchval(FLOOR, project))
        return answer
    finally:
        await conn.close()


async def run_floor(
    dsn: str,
    project: uuid.UUID,
    clients: int,
    seconds: float,
    until_responses: int = 0,
    min_seconds: float = 0.0,
) -> LoadResult:
    """``clients`` connections each running the floor back to back for ``seconds``, or only until
    ``until_responses`` are back once ``min_seconds`` have passed (as LoadGenerator.drive)."""
    pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
    try:
        deadline = time.perf_counter() + seconds
        enough_at = time.perf_counter() + min_seconds
        latencies: list[float] = []

        def more() -> bool:
            now = time.perf_counter()
            done = until_responses and len(latencies) >= until_responses and now >= enough_at
            return now < deadline and not done

        async def client() -> None:
            async with pool.acquire() as conn:
                while more():
                    started = time.perf_counter()
                    # JSON text, passed on unparsed, as a server would send it
                    await conn.fetchval(FLOOR, project)
                    latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return LoadResult(latencies, time.perf_counter() - started)
    finally:
        await pool.close()
