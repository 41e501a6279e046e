"""The lifecycle table against SPEC §3, and next_status walked over every (from, to, trigger)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidTransition
from domain.lifecycle import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    AgentStatus,
    Trigger,
    allowed_triggers,
    is_final,
    next_status,
)

# SPEC §3's table, copied by hand from the SPEC (not from domain/lifecycle.py) so that a typo
# in either one makes test_table_matches_spec fail.
SPEC_TABLE = """
| from \\ to | IDLE | PLANNING | EXECUTING | WAITING_APPROVAL | PAUSED | ERROR | TERMINATED |
| IDLE | – | start execution | – | – | pause | report error | terminate |
| PLANNING | cancel | – | plan accepted, nothing to approve | plan has a step needing approval | pause | report error | terminate |
| EXECUTING | execution ends | – | – | step needs approval | pause | report error | terminate |
| WAITING_APPROVAL | rejected / cancelled | – | approved | – | pause | report error | terminate |
| PAUSED | resume (to paused_from) | resume | resume | resume | – | report error | terminate |
| ERROR | recover | – | – | – | – | – | terminate |
| TERMINATED | – | – | – | – | – | – | – |
"""  # noqa: RUF001 - the SPEC's own dashes and line lengths

# The SPEC's wording of each cell → the triggers it means.
SPEC_WORDS: dict[str, frozenset[Trigger]] = {
    "–": frozenset(),  # noqa: RUF001 - the SPEC's dash
    "start execution": frozenset({Trigger.START_EXECUTION}),
    "cancel": frozenset({Trigger.CANCEL}),
    "plan accepted, nothing to approve": frozenset({Trigger.PLAN_ACCEPTED}),
    "plan has a step needing approval": frozenset({Trigger.PLAN_NEEDS_APPROVAL}),
    "execution ends": frozenset({Trigger.END_EXECUTION}),
    "step needs approval": frozenset({Trigger.STEP_NEEDS_APPROVAL}),
    "rejected / cancelled": frozenset({Trigger.REJECT, Trigger.CANCEL}),
    "approved": frozenset({Trigger.APPROVE}),
    "pause": frozenset({Trigger.PAUSE}),
    "resume": frozenset({Trigger.RESUME}),
    "resume (to paused_from)": frozenset({Trigger.RESUME}),
    "report error": frozenset({Trigger.REPORT_ERROR}),
    "recover": frozenset({Trigger.RECOVER}),
    "terminate": frozenset({Trigger.TERMINATE}),
}

ALL_STATUSES = list(AgentStatus)
ALL_TRIGGERS = list(Trigger)


def _spec_transitions() -> dict[tuple[AgentStatus, AgentStatus], frozenset[Trigger]]:
    header, *rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in SPEC_TABLE.strip().splitlines()
    ]
    targets = [AgentStatus[name] for name in header[1:]]
    grid: dict[tuple[AgentStatus, AgentStatus], frozenset[Trigger]] = {}
    for source_name, *cells in rows:
        assert len(cells) == len(targets), f"row {source_name} has {len(cells)} cells"
        for target, cell in zip(targets, cells, strict=True):
            if SPEC_WORDS[cell]:
                grid[(AgentStatus[source_name], target)] = SPEC_WORDS[cell]
    return grid


def test_spec_copy_is_a_full_grid() -> None:
    rows = SPEC_TABLE.strip().splitlines()
    assert len(rows) == 1 + len(AgentStatus)
    assert [row.split("|")[1].strip() for row in rows[1:]] == [s.name for s in AgentStatus]


def test_table_matches_spec() -> None:
    assert dict(TRANSITIONS) == _spec_transitions()


def _targets(source: AgentStatus, trigger: Trigger) -> list[AgentStatus]:
    return [t for t in ALL_STATUSES if trigger in TRANSITIONS.get((source, t), frozenset())]


PAUSABLE = [
    AgentStatus.IDLE,
    AgentStatus.PLANNING,
    AgentStatus.EXECUTING,
    AgentStatus.WAITING_APPROVAL,
]

# One case per (source, trigger); resuming from PAUSED once per status a pause comes from (and
# once without a record of it). paused_from changes nothing else, so other cases pass none.
MOVES = [
    pytest.param(source, trigger, None, id=f"{source.name}-{trigger.name}")
    for source in ALL_STATUSES
    for trigger in ALL_TRIGGERS
    if (source, trigger) != (AgentStatus.PAUSED, Trigger.RESUME)
] + [
    pytest.param(AgentStatus.PAUSED, Trigger.RESUME, before, id=f"PAUSED-RESUME-to-{name}")
    for before, name in [(None, "unrecorded"), *((s, s.name) for s in PAUSABLE)]
]


@pytest.mark.parametrize(("source", "trigger", "paused_from"), MOVES)
def test_every_trigger_from_every_status(
    source: AgentStatus, trigger: Trigger, paused_from: AgentStatus | None
) -> None:
    targets = _targets(source, trigger)
    if targets:
        moved = next_status(source, trigger, paused_from=paused_from)
        if trigger is Trigger.RESUME:
            assert moved is (paused_from or AgentStatus.IDLE)
        else:
            assert targets == [moved]  # every other trigger has exactly one target
        assert trigger in allowed_triggers(source)
        return
    assert trigger not in allowed_triggers(source)
    with pytest.raises(InvalidTransition) as caught:
        next_status(source, trigger, paused_from=paused_from)
    error = caught.value
    assert error.current == source.name
    assert error.attempted == trigger.value
    assert error.allowed == [allowed.value for allowed in allowed_triggers(source)]
    assert f"an agent that is {source.name}" in error.message
    for allowed in error.allowed:
        assert allowed in error.message


def test_resume_has_a_target_per_pausable_status() -> None:
    pausable = [s for s in ALL_STATUSES if Trigger.PAUSE in allowed_triggers(s)]
    assert _targets(AgentStatus.PAUSED, Trigger.RESUME) == pausable == PAUSABLE


@pytest.mark.parametrize("source", ALL_STATUSES, ids=lambda s: s.name)
def test_allowed_triggers_are_the_row_in_trigger_order(source: AgentStatus) -> None:
    in_row = {t for (s, _), triggers in TRANSITIONS.items() if s is source for t in triggers}
    allowed = allowed_triggers(source)
    assert set(allowed) == in_row
    assert allowed == sorted(allowed, key=ALL_TRIGGERS.index)


def test_allowed_triggers_from_idle() -> None:
    assert allowed_triggers(AgentStatus.IDLE) == [
        Trigger.START_EXECUTION,
        Trigger.PAUSE,
        Trigger.REPORT_ERROR,
        Trigger.TERMINATE,
    ]


@pytest.mark.parametrize(
    "corrupt",
    [AgentStatus.PAUSED, AgentStatus.ERROR, AgentStatus.TERMINATED],
    ids=lambda s: s.name,
)
def test_resume_to_a_status_no_pause_comes_from_is_a_bug(corrupt: AgentStatus) -> None:
    with pytest.raises(ValueError, match="Cannot resume"):
        next_status(AgentStatus.PAUSED, Trigger.RESUME, paused_from=corrupt)


def test_paused_from_is_ignored_by_other_triggers() -> None:
    moved = next_status(AgentStatus.IDLE, Trigger.PAUSE, paused_from=AgentStatus.EXECUTING)
    assert moved is AgentStatus.PAUSED


def test_terminated_is_final() -> None:
    assert is_final(AgentStatus.TERMINATED)
    assert allowed_triggers(AgentStatus.TERMINATED) == []
    assert [s for s in AgentStatus if is_final(s)] == [AgentStatus.TERMINATED]


def test_message_for_a_move_out_of_terminated() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_status(AgentStatus.TERMINATED, Trigger.PAUSE)
    assert caught.value.message == (
        "Cannot pause an agent that is TERMINATED. "
        "Allowed from TERMINATED: none (the status is final)."
    )
    assert caught.value.extensions() == {"currentStatus": "TERMINATED", "allowedMoves": []}


def test_reporting_an_error_on_an_errored_agent_is_refused() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_status(AgentStatus.ERROR, Trigger.REPORT_ERROR)
    assert caught.value.allowed == ["recover", "terminate"]
    assert caught.value.message == (
        "Cannot report an error for an agent that is ERROR. Allowed from ERROR: recover, terminate."
    )


def test_active_statuses_follow_the_contract() -> None:
    # Contract, AgentInstanceMetrics: active = not IDLE, PAUSED or TERMINATED.
    assert set(ACTIVE_STATUSES) == {
        AgentStatus.PLANNING,
        AgentStatus.EXECUTING,
        AgentStatus.WAITING_APPROVAL,
        AgentStatus.ERROR,
    }


@pytest.mark.parametrize("status", ALL_STATUSES, ids=lambda s: s.name)
def test_status_values_are_the_lowercase_names(status: AgentStatus) -> None:
    assert status.value == status.name.lower()
