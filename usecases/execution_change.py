"""The machinery every execution use case shares: the unit of work over one locked execution
(ExecutionChange), and the moves of a plan — start the next step, ask for approval, close.

Lock order everywhere: the agent (visibility checked), then the execution, then approvals.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.access import Viewer
from domain.clock import NOW
from domain.errors import NotFound
from domain.events import EventKind
from domain.executions import ExecutionEventType, ExecutionStatus, StepStatus
from domain.lifecycle import Trigger
from domain.plans import effective_status, end_trigger, next_pending_step
from domain.records import Agent, Execution, ExecutionStep
from domain.recovery import RecoveryStrategy
from store import agent_writes, approvals, eventlog, execution_log, executions, steps
from store.database import DatabaseConnection
from store.eventlog import NewEvent
from usecases.moves import move_agent

# Short excerpts of client text in the execution log and transition reasons.
_EXCERPT = 200


@dataclass
class ExecutionChange:
    """What one use case changes about one execution: the locked rows and the events to write.

    ``agent`` is None when the agent is not moved (closing executions of a terminated agent).
    """

    conn: DatabaseConnection
    actor: str
    agent_id: uuid.UUID
    project_id: uuid.UUID
    execution: Execution
    agent: Agent | None = None
    events: list[NewEvent] = field(default_factory=list)
    log_entries: list[tuple[ExecutionEventType, dict[str, Any]]] = field(default_factory=list)

    async def move(
        self,
        trigger: Trigger,
        reason: str,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Apply a lifecycle move to the (locked) agent; INVALID_TRANSITION if the table refuses.

        A paused agent follows the execution's moves without leaving PAUSED (``FOLLOWS_PAUSE``).
        ``extra``: other agent columns written with the move (one write, one revision).
        """
        assert self.agent is not None
        moved = await move_agent(
            self.conn, self.agent, trigger, actor=self.actor, reason=reason, extra=extra
        )
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
        self.execution = await executions.update_execution(self.conn, self.execution.id, values)

    async def steps(self) -> list[ExecutionStep]:
        return await steps.steps_of(self.conn, self.execution.id)

    async def flush(self) -> list[NewEvent]:
        """Write the execution log; return the agent events, ending with EXECUTION_UPDATED."""
        await execution_log.add_entries(self.conn, self.execution.id, self.log_entries)
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
    conn: DatabaseConnection, viewer: Viewer, execution_id: uuid.UUID
) -> ExecutionChange:
    """Lock the execution's agent (visibility checked), then the execution.

    NOT_FOUND for an execution that does not exist or whose agent the viewer may not see.
    """
    agent_id = await executions.execution_agent_id(conn, execution_id)
    if agent_id is None:
        raise NotFound("Execution", execution_id)
    try:
        agent = await agent_writes.lock_agent(conn, viewer, agent_id)
    except NotFound:
        raise NotFound("Execution", execution_id) from None
    execution = await executions.lock_execution(conn, execution_id)
    if execution is None:  # deleted with its agent between the two reads
        raise NotFound("Execution", execution_id)
    return ExecutionChange(conn, viewer.actor, agent.id, agent.project_id, execution, agent=agent)


async def advance(change: ExecutionChange, *, from_planning: bool) -> None:
    """Start the next pending step: ask for approval when it needs it, else run it.

    ``from_planning``: the agent is PLANNING (a plan was just accepted) rather than EXECUTING.
    With no pending step left the execution runs on until the runtime completes it.
    """
    plan = await change.steps()
    index = next_pending_step([s.status for s in plan])
    if index is None:
        if from_planning:
            await change.move(Trigger.PLAN_ACCEPTED, "plan accepted: nothing left to run")
        if change.execution.status != ExecutionStatus.RUNNING.value:
            await change.set_execution(status=ExecutionStatus.RUNNING.value)
        return
    step = plan[index]
    if step.requires_approval:
        trigger = Trigger.PLAN_NEEDS_APPROVAL if from_planning else Trigger.STEP_NEEDS_APPROVAL
        await change.move(trigger, f"step {index} ({step.tool}) needs approval")
        approval = await approvals.insert_approval(
            change.conn, change.agent_id, change.execution.id, step.id
        )
        await steps.update_step(
            change.conn, step.id, {"status": StepStatus.AWAITING_APPROVAL.value}
        )
        await change.set_execution(status=ExecutionStatus.WAITING_APPROVAL.value)
        change.log(ExecutionEventType.APPROVAL_REQUESTED, approval=str(approval.id), step=index)
        change.publish(
            EventKind.APPROVAL_REQUESTED,
            approval=str(approval.id),
            execution=str(change.execution.id),
            step=index,
        )
        return
    if from_planning:
        await change.move(Trigger.PLAN_ACCEPTED, "plan accepted")
    await start_step(change, step)


async def start_step(change: ExecutionChange, step: ExecutionStep) -> None:
    """The step runs; so does its execution."""
    await steps.update_step(
        change.conn,
        step.id,
        {"status": StepStatus.RUNNING.value, "started_at": NOW, "completed_at": None},
    )
    if change.execution.status != ExecutionStatus.RUNNING.value:
        await change.set_execution(status=ExecutionStatus.RUNNING.value)
    change.log(ExecutionEventType.STEP_STARTED, step=step.index, tool=step.tool)


async def close_execution(
    change: ExecutionChange,
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
    if move_agent_out and change.agent is not None:
        trigger = end_trigger(effective_status(change.agent.status, change.agent.paused_from))
        if trigger is not None:
            await change.move(trigger, reason)
    await cancel_approvals(change, reason)
    execution_id = change.execution.id
    in_progress = [StepStatus.RUNNING.value, StepStatus.APPROVED.value]
    step_error = error if status is ExecutionStatus.FAILED else reason
    await steps.update_steps_where(
        change.conn, execution_id, in_progress,
        {"status": StepStatus.FAILED.value, "error": step_error, "completed_at": NOW},
    )  # fmt: skip
    if status is ExecutionStatus.FAILED:
        await steps.update_steps_where(
            change.conn, execution_id, [StepStatus.AWAITING_APPROVAL.value],
            {"status": StepStatus.PENDING.value},
        )  # fmt: skip
    else:
        await steps.update_steps_where(
            change.conn, execution_id,
            [StepStatus.PENDING.value, StepStatus.AWAITING_APPROVAL.value],
            {"status": StepStatus.SKIPPED.value},
        )  # fmt: skip
    await change.set_execution(
        status=status.value,
        completed_at=NOW,
        error=error,
        recovery_strategy=recovery.value if recovery else None,
    )
    if status is ExecutionStatus.FAILED:
        change.log(
            ExecutionEventType.EXECUTION_FAILED,
            error=excerpt(error or ""),
            recoveryStrategy=recovery.value if recovery else None,
        )
    else:
        change.log(ExecutionEventType.EXECUTION_CANCELLED, reason=excerpt(reason))


async def cancel_approvals(change: ExecutionChange, reason: str) -> None:
    cancelled = await approvals.cancel_pending_approvals(
        change.conn, change.execution.id, excerpt(reason)
    )
    if not cancelled:
        return
    index_of = {s.id: s.index for s in await change.steps()}
    for approval in cancelled:
        step = index_of.get(approval.step_id)
        change.log(
            ExecutionEventType.APPROVAL_DECIDED,
            approval=str(approval.id), step=step, decision="cancelled",
        )  # fmt: skip
        change.publish(
            EventKind.APPROVAL_DECIDED,
            approval=str(approval.id), execution=str(change.execution.id), step=step,
            decision="cancelled",
        )  # fmt: skip


def excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
