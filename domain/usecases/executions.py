"""Use cases of executions (SPEC §4): start, plan, step results, end, resume, checkpoints.

One transaction each: validate → lock the agent, then the execution → check → apply the pure
rules (lifecycle table, safety, plan rules) → write rows and the execution log → append the
agent events last (``eventlog.append``). Any error rolls everything back.

Moves of an agent in the middle of its execution follow a pause (``follow_pause``): an agent
paused while it plans, runs or waits for approval keeps its execution's bookkeeping and resumes
into the status that bookkeeping implies. Starting (and resuming) an execution does not: a
paused agent must be resumed first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import SYSTEM_ACTOR, Viewer
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.events import EventKind
from domain.executions import (
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
    effective_status,
    end_trigger,
    first_unfinished_step,
    next_pending_step,
    plan_summary,
    planned_step,
    require_agent_in,
    require_execution_in,
    resume_index,
    validate_cost,
    validate_json,
    validate_json_object,
    validate_plan_size,
    validate_text,
    validate_tokens,
    validated_step,
)
from domain.recovery import RecoveryStrategy, classify_error
from domain.safety import SafetyLevel
from domain.store import agent_writes, eventlog, work_writes
from domain.store.database import Database
from domain.store.eventlog import NewEvent
from domain.usecases.moves import move_agent
from domain.values import validate_name

OPEN_EXECUTION_STATUSES = (
    ExecutionStatus.PLANNING,
    ExecutionStatus.RUNNING,
    ExecutionStatus.WAITING_APPROVAL,
)
# Short excerpts of client text in the execution log and transition reasons.
_EXCERPT = 200


@dataclass
class ExecutionWork:
    """What one use case changes about one execution: the locked rows and the events to write.

    ``agent`` is None when the agent is not moved (closing executions of a terminated agent).
    """

    conn: AsyncConnection
    actor: str
    agent_id: uuid.UUID
    project_id: uuid.UUID
    execution: Row[Any]
    agent: Row[Any] | None = None
    events: list[NewEvent] = field(default_factory=list)
    log_entries: list[tuple[ExecutionEventType, dict[str, Any]]] = field(default_factory=list)

    async def move(
        self,
        trigger: Trigger,
        reason: str,
        *,
        follow_pause: bool = True,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Apply a lifecycle move to the (locked) agent; INVALID_TRANSITION if the table refuses.

        ``extra``: other agent columns written with the move (one write, one revision).
        """
        assert self.agent is not None
        moved = await move_agent(
            self.conn, self.agent, trigger, actor=self.actor, reason=reason, extra=extra,
            follow_pause=follow_pause,
        )  # fmt: skip
        self.agent = moved.agent
        if moved.event is not None:
            self.events.append(moved.event)

    def log(self, kind: ExecutionEventType, **data: Any) -> None:
        self.log_entries.append((kind, data))

    def publish(self, kind: EventKind, **data: Any) -> None:
        self.events.append(
            NewEvent(kind=kind, agent_id=self.agent_id, project_id=self.project_id, data=data)
        )

    async def set_execution(self, **values: Any) -> None:
        self.execution = await work_writes.update_execution(self.conn, self.execution.id, values)

    async def steps(self) -> list[Row[Any]]:
        return await work_writes.steps_of(self.conn, self.execution.id)

    async def flush(self) -> list[NewEvent]:
        """Write the execution log; return the agent events, ending with EXECUTION_UPDATED."""
        await work_writes.add_execution_events(self.conn, self.execution.id, self.log_entries)
        self.log_entries = []
        self.publish(
            EventKind.EXECUTION_UPDATED,
            execution=str(self.execution.id),
            status=self.execution.status,
        )
        return self.events

    async def commit(self) -> None:
        """Last thing in the transaction: the log, then the agent events (after every lock)."""
        await eventlog.append(self.conn, await self.flush())


async def open_execution(
    conn: AsyncConnection, viewer: Viewer, execution_id: uuid.UUID
) -> ExecutionWork:
    """Lock the execution's agent (visibility checked), then the execution.

    NOT_FOUND for an execution that does not exist or whose agent the viewer may not see.
    """
    agent_id = await work_writes.execution_agent_id(conn, execution_id)
    if agent_id is None:
        raise NotFound("Execution", execution_id)
    try:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
    except NotFound:
        raise NotFound("Execution", execution_id) from None
    execution = await work_writes.lock_execution(conn, execution_id)
    if execution is None:  # deleted with its agent between the two reads
        raise NotFound("Execution", execution_id)
    return ExecutionWork(conn, viewer.actor, agent.id, agent.project_id, execution, agent=agent)


