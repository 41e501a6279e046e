"""Heartbeats from agent runtimes: a whole batch in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from domain.access import Viewer
from domain.events import AgentHealth
from domain.records import AppliedHeartbeat
from store.database import Database, DatabaseConnection
from store.eventlog import BEATS_PER_NOTIFY, HEARTBEATS_CHANNEL

# One statement for a whole batch, all or nothing: lock each visible agent's row in id order (so
# two overlapping batches, or a batch and the sweeper, queue behind each other instead of
# deadlocking); then, only when every agent named is visible — and, unless $5 allows it, none
# is reported STALE (its recovery needs an event in the same transaction) — move each heartbeat
# forward (never back), fold the reported usage into its state, and announce the beats applied,
# up to BEATS_PER_NOTIFY in one NOTIFY (delivered on commit; store/eventlog.parse_heartbeats
# reads them). A row per visible agent says whether it was applied.
#
# The agents are looked up through their primary key, with the ids as one array: the planner
# cannot know how many rows jsonb_to_recordset makes (it guesses 100), and for ``IN (SELECT …)``
# it read every agent of the database instead (a hash join) — 4 to 5 ms a single beat with
# 10,000 agents, against 0.3 to 0.5 ms this way.
#
# Without STALE agents ($5 false) the statement is its own transaction and commits
# asynchronously (synchronous_commit off, for this transaction only): commits that NOTIFY queue
# behind one another through the WAL flush, so at one flush each, beats would be capped by the
# disk. A database crash may lose the last fraction of a second of beats — the next ones come
# seconds later — never an event: recoveries ($5 true) commit synchronously with theirs.
_HEARTBEATS = f"""
WITH beat AS (
    SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS b(
        agent_id uuid, at timestamptz, resource_usage jsonb,
        active_workflows jsonb, current_workflow text, has_workflow boolean)
), latest AS (
    SELECT DISTINCT ON (agent_id) * FROM beat ORDER BY agent_id, at DESC
), locked AS MATERIALIZED (
    SELECT a.id, a.reported_health FROM agents AS a JOIN projects AS p ON p.id = a.project_id
     WHERE a.id = ANY(ARRAY(SELECT agent_id FROM latest))
       AND ($2::boolean OR p.owner_id = $3::uuid OR a.id = $4::uuid)
     ORDER BY a.id
       FOR NO KEY UPDATE OF a
), go AS (
    SELECT (SELECT count(*) FROM locked) = (SELECT count(*) FROM latest)
       AND ($5::boolean OR NOT EXISTS (SELECT FROM locked WHERE reported_health = 'stale')) AS ok,
       CASE WHEN NOT $5::boolean THEN set_config('synchronous_commit', 'off', true) END AS async
), moved AS (
    UPDATE agents AS a
       SET last_heartbeat_at = GREATEST(COALESCE(a.last_heartbeat_at, l.at), l.at)
      FROM latest AS l, locked AS k, go
     WHERE a.id = l.agent_id AND k.id = a.id AND go.ok
    RETURNING a.id, a.project_id, a.last_heartbeat_at, a.reported_health
), state AS (
    UPDATE agent_states AS s
       SET resource_usage = COALESCE(l.resource_usage, s.resource_usage),
           active_workflows = COALESCE(l.active_workflows, s.active_workflows),
           current_workflow = CASE WHEN l.has_workflow THEN l.current_workflow ELSE s.current_workflow END,
           updated_at = now()
      FROM latest AS l, moved AS m
     WHERE s.agent_id = l.agent_id AND m.id = l.agent_id
), announced AS MATERIALIZED (
    SELECT pg_notify('{HEARTBEATS_CHANNEL}',
                     '{{"beats":' || array_to_json(b.beats[i:i + {BEATS_PER_NOTIFY} - 1]) || '}}')
      FROM (SELECT array_agg(json_build_array(id, project_id, last_heartbeat_at)) AS beats
              FROM moved) AS b,
           generate_series(1, cardinality(b.beats), {BEATS_PER_NOTIFY}) AS i
)
SELECT k.id AS agent_id, k.reported_health AS locked_health, m.id IS NOT NULL AS applied,
       m.project_id, m.last_heartbeat_at, m.reported_health
  FROM locked AS k LEFT JOIN moved AS m ON m.id = k.id
 CROSS JOIN (SELECT count(*) FROM announced) AS announce
"""


@dataclass(frozen=True)
class HeartbeatOutcome:
    """What one statement did: the agents the viewer may see, and the beats applied (none
    unless every agent named is visible; none if one is STALE and recovery was not allowed)."""

    visible: frozenset[uuid.UUID]
    stale: frozenset[uuid.UUID]
    applied: list[AppliedHeartbeat]


async def apply_heartbeats(
    database: Database,
    conn: DatabaseConnection,
    viewer: Viewer,
    beats: Sequence[Mapping[str, Any]],
    *,
    with_stale: bool,
) -> HeartbeatOutcome:
    """Apply heartbeats in one statement on ``conn`` (``with_stale``: agents reported STALE
    too; the caller then records their recovery in the same transaction)."""
    rows = await database.fetch_raw(conn, _HEARTBEATS, _parameters(viewer, beats, with_stale))
    return _outcome(rows)


async def apply_heartbeats_alone(
    database: Database, viewer: Viewer, beats: Sequence[Mapping[str, Any]]
) -> HeartbeatOutcome:
    """Apply heartbeats in one statement that is its own transaction, sent to the driver
    (``Database.write_statement``); none if an agent is STALE (``apply_heartbeats`` with
    ``with_stale`` then, in a transaction with the recovery)."""
    parameters = _parameters(viewer, beats, False)
    if not isinstance(database, Database):
        # The demo loader's stand-in (agentgraph/demo.py) runs every use case in one outer
        # transaction of its own: the statement must go there, not to a pooled connection.
        async with database.statement() as conn:
            return _outcome(await database.fetch_raw(conn, _HEARTBEATS, parameters))
    return _outcome(await database.write_statement(_HEARTBEATS, parameters))


def _parameters(viewer: Viewer, beats: Sequence[Mapping[str, Any]], with_stale: bool) -> list[Any]:
    return [
        orjson.dumps(list(beats), default=str).decode(),  # asyncpg UUIDs too
        viewer.is_superuser,
        viewer.user_id or _NOBODY,
        viewer.agent_id or _NOBODY,
        with_stale,
    ]


_NOBODY = uuid.UUID(int=0)


def _outcome(rows: Sequence[Sequence[Any]]) -> HeartbeatOutcome:
    applied = [
        AppliedHeartbeat(
            agent_id=row[0],
            project_id=row[3],
            last_heartbeat_at=row[4],
            reported_health=None if row[5] is None else AgentHealth(row[5]),
        )
        for row in rows
        if row[2]
    ]
    return HeartbeatOutcome(
        visible=frozenset(row[0] for row in rows),
        stale=frozenset(row[0] for row in rows if row[1] == AgentHealth.STALE.value),
        applied=applied,
    )
