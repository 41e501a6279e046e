"""One lifecycle move of an agent inside a caller's transaction: the rule, the write, the event.

Every status change (bare mutations and execution/approval flow alike) goes through
``move_agent``, so the history is always a chain: the agent row is locked by the caller, the
pure table decides (``next_move``, the pause's bookkeeping included), and the StatusTransition is written with its event by ``eventlog.append``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import Conflict
from domain.events import EventKind
from domain.lifecycle import AgentStatus, Trigger, next_move
from domain.records import Agent
from store import agent_writes
from store.database import DatabaseConnection
from store.eventlog import NewEvent, TransitionRecord


@dataclass(frozen=True, slots=True)
class Moved:
    """The agent after a move, and the STATUS_CHANGED event recording it (None when the move
    only changed where a paused agent resumes to)."""

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
) -> Moved:
    """Apply ``trigger`` to the locked ``agent`` as the lifecycle table says (``next_move``).

    ``extra``: other agent columns written with the move (one write, one revision).
    """
    move = next_move(agent.status, agent.paused_from, trigger)
    values: dict[str, Any] = {
        **(extra or {}),
        "paused_from": move.paused_from.value if move.paused_from else None,
    }
    if not move.recorded:
        return Moved(await agent_writes.update_agent(conn, agent.id, values), None)
    values["status"] = move.status.value
    moved = await agent_writes.update_agent(conn, agent.id, values)
    event = NewEvent(
        kind=EventKind.STATUS_CHANGED,
        agent_id=agent.id,
        project_id=agent.project_id,
        data={"from": agent.status.value, "to": move.status.value},
        transition=TransitionRecord(agent.status.value, move.status.value, reason, actor),
    )
    return Moved(moved, event)


def spawned_event(agent: Agent, actor: str) -> NewEvent:
    """The first transition of every agent: (none) → IDLE."""
    return NewEvent(
        kind=EventKind.STATUS_CHANGED,
        agent_id=agent.id,
        project_id=agent.project_id,
        data={"from": None, "to": AgentStatus.IDLE.value},
        transition=TransitionRecord(None, AgentStatus.IDLE.value, "spawned", actor),
    )
