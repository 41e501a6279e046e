"""Deciding approvals (SPEC §4): approve or reject a step, exactly once.

Only people decide (the GraphQL surface refuses agent tokens): the project's owner or a
superuser; anyone else gets NOT_FOUND. Locks are taken in the order every execution use case
takes them — agent, execution, approval — so concurrent deciders queue on the agent row and the
first one through wins; the others find the approval decided and get CONFLICT. The update itself
is conditional on ``status = 'pending'`` as well, so one decision holds whatever the locking.

An approval past its expiry counts as rejected. Deciding one records that (approval EXPIRED,
step rejected, execution failed, agent IDLE), commits, and answers CONFLICT.
"""

from __future__ import annotations

import uuid

from domain.access import Viewer
from domain.clock import NOW
from domain.errors import Conflict, NotFound
from domain.events import EventKind
from domain.executions import ApprovalStatus, ExecutionEventType, ExecutionStatus, StepStatus
from domain.lifecycle import Trigger
from domain.plans import effective_status, end_trigger, require_execution_in
from domain.records import Approval, ExecutionStep
from domain.recovery import RecoveryStrategy
from domain.values import validate_text
from store import agent_writes, approvals, executions, steps
from store.database import Database, DatabaseConnection
from usecases.execution_change import ExecutionChange, cancel_approvals, start_step

MAX_REASON_LENGTH = 2000
# Who expires approvals: the system, which may act on any project.
CLOCK = Viewer(is_superuser=True)


async def approve(
    database: Database, viewer: Viewer, approval_id: uuid.UUID, reason: str | None = None
) -> Approval:
    """Approve a pending step: it runs, the execution runs, the agent is EXECUTING again."""
    text = validate_text(reason, "reason", required=False, max_length=MAX_REASON_LENGTH)
    return await _decide(database, viewer, approval_id, ApprovalStatus.APPROVED, text)


async def reject(
    database: Database, viewer: Viewer, approval_id: uuid.UUID, reason: str
) -> Approval:
    """Reject a pending step: it is rejected, later steps skipped, the execution FAILED."""
    text = validate_text(reason, "reason", max_length=MAX_REASON_LENGTH)
    return await _decide(database, viewer, approval_id, ApprovalStatus.REJECTED, text)


async def _decide(
    database: Database,
    viewer: Viewer,
    approval_id: uuid.UUID,
    decision: ApprovalStatus,
    reason: str | None,
) -> Approval:
    expired_at = None
    async with database.transaction() as conn:
        change, approval, overdue = await _open_approval(conn, viewer, approval_id)
        if approval.status != ApprovalStatus.PENDING.value:
            status = ApprovalStatus(approval.status)
            raise Conflict(
                f"Approval is already {status.name}; it can be decided only once.",
                approvalStatus=status.name,
            )
        require_execution_in(
            change.execution.status, [ExecutionStatus.WAITING_APPROVAL], "decide an approval of"
        )
        step = next(s for s in await change.steps() if s.id == approval.step_id)
        if overdue:
            expired_at = approval.expires_at
            decided = await _refuse(change, approval.id, step, ApprovalStatus.EXPIRED, None, None)
        elif decision is ApprovalStatus.APPROVED:
            decided = await _approve(change, approval.id, step, viewer.user_id, reason)
        else:
            decided = await _refuse(change, approval.id, step, decision, viewer.user_id, reason)
        await change.commit()
    if expired_at is not None:
        # Committed above: the expiry is recorded even though this decision is refused.
        raise Conflict(
            f"Approval expired at {expired_at.isoformat()}; it counts as rejected.",
            approvalStatus=ApprovalStatus.EXPIRED.name,
        )
    return decided


async def expire_approval(database: Database, approval_id: uuid.UUID) -> Approval:
    """The clock's decision on an overdue approval (the sweeper): EXPIRED, counted as rejected."""
    async with database.transaction() as conn:
        change, approval, overdue = await _open_approval(conn, CLOCK, approval_id)
        if approval.status != ApprovalStatus.PENDING.value or not overdue:
            raise Conflict("Approval is not pending past its expiry.")
        step = next(s for s in await change.steps() if s.id == approval.step_id)
        expired = await _refuse(change, approval.id, step, ApprovalStatus.EXPIRED, None, None)
        await change.commit()
    return expired


