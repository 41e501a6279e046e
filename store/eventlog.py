"""The durable event log, and the NOTIFY that announces it (SPEC §6, §7).

Events are appended at the END of a write transaction, after every row lock it needs, under a
transaction-scoped advisory lock held until commit. That makes ``seq`` order commit order: a
transaction can only take the next seq after the previous event-writer is visible to everyone,
so a client resuming "after seq N" can never miss a lower seq committed later (the hole of
hasura/graphql-engine#8632). The same transaction issues pg_notify, which PostgreSQL delivers
only on commit and never for a rollback. All of it (the lock, the events, their transitions,
the notifications) is one statement: event writers wait on each other for one round trip and
the commit, not for four.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import AgentHealth, EventKind, LiveEvent
from domain.lifecycle import AgentStatus
from domain.records import StatusTransition
from store.database import dumps
from store.instruments import EVENTS_APPENDED
from store.tables import events

EVENTS_CHANNEL = "agentgraph_events"
HEARTBEATS_CHANNEL = "agentgraph_heartbeats"
# Beats announced in one NOTIFY on HEARTBEATS_CHANNEL: {"beats": [[agent, project, at], ...]}.
# A beat takes at most 120 bytes of the payload (two UUIDs, a timestamp with its offset, JSON
# punctuation): 50 stay well inside PostgreSQL's 8,000-byte limit on a payload.
BEATS_PER_NOTIFY = 50
# Any constant works; every process appending events must use the same one.
EVENT_APPEND_LOCK = 7_301_845_113


@dataclass(frozen=True)
class TransitionRecord:
    from_status: str | None
    to_status: str
    reason: str | None
    actor: str


@dataclass(frozen=True)
class NewEvent:
    kind: EventKind
    agent_id: uuid.UUID
    project_id: uuid.UUID
    data: Mapping[str, Any] = field(default_factory=dict)
    transition: TransitionRecord | None = None


@dataclass(frozen=True, slots=True)
class Appended:
    """What ``append`` wrote: the events' cursors, in order, and the transitions it recorded."""

    seqs: list[int]
    transitions: list[StatusTransition]


# NOTIFY payloads are limited to 8000 bytes; ours carry ids, the cursor and the event's small
# data dict. Should data ever be large, it is left out and readers fetch the row by seq.
MAX_INLINE_DATA = 4000
# A transition rides along (its reason up to this many bytes), so live subscribers need not
# read it back.
MAX_INLINE_REASON = 2000


def health_changes(
    agents: Sequence[tuple[uuid.UUID, uuid.UUID]], health: AgentHealth
) -> list[NewEvent]:
    """HEALTH_CHANGED events for (agent id, project id) pairs."""
    return [
        NewEvent(EventKind.HEALTH_CHANGED, agent_id, project_id, {"health": health.value})
        for agent_id, project_id in agents
    ]


