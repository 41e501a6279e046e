"""Mutations of executions, called by agent runtimes (and project owners): start, plan, report
step results, complete, fail, cancel, resume, checkpoint. Thin: parse → call the use case →
return."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from domain import records
from domain.plans import StepSpec
from gql.context import Info
from gql.ids import from_global_id
from gql.permissions import AgentRuntime
from gql.scalars import JSON
from gql.types.execution import Checkpoint, Execution
from gql.types.execution_inputs import StartExecutionInput, StepInput, StepResultInput
from usecases import executions


async def _on_execution(
    info: Info,
    use_case: Callable[..., Awaitable[records.Execution]],
    execution_id: strawberry.ID,
    *args: Any,
    field: str = "executionId",
    **kwargs: Any,
) -> Execution:
    """Run ``use_case`` on the execution behind ``execution_id`` for the caller; the result."""
    execution = await use_case(
        info.context.database,
        info.context.viewer,
        from_global_id(execution_id, "Execution", field),
        *args,
        **kwargs,
    )
    return Execution.from_record(execution)


@strawberry.type
class ExecutionMutations:
    @strawberry.mutation(
        description="Start a task on an IDLE agent: a PLANNING execution; the agent goes to "
        "PLANNING.",
        permission_classes=[AgentRuntime],
    )
    async def start_execution(self, info: Info, input: StartExecutionInput) -> Execution:
        execution = await executions.start_execution(
            info.context.database,
            info.context.viewer,
            from_global_id(input.agent_id, "Agent", "input.agentId"),
            input.description,
            input.input,
            dry_run=bool(input.dry_run),
        )
        return Execution.from_record(execution)

    @strawberry.mutation(
        description="Submit the plan of a PLANNING execution (1 to 100 steps). Each step gets a "
        "safety assessment; the first step runs, or waits for approval when it needs it. A dry "
        "run records the plan and decisions and completes at once.",
        permission_classes=[AgentRuntime],
    )
    async def submit_plan(
        self, info: Info, execution_id: strawberry.ID, steps: list[StepInput]
    ) -> Execution:
        specs = [
            StepSpec(
                tool=step.tool, risk_level=step.risk_level, params=step.params,
                rationale=step.rationale,
            )
            for step in steps
        ]  # fmt: skip
        return await _on_execution(info, executions.submit_plan, execution_id, specs)

    @strawberry.mutation(
        description="Report how the running step went. On success a checkpoint "
        "step_<index>_completed is saved and the next step starts (or waits for approval).",
        permission_classes=[AgentRuntime],
    )
    async def report_step_result(self, info: Info, input: StepResultInput) -> Execution:
        return await _on_execution(
            info, executions.report_step_result, input.execution_id, input.index,
            field="input.executionId", succeeded=input.succeeded, result=input.result,
            error=input.error,
        )  # fmt: skip

    @strawberry.mutation(
        description="Complete a RUNNING execution whose steps all succeeded: tokens and cost are "
        "added to the agent's totals, tasksCompleted + 1, the agent goes back to IDLE.",
        permission_classes=[AgentRuntime],
    )
    async def complete_execution(
        self,
        info: Info,
        execution_id: strawberry.ID,
        result: JSON | None = None,
        tokens_used: float | None = None,
        cost: float | None = None,
    ) -> Execution:
        return await _on_execution(
            info, executions.complete_execution, execution_id,
            result=result, tokens_used=tokens_used, cost=cost,
        )  # fmt: skip

    @strawberry.mutation(
        description="Fail an open execution; the error is classified into a recovery strategy "
        "and the agent goes back to IDLE.",
        permission_classes=[AgentRuntime],
    )
    async def fail_execution(
        self, info: Info, execution_id: strawberry.ID, error: str
    ) -> Execution:
        return await _on_execution(info, executions.fail_execution, execution_id, error)

    @strawberry.mutation(
        description="Cancel an open execution: pending approvals are cancelled, steps not run "
        "are skipped, the agent goes back to IDLE.",
        permission_classes=[AgentRuntime],
    )
    async def cancel_execution(
        self, info: Info, execution_id: strawberry.ID, reason: str | None = None
    ) -> Execution:
        return await _on_execution(info, executions.cancel_execution, execution_id, reason)

    @strawberry.mutation(
        description="Resume a FAILED execution of an IDLE agent from the step after its latest "
        "step_<i>_completed checkpoint.",
        permission_classes=[AgentRuntime],
    )
    async def resume_execution(self, info: Info, execution_id: strawberry.ID) -> Execution:
        return await _on_execution(info, executions.resume_execution, execution_id)

    @strawberry.mutation(
        description="Save a named checkpoint (data: a JSON object) of an open execution.",
        permission_classes=[AgentRuntime],
    )
    async def save_checkpoint(
        self, info: Info, execution_id: strawberry.ID, name: str, data: JSON
    ) -> Checkpoint:
        checkpoint = await executions.save_checkpoint(
            info.context.database,
            info.context.viewer,
            from_global_id(execution_id, "Execution", "executionId"),
            name,
            data,
        )
        return Checkpoint.from_record(checkpoint)