async def _open_approval(
    conn: DatabaseConnection, viewer: Viewer, approval_id: uuid.UUID
) -> tuple[ExecutionChange, Approval, bool]:
    """Lock agent, execution, approval (in that order); NOT_FOUND unless the viewer owns it.

    Returns the change over the execution, the approval and whether it is overdue.
    """
    parents = await approvals.approval_parents(conn, approval_id)
    if parents is None:
        raise NotFound("Approval", approval_id)
    try:
        agent = await agent_writes.lock_agent(conn, viewer, parents.agent_id)
    except NotFound:
        raise NotFound("Approval", approval_id) from None
    if not viewer.owns_project(agent.owner_id):
        raise NotFound("Approval", approval_id)
    execution = await executions.lock_execution(conn, parents.execution_id)
    locked = await approvals.lock_approval(conn, approval_id)
    if execution is None or locked is None:  # deleted with the agent meanwhile
        raise NotFound("Approval", approval_id)
    change = ExecutionChange(conn, viewer.actor, agent.id, agent.project_id, execution, agent=agent)
    return change, *locked


async def _approve(
    change: ExecutionChange,
    approval_id: uuid.UUID,
    step: ExecutionStep,
    user_id: uuid.UUID | None,
    reason: str | None,
) -> Approval:
    # APPROVE follows a pause: a paused agent will resume into EXECUTING.
    await change.move(Trigger.APPROVE, f"step {step.index} approved")
    decided = await _close_approval(change, approval_id, ApprovalStatus.APPROVED, user_id, reason)
    _log_decision(change, approval_id, step.index, ApprovalStatus.APPROVED)
    await start_step(change, step)
    return decided


async def _refuse(
    change: ExecutionChange,
    approval_id: uuid.UUID,
    step: ExecutionStep,
    outcome: ApprovalStatus,
    user_id: uuid.UUID | None,
    reason: str | None,
) -> Approval:
    """REJECTED (by a person) or EXPIRED (by the clock): the step and the execution stop."""
    error = "approval expired" if outcome is ApprovalStatus.EXPIRED else f"rejected: {reason}"
    assert change.agent is not None
    trigger = end_trigger(
        effective_status(change.agent.status, change.agent.paused_from), rejected=True
    )
    if trigger is not None:
        await change.move(trigger, f"step {step.index} {error}")
    decided = await _close_approval(change, approval_id, outcome, user_id, reason)
    _log_decision(change, approval_id, step.index, outcome)
    conn, execution_id = change.conn, change.execution.id
    await steps.update_step(conn, step.id, {"status": StepStatus.REJECTED.value, "error": error})
    await steps.update_steps_where(
        conn, execution_id, [StepStatus.PENDING.value], {"status": StepStatus.SKIPPED.value},
        from_index=step.index + 1,
    )  # fmt: skip
    # Any other open request of this execution goes too (there is at most one in practice).
    await cancel_approvals(change, error)
    # A person said no (or nobody said yes in time): retrying blindly would not help.
    strategy = RecoveryStrategy.MANUAL_INTERVENTION
    await change.set_execution(
        status=ExecutionStatus.FAILED.value,
        completed_at=NOW,
        error=error,
        recovery_strategy=strategy.value,
    )
    change.log(
        ExecutionEventType.EXECUTION_FAILED, error=error[:200], recoveryStrategy=strategy.value
    )
    return decided


async def _close_approval(
    change: ExecutionChange,
    approval_id: uuid.UUID,
    outcome: ApprovalStatus,
    user_id: uuid.UUID | None,
    reason: str | None,
) -> Approval:
    decided = await approvals.decide_approval(
        change.conn,
        approval_id,
        {"status": outcome.value, "decided_by": user_id, "reason": reason},
    )
    if decided is None:
        raise Conflict("Approval was decided meanwhile; it can be decided only once.")
    return decided


def _log_decision(
    change: ExecutionChange, approval_id: uuid.UUID, index: int, outcome: ApprovalStatus
) -> None:
    change.log(
        ExecutionEventType.APPROVAL_DECIDED,
        approval=str(approval_id), step=index, decision=outcome.value,
    )  # fmt: skip
    change.publish(
        EventKind.APPROVAL_DECIDED,
        approval=str(approval_id), execution=str(change.execution.id), step=index,
        decision=outcome.value,
    )  # fmt: skip