async def advance(work: ExecutionWork, *, from_planning: bool) -> None:
    """Start the next pending step: ask for approval when it needs it, else run it.

    ``from_planning``: the agent is PLANNING (a plan was just accepted) rather than EXECUTING.
    With no pending step left the execution runs on until the runtime completes it.
    """
    steps = await work.steps()
    index = next_pending_step([s.status for s in steps])
    if index is None:
        if from_planning:
            await work.move(Trigger.PLAN_ACCEPTED, "plan accepted: nothing left to run")
        if work.execution.status != ExecutionStatus.RUNNING.value:
            await work.set_execution(status=ExecutionStatus.RUNNING.value)
        return
    step = steps[index]
    if step.requires_approval:
        trigger = Trigger.PLAN_NEEDS_APPROVAL if from_planning else Trigger.STEP_NEEDS_APPROVAL
        await work.move(trigger, f"step {index} ({step.tool}) needs approval")
        approval = await work_writes.insert_approval(
            work.conn, work.agent_id, work.execution.id, step.id
        )
        await work_writes.update_step(
            work.conn, step.id, {"status": StepStatus.AWAITING_APPROVAL.value}
        )
        await work.set_execution(status=ExecutionStatus.WAITING_APPROVAL.value)
        work.log(ExecutionEventType.APPROVAL_REQUESTED, approval=str(approval.id), step=index)
        work.publish(
            EventKind.APPROVAL_REQUESTED,
            approval=str(approval.id),
            execution=str(work.execution.id),
            step=index,
        )
        return
    if from_planning:
        await work.move(Trigger.PLAN_ACCEPTED, "plan accepted")
    await start_step(work, step)


async def start_step(work: ExecutionWork, step: Row[Any]) -> None:
    """The step runs; so does its execution."""
    await work_writes.update_step(
        work.conn,
        step.id,
        {"status": StepStatus.RUNNING.value, "started_at": func.now(), "completed_at": None},
    )
    if work.execution.status != ExecutionStatus.RUNNING.value:
        await work.set_execution(status=ExecutionStatus.RUNNING.value)
    work.log(ExecutionEventType.STEP_STARTED, step=step_index(step), tool=step.tool)


async def close_execution(
    work: ExecutionWork,
    status: ExecutionStatus,
    *,
    reason: str,
    error: str | None = None,
    recovery: RecoveryStrategy | None = None,
    move_agent_out: bool = True,
) -> None:
    """End an open execution early (FAILED or CANCELLED) and take its agent back to IDLE.

    Pending approvals are cancelled. Failed: the running step fails with the error and a step
    awaiting approval goes back to pending (a resume asks again). Cancelled: steps not started
    are skipped and the running one fails as cancelled.
    """
    if move_agent_out and work.agent is not None:
        trigger = end_trigger(effective_status(work.agent.status, work.agent.paused_from))
        if trigger is not None:
            await work.move(trigger, reason)
    await cancel_approvals(work, reason)
    execution_id = work.execution.id
    in_progress = [StepStatus.RUNNING.value, StepStatus.APPROVED.value]
    step_error = error if status is ExecutionStatus.FAILED else reason
    await work_writes.update_steps_where(
        work.conn, execution_id, in_progress,
        {"status": StepStatus.FAILED.value, "error": step_error, "completed_at": func.now()},
    )  # fmt: skip
    if status is ExecutionStatus.FAILED:
        await work_writes.update_steps_where(
            work.conn, execution_id, [StepStatus.AWAITING_APPROVAL.value],
            {"status": StepStatus.PENDING.value},
        )  # fmt: skip
    else:
        await work_writes.update_steps_where(
            work.conn, execution_id,
            [StepStatus.PENDING.value, StepStatus.AWAITING_APPROVAL.value],
            {"status": StepStatus.SKIPPED.value},
        )  # fmt: skip
    await work.set_execution(
        status=status.value,
        completed_at=func.now(),
        error=error,
        recovery_strategy=recovery.value if recovery else None,
    )
    if status is ExecutionStatus.FAILED:
        work.log(
            ExecutionEventType.EXECUTION_FAILED,
            error=_excerpt(error or ""),
            recoveryStrategy=recovery.value if recovery else None,
        )
    else:
        work.log(ExecutionEventType.EXECUTION_CANCELLED, reason=_excerpt(reason))


