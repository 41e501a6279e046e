"""Rules of an execution's plan (SPEC §4), pure: what runs next, where a resume starts,
how an execution's end moves its agent, and the checks on what runtimes report.

The use cases in ``usecases/executions.py`` and ``approvals.py`` apply these inside one
transaction each; nothing here touches the database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import Conflict, InvalidTransition, ValidationFailed
from domain.executions import ExecutionStatus, StepStatus
from domain.lifecycle import AgentStatus, Trigger, allowed_triggers
from domain.safety import RiskLevel, SafetyLevel, assess_step
from domain.values import validate_json_object, validate_name, validate_text

MAX_PLAN_STEPS = 100
MAX_NAME_LENGTH = 200  # tools and checkpoint names (their columns are String(200))

# Totals must fit their columns: bigint tokens, numeric(12,4) cost (< 10^8).
MAX_TOKENS = 2**53  # above this a GraphQL Float no longer holds every whole number
MAX_COST = Decimal("99999999.9999")
COST_QUANTUM = Decimal("0.0001")

# Steps an execution may still start, and those it has finished with.
OPEN_STEP_STATUSES = frozenset(
    {StepStatus.PENDING, StepStatus.AWAITING_APPROVAL, StepStatus.APPROVED}
)
DONE_STEP_STATUSES = frozenset({StepStatus.SUCCEEDED, StepStatus.SKIPPED})
# The step a runtime may report on: the running one, or a failed one it retries.
REPORTABLE_STEP_STATUSES = frozenset({StepStatus.RUNNING, StepStatus.APPROVED, StepStatus.FAILED})

_STEP_CHECKPOINT = re.compile(r"^step_([0-9]{1,6})_completed$")


@dataclass(frozen=True)
class StepSpec:
    """One planned step as the runtime submits it."""

    tool: str
    risk_level: str | RiskLevel
    params: Any = None
    rationale: str | None = None


# --- a plan -----------------------------------------------------------------------------------


def validated_step(spec: StepSpec, field: str) -> StepSpec:
    """``spec`` with its tool stripped, params an object ({} when absent), rationale trimmed."""
    return StepSpec(
        tool=validate_name(spec.tool, f"{field}.tool", max_length=MAX_NAME_LENGTH),
        risk_level=spec.risk_level,
        params={} if spec.params is None else validate_json_object(spec.params, f"{field}.params"),
        rationale=validate_text(spec.rationale, f"{field}.rationale", required=False),
    )


def planned_step(index: int, spec: StepSpec, safety: SafetyLevel) -> dict[str, Any]:
    """The stored form of a validated step: its safety assessment decides the rest."""
    params: Mapping[str, Any] = spec.params
    assessment = assess_step(spec.tool, params, spec.risk_level, safety)
    # An unknown declared level counts as the worst one (it already needs approval).
    risk = assessment.risk_level or RiskLevel.CRITICAL
    return {
        "index": index,
        "tool": spec.tool,
        "params": dict(params),
        "rationale": spec.rationale,
        "risk_level": risk.value,
        "requires_approval": assessment.requires_approval,
        "safe": assessment.safe,
        "risks": list(assessment.risks),
        "mitigations": list(assessment.mitigations),
        "status": StepStatus.PENDING.value,
    }


def plan_summary(steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the plan_created checkpoint keeps: each step's tool and decisions (not params)."""
    return {
        "steps": [
            {
                "index": step["index"],
                "tool": step["tool"],
                "riskLevel": step["risk_level"],
                "requiresApproval": step["requires_approval"],
            }
            for step in steps
        ]
    }


# --- the agent around an execution ------------------------------------------------------------


def effective_status(status: str, paused_from: str | None) -> AgentStatus:
    """The agent's status for its execution: a paused agent counts as where it will resume."""
    current = AgentStatus(status)
    if current is AgentStatus.PAUSED:
        return AgentStatus(paused_from) if paused_from else AgentStatus.IDLE
    return current


def end_trigger(effective: AgentStatus, *, rejected: bool = False) -> Trigger | None:
    """The move that takes an agent out of its execution when the execution ends early.

    PLANNING → IDLE is a cancel, EXECUTING → IDLE is the execution ending, WAITING_APPROVAL → IDLE
    is a rejection or a cancel. ``None`` when the agent is not in an execution any more (ERROR,
    IDLE after a recovery, TERMINATED): the execution is closed without moving the agent.
    """
    if effective is AgentStatus.PLANNING:
        return Trigger.CANCEL
    if effective is AgentStatus.EXECUTING:
        return Trigger.END_EXECUTION
    if effective is AgentStatus.WAITING_APPROVAL:
        return Trigger.REJECT if rejected else Trigger.CANCEL
    return None


