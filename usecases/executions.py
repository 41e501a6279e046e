"""Use cases of executions (SPEC §4): start, plan, step results, end, resume, checkpoints.

One transaction each: validate → lock the agent, then the execution → check → apply the pure
rules (lifecycle table, safety, plan rules) → write rows and the execution log → append the
agent events last (``eventlog.append``). Any error rolls everything back.

Moves of an agent in the middle of its execution follow a pause (the lifecycle table's
``FOLLOWS_PAUSE``): an agent paused while it plans, runs or waits for approval keeps its
execution's bookkeeping and resumes into the status that bookkeeping implies. Starting (and
resuming) an execution does not: a paused agent must be resumed first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from domain.access import SYSTEM_ACTOR, Viewer
from domain.bounds import MAX_CHECKPOINTS_PER_EXECUTION, MAX_STEPS_PER_PLAN, require_room
from domain.clock import NOW
from domain.errors import Conflict, ValidationFailed
from domain.executions import (
    OPEN_EXECUTION_STATUSES,
    PLAN_CHECKPOINT,
    ExecutionEventType,
    ExecutionStatus,
    StepStatus,
    step_checkpoint_name,
)
from domain.lifecycle import AgentStatus, Trigger, next_status
from domain.plans import (
    MAX_NAME_LENGTH,
    StepSpec,
    add_usage,
    check_step_report,
    first_unfinished_step,
    plan_summary,
    planned_step,
    require_agent_in,
    require_execution_in,
    resume_index,
    validate_cost,
    validate_plan_size,
    validate_tokens,
    validated_step,
)
from domain.records import Checkpoint, Execution
from domain.recovery import classify_error
from domain.safety import SafetyLevel
from domain.values import validate_json, validate_json_object, validate_name, validate_text
from store import agent_writes, agents, checkpoints, executions, steps
from store.database import Database, DatabaseConnection
from store.eventlog import NewEvent
from usecases.execution_change import (
    ExecutionChange,
    advance,
    close_execution,
    excerpt,
    open_execution,
)


async def start_execution(
    database: Database,
    viewer: Viewer,
    agent_id: uuid.UUID,
    description: str,
    task_input: Any = None,
    *,
    dry_run: bool = False,
) -> Execution:
    """A new execution in PLANNING; its agent goes IDLE → PLANNING."""
    text = validate_text(description, "input.description")
    values = {} if task_input is None else validate_json_object(task_input, "input.input")
    execution_id = uuid.uuid4()
    async with database.transaction() as conn:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
        next_status(AgentStatus(agent.status), Trigger.START_EXECUTION)  # refused moves first
        await _require_no_open_execution(conn, agent.id)
        execution = await executions.insert_execution(
            conn,
            {
                "id": execution_id,
                "agent_id": agent.id,
                "description": text,
                "input": values,
                "dry_run": dry_run,
                "status": ExecutionStatus.PLANNING.value,
            },
        )
        change = ExecutionChange(
            conn, viewer.actor, agent.id, agent.project_id, execution, agent=agent
        )
        await change.move(Trigger.START_EXECUTION, f"execution {execution_id} started")
        change.log(ExecutionEventType.EXECUTION_STARTED, dryRun=dry_run)
        await change.commit()
    return change.execution


async def submit_plan(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, plan: Sequence[StepSpec]
) -> Execution:
    """Record the plan with a safety assessment per step, then run it (or, dry, finish)."""
    validate_plan_size(len(plan))
    specs = [validated_step(spec, f"steps[{i}]") for i, spec in enumerate(plan)]
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        require_execution_in(
            change.execution.status, [ExecutionStatus.PLANNING], "submit a plan for"
        )
        assert change.agent is not None
        safety = SafetyLevel(change.agent.safety_level)
        rows = [planned_step(i, spec, safety) for i, spec in enumerate(specs)]
        await steps.insert_steps(conn, change.execution.id, rows)
        needing = [row["index"] for row in rows if row["requires_approval"]]
        checkpoint = await checkpoints.insert_checkpoint(
            conn, change.execution.id, PLAN_CHECKPOINT, plan_summary(rows)
        )
        change.log(ExecutionEventType.PLAN_SUBMITTED, steps=len(rows), requiringApproval=needing)
        _log_checkpoint(change, checkpoint)
        if change.execution.dry_run:
            await _finish_dry_run(change, len(rows), needing)
        else:
            await advance(change, from_planning=True)
        await change.commit()
    return change.execution


async def _finish_dry_run(change: ExecutionChange, step_count: int, needing: list[int]) -> None:
    # PLANNING → IDLE: the table's only move back to IDLE from PLANNING is a cancel.
    await change.move(Trigger.CANCEL, "dry run finished")
    await steps.update_steps_where(
        change.conn, change.execution.id, [StepStatus.PENDING.value],
        {"status": StepStatus.SKIPPED.value},
    )  # fmt: skip
    await change.set_execution(
        status=ExecutionStatus.COMPLETED.value,
        completed_at=NOW,
        result={"dryRun": True, "steps": step_count, "stepsRequiringApproval": needing},
    )
    change.log(ExecutionEventType.EXECUTION_COMPLETED, dryRun=True)


async def report_step_result(
    database: Database,
    viewer: Viewer,
    execution_id: uuid.UUID,
    index: int,
    *,
    succeeded: bool,
    result: Any = None,
    error: str | None = None,
) -> Execution:
    """The runtime reports how the running step went; on success the next step is started."""
    if index < 0:
        raise ValidationFailed("input.index", "must not be negative")
    validate_json(result, "input.result")
    error_text = validate_text(error, "input.error", required=False)
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        plan = await change.steps()
        step = plan[index] if index < len(plan) else None
        check_step_report(change.execution.status, step.status if step else None, index)
        assert change.agent is not None and step is not None
        require_agent_in(
            change.agent.status, change.agent.paused_from, AgentStatus.EXECUTING,
            "report a step result for",
        )  # fmt: skip
        attempts = step.attempts + 1
        if succeeded:
            await steps.update_step(
                conn, step.id,
                {"status": StepStatus.SUCCEEDED.value, "result": result, "error": None,
                 "attempts": attempts, "completed_at": NOW},
            )  # fmt: skip
            checkpoint = await checkpoints.insert_checkpoint(
                conn, change.execution.id, step_checkpoint_name(index), {"result": result}
            )
            change.log(ExecutionEventType.STEP_COMPLETED, step=index, attempts=attempts)
            _log_checkpoint(change, checkpoint)
            await advance(change, from_planning=False)
        else:
            await steps.update_step(
                conn, step.id,
                {"status": StepStatus.FAILED.value, "result": result, "error": error_text,
                 "attempts": attempts, "completed_at": NOW},
            )  # fmt: skip
            change.log(
                ExecutionEventType.STEP_FAILED,
                step=index, attempts=attempts, error=excerpt(error_text or ""),
            )  # fmt: skip
        await change.commit()
    return change.execution


async def complete_execution(
    database: Database,
    viewer: Viewer,
    execution_id: uuid.UUID,
    *,
    result: Any = None,
    tokens_used: float | None = None,
    cost: float | None = None,
) -> Execution:
    """Every step done: COMPLETED; usage added to the agent's totals; agent back to IDLE."""
    tokens = validate_tokens(tokens_used, "tokensUsed")
    amount = validate_cost(cost, "cost")
    validate_json(result, "result")
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        require_execution_in(change.execution.status, [ExecutionStatus.RUNNING], "complete")
        plan = await change.steps()
        unfinished = first_unfinished_step([s.status for s in plan])
        if unfinished is not None:
            status = StepStatus(plan[unfinished].status)
            raise Conflict(
                f"Step {unfinished} is {status.name}; every step must have succeeded (or been "
                "skipped) before the execution completes.",
                index=unfinished,
                stepStatus=status.name,
            )
        agent = change.agent
        assert agent is not None
        total_tokens, total_cost = add_usage(agent.tokens_used, agent.cost_incurred, tokens, amount)
        await change.move(
            Trigger.END_EXECUTION, f"execution {change.execution.id} completed",
            extra={"tokens_used": total_tokens, "cost_incurred": total_cost,
                   "tasks_completed": agent.tasks_completed + 1},
        )  # fmt: skip
        await change.set_execution(
            status=ExecutionStatus.COMPLETED.value,
            completed_at=NOW,
            result=result,
            tokens_used=tokens,
            cost=amount,
        )
        change.log(ExecutionEventType.EXECUTION_COMPLETED, tokensUsed=tokens, cost=float(amount))
        await change.commit()
    return change.execution


