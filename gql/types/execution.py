"""Execution: a task an agent runs, with its planned steps, checkpoints and log."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import records
from domain.executions import ExecutionStatus, StepStatus
from domain.recovery import RecoveryStrategy
from domain.safety import RiskLevel
from gql import cursors
from gql.context import Info
from gql.ids import to_global_id
from gql.loaders.base import load_required
from gql.pagination import Connection, PageArgs, connection, count_of, page_keyset
from gql.scalars import JSON, DateTime
from gql.types.node import Node
from gql.types.show import show, shows

if TYPE_CHECKING:
    from gql.types.agent import Agent
    from gql.types.approval import Approval


@shows(records.ExecutionStep)
@strawberry.type(description="One planned step of an execution, with its safety assessment.")
class ExecutionStep:
    pk: strawberry.Private[uuid.UUID]
    index: int = strawberry.field(description="Position in the plan, from 0.")
    tool: str = strawberry.field(description="Tool the step calls.")
    params: JSON = strawberry.field(description="Parameters for the tool (object).")
    rationale: str | None = strawberry.field(description="Why the step is in the plan.")
    risk_level: RiskLevel = strawberry.field(description="Risk after the safety rules.")
    requires_approval: bool = strawberry.field(description="A human must approve it first.")
    safe: bool = strawberry.field(description="False for destructive or unknown operations.")
    risks: list[str] = strawberry.field(description="Risks found by the safety rules.")
    mitigations: list[str] = strawberry.field(description="Mitigations in place.")
    status: StepStatus = strawberry.field(description="Where the step is.")
    result: JSON | None = strawberry.field(description="Result reported by the runtime.")
    error: str | None = strawberry.field(description="Error reported by the runtime.")
    attempts: int = strawberry.field(description="Results reported for this step so far.")
    started_at: DateTime | None = strawberry.field(description="When the step started.")
    completed_at: DateTime | None = strawberry.field(description="When the step ended.")

    @classmethod
    def from_record(cls, step: records.ExecutionStep) -> ExecutionStep:
        return cls(
            pk=step.id,
            index=step.index,
            tool=step.tool,
            params=step.params,
            rationale=step.rationale,
            risk_level=step.risk_level,
            requires_approval=step.requires_approval,
            safe=step.safe,
            risks=step.risks,
            mitigations=step.mitigations,
            status=step.status,
            result=step.result,
            error=step.error,
            attempts=step.attempts,
            started_at=step.started_at,
            completed_at=step.completed_at,
        )

    @strawberry.field(description="The latest approval request of this step, if any.")
    async def approval(
        self, info: Info
    ) -> Annotated[Approval, strawberry.lazy("gql.types.approval")] | None:
        approval = await info.context.loaders.approval_by_step_id.load(self.pk)
        return show(approval) if approval is not None else None


@strawberry.type(description="A named snapshot saved during an execution (step_<i>_completed, …).")
class Checkpoint(Node):
    name: str = strawberry.field(description="Name, e.g. plan_created or step_0_completed.")
    data: JSON = strawberry.field(description="Saved data (object).")
    created_at: DateTime = strawberry.field(description="When it was saved.")

    @classmethod
    def from_record(cls, checkpoint: records.Checkpoint) -> Checkpoint:
        return cls(
            id=strawberry.ID(to_global_id("Checkpoint", checkpoint.id)),
            name=checkpoint.name,
            data=checkpoint.data,
            created_at=checkpoint.created_at,
        )


@strawberry.type(description="One entry of an execution's log.")
class ExecutionEvent:
    event_type: str = strawberry.field(description="execution_started, step_completed, …")
    data: JSON = strawberry.field(description="Details (object).")
    at: DateTime = strawberry.field(description="When it happened.")

    @classmethod
    def from_record(cls, event: records.ExecutionEvent) -> ExecutionEvent:
        return cls(event_type=event.event_type.value, data=event.data, at=event.at)


@shows(records.Execution)
@strawberry.type(description="A task an agent runs: a plan of steps, some waiting for approval.")
class Execution(Node):
    pk: strawberry.Private[uuid.UUID]
    agent_pk: strawberry.Private[uuid.UUID]
    description: str = strawberry.field(description="What the task is.")
    input: JSON = strawberry.field(description="Input of the task (object).")
    status: ExecutionStatus = strawberry.field(description="Where the execution is.")
    dry_run: bool = strawberry.field(description="Records the plan and decisions only; never runs.")
    started_at: DateTime = strawberry.field(description="When it started.")
    completed_at: DateTime | None = strawberry.field(description="When it ended.")
    result: JSON | None = strawberry.field(description="Final result.")
    error: str | None = strawberry.field(description="Why it failed.")
    recovery_strategy: RecoveryStrategy | None = strawberry.field(
        description="What to do about the failure (classified from the error)."
    )
    tokens_used: float = strawberry.field(description="Tokens used.")
    cost: float = strawberry.field(description="Cost incurred.")

    @classmethod
    def from_record(cls, execution: records.Execution) -> Execution:
        return cls(
            id=strawberry.ID(to_global_id("Execution", execution.id)),
            pk=execution.id,
            agent_pk=execution.agent_id,
            description=execution.description,
            input=execution.input,
            status=execution.status,
            dry_run=execution.dry_run,
            started_at=execution.started_at,
            completed_at=execution.completed_at,
            result=execution.result,
            error=execution.error,
            recovery_strategy=execution.recovery_strategy,
            tokens_used=float(execution.tokens_used),
            cost=float(execution.cost),
        )

    @strawberry.field(description="The agent running it.")
    async def agent(self, info: Info) -> Annotated[Agent, strawberry.lazy("gql.types.agent")]:
        agent = await load_required(info.context.loaders.agent_by_id, self.agent_pk, "Agent")
        return show(agent)

    @strawberry.field(description="The plan, in order.")
    async def steps(self, info: Info) -> list[ExecutionStep]:
        plan = await info.context.loaders.steps_by_execution_id.load(self.pk) or []
        return [ExecutionStep.from_record(step) for step in plan]

    @strawberry.field(description="Checkpoints, oldest first.")
    async def checkpoints(self, info: Info) -> list[Checkpoint]:
        saved = await info.context.loaders.checkpoints_by_execution_id.load(self.pk) or []
        return [Checkpoint.from_record(checkpoint) for checkpoint in saved]

    @strawberry.field(description="The execution's log, oldest first.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ExecutionEvent]:
        keyset = page_keyset(info, PageArgs(first=first, after=after), cursors.EXECUTION_EVENTS)
        loaders = info.context.loaders
        page = await loaders.event_page_by_execution_id.load((self.pk, keyset))
        return connection(
            page,
            keyset,
            node=ExecutionEvent.from_record,
            cursor=cursors.EXECUTION_EVENTS.cursor,
            count=lambda: count_of(loaders.event_count_by_execution_id.load(self.pk)),
        )
