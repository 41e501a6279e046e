"""The durable event log, and the NOTIFY that announces it (SPEC §6, §7).

Events are appended at the END of a write transaction, after every row lock it needs, under a
transaction-scoped advisory lock held until commit. That makes ``seq`` order commit order: a
transaction can only take the next seq after the previous event-writer is visible to everyone,
so a client resuming "after seq N" can never miss a lower seq committed later (the hole of
hasura/graphql-engine#8632). The same transaction issues pg_notify, which PostgreSQL delivers
only on commit and never for a rollback.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text

from domain.events import AgentHealth, EventKind, LiveEvent
from domain.records import StatusTransition
from store.database import dumps
from store.instruments import EVENTS_APPENDED
from store.rows import fetch_all
from store.tables import events, transitions

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


def health_changes(
    agents: Sequence[tuple[uuid.UUID, uuid.UUID]], health: AgentHealth
) -> list[NewEvent]:
    """HEALTH_CHANGED events for (agent id, project id) pairs."""
    return [
        NewEvent(EventKind.HEALTH_CHANGED, agent_id, project_id, {"health": health.value})
        for agent_id, project_id in agents
    ]


def notify_payload(seq: int, at: datetime, event: NewEvent) -> str:
    payload: dict[str, Any] = {
        "seq": seq,
        "kind": event.kind.value,
        "agent": str(event.agent_id),
        "project": str(event.project_id),
        "at": at.isoformat(),
    }
    data = dumps(dict(event.data))
    if len(data) <= MAX_INLINE_DATA:
        payload["data"] = json.loads(data)
    return json.dumps(payload, separators=(",", ":"))


_NOTIFY_ALL = select(
    func.pg_notify(bindparam("channel"), func.unnest(bindparam("payloads", type_=ARRAY(Text))))
)


async def append(conn: AsyncConnection, new_events: Sequence[NewEvent]) -> Appended:
    """Append ``new_events`` (in order) with their transitions; announce them on commit.

    Call it last in the transaction: it serializes event writers until this one commits.
    """
    if not new_events:
        return Appended(seqs=[], transitions=[])
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_APPEND_LOCK})
    rows = await conn.execute(
        insert(events).returning(events.c.seq, events.c.at, sort_by_parameter_order=True),
        [
            {
                "kind": e.kind.value,
                "agent_id": e.agent_id,
                "project_id": e.project_id,
                "data": dict(e.data),
            }
            for e in new_events
        ],
    )
    inserted = list(rows)
    seqs = [row.seq for row in inserted]
    moves = [
        {
            "seq": seq,
            "agent_id": e.agent_id,
            "from_status": e.transition.from_status,
            "to_status": e.transition.to_status,
            "reason": e.transition.reason,
            "actor": e.transition.actor,
        }
        for seq, e in zip(seqs, new_events, strict=True)
        if e.transition is not None
    ]
    recorded = (
        await fetch_all(
            conn,
            StatusTransition,
            insert(transitions).returning(transitions, sort_by_parameter_order=True),
            moves,
        )
        if moves
        else []
    )
    payloads = [notify_payload(r.seq, r.at, e) for r, e in zip(inserted, new_events, strict=True)]
    await conn.execute(_NOTIFY_ALL, {"channel": EVENTS_CHANNEL, "payloads": payloads})
    conn.info[EVENTS_APPENDED] = conn.info.get(EVENTS_APPENDED, 0) + len(inserted)
    return Appended(seqs=seqs, transitions=recorded)


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
    """The event a NOTIFY payload announces (heartbeats carry no seq: they are not kept)."""
    raw = json.loads(payload)
    if "seq" not in raw:
        return LiveEvent(
            kind=EventKind.HEARTBEAT,
            agent_id=uuid.UUID(raw["agent"]),
            project_id=uuid.UUID(raw["project"]),
            at=datetime.fromisoformat(raw["at"]),
        )
    return LiveEvent(
        kind=EventKind(raw["kind"]),
        agent_id=uuid.UUID(raw["agent"]),
        project_id=uuid.UUID(raw["project"]),
        at=datetime.fromisoformat(raw["at"]),
        seq=int(raw["seq"]),
        data=raw.get("data") or {},
        complete="data" in raw,
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