async def fail_execution(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, error: str
) -> Execution:
    """The runtime gives up: FAILED with a recovery strategy classified from the error."""
    text = validate_text(error, "error")
    assert text is not None
    strategy = classify_error(text)
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        require_execution_in(change.execution.status, OPEN_EXECUTION_STATUSES, "fail")
        await close_execution(
            change, ExecutionStatus.FAILED, reason=f"execution failed: {excerpt(text)}",
            error=text, recovery=strategy,
        )  # fmt: skip
        await change.commit()
    return change.execution


async def cancel_execution(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, reason: str | None = None
) -> Execution:
    """Stop an open execution: CANCELLED, approvals cancelled, remaining steps skipped."""
    text = validate_text(reason, "reason", required=False)
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        require_execution_in(change.execution.status, OPEN_EXECUTION_STATUSES, "cancel")
        why = f"execution cancelled: {text}" if text else "execution cancelled"
        await close_execution(change, ExecutionStatus.CANCELLED, reason=why)
        await change.commit()
    return change.execution


async def resume_execution(
    database: Database, viewer: Viewer, execution_id: uuid.UUID
) -> Execution:
    """Restart a FAILED execution from the step after its latest ``step_<i>_completed``.

    The agent (IDLE) goes to PLANNING and on to EXECUTING or WAITING_APPROVAL in the same
    transaction: the table has no IDLE → EXECUTING, so both moves are recorded.
    """
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        require_execution_in(change.execution.status, [ExecutionStatus.FAILED], "resume")
        await change.move(Trigger.START_EXECUTION, f"execution {change.execution.id} resumed")
        await _require_no_open_execution(conn, change.agent_id)
        plan = await change.steps()
        names = await checkpoints.checkpoint_names(conn, change.execution.id)
        # Every step may succeed again, each with its checkpoint: they must fit.
        require_room(
            len(names) + len(plan), MAX_CHECKPOINTS_PER_EXECUTION, "executionId",
            "checkpoints per execution (resuming would re-run its steps)",
        )  # fmt: skip
        start = resume_index(names, len(plan))
        await steps.update_steps_where(
            conn, change.execution.id, [s.value for s in StepStatus],
            {"status": StepStatus.PENDING.value, "result": None, "error": None,
             "started_at": None, "completed_at": None},
            from_index=start,
        )  # fmt: skip
        await change.set_execution(
            status=ExecutionStatus.PLANNING.value,
            completed_at=None,
            error=None,
            recovery_strategy=None,
        )
        change.log(ExecutionEventType.EXECUTION_STARTED, resumed=True, fromStep=start)
        if plan:
            await advance(change, from_planning=True)
        await change.commit()
    return change.execution


