"""The pure plan rules of domain/plans.py: next step, resume point, leaving an execution,
what a runtime may report, and the values it sends."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from domain.errors import Conflict, InvalidTransition, ValidationFailed
from domain.executions import ExecutionStatus, StepStatus
from domain.lifecycle import AgentStatus, Trigger, next_status
from domain.plans import (
    MAX_COST,
    MAX_PLAN_STEPS,
    add_usage,
    check_step_report,
    effective_status,
    end_trigger,
    first_unfinished_step,
    next_pending_step,
    require_agent_in,
    require_execution_in,
    resume_index,
    validate_cost,
    validate_plan_size,
    validate_tokens,
)
from domain.values import validate_json, validate_json_object, validate_text

S = StepStatus


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], None),
        ([S.PENDING], 0),
        ([S.SUCCEEDED, S.PENDING, S.PENDING], 1),
        ([S.SUCCEEDED, S.RUNNING, S.PENDING], 2),
        ([S.SUCCEEDED, S.SUCCEEDED], None),
        ([S.REJECTED, S.SKIPPED], None),
    ],
)
def test_next_pending_step(steps: list[StepStatus], expected: int | None) -> None:
    assert next_pending_step([s.value for s in steps]) == expected


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], None),
        ([S.SUCCEEDED, S.SKIPPED], None),
        ([S.SUCCEEDED, S.FAILED], 1),
        ([S.RUNNING, S.PENDING], 0),
        ([S.SUCCEEDED, S.SUCCEEDED, S.AWAITING_APPROVAL], 2),
    ],
)
def test_first_unfinished_step(steps: list[StepStatus], expected: int | None) -> None:
    assert first_unfinished_step([s.value for s in steps]) == expected


@pytest.mark.parametrize(
    ("names", "count", "expected"),
    [
        ([], 3, 0),
        (["plan_created"], 3, 0),
        (["plan_created", "step_0_completed", "step_1_completed"], 4, 2),
        # The latest one wins, even when a retry saved a lower index later.
        (["step_2_completed", "step_0_completed"], 4, 1),
        (["step_1_completed", "context", "my_step_9_completed"], 4, 2),
        (["step_3_completed"], 4, 4),
        (["step_99_completed"], 4, 4),
        (["step_x_completed", "step__completed", "step_-1_completed"], 4, 0),
    ],
)
def test_resume_index(names: list[str], count: int, expected: int) -> None:
    assert resume_index(names, count) == expected


@pytest.mark.parametrize(
    ("status", "rejected", "expected"),
    [
        (AgentStatus.PLANNING, False, Trigger.CANCEL),
        (AgentStatus.EXECUTING, False, Trigger.END_EXECUTION),
        (AgentStatus.WAITING_APPROVAL, False, Trigger.CANCEL),
        (AgentStatus.WAITING_APPROVAL, True, Trigger.REJECT),
        (AgentStatus.IDLE, False, None),
        (AgentStatus.ERROR, False, None),
        (AgentStatus.TERMINATED, True, None),
    ],
)
def test_end_trigger(status: AgentStatus, rejected: bool, expected: Trigger | None) -> None:
    trigger = end_trigger(status, rejected=rejected)
    assert trigger is expected
    if trigger is not None:  # every end the rule picks is a legal move back to IDLE
        assert next_status(status, trigger) is AgentStatus.IDLE


def test_effective_status_of_a_paused_agent_is_where_it_resumes() -> None:
    assert effective_status("paused", "waiting_approval") is AgentStatus.WAITING_APPROVAL
    assert effective_status("paused", None) is AgentStatus.IDLE
    assert effective_status("executing", None) is AgentStatus.EXECUTING


def test_require_agent_in() -> None:
    require_agent_in("executing", None, AgentStatus.EXECUTING, "report a step result for")
    require_agent_in("paused", "executing", AgentStatus.EXECUTING, "report a step result for")
    with pytest.raises(InvalidTransition) as refused:
        require_agent_in("error", None, AgentStatus.EXECUTING, "report a step result for")
    assert refused.value.current == "ERROR"
    assert "report a step result for an agent that is ERROR" in refused.value.message


def test_require_execution_in_names_the_current_status() -> None:
    require_execution_in("running", [ExecutionStatus.RUNNING], "complete")
    with pytest.raises(Conflict) as refused:
        require_execution_in("failed", [ExecutionStatus.RUNNING], "complete")
    assert "FAILED" in refused.value.message and "RUNNING" in refused.value.message
    assert refused.value.extensions() == {"executionStatus": "FAILED"}


@pytest.mark.parametrize("status", [S.RUNNING, S.APPROVED, S.FAILED])
def test_the_running_or_a_failed_step_may_report(status: StepStatus) -> None:
    check_step_report("running", status.value, 0)


@pytest.mark.parametrize(
    ("execution", "step"),
    [
        ("running", S.PENDING.value),
        ("running", S.SUCCEEDED.value),
        ("running", S.AWAITING_APPROVAL.value),
        ("running", None),
        ("waiting_approval", S.RUNNING.value),
        ("failed", S.FAILED.value),
    ],
)
def test_other_steps_may_not_report(execution: str, step: str | None) -> None:
    with pytest.raises(Conflict):
        check_step_report(execution, step, 1)


def test_validate_text() -> None:
    assert validate_text("  do it ", "f") == "do it"
    assert validate_text(None, "f", required=False) is None
    assert validate_text("   ", "f", required=False) is None
    for bad in ("", "  ", None, "a\x00b", "x" * 11):
        with pytest.raises(ValidationFailed) as refused:
            validate_text(bad, "input.description", max_length=10)
        assert refused.value.field == "input.description"


def test_validate_json_refuses_what_jsonb_cannot_hold() -> None:
    assert validate_json({"a": [1, 2.5, None, "x"]}, "f") == {"a": [1, 2.5, None, "x"]}
    assert validate_json(None, "f") is None
    for bad in (math.nan, {"a": [math.inf]}, {"k\x00": 1}, ["\x00"], {"a": {"b": -math.inf}}):
        with pytest.raises(ValidationFailed):
            validate_json(bad, "input.result")
    # Flat objects (a metric point's tags) take a shortcut: it refuses what the walk refuses.
    flat_bad = ({"k": "a\x00"}, {"k\x00": "a"}, {"k": math.nan}, {"k": -math.inf},
                {1: "\x00"}, {"k": 1, "n": {"m": "\x00"}}, {"k": ["\x00"]})  # fmt: skip
    for bad in flat_bad:
        with pytest.raises(ValidationFailed) as refused:
            validate_json(bad, "metrics[0].tags")
        assert refused.value.field == "metrics[0].tags"
    plain = {"region": "eu", "n": 1, "x": -0.0, "b": True, "z": None, 2: "two"}
    assert validate_json(plain, "f") is plain
    deep: object = 1
    for _ in range(5000):  # iterative: nesting cannot exhaust the stack
        deep = [deep]
    validate_json(deep, "f")


def test_validate_json_object() -> None:
    assert validate_json_object({}, "data") == {}
    for bad in ([], "x", 1, None):
        with pytest.raises(ValidationFailed) as refused:
            validate_json_object(bad, "data")
        assert refused.value.field == "data"


def test_plan_size() -> None:
    validate_plan_size(1)
    validate_plan_size(MAX_PLAN_STEPS)
    for bad in (0, MAX_PLAN_STEPS + 1):
        with pytest.raises(ValidationFailed) as refused:
            validate_plan_size(bad)
        assert refused.value.field == "steps"


def test_tokens() -> None:
    assert validate_tokens(None) == 0
    assert validate_tokens(1200.0) == 1200
    for bad in (-1.0, 0.5, math.nan, math.inf, 2.0**60):
        with pytest.raises(ValidationFailed) as refused:
            validate_tokens(bad)
        assert refused.value.field == "tokensUsed"


def test_cost() -> None:
    assert validate_cost(None) == Decimal(0)
    assert validate_cost(0.35) == Decimal("0.3500")
    assert validate_cost(0.12345) == Decimal("0.1234")  # banker's rounding to 4 places
    for bad in (-0.01, math.nan, -math.inf, 1e8, 1e300):
        with pytest.raises(ValidationFailed) as refused:
            validate_cost(bad)
        assert refused.value.field == "cost"


def test_add_usage_refuses_to_overflow_the_totals() -> None:
    assert add_usage(10, Decimal("1.5"), 5, Decimal("0.25")) == (15, Decimal("1.75"))
    with pytest.raises(ValidationFailed):
        add_usage(0, MAX_COST, 0, Decimal("0.0001"))
    with pytest.raises(ValidationFailed):
        add_usage(2**63 - 1, Decimal(0), 1, Decimal(0))


def test_a_pending_approval_past_its_expiry_counts_as_expired() -> None:
    from datetime import UTC, datetime, timedelta

    from domain.executions import ApprovalStatus, approval_status_at

    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert approval_status_at("pending", now + timedelta(seconds=1), now) is ApprovalStatus.PENDING
    assert approval_status_at("pending", now, now) is ApprovalStatus.EXPIRED
    assert approval_status_at("approved", now - timedelta(days=1), now) is ApprovalStatus.APPROVED