# The whole append in one statement: the lock, the events, their transitions and their NOTIFYs.
# The events' rows are drawn from the lock's (so their seqs are taken under it), in the order
# given; a transition finds its event by position (row_number over seq: seqs are taken in row
# order); the main query announces each event, in seq order, with its transition if any.
_APPEND = text(
    """
    WITH locked AS (SELECT pg_advisory_xact_lock(:lock) AS held),
    given AS (
        SELECT * FROM unnest(
            CAST(:kinds AS text[]), CAST(:agent_ids AS uuid[]), CAST(:project_ids AS uuid[]),
            CAST(:datas AS text[]), CAST(:inline AS boolean[]), CAST(:froms AS text[]),
            CAST(:tos AS text[]), CAST(:reasons AS text[]), CAST(:actors AS text[])
        ) WITH ORDINALITY AS g(kind, agent_id, project_id, data, inline, from_status, to_status,
                               reason, actor, ord)
    ),
    inserted AS (
        INSERT INTO events (kind, agent_id, project_id, data)
        SELECT g.kind, g.agent_id, g.project_id, CAST(g.data AS jsonb)
        FROM given AS g CROSS JOIN locked
        ORDER BY g.ord
        RETURNING seq, at, kind, agent_id, project_id
    ),
    numbered AS (
        SELECT i.*, row_number() OVER (ORDER BY i.seq) AS ord FROM inserted AS i
    ),
    recorded AS (
        INSERT INTO status_transitions (seq, agent_id, from_status, to_status, reason, actor)
        SELECT n.seq, n.agent_id, g.from_status, g.to_status, g.reason, g.actor
        FROM numbered AS n JOIN given AS g ON g.ord = n.ord
        WHERE g.to_status IS NOT NULL
        ORDER BY n.seq
        RETURNING id, seq, agent_id, from_status, to_status, reason, actor, at
    )
    SELECT n.seq, n.at, r.id AS transition_id, r.from_status, r.to_status, r.reason, r.actor,
           r.at AS transition_at,
           pg_notify(:channel, CAST(
               jsonb_build_object(
                   'seq', n.seq, 'kind', n.kind, 'agent', n.agent_id,
                   'project', n.project_id, 'at', n.at
               )
               || CASE WHEN g.inline THEN jsonb_build_object('data', CAST(g.data AS jsonb))
                       ELSE '{}'::jsonb END
               || CASE WHEN r.id IS NULL OR octet_length(coalesce(r.reason, '')) > :max_reason
                       THEN '{}'::jsonb
                       ELSE jsonb_build_object('transition', jsonb_build_object(
                           'id', r.id, 'from', r.from_status, 'to', r.to_status,
                           'reason', r.reason, 'actor', r.actor, 'at', r.at))
                  END
           AS text)) AS notified
    FROM numbered AS n
    JOIN given AS g ON g.ord = n.ord
    LEFT JOIN recorded AS r ON r.seq = n.seq
    ORDER BY n.seq
    """
)


async def append(conn: AsyncConnection, new_events: Sequence[NewEvent]) -> Appended:
    """Append ``new_events`` (in order) with their transitions; announce them on commit. One
    statement (``_APPEND``): the advisory lock is held from it to the commit, nothing longer.

    Call it last in the transaction: it serializes event writers until this one commits.
    """
    if not new_events:
        return Appended(seqs=[], transitions=[])
    datas = [dumps(dict(e.data)) for e in new_events]
    moves = [e.transition for e in new_events]
    rows = (
        await conn.execute(
            _APPEND,
            {
                "lock": EVENT_APPEND_LOCK,
                "channel": EVENTS_CHANNEL,
                "max_reason": MAX_INLINE_REASON,
                "kinds": [e.kind.value for e in new_events],
                "agent_ids": [e.agent_id for e in new_events],
                "project_ids": [e.project_id for e in new_events],
                "datas": datas,
                "inline": [len(d) <= MAX_INLINE_DATA for d in datas],
                "froms": [m.from_status if m else None for m in moves],
                "tos": [m.to_status if m else None for m in moves],
                "reasons": [m.reason if m else None for m in moves],
                "actors": [m.actor if m else None for m in moves],
            },
        )
    ).all()
    recorded = [
        StatusTransition(
            id=row.transition_id,
            seq=row.seq,
            agent_id=event.agent_id,
            from_status=AgentStatus(row.from_status) if row.from_status else None,
            to_status=AgentStatus(row.to_status),
            reason=row.reason,
            actor=row.actor,
            at=row.transition_at,
        )
        for row, event in zip(rows, new_events, strict=True)
        if row.transition_id is not None
    ]
    conn.info[EVENTS_APPENDED] = conn.info.get(EVENTS_APPENDED, 0) + len(rows)
    return Appended(seqs=[row.seq for row in rows], transitions=recorded)


