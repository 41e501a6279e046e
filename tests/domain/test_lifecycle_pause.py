"""The pause's bookkeeping in the lifecycle table: next_move walked over every status, every
status a pause resumes to and every trigger.

A pause remembers where the agent was (paused_from); resuming returns there; an error or a
termination forgets it; and the moves an execution makes of its agent while it is paused change
only where it will resume, without a recorded transition.
"""

from __future__ import annotations

import itertools

import pytest

from domain.errors import InvalidTransition
from domain.lifecycle import FOLLOWS_PAUSE, AgentStatus, Move, Trigger, next_move, next_status

S, T = AgentStatus, Trigger
# The statuses a pause comes from, so the ones a paused agent may resume to.
PAUSABLE = [S.IDLE, S.PLANNING, S.EXECUTING, S.WAITING_APPROVAL]


def test_the_moves_that_follow_a_pause_are_the_executions_own() -> None:
    assert {
        T.PLAN_ACCEPTED,
        T.PLAN_NEEDS_APPROVAL,
        T.STEP_NEEDS_APPROVAL,
        T.APPROVE,
        T.REJECT,
        T.CANCEL,
        T.END_EXECUTION,
    } == FOLLOWS_PAUSE
    # Starting an execution does not follow a pause: a paused agent must be resumed first.
    assert T.START_EXECUTION not in FOLLOWS_PAUSE


@pytest.mark.parametrize(
    ("current", "trigger"),
    list(itertools.product([s for s in S if s is not S.PAUSED], list(T))),
    ids=lambda v: v.name,
)
def test_an_agent_not_paused_moves_as_the_table_says(
    current: AgentStatus, trigger: Trigger
) -> None:
    try:
        target = next_status(current, trigger)
    except InvalidTransition:
        with pytest.raises(InvalidTransition):
            next_move(current, None, trigger)
        return
    expected_paused_from = current if trigger is T.PAUSE else None
    assert next_move(current, None, trigger) == Move(target, expected_paused_from, recorded=True)


@pytest.mark.parametrize(
    ("paused_from", "trigger"), list(itertools.product(PAUSABLE, list(T))), ids=lambda v: v.name
)
def test_a_paused_agent(paused_from: AgentStatus, trigger: Trigger) -> None:
    if trigger in FOLLOWS_PAUSE:
        # Where the agent resumes to moves instead; the agent stays PAUSED, nothing is recorded.
        try:
            resumes_to = next_status(paused_from, trigger)
        except InvalidTransition:
            with pytest.raises(InvalidTransition):
                next_move(S.PAUSED, paused_from, trigger)
            return
        assert next_move(S.PAUSED, paused_from, trigger) == Move(S.PAUSED, resumes_to, False)
        return
    try:
        target = next_status(S.PAUSED, trigger, paused_from=paused_from)
    except InvalidTransition:
        with pytest.raises(InvalidTransition):
            next_move(S.PAUSED, paused_from, trigger)
        return
    # Leaving PAUSED (resume, an error, termination) is recorded and forgets paused_from.
    assert next_move(S.PAUSED, paused_from, trigger) == Move(target, None, recorded=True)


def test_pause_and_resume_round_trip() -> None:
    paused = next_move(S.EXECUTING, None, T.PAUSE)
    assert paused == Move(S.PAUSED, S.EXECUTING, recorded=True)
    assert next_move(paused.status, paused.paused_from, T.RESUME) == Move(S.EXECUTING, None, True)


def test_an_approval_decided_during_a_pause_resumes_into_its_outcome() -> None:
    waiting = next_move(S.WAITING_APPROVAL, None, T.PAUSE)
    approved = next_move(waiting.status, waiting.paused_from, T.APPROVE)
    assert approved == Move(S.PAUSED, S.EXECUTING, recorded=False)
    rejected = next_move(waiting.status, waiting.paused_from, T.REJECT)
    assert rejected == Move(S.PAUSED, S.IDLE, recorded=False)
    assert next_move(approved.status, approved.paused_from, T.RESUME).status is S.EXECUTING


def test_a_paused_agent_without_paused_from_follows_from_idle() -> None:
    # IDLE is where a pause without bookkeeping resumes to, and IDLE has no execution to follow.
    with pytest.raises(InvalidTransition):
        next_move(S.PAUSED, None, T.END_EXECUTION)
    assert next_move(S.PAUSED, None, T.RESUME) == Move(S.IDLE, None, recorded=True)


def test_a_paused_agent_cannot_start_an_execution() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_move(S.PAUSED, S.IDLE, T.START_EXECUTION)
    assert caught.value.current == "PAUSED"
