"""One lifecycle move of an agent inside a caller's transaction: the rule, the row, the event.

Every status change (bare mutations and execution/approval flow alike) goes through
``move_agent``, so the history is always a chain: the agent row is locked by the caller, the
pure table decides, and the StatusTransition is written with its event by ``eventlog.append``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import Conflict
from domain.events import EventKind
from domain.lifecycle import AgentStatus, Trigger, next_status
from domain.records import Agent
from store import agent_writes
from store.database import DatabaseConnection
from store.eventlog import NewEvent, TransitionRecord


@dataclass(frozen=True)
class Move:
    agent: Agent
    event: NewEvent | None


def check_revision(agent: Agent, expected: int | None) -> None:
    """Optimistic concurrency: CONFLICT when the caller saw an older (or newer) revision."""
    if expected is not None and agent.revision != expected:
        raise Conflict(
            f"Agent revision is {agent.revision}, not the expected {expected}; reload and retry.",
            currentRevision=agent.revision,
        )


async def move_agent(
    conn: DatabaseConnection,
    agent: Agent,
    trigger: Trigger,
    *,
    actor: str,
    reason: str | None = None,
    extra: Mapping[str, Any] | None = None,
    follow_pause: bool = False,
) -> Move:
    """Apply ``trigger`` to the locked ``agent``; return the agent as moved and its STATUS_CHANGED event.

    With ``follow_pause``, a PAUSED agent does not move: the move is applied to where it will
    resume (paused_from), so an approval decided during a pause resumes into the right status.
    """
    current = AgentStatus(agent.status)
    values: dict[str, Any] = dict(extra or {})
    if follow_pause and current is AgentStatus.PAUSED:
        resume_to = AgentStatus(agent.paused_from or AgentStatus.IDLE)
        values["paused_from"] = next_status(resume_to, trigger).value
        moved = await agent_writes.update_agent(conn, agent.id, values)
        return Move(moved, None)
    target = next_status(current, trigger, paused_from=_paused_from(agent))
    values["status"] = target.value
    if trigger is Trigger.PAUSE:
        values["paused_from"] = current.value
    elif current is AgentStatus.PAUSED:
        values["paused_from"] = None
    moved = await agent_writes.update_agent(conn, agent.id, values)
    event = NewEvent(
        kind=EventKind.STATUS_CHANGED,
        agent_id=agent.id,
        project_id=agent.project_id,
        data={"from": current.value, "to": target.value},
        transition=TransitionRecord(current.value, target.value, reason, actor),
    )
    return Move(moved, event)


def _paused_from(agent: Agent) -> AgentStatus | None:
    return AgentStatus(agent.paused_from) if agent.paused_from else None


def spawned_event(agent: Agent, actor: str) -> NewEvent:
    """The first transition of every agent: (none) → IDLE."""
    return NewEvent(
        kind=EventKind.STATUS_CHANGED,
        agent_id=agent.id,
        project_id=agent.project_id,
        data={"from": None, "to": AgentStatus.IDLE.value},
        transition=TransitionRecord(None, AgentStatus.IDLE.value, "spawned", actor),
    )
