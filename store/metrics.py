"""Metric reads: raw points (newest first), time buckets and summaries, batched per agent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Double, Select, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.metrics import MetricAggregate
from domain.records import AgentMetric, MetricBucket, MetricSummary
from store.database import Database, DatabaseConnection
from store.keyset import Keyset, Page, counts_per_parent, pages_per_parent
from store.rows import fetch_all, fetch_per_parent, to_record
from store.tables import metrics


@dataclass(frozen=True)
class MetricFilter:
    name: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # JSON text of an object the point's tags must contain (@>, served by the GIN index).
    tags_json: str | None = None


def _filtered(query: Select[Any], flt: MetricFilter) -> Select[Any]:
    if flt.name is not None:
        query = query.where(metrics.c.name == flt.name)
    if flt.since is not None:
        query = query.where(metrics.c.recorded_at >= flt.since)
    if flt.until is not None:
        query = query.where(metrics.c.recorded_at <= flt.until)
    if flt.tags_json is not None:
        query = query.where(metrics.c.tags.op("@>")(cast(literal(flt.tags_json), JSONB)))
    return query


METRIC_KEYS: list[ColumnElement[Any]] = [metrics.c.recorded_at, metrics.c.id]


async def pages_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], flt: MetricFilter, keyset: Keyset
) -> dict[uuid.UUID, Page[AgentMetric]]:
    """Newest-first points per agent, one page each, in one statement."""
    query = _filtered(select(metrics), flt)
    return await pages_per_parent(
        conn,
        AgentMetric,
        query,
        metrics.c.agent_id,
        agent_ids,
        METRIC_KEYS,
        keyset,
        descending=True,
    )


async def counts_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], flt: MetricFilter
) -> dict[uuid.UUID, int]:
    return await counts_per_parent(
        conn, _filtered(select(metrics), flt), metrics.c.agent_id, agent_ids
    )


def _latest(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` of the newest point in the group (ties: the later insert)."""
    newest_first = aggregate_order_by(column, metrics.c.recorded_at.desc(), metrics.c.id.desc())
    return func.array_agg(newest_first)[1]


def _aggregate(aggregate: MetricAggregate) -> ColumnElement[Any]:
    value = metrics.c.value
    if aggregate is MetricAggregate.LAST:
        return _latest(value)
    return {
        MetricAggregate.AVG: func.avg(value),
        MetricAggregate.MIN: func.min(value),
        MetricAggregate.MAX: func.max(value),
        MetricAggregate.SUM: func.sum(value),
        MetricAggregate.COUNT: func.count(value),
    }[aggregate]


@dataclass(frozen=True)
class SeriesQuery:
    name: str
    since: datetime
    until: datetime
    bucket_seconds: int
    aggregate: MetricAggregate


async def series_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], q: SeriesQuery
) -> dict[uuid.UUID, list[MetricBucket]]:
    """Buckets of ``bucket_seconds`` aligned on ``since``; empty buckets are simply absent."""
    bucket = func.date_bin(
        func.make_interval(0, 0, 0, 0, 0, 0, q.bucket_seconds), metrics.c.recorded_at, q.since
    ).label("bucket")
    query = (
        select(
            metrics.c.agent_id,
            bucket,
            cast(_aggregate(q.aggregate), Double).label("value"),
            func.count().label("count"),
        )
        .where(
            metrics.c.agent_id.in_(agent_ids),
            metrics.c.name == q.name,
            metrics.c.recorded_at >= q.since,
            metrics.c.recorded_at < q.until,
        )
        .group_by(metrics.c.agent_id, bucket)
        .order_by(metrics.c.agent_id, bucket)
    )
    return await fetch_per_parent(conn, MetricBucket, query, agent_ids, "agent_id")


async def summaries_for_agents(
    conn: AsyncConnection, agent_ids: Sequence[uuid.UUID], flt: MetricFilter
) -> dict[uuid.UUID, MetricSummary | None]:
    """Count, mean, extremes, sum and latest point per agent; None for agents without points."""
    value = metrics.c.value
    query = _filtered(
        select(
            metrics.c.agent_id,
            func.count().label("count"),
            func.avg(value).label("avg"),
            func.min(value).label("min"),
            func.max(value).label("max"),
            func.sum(value).label("sum"),
            _latest(value).label("last"),
            func.max(metrics.c.recorded_at).label("last_at"),
        ).where(metrics.c.agent_id.in_(agent_ids)),
        flt,
    ).group_by(metrics.c.agent_id)
    found = {row.agent_id: to_record(MetricSummary, row) for row in await conn.execute(query)}
    return {agent_id: found.get(agent_id) for agent_id in agent_ids}


async def metrics_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> list[AgentMetric]:
    return await fetch_all(conn, AgentMetric, select(metrics).where(metrics.c.id.in_(ids)))


# One statement for a whole batch (its own transaction): the agent, when the viewer may see it,
# then every point from one JSON array (json_to_recordset), so the statement's text and its
# parameters are the same for 1 point or 1,000 — nothing to compile or bind per row, and one
# orjson call instead of an array a column. ``json``, not ``jsonb``: each number reaches float8's
# input as orjson wrote it (shortest round-trip text), so -0.0 and 1e100 are stored bit for bit
# (jsonb would pass through numeric, which has no -0). The insert's check of its agent (once a
# statement, by a trigger: migration 0006) takes KEY SHARE on the agent, as a foreign key
# would: a delete waits or wins.
_INSERT_POINTS = """
WITH agent AS (
    SELECT a.id FROM agents AS a JOIN projects AS p ON p.id = a.project_id
     WHERE a.id = $1::uuid AND ($2::boolean OR p.owner_id = $3::uuid OR a.id = $4::uuid)
), written AS (
    INSERT INTO agent_metrics (agent_id, name, value, metric_type, unit, tags, recorded_at)
    SELECT agent.id, point.name, point.value, point.metric_type, point.unit,
           coalesce(point.tags, '{}'), coalesce(point.recorded_at, $6::timestamptz)
      FROM agent,
           json_to_recordset($5::json) AS point(
               name text, value float8, metric_type text, unit text, tags jsonb,
               recorded_at timestamptz
           )
    RETURNING 1
)
SELECT (SELECT count(*) FROM agent) AS visible, (SELECT count(*) FROM written) AS written
"""


async def insert_points(
    database: Database,
    conn: DatabaseConnection,
    viewer: Viewer,
    agent_id: uuid.UUID,
    points: Sequence[Any],
    now: datetime,
) -> int | None:
    """Insert an agent's points in one statement; how many, or None when the viewer may not
    see the agent (nothing is written then). Each point is what orjson writes as an object of
    ``name``, ``value`` (a float), ``metric_type``, ``unit``, ``tags`` (an object or None: {})
    and ``recorded_at`` (a datetime in UTC, or None: ``now``) — a dataclass, or a dict; other
    keys are ignored."""
    rows = await database.fetch_raw(
        conn,
        _INSERT_POINTS,
        [
            agent_id,
            viewer.is_superuser,
            viewer.user_id or uuid.UUID(int=0),
            viewer.agent_id or uuid.UUID(int=0),
            orjson.dumps(points).decode(),
            now,
        ],
    )
    visible, written = rows[0]
    return int(written) if visible else None
