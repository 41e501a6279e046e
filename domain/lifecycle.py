"""The agent lifecycle (SPEC §3) as a table: which trigger moves an agent from where to where.

Every status change in the product goes through :func:`next_move` (and so :func:`next_status`),
so this module is the one place that decides what is allowed, including the bookkeeping of a
pause (``paused_from``). Persisting the move (StatusTransition row, event, revision) is the
caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidTransition


class AgentStatus(StrEnum):
    """Where an agent is in its lifecycle. Values are what the database stores."""

    IDLE = "idle"
    PLANNING = "planning"
    EXECUTING = "executing"
    WAITING_APPROVAL = "waiting_approval"
    PAUSED = "paused"
    ERROR = "error"
    TERMINATED = "terminated"


class Trigger(StrEnum):
    """What causes a move. The value completes "Cannot <value> an agent that is <STATUS>"."""

    START_EXECUTION = "start execution"
    PLAN_ACCEPTED = "accept a plan for"
    PLAN_NEEDS_APPROVAL = "request approval for"
    STEP_NEEDS_APPROVAL = "request step approval for"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    END_EXECUTION = "end the execution of"
    PAUSE = "pause"
    RESUME = "resume"
    REPORT_ERROR = "report an error for"
    RECOVER = "recover"
    TERMINATE = "terminate"


_S = AgentStatus
_T = Trigger

# SPEC §3, row by row. Within a row the target columns keep the SPEC's order
# (IDLE, PLANNING, EXECUTING, WAITING_APPROVAL, PAUSED, ERROR, TERMINATED); a column missing
# here is a dash there.
_TABLE: dict[AgentStatus, dict[AgentStatus, tuple[Trigger, ...]]] = {
    _S.IDLE: {
        _S.PLANNING: (_T.START_EXECUTION,),
        _S.PAUSED: (_T.PAUSE,),
        _S.ERROR: (_T.REPORT_ERROR,),
        _S.TERMINATED: (_T.TERMINATE,),
    },
    _S.PLANNING: {
        _S.IDLE: (_T.CANCEL,),
        _S.EXECUTING: (_T.PLAN_ACCEPTED,),
        _S.WAITING_APPROVAL: (_T.PLAN_NEEDS_APPROVAL,),
        _S.PAUSED: (_T.PAUSE,),
        _S.ERROR: (_T.REPORT_ERROR,),
        _S.TERMINATED: (_T.TERMINATE,),
    },
    _S.EXECUTING: {
        _S.IDLE: (_T.END_EXECUTION,),
        _S.WAITING_APPROVAL: (_T.STEP_NEEDS_APPROVAL,),
        _S.PAUSED: (_T.PAUSE,),
        _S.ERROR: (_T.REPORT_ERROR,),
        _S.TERMINATED: (_T.TERMINATE,),
    },
    _S.WAITING_APPROVAL: {
        _S.IDLE: (_T.REJECT, _T.CANCEL),
        _S.EXECUTING: (_T.APPROVE,),
        _S.PAUSED: (_T.PAUSE,),
        _S.ERROR: (_T.REPORT_ERROR,),
        _S.TERMINATED: (_T.TERMINATE,),
    },
    _S.PAUSED: {
        # RESUME is listed under every status it may return to; paused_from picks one.
        _S.IDLE: (_T.RESUME,),
        _S.PLANNING: (_T.RESUME,),
        _S.EXECUTING: (_T.RESUME,),
        _S.WAITING_APPROVAL: (_T.RESUME,),
        _S.ERROR: (_T.REPORT_ERROR,),
        _S.TERMINATED: (_T.TERMINATE,),
    },
    _S.ERROR: {
        _S.IDLE: (_T.RECOVER,),
        _S.TERMINATED: (_T.TERMINATE,),
    },
    _S.TERMINATED: {},
}

TRANSITIONS: Mapping[tuple[AgentStatus, AgentStatus], frozenset[Trigger]] = {
    (source, target): frozenset(triggers)
    for source, row in _TABLE.items()
    for target, triggers in row.items()
}
"""(from, to) → the triggers that make that move. Pairs not present are not allowed."""

ACTIVE_STATUSES: frozenset[AgentStatus] = frozenset(AgentStatus) - {
    _S.IDLE,
    _S.PAUSED,
    _S.TERMINATED,
}
"""Counted as active in project stats (contract: active = not IDLE, PAUSED or TERMINATED)."""


def allowed_triggers(current: AgentStatus) -> list[Trigger]:
    """The triggers that may be applied to an agent in ``current``, in ``Trigger`` order."""
    allowed = {
        trigger
        for (source, _target), triggers in TRANSITIONS.items()
        if source == current
        for trigger in triggers
    }
    return [trigger for trigger in Trigger if trigger in allowed]


def is_final(status: AgentStatus) -> bool:
    """Whether no trigger can ever move an agent out of ``status``."""
    return not allowed_triggers(status)


def next_status(
    current: AgentStatus, trigger: Trigger, *, paused_from: AgentStatus | None = None
) -> AgentStatus:
    """The status an agent in ``current`` moves to on ``trigger``.

    ``paused_from`` is only used by ``RESUME``, which returns to it (``IDLE`` when ``None``).
    Raises ``InvalidTransition`` naming the current status and the allowed moves when the
    table has no such move.
    """
    targets = [
        target
        for (source, target), triggers in TRANSITIONS.items()
        if source == current and trigger in triggers
    ]
    if not targets:
        raise InvalidTransition(
            current=current.name,
            attempted=trigger.value,
            allowed=[allowed.value for allowed in allowed_triggers(current)],
        )
    if trigger is Trigger.RESUME:
        target = paused_from if paused_from is not None else AgentStatus.IDLE
        if target not in targets:
            # Only a pause sets paused_from, and only from a resumable status, so this is a
            # corrupted record rather than something a client asked for.
            raise ValueError(f"Cannot resume to {target.name}: not a status a pause comes from.")
        return target
    (target,) = targets
    return target


FOLLOWS_PAUSE: frozenset[Trigger] = frozenset(
    {
        _T.PLAN_ACCEPTED,
        _T.PLAN_NEEDS_APPROVAL,
        _T.STEP_NEEDS_APPROVAL,
        _T.APPROVE,
        _T.REJECT,
        _T.CANCEL,
        _T.END_EXECUTION,
    }
)
"""The moves an execution makes of its agent as it goes. A PAUSED agent is not moved by them:
they move where it will resume (``paused_from``), so an approval decided during a pause resumes
the agent into EXECUTING, a rejection into IDLE. (Starting an execution is not among them: a
paused agent must be resumed first.)"""


@dataclass(frozen=True, slots=True)
class Move:
    """Where a trigger takes an agent.

    ``status`` and ``paused_from`` are the agent's after the move. ``recorded`` is False when
    only the pause's bookkeeping changed (the agent stays PAUSED): no transition is recorded.
    """

    status: AgentStatus
    paused_from: AgentStatus | None
    recorded: bool


def next_move(current: AgentStatus, paused_from: AgentStatus | None, trigger: Trigger) -> Move:
    """The move ``trigger`` makes of an agent in ``current`` that resumes to ``paused_from``.

    A pause remembers where the agent was; leaving PAUSED (resume, an error, termination)
    forgets it. Raises ``InvalidTransition`` as ``next_status`` does.
    """
    if current is _S.PAUSED and trigger in FOLLOWS_PAUSE:
        resume_to = paused_from if paused_from is not None else _S.IDLE
        return Move(_S.PAUSED, next_status(resume_to, trigger), recorded=False)
    target = next_status(current, trigger, paused_from=paused_from)
    if trigger is _T.PAUSE:
        return Move(target, current, recorded=True)
    return Move(target, None if current is _S.PAUSED else paused_from, recorded=True)
