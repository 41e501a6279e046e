"""Heartbeats from agent runtimes: a whole batch in one statement."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import Viewer
from domain.records import AppliedHeartbeat
from store.database import dumps
from store.eventlog import HEARTBEATS_CHANNEL
from store.rows import fetch_all
from store.scopes import visible_agents
from store.tables import agents, projects

# One statement for a whole batch: move each visible agent's heartbeat forward (never back),
# fold the reported usage into its state, and publish one NOTIFY per beat (delivered on commit).
# Beats for agents the caller may not see simply match no row; the caller compares counts.
_HEARTBEATS = text(
    f"""
WITH beat AS (
    SELECT * FROM jsonb_to_recordset(:beats) AS b(
        agent_id uuid, at timestamptz, resource_usage jsonb,
        active_workflows jsonb, current_workflow text, has_workflow boolean)
), latest AS (
    SELECT DISTINCT ON (agent_id) * FROM beat ORDER BY agent_id, at DESC
), moved AS (
    UPDATE agents AS a
       SET last_heartbeat_at = GREATEST(COALESCE(a.last_heartbeat_at, l.at), l.at)
      FROM latest AS l, projects AS p
     WHERE a.id = l.agent_id AND p.id = a.project_id AND (:superuser OR p.owner_id = :user_id OR a.id = :agent_id)
    RETURNING a.id, a.project_id, a.last_heartbeat_at, a.reported_health
), state AS (
    UPDATE agent_states AS s
       SET resource_usage = COALESCE(l.resource_usage, s.resource_usage),
           active_workflows = COALESCE(l.active_workflows, s.active_workflows),
           current_workflow = CASE WHEN l.has_workflow THEN l.current_workflow ELSE s.current_workflow END,
           updated_at = now()
      FROM latest AS l, moved AS m
     WHERE s.agent_id = l.agent_id AND m.id = l.agent_id
)
SELECT m.id AS agent_id, m.project_id, m.last_heartbeat_at, m.reported_health,
       pg_notify('{HEARTBEATS_CHANNEL}', json_build_object(
           'agent', m.id, 'project', m.project_id, 'at', m.last_heartbeat_at)::text)
  FROM moved AS m
"""
).bindparams(bindparam("beats", type_=JSONB))


async def apply_heartbeats(
    conn: AsyncConnection, viewer: Viewer, beats: Sequence[Mapping[str, Any]]
) -> list[AppliedHeartbeat]:
    """Apply heartbeats; one record per agent that was visible and updated."""
    agent_ids = sorted({beat["agent_id"] for beat in beats})
    if len(agent_ids) > 1:
        # Several rows: lock them in id order first, so two overlapping batches (or a batch and
        # the sweeper) queue behind each other instead of deadlocking.
        await conn.execute(
            select(agents.c.id)
            .select_from(agents.join(projects, projects.c.id == agents.c.project_id))
            .where(agents.c.id.in_(agent_ids), visible_agents(viewer))
            .order_by(agents.c.id)
            .with_for_update(key_share=True, of=agents)  # FOR NO KEY UPDATE OF agents
        )
    return await fetch_all(
        conn,
        AppliedHeartbeat,
        _HEARTBEATS,
        {
            "beats": json.loads(dumps(list(beats))),
            "superuser": viewer.is_superuser,
            "user_id": viewer.user_id or uuid.UUID(int=0),
            "agent_id": viewer.agent_id or uuid.UUID(int=0),
        },
    )