async def cancel_approvals(work: ExecutionWork, reason: str) -> None:
    cancelled = await work_writes.cancel_pending_approvals(
        work.conn, work.execution.id, _excerpt(reason)
    )
    if not cancelled:
        return
    index_of = {s.id: step_index(s) for s in await work.steps()}
    for approval in cancelled:
        step = index_of.get(approval.step_id)
        work.log(
            ExecutionEventType.APPROVAL_DECIDED,
            approval=str(approval.id), step=step, decision="cancelled",
        )  # fmt: skip
        work.publish(
            EventKind.APPROVAL_DECIDED,
            approval=str(approval.id), execution=str(work.execution.id), step=step,
            decision="cancelled",
        )  # fmt: skip


def step_index(step: Row[Any]) -> int:
    """A step row's index (``Row.index`` is also ``tuple.index`` to a type checker)."""
    return int(step._mapping["index"])


# --- the use cases ----------------------------------------------------------------------------


async def start_execution(
    database: Database,
    viewer: Viewer,
    agent_id: uuid.UUID,
    description: str,
    task_input: Any = None,
    *,
    dry_run: bool = False,
) -> Row[Any]:
    """A new execution in PLANNING; its agent goes IDLE → PLANNING."""
    text = validate_text(description, "input.description")
    values = {} if task_input is None else validate_json_object(task_input, "input.input")
    execution_id = uuid.uuid4()
    async with database.transaction() as conn:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
        next_status(AgentStatus(agent.status), Trigger.START_EXECUTION)  # refused moves first
        await _require_no_open_execution(conn, agent.id)
        execution = await work_writes.insert_execution(
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
        work = ExecutionWork(conn, viewer.actor, agent.id, agent.project_id, execution, agent=agent)
        await work.move(
            Trigger.START_EXECUTION, f"execution {execution_id} started", follow_pause=False
        )
        work.log(ExecutionEventType.EXECUTION_STARTED, dryRun=dry_run)
        await work.commit()
    return work.execution


async def submit_plan(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, steps: Sequence[StepSpec]
) -> Row[Any]:
    """Record the plan with a safety assessment per step, then run it (or, dry, finish)."""
    validate_plan_size(len(steps))
    specs = [validated_step(spec, f"steps[{i}]") for i, spec in enumerate(steps)]
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        require_execution_in(work.execution.status, [ExecutionStatus.PLANNING], "submit a plan for")
        assert work.agent is not None
        safety = SafetyLevel(work.agent.safety_level)
        rows = [planned_step(i, spec, safety) for i, spec in enumerate(specs)]
        await work_writes.insert_steps(conn, work.execution.id, rows)
        needing = [row["index"] for row in rows if row["requires_approval"]]
        checkpoint = await work_writes.insert_checkpoint(
            conn, work.execution.id, PLAN_CHECKPOINT, plan_summary(rows)
        )
        work.log(ExecutionEventType.PLAN_SUBMITTED, steps=len(rows), requiringApproval=needing)
        _log_checkpoint(work, checkpoint)
        if work.execution.dry_run:
            await _finish_dry_run(work, len(rows), needing)
        else:
            await advance(work, from_planning=True)
        await work.commit()
    return work.execution


async def _finish_dry_run(work: ExecutionWork, step_count: int, needing: list[int]) -> None:
    # PLANNING → IDLE: the table's only move back to IDLE from PLANNING is a cancel.
    await work.move(Trigger.CANCEL, "dry run finished")
    await work_writes.update_steps_where(
        work.conn, work.execution.id, [StepStatus.PENDING.value],
        {"status": StepStatus.SKIPPED.value},
    )  # fmt: skip
    await work.set_execution(
        status=ExecutionStatus.COMPLETED.value,
        completed_at=func.now(),
        result={"dryRun": True, "steps": step_count, "stepsRequiringApproval": needing},
    )
    work.log(ExecutionEventType.EXECUTION_COMPLETED, dryRun=True)


async def report_step_result(
    database: Database,
    viewer: Viewer,
    execution_id: uuid.UUID,
    index: int,
    *,
    succeeded: bool,
    result: Any = None,
    error: str | None = None,
) -> Row[Any]:
    """The runtime reports how the running step went; on success the next step is started."""
    if index < 0:
        raise ValidationFailed("input.index", "must not be negative")
    validate_json(result, "input.result")
    error_text = validate_text(error, "input.error", required=False)
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        steps = await work.steps()
        step = steps[index] if index < len(steps) else None
        check_step_report(work.execution.status, step.status if step else None, index)
        assert work.agent is not None and step is not None
        require_agent_in(
            work.agent.status, work.agent.paused_from, AgentStatus.EXECUTING,
            "report a step result for",
        )  # fmt: skip
        attempts = step.attempts + 1
        if succeeded:
            await work_writes.update_step(
                conn, step.id,
                {"status": StepStatus.SUCCEEDED.value, "result": result, "error": None,
                 "attempts": attempts, "completed_at": func.now()},
            )  # fmt: skip
            checkpoint = await work_writes.insert_checkpoint(
                conn, work.execution.id, step_checkpoint_name(index), {"result": result}
            )
            work.log(ExecutionEventType.STEP_COMPLETED, step=index, attempts=attempts)
            _log_checkpoint(work, checkpoint)
            await advance(work, from_planning=False)
        else:
            await work_writes.update_step(
                conn, step.id,
                {"status": StepStatus.FAILED.value, "result": result, "error": error_text,
                 "attempts": attempts, "completed_at": func.now()},
            )  # fmt: skip
            work.log(
                ExecutionEventType.STEP_FAILED,
                step=index, attempts=attempts, error=_excerpt(error_text or ""),
            )  # fmt: skip
        await work.commit()
    return work.execution


async def complete_execution(
    database: Database,
    viewer: Viewer,
    execution_id: uuid.UUID,
    *,
    result: Any = None,
    tokens_used: float | None = None,
    cost: float | None = None,
) -> Row[Any]:
    """Every step done: COMPLETED; usage added to the agent's totals; agent back to IDLE."""
    tokens = validate_tokens(tokens_used, "tokensUsed")
    amount = validate_cost(cost, "cost")
    validate_json(result, "result")
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        require_execution_in(work.execution.status, [ExecutionStatus.RUNNING], "complete")
        steps = await work.steps()
        unfinished = first_unfinished_step([s.status for s in steps])
        if unfinished is not None:
            status = StepStatus(steps[unfinished].status)
            raise Conflict(
                f"Step {unfinished} is {status.name}; every step must have succeeded (or been "
                "skipped) before the execution completes.",
                index=unfinished,
                stepStatus=status.name,
            )
        agent = work.agent
        assert agent is not None
        total_tokens, total_cost = add_usage(agent.tokens_used, agent.cost_incurred, tokens, amount)
        await work.move(
            Trigger.END_EXECUTION, f"execution {work.execution.id} completed",
            extra={"tokens_used": total_tokens, "cost_incurred": total_cost,
                   "tasks_completed": agent.tasks_completed + 1},
        )  # fmt: skip
        await work.set_execution(
            status=ExecutionStatus.COMPLETED.value,
            completed_at=func.now(),
            result=result,
            tokens_used=tokens,
            cost=amount,
        )
        work.log(ExecutionEventType.EXECUTION_COMPLETED, tokensUsed=tokens, cost=float(amount))
        await work.commit()
    return work.execution


async def fail_execution(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, error: str
) -> Row[Any]:
    """The runtime gives up: FAILED with a recovery strategy classified from the error."""
    text = validate_text(error, "error")
    assert text is not None
    strategy = classify_error(text)
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        require_execution_in(work.execution.status, OPEN_EXECUTION_STATUSES, "fail")
        await close_execution(
            work, ExecutionStatus.FAILED, reason=f"execution failed: {_excerpt(text)}",
            error=text, recovery=strategy,
        )  # fmt: skip
        await work.commit()
    return work.execution


async def cancel_execution(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, reason: str | None = None
) -> Row[Any]:
    """Stop an open execution: CANCELLED, approvals cancelled, remaining steps skipped."""
    text = validate_text(reason, "reason", required=False)
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        require_execution_in(work.execution.status, OPEN_EXECUTION_STATUSES, "cancel")
        why = f"execution cancelled: {text}" if text else "execution cancelled"
        await close_execution(work, ExecutionStatus.CANCELLED, reason=why)
        await work.commit()
    return work.execution


async def resume_execution(database: Database, viewer: Viewer, execution_id: uuid.UUID) -> Row[Any]:
    """Restart a FAILED execution from the step after its latest ``step_<i>_completed``.

    The agent (IDLE) goes to PLANNING and on to EXECUTING or WAITING_APPROVAL in the same
    transaction: the table has no IDLE → EXECUTING, so both moves are recorded.
    """
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        require_execution_in(work.execution.status, [ExecutionStatus.FAILED], "resume")
        await work.move(
            Trigger.START_EXECUTION, f"execution {work.execution.id} resumed", follow_pause=False
        )
        await _require_no_open_execution(conn, work.agent_id)
        steps = await work.steps()
        names = await work_writes.checkpoint_names(conn, work.execution.id)
        start = resume_index(names, len(steps))
        await work_writes.update_steps_where(
            conn, work.execution.id, [s.value for s in StepStatus],
            {"status": StepStatus.PENDING.value, "result": None, "error": None,
             "started_at": None, "completed_at": None},
            from_index=start,
        )  # fmt: skip
        await work.set_execution(
            status=ExecutionStatus.PLANNING.value,
            completed_at=None,
            error=None,
            recovery_strategy=None,
        )
        work.log(ExecutionEventType.EXECUTION_STARTED, resumed=True, fromStep=start)
        if steps:
            await advance(work, from_planning=True)
        await work.commit()
    return work.execution


async def save_checkpoint(
    database: Database, viewer: Viewer, execution_id: uuid.UUID, name: str, data: Any
) -> Row[Any]:
    """A named snapshot of an open execution, numbered after its previous ones."""
    checkpoint_name = validate_name(name, "name", max_length=MAX_NAME_LENGTH)
    values = validate_json_object(data, "data")
    async with database.transaction() as conn:
        work = await open_execution(conn, viewer, execution_id)
        require_execution_in(
            work.execution.status, OPEN_EXECUTION_STATUSES, "save a checkpoint for"
        )
        checkpoint = await work_writes.insert_checkpoint(
            conn, work.execution.id, checkpoint_name, values
        )
        _log_checkpoint(work, checkpoint)
        await work.commit()
    return checkpoint


async def cancel_open_work(
    conn: AsyncConnection, agent_id: uuid.UUID, reason: str
) -> list[NewEvent]:
    """Cancel every open execution of an agent being terminated (inside the caller's transaction).

    The caller has locked the agent and moved it; this does not move it again. Writes the
    execution rows and logs, and returns the APPROVAL_DECIDED / EXECUTION_UPDATED events for
    the caller to append (it must call ``eventlog.append`` itself, last).
    """
    opened = await work_writes.lock_open_executions(conn, agent_id)
    if not opened:
        return []
    project_id = await work_writes.agent_project_id(conn, agent_id)
    events: list[NewEvent] = []
    why = f"execution cancelled: {_excerpt(reason)}" if reason else "execution cancelled"
    for execution in opened:
        work = ExecutionWork(conn, SYSTEM_ACTOR, agent_id, project_id, execution)
        await close_execution(work, ExecutionStatus.CANCELLED, reason=why, move_agent_out=False)
        events.extend(await work.flush())
    return events


# --- helpers ----------------------------------------------------------------------------------


async def _require_no_open_execution(conn: AsyncConnection, agent_id: uuid.UUID) -> None:
    # An IDLE agent has none, unless an error and a recovery left one open: close it first.
    other = await work_writes.open_execution_id(conn, agent_id)
    if other is not None:
        raise Conflict(
            f"Agent already has an open execution {other}; fail or cancel it first.",
            openExecution=str(other),
        )


def _log_checkpoint(work: ExecutionWork, checkpoint: Row[Any]) -> None:
    work.log(ExecutionEventType.CHECKPOINT_SAVED, checkpoint=checkpoint.name, seq=checkpoint.seq)


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