def require_agent_in(
    status: str, paused_from: str | None, expected: AgentStatus, attempted: str
) -> None:
    """INVALID_TRANSITION unless the agent is (or, paused, resumes to) ``expected``."""
    if effective_status(status, paused_from) is not expected:
        current = AgentStatus(status)
        raise InvalidTransition(
            current=current.name,
            attempted=attempted,
            allowed=[trigger.value for trigger in allowed_triggers(current)],
        )


# --- the execution and its steps --------------------------------------------------------------


def require_execution_in(status: str, allowed: Iterable[ExecutionStatus], action: str) -> None:
    """CONFLICT naming the execution's status unless it is one of ``allowed``."""
    current = ExecutionStatus(status)
    permitted = list(allowed)
    if current not in permitted:
        names = " or ".join(s.name for s in permitted)
        raise Conflict(
            f"Cannot {action} an execution that is {current.name} (it must be {names}).",
            executionStatus=current.name,
        )


def next_pending_step(statuses: Sequence[str]) -> int | None:
    """Index of the step to start next: the first one still pending, or ``None``."""
    for index, status in enumerate(statuses):
        if StepStatus(status) is StepStatus.PENDING:
            return index
    return None


def first_unfinished_step(statuses: Sequence[str]) -> int | None:
    """Index of the first step neither succeeded nor skipped, or ``None`` when all are done."""
    for index, status in enumerate(statuses):
        if StepStatus(status) not in DONE_STEP_STATUSES:
            return index
    return None


def check_step_report(execution_status: str, step_status: str | None, index: int) -> None:
    """CONFLICT unless step ``index`` of a running execution is the one a result may be for."""
    require_execution_in(execution_status, [ExecutionStatus.RUNNING], "report a step result for")
    if step_status is None:
        raise Conflict(f"The plan has no step {index}.", index=index)
    status = StepStatus(step_status)
    if status not in REPORTABLE_STEP_STATUSES:
        raise Conflict(
            f"Step {index} is {status.name}; only the running step (or a failed one being "
            "retried) can report a result.",
            index=index,
            stepStatus=status.name,
        )


def resume_index(checkpoint_names: Iterable[str], step_count: int) -> int:
    """Where a resumed execution restarts: the step after its latest ``step_<i>_completed``.

    ``checkpoint_names`` in save order (oldest first); 0 when no step checkpoint exists. Never
    past ``step_count`` (a resumed execution with every step done only has to complete).
    """
    latest: int | None = None
    for name in checkpoint_names:
        match = _STEP_CHECKPOINT.match(name)
        if match:
            latest = int(match.group(1))
    start = 0 if latest is None else latest + 1
    return min(start, step_count)


# --- values runtimes send ---------------------------------------------------------------------


def validate_plan_size(count: int, field: str = "steps") -> None:
    if count == 0:
        raise ValidationFailed(field, "a plan needs at least one step")
    if count > MAX_PLAN_STEPS:
        raise ValidationFailed(field, f"a plan has at most {MAX_PLAN_STEPS} steps, not {count}")


def validate_tokens(value: float | None, field: str = "tokensUsed") -> int:
    """Tokens reported for an execution: a whole, non-negative, finite number (0 when absent)."""
    if value is None:
        return 0
    if not math.isfinite(value):
        raise ValidationFailed(field, "must be a finite number")
    if value < 0:
        raise ValidationFailed(field, "must not be negative")
    if value != int(value):
        raise ValidationFailed(field, "must be a whole number of tokens")
    if value > MAX_TOKENS:
        raise ValidationFailed(field, f"must be at most {MAX_TOKENS}")
    return int(value)


def validate_cost(value: float | None, field: str = "cost") -> Decimal:
    """Cost reported for an execution, rounded to 4 decimals (0 when absent)."""
    if value is None:
        return Decimal(0)
    if not math.isfinite(value):
        raise ValidationFailed(field, "must be a finite number")
    if value < 0:
        raise ValidationFailed(field, "must not be negative")
    try:
        # str() first: Decimal(0.35) would carry the binary float's 50 digits.
        cost = Decimal(str(value)).quantize(COST_QUANTUM)
    except InvalidOperation:
        raise ValidationFailed(field, f"must be at most {MAX_COST}") from None
    if cost > MAX_COST:
        raise ValidationFailed(field, f"must be at most {MAX_COST}")
    return cost


def add_usage(
    tokens_total: int, cost_total: Decimal, tokens: int, cost: Decimal
) -> tuple[int, Decimal]:
    """An agent's totals after an execution; VALIDATION_ERROR if they would overflow."""
    new_tokens = tokens_total + tokens
    new_cost = cost_total + cost
    if new_tokens > 2**63 - 1:
        raise ValidationFailed("tokensUsed", "would overflow the agent's total tokens")
    if new_cost > MAX_COST:
        raise ValidationFailed("cost", f"would push the agent's total cost past {MAX_COST}")
    return new_tokens, new_cost