async def save_checkpoint(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, name: str, data: Any
) -> Checkpoint:
    """A named snapshot of an open execution, numbered after its previous ones."""
    checkpoint_name = validate_name(name, "name", max_length=MAX_NAME_LENGTH)
    values = validate_json_object(data, "data")
    async with database.transaction() as conn:
        change = await open_execution(conn, viewer, execution_id)
        require_execution_in(
            change.execution.status, OPEN_EXECUTION_STATUSES, "save a checkpoint for"
        )
        # Room is kept for the checkpoint of every step that may still succeed (and, before
        # the plan, for the plan's own).
        saved = await checkpoints.count_checkpoints(conn, change.execution.id)
        plan = await change.steps()
        reserved = len(plan) if plan else MAX_STEPS_PER_PLAN + 1
        require_room(
            saved + reserved + 1, MAX_CHECKPOINTS_PER_EXECUTION, "executionId",
            "checkpoints per execution, counting one for each step of the plan",
        )  # fmt: skip
        checkpoint = await checkpoints.insert_checkpoint(
            conn, change.execution.id, checkpoint_name, values
        )
        _log_checkpoint(change, checkpoint)
        await change.commit()
    return checkpoint


async def cancel_open_executions(
    conn: DatabaseConnection, agent_id: uuid.UUID, reason: str
) -> list[NewEvent]:
    """Cancel every open execution of an agent being terminated (inside the caller's transaction).

    The caller has locked the agent and moved it; this does not move it again. Writes the
    execution rows and logs, and returns the APPROVAL_DECIDED / EXECUTION_UPDATED events for
    the caller to append (it must call ``eventlog.append`` itself, last).
    """
    opened = await executions.lock_open_executions(conn, agent_id)
    if not opened:
        return []
    project_id = await agents.project_id_of(conn, agent_id)
    events: list[NewEvent] = []
    why = f"execution cancelled: {excerpt(reason)}" if reason else "execution cancelled"
    for execution in opened:
        change = ExecutionChange(conn, SYSTEM_ACTOR, agent_id, project_id, execution)
        await close_execution(change, ExecutionStatus.CANCELLED, reason=why, move_agent_out=False)
        events.extend(await change.flush())
    return events


# --- helpers ----------------------------------------------------------------------------------


async def _require_no_open_execution(conn: DatabaseConnection, agent_id: uuid.UUID) -> None:
    # An IDLE agent has none, unless an error and a recovery left one open: close it first.
    other = await executions.open_execution_id(conn, agent_id)
    if other is not None:
        raise Conflict(
            f"Agent already has an open execution {other}; fail or cancel it first.",
            openExecution=str(other),
        )


def _log_checkpoint(change: ExecutionChange, checkpoint: Checkpoint) -> None:
    change.log(ExecutionEventType.CHECKPOINT_SAVED, checkpoint=checkpoint.name, seq=checkpoint.seq)