def _transition(raw: dict[str, Any], seq: int, agent_id: uuid.UUID) -> StatusTransition:
    return StatusTransition(
        id=uuid.UUID(raw["id"]),
        seq=seq,
        agent_id=agent_id,
        from_status=AgentStatus(raw["from"]) if raw["from"] else None,
        to_status=AgentStatus(raw["to"]),
        reason=raw["reason"],
        actor=raw["actor"],
        at=datetime.fromisoformat(raw["at"]),
    )


def parse_heartbeats(payload: str) -> list[LiveEvent]:
    """The heartbeats a NOTIFY payload on HEARTBEATS_CHANNEL announces: a batch of them (see
    BEATS_PER_NOTIFY), or one (how a process of an earlier version announces each)."""
    raw = json.loads(payload)
    if "beats" not in raw:
        return [parse_notification(payload)]
    return [
        LiveEvent(
            kind=EventKind.HEARTBEAT,
            agent_id=uuid.UUID(agent),
            project_id=uuid.UUID(project),
            at=datetime.fromisoformat(at),
        )
        for agent, project, at in raw["beats"]
    ]


def parse_notification(payload: str) -> LiveEvent:
    """The event a NOTIFY payload announces (heartbeats carry no seq: they are not kept), with
    its transition when the NOTIFY carried it."""
    raw = json.loads(payload)
    if "seq" not in raw:
        return LiveEvent(
            kind=EventKind.HEARTBEAT,
            agent_id=uuid.UUID(raw["agent"]),
            project_id=uuid.UUID(raw["project"]),
            at=datetime.fromisoformat(raw["at"]),
        )
    seq, agent_id = int(raw["seq"]), uuid.UUID(raw["agent"])
    move = raw.get("transition")
    return LiveEvent(
        kind=EventKind(raw["kind"]),
        agent_id=agent_id,
        project_id=uuid.UUID(raw["project"]),
        at=datetime.fromisoformat(raw["at"]),
        seq=seq,
        data=raw.get("data") or {},
        complete="data" in raw,
        transition=_transition(move, seq, agent_id) if move else None,
    )


def _event(row: Row[Any]) -> LiveEvent:
    return LiveEvent(
        kind=EventKind(row.kind),
        agent_id=row.agent_id,
        project_id=row.project_id,
        at=row.at,
        seq=row.seq,
        data=row.data or {},
    )


async def _events(conn: AsyncConnection, query: Any) -> list[LiveEvent]:
    return [_event(row) for row in await conn.execute(query)]


async def events_after(conn: AsyncConnection, after: int, limit: int = 1000) -> list[LiveEvent]:
    """Durable events with seq > ``after``, in order (replay and gap filling)."""
    return await _events(
        conn, select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
    )


async def last_seq(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.coalesce(func.max(events.c.seq), 0)))).scalar_one())


async def events_between(conn: AsyncConnection, after: int, upto: int) -> list[LiveEvent]:
    """Durable events with after < seq < upto, in order (filling a gap in what was heard)."""
    query = select(events).where(events.c.seq > after, events.c.seq < upto).order_by(events.c.seq)
    return await _events(conn, query)


async def events_by_seqs(conn: AsyncConnection, seqs: Sequence[int]) -> list[LiveEvent]:
    return await _events(conn, select(events).where(events.c.seq.in_(seqs)))


async def replay(
    conn: AsyncConnection,
    *,
    after: int,
    project_ids: Sequence[uuid.UUID] | None,
    agent_id: uuid.UUID | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> list[LiveEvent]:
    """One page of durable events after a cursor for a subscriber, oldest first.

    ``project_ids`` None means every project (superusers); visibility is the caller's filter.
    """
    query = select(events).where(events.c.seq > after)
    if project_ids is not None:
        query = query.where(events.c.project_id.in_(project_ids))
    if agent_id is not None:
        query = query.where(events.c.agent_id == agent_id)
    if kinds:
        query = query.where(events.c.kind.in_(kinds))
    return await _events(conn, query.order_by(events.c.seq).limit(limit))
